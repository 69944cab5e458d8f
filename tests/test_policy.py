"""The policy pack: every stack's real resources pass, hand-made violations fail, through the real analyzer too."""

import base64
import copy
import json
import runpy
import subprocess
import sys

import grpc
import pytest
import yaml
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from policy import invariants as inv
from policy.invariants import Resource
from tests.harness import ROOT, STACKS, plain, run_program

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's unknown-string sentinel during preview
VARIANTS = [("dev", {}), ("dev", {"leastPrivileged": True}), ("dev", {"mtls": False}), ("prod", {"driver": "kmod"}),
            ("staging", {"httpOutput": False}), ("prod", {"falcoImage": "falcosecurity/falco:0.44.1-debian"})]


def resources(run, stack):
    return [Resource(r.typ, r.name, plain(copy.deepcopy(r.inputs)), stack) for r in run.resources]


def violations(found):
    return [(i.name, r.type, r.name, m) for r in found for i in inv.INVARIANTS for m in i.check(r)]


def one(found, typ, name):
    [r] = [r for r in found if r.type == typ and r.name == name]
    return r


def changed(r, **props):
    return Resource(r.type, r.name, {**copy.deepcopy(dict(r.props)), **props}, r.stack)


@pytest.fixture(scope="module")
def dev():
    return resources(run_program("dev"), "dev")


@pytest.fixture(scope="module")
def prod():
    return resources(run_program("prod"), "prod")


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_keeps_every_invariant(stack):
    assert violations(resources(run_program(stack), stack)) == []


@pytest.mark.parametrize("stack,overrides", VARIANTS)
def test_supported_variants_keep_every_invariant(stack, overrides):
    assert violations(resources(run_program(stack, overrides), stack)) == []


def test_mtls_off_fails_outside_dev_only():
    for stack in ("prod", "staging"):
        found = violations(resources(run_program(stack, {"mtls": False}), stack))
        assert {(name, typ) for name, typ, _, _ in found} == {
            ("mtls-outside-dev", inv.CONFIG_MAP), ("mtls-outside-dev", inv.SECRET)}
    plain_dev = resources(run_program("dev", {"mtls": False}), "dev")
    assert violations(plain_dev) == []
    as_shared = [Resource(r.type, r.name, r.props, "qa") for r in plain_dev]
    assert {m for name, _, _, m in violations(as_shared)} == {
        "Falco sends alerts to 'http://sib-sidekick:2801/' without mutual TLS in stack 'qa': set sib-detection:mtls true",
        "Falcosidekick accepts alerts without mutual TLS in stack 'qa': set sib-detection:mtls true"}
    assert violations([Resource(r.type, r.name, r.props, "dev-alice") for r in plain_dev]) == []
    # The same config as base64 `data` (how a Secret reads back from the cluster) is judged the same.
    secret = one(resources(run_program("prod", {"mtls": False}), "prod"), inv.SECRET, "falcosidekick-config")
    encoded = {"config.yaml": base64.b64encode(secret.props["stringData"]["config.yaml"].encode()).decode()}
    as_data = Resource(secret.type, secret.name, {"metadata": secret.props["metadata"], "data": encoded}, "prod")
    assert inv.mtls_outside_dev(as_data) == inv.mtls_outside_dev(secret) != []


@pytest.mark.parametrize("image,pinned", [
    ("falcosecurity/falco:0.44.1", True), ("falcosecurity/falco@sha256:" + "a" * 64, True),
    ("falcosecurity/falco:latest", False), ("falcosecurity/falco", False), ("registry:5000/falco", False)])
def test_images_must_name_a_version(dev, prod, image, pinned):
    remote = changed(one(dev, inv.DOCKER_IMAGE, "falco-image"), name=image)
    deployment = one(prod, "kubernetes:apps/v1:Deployment", "falcosidekick")
    pod = copy.deepcopy(dict(deployment.props))
    pod["spec"]["template"]["spec"]["containers"][0]["image"] = image
    for r in (remote, Resource(deployment.type, deployment.name, pod, "prod")):
        assert (inv.pinned_images(r) == []) is pinned


def test_sidekick_stays_contained_on_docker(dev):
    sidekick = one(dev, inv.DOCKER_CONTAINER, "sidekick")
    ports = copy.deepcopy(sidekick.props["ports"])
    assert inv.sidekick_contained(sidekick) == []
    assert inv.sidekick_contained(changed(sidekick, privileged=True)) == ["the Falcosidekick container is privileged"]
    assert inv.sidekick_contained(changed(sidekick, networkMode="host")) == [
        "the Falcosidekick container uses the host network"]
    for ip in ("0.0.0.0", None):
        open_ports = [{**p, "ip": ip} if ip else {k: v for k, v in p.items() if k != "ip"} for p in ports]
        assert len(inv.sidekick_contained(changed(sidekick, ports=open_ports))) == len(ports)


