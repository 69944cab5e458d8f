"""Offline render: what the program deploys, byte-for-byte stable, with no secret material in it."""

import re
import subprocess
import sys

import kubernetes_validate
import pytest

from components import render as r
from components import settings as s
from components.render import PLACEHOLDER, render_stack
from components.yamlio import load_yaml
from tests.harness import ROOT, STACKS, plain, run_program
from tests.test_kubernetes_target import K8S_VERSION, objects, resolve_ints

RENDER = [sys.executable, str(ROOT / "tools" / "render.py")]
SECRET_MATERIAL = re.compile(r"-----BEGIN|PRIVATE KEY|hooks\.example\.com/s3cr3t")


def same_as_deployed(rendered, deployed, where="") -> list[str]:
    """Differences, where a rendered placeholder stands for any deployed string."""
    if isinstance(rendered, str) and PLACEHOLDER.search(rendered):
        return [] if isinstance(deployed, str) else [f"{where}: placeholder for {deployed!r}"]
    if isinstance(rendered, dict) and isinstance(deployed, dict):
        if set(rendered) != set(deployed):
            return [f"{where}: keys {sorted(rendered)} != {sorted(deployed)}"]
        return [d for k in rendered for d in same_as_deployed(rendered[k], deployed[k], f"{where}.{k}")]
    if isinstance(rendered, list) and isinstance(deployed, list) and len(rendered) == len(deployed):
        return [d for i, (a, b) in enumerate(zip(rendered, deployed)) for d in same_as_deployed(a, b, f"{where}[{i}]")]
    return [] if rendered == deployed else [f"{where}: {rendered!r} != {deployed!r}"]


def camel_keys(node):
    """pulumi-docker's Python argument names as the engine sees them (read_only -> readOnly)."""
    if isinstance(node, dict):
        return {re.sub(r"_([a-z])", lambda m: m[1].upper(), k): camel_keys(v) for k, v in node.items()}
    if isinstance(node, list):
        return [camel_keys(v) for v in node]
    return node


@pytest.mark.parametrize("stack", [st for st in STACKS if s.from_stack_file(st).target == "kubernetes"])
def test_kubernetes_render_is_what_the_program_applies(stack):
    rendered = {(o["kind"], o["metadata"]["name"]): o for path, text in render_stack(s.from_stack_file(stack)).items()
                if path.startswith("kubernetes/") for o in [load_yaml(text)]}
    deployed = {k: resolve_ints(v) for k, v in objects(run_program(stack)).items()}
    assert set(rendered) == set(deployed)
    for key, obj in rendered.items():
        assert same_as_deployed(obj, deployed[key], f"{key}") == []
        kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
    # Only what exists at deploy time is a placeholder: certificates, keys and checksums over them.
    falco = rendered[("DaemonSet", "falco")]["spec"]["template"]["metadata"]["annotations"]
    assert not PLACEHOLDER.search(falco["checksum/config"]) and PLACEHOLDER.search(falco["checksum/tls"])


def test_docker_render_is_what_the_program_creates():
    files = render_stack(s.from_stack_file("dev"))
    run = run_program("dev")
    images = {i.name: i.inputs["name"] for i in run.of_type("docker:index/remoteImage:RemoteImage")}
    for container in run.of_type("docker:index/container:Container"):
        [path] = [p for p in files if p.startswith("docker/") and p.endswith(f"-container-{container.name}.yaml")]
        rendered = load_yaml(files[path])
        deployed = plain(container.inputs)
        assert rendered.pop("image") == images[f"{container.name}-image"]
        uploads = {u["file"]: u for u in deployed.pop("uploads")}
        for upload in rendered.pop("uploads"):
            real = uploads.pop(upload["file"])
            assert upload["permissions"] == real["permissions"]
            if "source" in upload:
                assert files[upload["source"]] == real["content"]
                assert upload["sha256"] == r.checksum(real["content"])
            else:
                assert PLACEHOLDER.search(upload["content"]) and "BEGIN" in real["content"]
        assert uploads == {}
        deployed.pop("image")
        assert same_as_deployed(camel_keys(rendered), resolve_ints(deployed), container.name) == []


