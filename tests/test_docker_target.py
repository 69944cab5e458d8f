"""The dev stack on Docker: exact container specs, delivered files, and what an edit replaces."""

import subprocess
import sys
from urllib.parse import urlparse

import pytest
import yaml
from cryptography import x509

from components import wiring as w
from tests.harness import ROOT, plain, run_program

CONTAINER = "docker:index/container:Container"


def containers(run):
    return {c.name: c.inputs for c in run.of_type(CONTAINER)}


def uploads(container):
    return {u["file"]: u for u in plain(container["uploads"])}


@pytest.fixture(scope="module")
def dev():
    return run_program("dev")


def test_names_network_and_images(dev):
    c = containers(dev)
    assert c["falco"]["name"] == "sib-falco" and c["sidekick"]["name"] == "sib-sidekick"
    assert dev.one("docker:index/network:Network", "network").inputs["name"] == "sib-network"
    images = {r.inputs["name"]: r.inputs for r in dev.of_type("docker:index/remoteImage:RemoteImage")}
    assert set(images) == {"falcosecurity/falco:0.44.1", "falcosecurity/falcosidekick:2.34.1"}
    assert all(i["keepLocally"] for i in images.values())
    assert {c["falco"]["restart"], c["sidekick"]["restart"]} == {"unless-stopped"}
    for name in ("falco", "sidekick"):
        assert dev.monitor.registrations[(CONTAINER, name)].delete_before_replace


def test_falco_container_is_privileged_with_readonly_host_mounts(dev):
    falco = containers(dev)["falco"]
    assert falco["privileged"] is True
    mounts = {v["containerPath"]: v for v in falco["volumes"]}
    assert set(mounts) == {"/host/proc", "/host/etc", "/host/var/run/docker.sock"}
    assert all(v["readOnly"] for v in mounts.values())
    assert "HOST_ROOT=/host" in falco["envs"]
    assert falco["ports"] == [{"internal": 8765, "external": 8765, "ip": "127.0.0.1"}]
    assert "healthcheck" not in falco  # distroless image: nothing inside to probe with


def test_least_privileged_falco():
    falco = containers(run_program("dev", {"leastPrivileged": True, "falcoHostname": "laptop"}))["falco"]
    assert falco["privileged"] is False
    assert falco["capabilities"] == {"drops": ["ALL"], "adds": ["BPF", "PERFMON", "SYS_PTRACE", "SYS_RESOURCE"]}
    assert falco["securityOpts"] == ["apparmor=unconfined"]
    assert "FALCO_HOSTNAME=laptop" in falco["envs"]


def test_kmod_mounts_what_the_module_needs():
    falco = containers(run_program("dev", {"driver": "kmod"}))["falco"]
    mounts = {v["containerPath"]: v["readOnly"] for v in falco["volumes"]}
    assert {"/host/dev", "/host/boot", "/host/lib/modules", "/host/usr"} <= set(mounts) and all(mounts.values())
    falco_yaml = yaml.safe_load(uploads(falco)[w.FALCO_CONFIG]["content"])
    assert falco_yaml["engine"]["kind"] == "kmod"


def test_debian_image_gets_a_health_check():
    falco = containers(run_program("dev", {"falcoImage": "falcosecurity/falco:0.44.1-debian"}))["falco"]
    assert falco["healthcheck"]["tests"] == ["CMD", "curl", "-fsS", "http://127.0.0.1:8765/healthz"]


def test_sidekick_is_hardened_and_bound_to_loopback(dev):
    sk = containers(dev)["sidekick"]
    assert sk["user"] == "1234:0" and sk["readOnly"] is True
    assert sk["capabilities"] == {"drops": ["ALL"]} and sk["securityOpts"] == ["no-new-privileges:true"]
    assert "privileged" not in sk or sk["privileged"] is False
    assert sk["command"] == ["-c", w.SIDEKICK_CONFIG]
    assert {(p["internal"], p["ip"]) for p in sk["ports"]} == {(2801, "127.0.0.1"), (2810, "127.0.0.1")}
    assert sk["healthcheck"]["tests"] == ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:2810/healthz"]
    assert sk["volumes"] == [{"volumeName": "sib-sidekick-files", "containerPath": w.SIDEKICK_DIR}]
    assert sk["wait"] is True


def test_bind_address_is_configurable():
    sk = containers(run_program("dev", {"dockerBindAddress": "10.0.0.5"}))["sidekick"]
    assert {p["ip"] for p in sk["ports"]} == {"10.0.0.5"}


def test_without_mtls_the_health_check_uses_the_main_port():
    sk = containers(run_program("dev", {"mtls": False}))["sidekick"]
    assert [p["internal"] for p in sk["ports"]] == [2801]
    assert sk["healthcheck"]["tests"][-1] == "http://127.0.0.1:2801/healthz"
    assert set(uploads(sk)) == {w.SIDEKICK_CONFIG}