def test_sidekick_stays_contained_on_kubernetes(prod):
    deployment = one(prod, "kubernetes:apps/v1:Deployment", "falcosidekick")
    spec = copy.deepcopy(dict(deployment.props["spec"]))
    spec["template"]["spec"]["hostNetwork"] = True
    container = spec["template"]["spec"]["containers"][0]
    container["securityContext"]["privileged"] = True
    container["ports"][0]["hostPort"] = 2801
    assert len(inv.sidekick_contained(changed(deployment, spec=spec))) == 3
    service = one(prod, inv.SERVICE, "falcosidekick")
    assert inv.sidekick_contained(service) == []
    exposed = copy.deepcopy(dict(service.props))
    exposed["spec"]["type"] = "LoadBalancer"
    assert "use ClusterIP" in inv.sidekick_contained(changed(service, spec=exposed["spec"]))[0]


def test_only_falco_runs_privileged(dev, prod):
    assert inv.only_falco_privileged(one(dev, inv.DOCKER_CONTAINER, "falco")) == []
    assert inv.only_falco_privileged(changed(one(dev, inv.DOCKER_CONTAINER, "sidekick"), privileged=True))
    other = Resource(inv.DOCKER_CONTAINER, "debug", {"name": "debug", "image": "busybox:1.37", "privileged": True}, "dev")
    assert inv.only_falco_privileged(other) == ["container 'debug' is privileged; only Falco's may be"]
    deployment = one(prod, "kubernetes:apps/v1:Deployment", "falcosidekick")
    spec = copy.deepcopy(dict(deployment.props["spec"]))
    spec["template"]["spec"]["containers"][0]["securityContext"]["privileged"] = True
    assert inv.only_falco_privileged(changed(deployment, spec=spec))
    assert inv.only_falco_privileged(one(prod, "kubernetes:apps/v1:DaemonSet", "falco")) == []


def test_no_private_key_in_a_configmap_or_environment(dev, prod):
    key = one(prod, inv.SECRET, "falco-tls").props["stringData"]["client.key"]
    assert inv.PRIVATE_KEY.search(key)
    config_map = one(prod, inv.CONFIG_MAP, "falco-config")
    leaked = changed(config_map, data={**config_map.props["data"], "client.key": key})
    assert inv.no_private_keys_in_plain_config(leaked) == [
        "ConfigMap 'falco-config' key 'client.key' holds a private key: keys belong in Secrets or file uploads only"]
    falco = one(dev, inv.DOCKER_CONTAINER, "falco")
    assert inv.no_private_keys_in_plain_config(changed(falco, envs=[*falco.props["envs"], f"TLS_KEY={key}"]))
    daemonset = one(prod, "kubernetes:apps/v1:DaemonSet", "falco")
    spec = copy.deepcopy(dict(daemonset.props["spec"]))
    spec["template"]["spec"]["containers"][0]["env"].append({"name": "TLS_KEY", "value": key})
    assert "'TLS_KEY'" in inv.no_private_keys_in_plain_config(changed(daemonset, spec=spec))[0]
    assert inv.no_private_keys_in_plain_config(one(prod, inv.SECRET, "falco-tls")) == []  # where keys belong


def _insecure(falco_yaml: str) -> str:
    config = yaml.safe_load(falco_yaml)
    config["http_output"]["insecure"] = True
    return yaml.safe_dump(config)


def test_falco_never_skips_certificate_verification(dev, prod):
    config_map = one(prod, inv.CONFIG_MAP, "falco-config")
    assert inv.falco_verifies_tls(config_map) == []
    assert inv.falco_verifies_tls(changed(config_map, data={"falco.yaml": _insecure(config_map.props["data"]["falco.yaml"])}))
    falco = one(dev, inv.DOCKER_CONTAINER, "falco")
    uploads = [{**u, "content": _insecure(u["content"])} if u["file"].endswith("/falco.yaml") else u
               for u in falco.props["uploads"]]
    assert inv.falco_verifies_tls(changed(falco, uploads=uploads))


# --- the pack itself, through pulumi-policy's analyzer ------------------------------------------------

@pytest.fixture(scope="module")
def analyzer(monkeypatch_module):
    import pulumi_policy
    from pulumi_policy.policy import _PolicyAnalyzerServicer

    packs = []
    monkeypatch_module.setattr(pulumi_policy, "PolicyPack", lambda **kwargs: packs.append(kwargs))
    runpy.run_path(str(ROOT / "policy" / "__main__.py"), run_name="__main__")
    [pack] = packs
    return pack, _PolicyAnalyzerServicer(pack["name"], "1.0.0", pack["policies"], pack["enforcement_level"],
                                         None, None, None, None, None, None, None)


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def analyze(servicer, stack, typ, name, inputs):
    properties = json_format.ParseDict(json.loads(json.dumps(inputs)), struct_pb2.Struct())
    request = analyzer_pb2.AnalyzeRequest(type=typ, name=name, properties=properties,
                                          urn=f"urn:pulumi:{stack}::sib-detection::{typ}::{name}")
    return [(d.policyName, d.enforcementLevel, d.message) for d in servicer.Analyze(request, None).diagnostics]