@pytest.mark.parametrize("stack", STACKS)
def test_render_is_deterministic_and_holds_the_deployed_files(stack):
    settings = s.from_stack_file(stack)
    first, second = render_stack(settings), render_stack(s.from_stack_file(stack))
    assert first == second
    assert {"falco/falco.yaml", "falcosidekick/config.yaml"} <= set(first)
    assert {p.removeprefix("falco/rules.d/") for p in first if p.startswith("falco/rules.d/")} == {
        p.name for p in sorted((ROOT / "rules").glob("*.yaml"))}
    assert ("pki/plan.yaml" in first) == settings.mtls
    assert not any(SECRET_MATERIAL.search(text) for text in first.values())


def test_secret_config_and_keys_are_placeholders_that_track_changes():
    def rendered(webhook_ciphertext: str, rotation: str = "") -> dict[str, str]:
        config, _ = s.stack_file_config("prod")
        config["sib-detection:sidekickOutputs"] = {"slack": {"webhookurl": s.secret_placeholder(webhook_ciphertext)}}
        config["sib-detection:pkiRotation"] = rotation
        return render_stack(s.load_settings(config, "prod", frozenset({"sib-detection:sidekickOutputs"})))

    base = rendered("v1:one")
    sidekick = "kubernetes/10-deployment-falcosidekick.yaml"
    assert s.SECRET_MARK in base["falcosidekick/config.yaml"] and "v1:one" not in base["falcosidekick/config.yaml"]
    annotations = load_yaml(base[sidekick])["spec"]["template"]["metadata"]["annotations"]
    assert PLACEHOLDER.search(annotations["checksum/config"])
    assert PLACEHOLDER.search(load_yaml(base["kubernetes/08-secret-falcosidekick-tls.yaml"])["stringData"]["server.key"])
    # A new secret value (new ciphertext) rolls Sidekick and nothing else; a rotation re-issues every certificate.
    changed = {p for p, text in rendered("v1:two").items() if base[p] != text}
    assert changed == {"falcosidekick/config.yaml", "kubernetes/06-secret-falcosidekick-config.yaml", sidekick}
    rotated = {p for p, text in rendered("v1:one", rotation="2027-01").items() if base[p] != text}
    assert {"kubernetes/07-secret-falco-tls.yaml", "kubernetes/08-secret-falcosidekick-tls.yaml", sidekick,
            "kubernetes/09-daemonset-falco.yaml", "pki/plan.yaml"} == rotated


def test_render_cli_writes_the_same_bytes_twice_and_replaces_its_own_output(tmp_path):
    for out in ("a", "b"):
        subprocess.run([*RENDER, "prod", str(tmp_path / out)], check=True)
    tree = {p.relative_to(tmp_path / "a"): p.read_bytes() for p in (tmp_path / "a").rglob("*") if p.is_file()}
    assert tree == {p.relative_to(tmp_path / "b"): p.read_bytes() for p in (tmp_path / "b").rglob("*") if p.is_file()}
    assert {str(p) for p in tree} >= {"falco/falco.yaml", "kubernetes/01-namespace-falco.yaml"}
    (tmp_path / "a" / "kubernetes" / "99-stale.yaml").write_text("kind: Stale\n")
    subprocess.run([*RENDER, "prod", str(tmp_path / "a")], check=True)
    assert not (tmp_path / "a" / "kubernetes" / "99-stale.yaml").exists()


def test_render_cli_refuses_a_foreign_directory_and_unknown_stacks(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    done = subprocess.run([*RENDER, "prod", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode != 0 and "not empty" in done.stderr and (tmp_path / "notes.txt").exists()
    done = subprocess.run([*RENDER, "prd", str(tmp_path / "x")], capture_output=True, text=True)
    assert done.returncode == 2 and "stacks: dev, prod, staging" in done.stderr


def test_rendering_needs_no_pulumi_sdk():
    """The offline tools run where no provider SDK is wanted (and stay fast): no pulumi import at all."""
    code = ("import sys; import components.render as r; from components.settings import from_stack_file as f; "
            "r.render_stack(f('prod')); r.render_stack(f('dev')); "
            "assert not [m for m in sys.modules if m.split('.')[0].startswith('pulumi')], 'pulumi imported'")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
