"""The project's promises: README in step with Pulumi.yaml, set-up commands, CI, speed."""

import json
import os
import re
import subprocess
import sys

import pytest

from components.settings import project_file
from tests.harness import ROOT, STACKS, run_program


def readme_table():
    rows = {}
    for line in (ROOT / "README.md").read_text().splitlines():
        match = re.match(r"^\| `([A-Za-z]+)` \| (\w+) \| `(.*)` \| (.*) \|$", line)
        if match:
            rows[match[1]] = (match[2], match[3], match[4])
    return rows


def test_readme_config_reference_matches_pulumi_yaml():
    declared = project_file()["config"]
    rows = readme_table()
    assert list(rows) == list(declared)
    for name, spec in declared.items():
        kind, default, description = rows[name]
        assert kind == spec.get("type", "object"), name
        shown = default if not default.startswith(("[", "{")) and default not in ("true", "false") else json.loads(default)
        expected = spec["default"] if spec["default"] != "" else '""'
        assert shown == expected or str(expected) == shown, name
        assert description == spec["description"].replace("|", "/"), name


def test_readme_states_the_two_commands_and_the_cli_version():
    text = (ROOT / "README.md").read_text()
    assert "make up" in text and "make test" in text
    minimum = re.search(r"^PULUMI_MIN_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), re.M)[1]
    assert f"**{minimum} or newer**" in text


def test_ci_runs_make_test():
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_make_up_stops_with_one_sentence_without_the_pulumi_cli(tmp_path):
    result = subprocess.run(["/bin/bash", "scripts/preflight.sh", "3.208.0", "docker"], cwd=ROOT, capture_output=True,
                            text=True, env={"PATH": str(tmp_path)})
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "Pulumi CLI is not installed" in result.stderr


def test_make_up_stops_when_the_cli_is_too_old(tmp_path):
    (tmp_path / "pulumi").write_text("#!/bin/sh\necho v3.100.0\n")
    (tmp_path / "pulumi").chmod(0o755)
    result = subprocess.run(["/bin/bash", "scripts/preflight.sh", "3.208.0", "kubernetes"], cwd=ROOT,
                            capture_output=True, text=True, env={"PATH": f"{tmp_path}:/usr/bin:/bin"})
    assert result.returncode == 1 and "3.100.0" in result.stderr and "3.208.0" in result.stderr


def test_make_up_stops_without_a_docker_daemon(tmp_path):
    for tool, script in (("pulumi", "echo v3.210.0"), ("docker", "exit 1")):
        (tmp_path / tool).write_text(f"#!/bin/sh\n{script}\n")
        (tmp_path / tool).chmod(0o755)
    result = subprocess.run(["/bin/bash", "scripts/preflight.sh", "3.208.0", "docker"], cwd=ROOT,
                            capture_output=True, text=True, env={"PATH": f"{tmp_path}:/usr/bin:/bin"})
    assert result.returncode == 1 and "Docker daemon" in result.stderr


def test_importing_the_components_registers_nothing():
    code = ("import components.settings, components.wiring, components.falco_config, components.sidekick_config, "
            "components.artifacts, components.manifests, components.pki_plan, components.pki, components.docker_target, "
            "components.kubernetes_target, components.render, components.stack; import pulumi.runtime.settings as s; "
            "assert s.get_root_resource() is None")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_runs_and_exports_its_urls(stack):
    run = run_program(stack)
    assert run.outputs["sidekickUrl"].endswith(":2801/")
    assert "PRIVATE KEY" not in repr({k: v for k, v in run.outputs.items() if k not in run.secret_outputs})


def test_preview_and_up_run_the_policy_pack():
    for target in ("preview STACK=staging", "up"):
        commands = subprocess.run(["make", "-n", *target.split()], cwd=ROOT, capture_output=True, text=True).stdout
        [pulumi] = [line for line in commands.splitlines() if line.startswith(("pulumi preview", "pulumi up"))]
        assert "--policy-pack policy" in pulumi and "--policy-pack-config" not in pulumi


def test_make_render_and_diff_pass_stack_only_when_given():
    def command(*args):
        env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "STACK")}
        out = subprocess.run(["make", "-n", *args], cwd=ROOT, capture_output=True, text=True, check=True, env=env)
        [line] = [line for line in out.stdout.splitlines() if "tools/" in line]
        return line.strip()

    assert command("render", "STACK=prod", "OUT=/tmp/x").endswith("tools/render.py prod /tmp/x")
    assert command("render").endswith("tools/render.py dev rendered/dev")
    assert command("diff", "BASE=main").endswith("tools/diff.py --base main")
    assert command("diff", "STACK=prod", "BASE=main").endswith("tools/diff.py --base main --stack prod")