def test_the_pack_holds_every_invariant_as_mandatory(analyzer):
    from pulumi_policy import EnforcementLevel

    pack, _ = analyzer
    assert pack["name"] == "sib-detection-security" and pack["enforcement_level"] == EnforcementLevel.MANDATORY
    assert [p.name for p in pack["policies"]] == [i.name for i in inv.INVARIANTS]
    assert {p.enforcement_level for p in pack["policies"]} == {EnforcementLevel.MANDATORY}
    assert (ROOT / "policy" / "PulumiPolicy.yaml").exists() and "pulumi-policy" in (
        ROOT / "policy" / "requirements.txt").read_text()


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_analyzer_passes_the_real_program_even_with_preview_unknowns(analyzer, stack):
    _, servicer = analyzer
    run = run_program(stack)
    for r in run.resources:
        assert analyze(servicer, stack, r.typ, r.name, r.inputs) == [], r.name
    # A first preview: image ids and everything pulumi-tls issues are still unknown.
    for r in run.of_type(inv.DOCKER_CONTAINER):
        inputs = copy.deepcopy(plain(r.inputs))
        inputs["image"] = UNKNOWN
        for upload in inputs["uploads"]:
            if "/tls/" in upload["file"]:
                upload["content"] = UNKNOWN
        assert analyze(servicer, stack, r.typ, r.name, inputs) == []
        if r.name == "sidekick":
            inputs["ports"][0]["ip"] = "0.0.0.0"
            [(policy, level, message)] = analyze(servicer, stack, r.typ, r.name, inputs)
            assert policy == "sidekick-contained" and level == 1 and "all host addresses" in message  # 1: mandatory
    for r in run.of_type(inv.SECRET):
        inputs = copy.deepcopy(plain(r.inputs))
        inputs["stringData"] = {k: (v if k == "config.yaml" else UNKNOWN) for k, v in inputs["stringData"].items()}
        assert analyze(servicer, stack, r.typ, r.name, inputs) == []


def test_stack_names_come_from_the_urn():
    assert inv.stack_of("urn:pulumi:dev-alice::sib-detection::docker:index/container:Container::falco") == "dev-alice"
    assert inv.stack_of("urn:pulumi:prod::sib-detection::sib:detection:Pki$tls:index/privateKey:PrivateKey::ca-key") \
        == "prod"


def test_the_analyzer_allows_plain_http_in_dev_only(analyzer):
    _, servicer = analyzer
    for stack, allowed in (("dev", True), ("staging", False)):
        run = run_program("dev", {"mtls": False})
        found = [d for r in run.resources for d in analyze(servicer, stack, r.typ, r.name, r.inputs)]
        assert (found == []) is allowed, found
        assert allowed or {policy for policy, _, _ in found} == {"mtls-outside-dev"}


@pytest.fixture(scope="module")
def pack_process():
    """The pack started the way the Pulumi CLI's Python host starts it: its directory run as a program."""
    process = subprocess.Popen([sys.executable, "-u", str(ROOT / "policy")], stdout=subprocess.PIPE, text=True,
                               cwd=ROOT / "policy")
    try:
        yield f"127.0.0.1:{int(process.stdout.readline())}"
    finally:
        process.kill()
        process.wait()


def test_the_pack_serves_over_grpc_and_honours_a_reviewed_exception(pack_process):
    with grpc.insecure_channel(pack_process) as channel:
        stub = analyzer_pb2_grpc.AnalyzerStub(channel)
        info = stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=10)
        assert info.name == "sib-detection-security"
        assert {p.name: p.enforcementLevel for p in info.policies} == {
            i.name: analyzer_pb2.MANDATORY for i in inv.INVARIANTS}

        image = run_program("dev").one(inv.DOCKER_IMAGE, "falco-image")
        latest = {**image.inputs, "name": "falcosecurity/falco:latest"}
        request = analyzer_pb2.AnalyzeRequest(
            type=image.typ, name=image.name, urn=f"urn:pulumi:dev::sib-detection::{image.typ}::{image.name}",
            properties=json_format.ParseDict(latest, struct_pb2.Struct()))
        [diagnostic] = stub.Analyze(request, timeout=10).diagnostics
        assert (diagnostic.policyName, diagnostic.enforcementLevel) == ("pinned-images", analyzer_pb2.MANDATORY)

        # policy/config.<stack>.json {"pinned-images": {"enforcementLevel": "advisory"}}, as the CLI passes it.
        stub.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig={
            "pinned-images": analyzer_pb2.PolicyConfig(enforcementLevel=analyzer_pb2.ADVISORY)}), timeout=10)
        [diagnostic] = stub.Analyze(request, timeout=10).diagnostics
        assert diagnostic.enforcementLevel == analyzer_pb2.ADVISORY
