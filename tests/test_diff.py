"""`make diff` in a throwaway git copy of the project: edits show as diffs and as the workloads they roll."""

import json
import shutil
import subprocess
import sys

from tests.conftest import ROOT, git


def diff(repo, *args):
    done = subprocess.run([sys.executable, str(repo / "tools" / "diff.py"), *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def edit(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


EXTRA_RULE = """\
- rule: Extra shell in a container
  desc: A shell started in a container.
  condition: sib_spawned_process and sib_container and proc.name = bash
  output: Shell in a container (user=%user.name command=%proc.cmdline)
  priority: NOTICE
  tags: [sib]
"""


def test_a_priority_tweak_rolls_only_falco_in_that_stack(repo, tmp_path_factory):
    edit(repo / "stacks" / "Pulumi.prod.yaml", "sib-detection:priority: warning", "sib-detection:priority: error")
    out = tmp_path_factory.mktemp("out")
    text = diff(repo, "--base", "HEAD", "--markdown", str(out / "summary.md"), "--changed-json", str(out / "c.json"))
    assert "--- a/prod/falco/falco.yaml\n+++ b/prod/falco/falco.yaml\n" in text
    assert "-priority: warning\n+priority: error\n" in text
    summary = text.split("--- rendered changes against HEAD ---\n")[1].splitlines()
    assert summary == ["prod: 3 file(s) changed (+3 -3); rolls DaemonSet/falco"]
    assert json.loads((out / "c.json").read_text()) == ["prod"]
    report = (out / "summary.md").read_text()
    assert "**prod**: 3 file(s) changed" in report and "```diff\n--- a/prod/falco/falco.yaml" in report


def test_a_new_rule_file_reaches_every_stack_and_docker_replaces_only_falco(repo):
    (repo / "rules" / "80-extra.yaml").write_text(EXTRA_RULE)
    text = diff(repo, "--base", "HEAD")
    assert "--- /dev/null\n+++ b/dev/falco/rules.d/80-extra.yaml\n" in text
    summary = text.split("--- rendered changes against HEAD ---\n")[1].splitlines()
    assert summary[0].startswith("dev: ") and summary[0].endswith("; replaces container sib-falco")
    assert [line.split(";")[-1] for line in summary[1:]] == [" rolls DaemonSet/falco"] * 2


def test_one_stack_and_committed_bases(repo):
    edit(repo / "stacks" / "Pulumi.staging.yaml", "sidekickReplicas: 2", "sidekickReplicas: 3")
    edit(repo / "stacks" / "Pulumi.prod.yaml", "sib-detection:bufferPreset: 6", "sib-detection:bufferPreset: 7")
    git(repo, "commit", "-qam", "tune")
    assert diff(repo, "--base", "HEAD").splitlines()[-1] == "no stack's rendered output changes"
    text = diff(repo, "--base", "HEAD~1", "--stack", "staging")
    assert "prod" not in text
    summary = text.split("---\n")[-1].strip()
    assert summary == "staging: 1 file(s) changed (+1 -1); no workload rolls"  # replicas: a scale, not a roll


def test_a_new_stack_and_a_pki_rotation(repo):
    shutil.copy(repo / "stacks" / "Pulumi.staging.yaml", repo / "stacks" / "Pulumi.qa.yaml")
    with (repo / "stacks" / "Pulumi.dev.yaml").open("a") as f:
        f.write("  sib-detection:pkiRotation: \"2027-01\"\n")
    summary = diff(repo, "--base", "HEAD").split("---\n")[-1].splitlines()
    assert summary[0] == "dev: 3 file(s) changed (+7 -7); replaces container sib-sidekick; replaces container sib-falco"
    assert summary[1].startswith("qa: stack added, ") and "creates DaemonSet/falco" in summary[1]


def test_bad_base_is_reported(repo):
    done = subprocess.run([sys.executable, str(repo / "tools" / "diff.py"), "--base", "nope"], capture_output=True,
                          text=True)
    assert done.returncode != 0 and "BASE 'nope' is not a commit" in done.stderr


def test_a_stack_that_no_longer_renders_fails_the_diff(repo):
    (repo / "rules" / "80-broken.yaml").write_text(EXTRA_RULE.replace("sib_container", "sib_contaner"))
    done = subprocess.run([sys.executable, str(repo / "tools" / "diff.py"), "--base", "HEAD"], capture_output=True,
                          text=True)
    assert done.returncode != 0 and "the working tree does not render" in done.stderr and "sib_contaner" in done.stderr


def test_a_base_from_before_make_render_counts_as_empty(repo):
    render = (repo / "tools" / "render.py").read_text()
    git(repo, "rm", "-q", "tools/render.py")
    git(repo, "commit", "-qm", "before render existed")
    (repo / "tools" / "render.py").write_text(render)
    done = subprocess.run([sys.executable, str(repo / "tools" / "diff.py"), "--base", "HEAD", "--stack", "prod"],
                          capture_output=True, text=True)
    assert done.returncode == 0 and "predates `make render`" in done.stderr
    assert done.stdout.splitlines()[-1].startswith("prod: stack added, ")


def test_the_job_summary_stays_under_githubs_limit(monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location("diff_tool", ROOT / "tools" / "diff.py")
    tool = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "diff_tool", tool)
    spec.loader.exec_module(tool)
    monkeypatch.setattr(tool, "SUMMARY_LIMIT", 1000)
    changes = [tool.StackChange(name, "changed", diffs=["+" + "x" * 799 + "\n"]) for name in ("a", "b", "c")]
    report = tool.markdown("main", changes, [])
    assert report.count("diff truncated") == 2 and len(report) < 3000
    assert all(f"- **{name}**: 1 file(s) changed" in report for name in "abc")
