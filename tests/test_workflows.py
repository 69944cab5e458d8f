"""GitHub workflows: valid against GitHub's schema, zizmor-clean, pinned, least privilege, and their scripts work."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, git

GITHUB = ROOT / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))
ACTIONS = sorted((GITHUB / "actions").glob("*/action.yml"))
BIN = Path(sys.executable).parent
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def load(path):
    return yaml.load(path.read_text(), Loader=yaml.BaseLoader)  # `on:` stays a string key


def steps(doc):
    if "jobs" in doc:
        return [s for job in doc["jobs"].values() for s in job.get("steps", [])]
    return doc["runs"]["steps"]


def check_jsonschema(schema, *files):
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, files)],
                          capture_output=True, text=True)


def zizmor(*paths):
    return subprocess.run([shutil.which("zizmor", path=str(BIN)) or "zizmor", "--offline", "--no-progress",
                           *map(str, paths)], capture_output=True, text=True)


def test_workflows_and_actions_match_githubs_schemas():
    assert [p.name for p in WORKFLOWS] == ["deploy.yml", "review.yml"] and len(ACTIONS) == 3
    for schema, files in (("vendor.github-workflows", WORKFLOWS), ("vendor.github-actions", ACTIONS)):
        done = check_jsonschema(schema, *files)
        assert done.returncode == 0, done.stdout + done.stderr


def test_the_schema_check_catches_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOWS[0].read_text().replace("runs-on:", "run-on:", 1))
    assert check_jsonschema("vendor.github-workflows", broken).returncode != 0


def test_zizmor_finds_nothing():
    done = zizmor(GITHUB)
    assert done.returncode == 0 and "No findings to report" in done.stdout, done.stdout + done.stderr


def test_zizmor_does_find_an_unpinned_action(tmp_path):
    unpinned = tmp_path / "review.yml"
    unpinned.write_text(WORKFLOWS[1].read_text().replace(
        "actions/checkout@de0fac2e4500dabe0009e67214ff5f5447ce83dd # v6.0.2", "actions/checkout@v6", 1))
    done = zizmor(unpinned)
    assert done.returncode != 0 and "unpinned-uses" in done.stdout


def test_every_action_is_pinned_by_commit_and_checkouts_keep_no_credentials():
    for path in WORKFLOWS + ACTIONS:
        for step in steps(load(path)):
            uses = step.get("uses")
            if uses:
                assert uses.startswith("$/.github/actions/") or PINNED.match(uses), f"{path.name}: {uses}"
            if uses and uses.startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] == "false"


def test_least_privilege():
    for path in WORKFLOWS:
        doc = load(path)
        assert doc["permissions"] == {}, path.name
        for name, job in doc["jobs"].items():
            assert job["permissions"] == {"contents": "read"}, f"{path.name}: {name}"


def test_pull_requests_test_diff_and_preview_changed_ci_stacks_with_the_policy_pack():
    review = load(GITHUB / "workflows" / "review.yml")
    assert set(review["on"]) == {"pull_request"}
    jobs = review["jobs"]
    assert any(s.get("run") == "make test" for s in jobs["test"]["steps"])
    diff = " ".join(s.get("run", "") for s in jobs["diff"]["steps"])
    assert "make diff BASE=\"$BASE_SHA\"" in diff and "$GITHUB_STEP_SUMMARY" in diff
    assert jobs["diff"]["env"]["BASE_SHA"] == "${{ github.event.pull_request.base.sha }}"
    assert jobs["preview"]["needs"] == "diff" and "needs.diff.outputs.preview == 'true'" in jobs["preview"]["if"]
    [run] = [s for s in jobs["preview"]["steps"] if s.get("uses") == "$/.github/actions/pulumi"]
    assert run["with"]["command"] == "preview" and run["with"]["backend-url"] == "${{ secrets.PULUMI_BACKEND_URL }}"
    pulumi = load(GITHUB / "actions" / "pulumi" / "action.yml")
    [official] = [s for s in steps(pulumi) if s.get("uses", "").startswith("pulumi/actions@")]
    assert official["with"]["policyPacks"] == "policy" and official["with"]["diff"] == "true"


def test_pushes_to_main_deploy_ci_stacks_each_in_its_environment():
    deploy = load(GITHUB / "workflows" / "deploy.yml")
    assert deploy["on"] == {"push": {"branches": ["main"]}}
    assert deploy["concurrency"]["cancel-in-progress"] == "false"
    up = deploy["jobs"]["up"]
    assert up["environment"] == "${{ matrix.stack }}" and "fail-fast" not in up["strategy"]
    assert [s["with"]["command"] for s in up["steps"] if s.get("uses") == "$/.github/actions/pulumi"] == ["up"]


def run_script(action, step_id, env, tmp_path):
    [step] = [s for s in steps(load(GITHUB / "actions" / action / "action.yml")) if s.get("id") == step_id]
    outputs, summary = tmp_path / "outputs", tmp_path / "summary"
    outputs.write_text("")
    summary.write_text("")
    done = subprocess.run(["bash", "-e", "-c", step["run"]], capture_output=True, text=True, cwd=tmp_path, env={
        **os.environ, **env, "GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(summary), "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    return done.stdout, outputs.read_text(), summary.read_text()


@pytest.mark.parametrize("backend,passphrase,available", [("s3://b/sib", "p", True), ("", "p", False),
                                                           ("s3://b/sib", "", False)])
def test_runs_without_credentials_skip_pulumi_with_a_notice(tmp_path, backend, passphrase, available):
    stdout, outputs, summary = run_script("credentials", "check", {
        "BACKEND_URL": backend, "PASSPHRASE": passphrase, "SKIPPED": "pulumi preview"}, tmp_path)
    assert outputs == f"available={str(available).lower()}\n"
    assert ("::notice title=Pulumi skipped::pulumi preview skipped" in stdout) is not available
    assert ("README's CI set-up" in summary) is not available


def test_the_pulumi_step_writes_a_private_kubeconfig_and_finds_a_stacks_exceptions(tmp_path):
    (tmp_path / "policy").mkdir()
    (tmp_path / "policy" / "config.prod.json").write_text(json.dumps({"pinned-images": {"enforcementLevel": "advisory"}}))
    _, outputs, _ = run_script("pulumi", "prepare", {"STACK": "prod", "KUBECONFIG_CONTENT": "apiVersion: v1"},
                               tmp_path)
    assert outputs == "policy-config=policy/config.prod.json\n"
    kubeconfig = tmp_path / ".kube" / "config"
    assert kubeconfig.read_text() == "apiVersion: v1\n" and kubeconfig.stat().st_mode & 0o777 == 0o600
    _, outputs, _ = run_script("pulumi", "prepare", {"STACK": "staging", "KUBECONFIG_CONTENT": ""}, tmp_path)
    assert outputs == ""


def test_the_review_steps_run_as_written(repo):
    """The diff and stack-selection steps of review.yml, run by bash in a copy of the project."""
    (repo / "venv").symlink_to(ROOT / "venv")
    prod = repo / "stacks" / "Pulumi.prod.yaml"
    prod.write_text(prod.read_text().replace("sib-detection:priority: warning", "sib-detection:priority: error"))
    git(repo, "commit", "-qam", "tweak")
    base = git(repo, "rev-parse", "HEAD~1").strip()
    review = load(GITHUB / "workflows" / "review.yml")["jobs"]["diff"]["steps"]
    summary = repo / "summary.md"
    env = {**os.environ, "BASE_SHA": base, "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(repo / "out")}
    for step in review:
        if "run" in step:
            done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=repo, env=env, capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
    assert "**prod**: 3 file(s) changed" in summary.read_text()
    assert (repo / "out").read_text() == 'stacks=["prod"]\n'
    # A provider upgrade changes no rendered file, yet may preview differently: every CI stack previews.
    with (repo / "requirements.txt").open("a") as f:
        f.write("# bump\n")
    (repo / "out").write_text("")
    [stacks] = [s for s in review if s.get("id") == "stacks"]
    subprocess.run(["bash", "-e", "-c", stacks["run"]], cwd=repo, env=env, check=True)
    assert (repo / "out").read_text() == 'stacks=["prod", "staging"]\n'