def test_files_falco_references_are_uploaded_with_safe_modes(dev):
    c = containers(dev)
    falco_files, sidekick_files = uploads(c["falco"]), uploads(c["sidekick"])
    falco_yaml = yaml.safe_load(falco_files[w.FALCO_CONFIG]["content"])
    http = falco_yaml["http_output"]
    for path in (http["ca_cert"], http["client_cert"], http["client_key"]):
        assert path in falco_files
    assert falco_files[http["client_key"]]["permissions"] == "0400"
    assert "PRIVATE KEY" in falco_files[http["client_key"]]["content"]
    rules = [p for p in falco_files if p.startswith(w.FALCO_RULES_DIR + "/")]
    assert rules and all(falco_files[p]["permissions"] == "0644" for p in rules)
    sk_yaml = yaml.safe_load(sidekick_files[w.SIDEKICK_CONFIG]["content"])
    tls = sk_yaml["tlsserver"]
    for path in (tls["certfile"], tls["keyfile"], tls["cacertfile"]):
        assert path in sidekick_files
    assert sidekick_files[tls["keyfile"]]["permissions"] == "0440"
    assert sidekick_files[w.SIDEKICK_CONFIG]["permissions"] == "0440"
    for files in (falco_files, sidekick_files):
        for f in files.values():
            assert int(f["permissions"], 8) & 0o007 in (0, 0o004) and int(f["permissions"], 8) & 0o022 == 0
            if "PRIVATE KEY" in f["content"]:
                assert int(f["permissions"], 8) & 0o077 in (0, 0o040)
    for name in ("falco", "sidekick"):
        assert "uploads" in dev.monitor.registrations[(CONTAINER, name)].secret_inputs


def test_falco_url_host_is_the_sidekick_alias_and_in_the_sans(dev):
    c = containers(dev)
    url = urlparse(yaml.safe_load(uploads(c["falco"])[w.FALCO_CONFIG]["content"])["http_output"]["url"])
    network = dev.one("docker:index/network:Network", "network").inputs["name"]
    aliases = {n["name"]: n["aliases"] for n in c["sidekick"]["networksAdvanced"]}
    assert url.hostname in aliases[network]
    assert c["falco"]["networksAdvanced"][0]["name"] == network
    server = x509.load_pem_x509_certificate(uploads(c["sidekick"])[w.SIDEKICK_TLS.cert]["content"].encode())
    assert url.hostname in server.extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)


def test_outputs(dev):
    assert dev.outputs["sidekickUrl"] == "https://sib-sidekick:2801/"
    assert dev.outputs["sidekickHostUrl"] == "https://localhost:2801/"
    assert dev.outputs["falcoContainer"] == "sib-falco" and dev.outputs["sidekickContainer"] == "sib-sidekick"


def _replaced(base, edited):
    """Containers whose inputs changed, i.e. that `pulumi up` replaces (uploads force a new container)."""
    a, b = containers(base), containers(edited)
    return {name for name in a if a[name] != b[name]}


def test_same_config_replaces_nothing(dev):
    assert _replaced(dev, run_program("dev", after=dev)) == set()


def test_a_priority_edit_replaces_only_falco(dev):
    assert _replaced(dev, run_program("dev", {"priority": "error"}, after=dev)) == {"falco"}


def test_a_rules_edit_replaces_only_falco(dev):
    assert _replaced(dev, run_program("dev", {"disabledTags": ["T1059"]}, after=dev)) == {"falco"}


def test_a_sidekick_output_edit_replaces_only_sidekick(dev):
    edit = {"sidekickOutputs": {"webhook": {"address": "http://hooks.internal/falco"}}}
    assert _replaced(dev, run_program("dev", edit, after=dev)) == {"sidekick"}


def test_rotation_replaces_both_with_new_certificates(dev):
    rotated = run_program("dev", {"pkiRotation": "2027"}, after=dev)
    assert _replaced(dev, rotated) == {"falco", "sidekick"}
    old, new = uploads(containers(dev)["sidekick"]), uploads(containers(rotated)["sidekick"])
    assert old[w.SIDEKICK_TLS.cert]["content"] != new[w.SIDEKICK_TLS.cert]["content"]


def test_docker_stack_does_not_import_kubernetes():
    code = ("import sys; from tests.harness import run_program; run_program('dev'); "
            "assert 'pulumi_kubernetes' not in sys.modules, 'docker stack imported pulumi_kubernetes'")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_a_stack_without_mtls_does_not_import_pulumi_tls():
    code = ("import sys; from tests.harness import run_program; run_program('dev', {'mtls': False}); "
            "assert 'pulumi_tls' not in sys.modules, 'mtls: false imported pulumi_tls'")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


@pytest.mark.parametrize("overrides", [{}, {"mtls": False}])
def test_keys_and_the_sidekick_config_are_uploaded_as_secrets(overrides):
    """The engine keeps a container's uploads secret exactly when one of them is a key or Sidekick's config."""
    run = run_program("dev", overrides)
    for container in run.of_type(CONTAINER):
        files = [u["file"] for u in plain(container.inputs["uploads"])]
        holds_secret = any(f.endswith(".key") or f == w.SIDEKICK_CONFIG for f in files)
        assert ("uploads" in run.monitor.registrations[(CONTAINER, container.name)].secret_inputs) == holds_secret
        assert holds_secret == (container.name == "sidekick" or not overrides)
