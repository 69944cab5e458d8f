"""Staging and prod on Kubernetes: real schemas, hardened specs, files that resolve, and what rolls."""

import copy
from urllib.parse import urlparse

import kubernetes_validate
import pytest
import yaml
from cryptography import x509

from components import wiring as w
from tests.harness import plain, run_program

K8S_STACKS = ["staging", "prod"]
K8S_VERSION = "1.31.0"


def objects(run):
    """Every Kubernetes object the run registered, as the provider receives it, by (kind, name)."""
    found = {}
    for r in run.resources:
        if r.typ.startswith("kubernetes:") and "apiVersion" in r.inputs:
            obj = plain(copy.deepcopy(r.inputs))
            found[(obj["kind"], obj["metadata"]["name"])] = obj
    return found


def resolve_ints(node):
    """The mock returns numbers as floats; Kubernetes schemas want integers."""
    if isinstance(node, dict):
        return {k: resolve_ints(v) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve_ints(v) for v in node]
    if isinstance(node, float) and node.is_integer():
        return int(node)
    return node


@pytest.fixture(scope="module", params=K8S_STACKS)
def cluster(request):
    run = run_program(request.param)
    return run, {k: resolve_ints(v) for k, v in objects(run).items()}


def pod(objs, kind, name):
    return objs[(kind, name)]["spec"]["template"]["spec"]


def test_every_object_validates_strictly(cluster):
    _, objs = cluster
    assert {kind for kind, _ in objs} == {"Namespace", "ServiceAccount", "ConfigMap", "Secret", "DaemonSet",
                                          "Deployment", "Service", "PodDisruptionBudget", "NetworkPolicy"}
    for obj in objs.values():
        kubernetes_validate.validate(obj, K8S_VERSION, strict=True)


def test_a_broken_object_fails_validation(cluster):
    _, objs = cluster
    broken = copy.deepcopy(objs[("DaemonSet", "falco")])
    broken["spec"]["template"]["spec"]["containers"][0]["securityContext"]["privilegd"] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)


def test_namespace_admits_falco_and_says_so(cluster):
    _, objs = cluster
    ns = objs[("Namespace", "falco")]["metadata"]
    assert ns["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"
    assert "sib-detection/pod-security" in ns["annotations"]
    for name in ("falco", "falcosidekick"):
        assert objs[("ServiceAccount", name)]["automountServiceAccountToken"] is False


def test_falco_daemonset(cluster):
    run, objs = cluster
    ds = objs[("DaemonSet", "falco")]
    spec = ds["spec"]["template"]["spec"]
    c = spec["containers"][0]
    assert spec["tolerations"] == [{"operator": "Exists"}]
    assert spec["priorityClassName"] == "system-node-critical"
    assert spec["automountServiceAccountToken"] is False
    assert c["securityContext"] == {"privileged": True}
    assert all(m["readOnly"] for m in c["volumeMounts"])
    host_mounts = {m["mountPath"] for m in c["volumeMounts"] if m["mountPath"].startswith("/host/")}
    assert {"/host/proc", "/host/etc", "/host/run/containerd/containerd.sock", "/host/run/crio/crio.sock",
            "/host/var/run/docker.sock"} == host_mounts
    env = {e["name"]: e for e in c["env"]}
    assert env["HOST_ROOT"]["value"] == "/host"
    for name in ("FALCO_HOSTNAME", "FALCO_K8S_NODE_NAME"):
        assert env[name]["valueFrom"]["fieldRef"]["fieldPath"] == "spec.nodeName"
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert c[probe]["httpGet"] == {"path": "/healthz", "port": 8765}
    assert c["resources"]["requests"] and c["resources"]["limits"]
    assert ds["spec"]["updateStrategy"]["type"] == "RollingUpdate"


def test_prod_tuning_reaches_the_workloads():
    objs = {k: resolve_ints(v) for k, v in objects(run_program("prod")).items()}
    assert objs[("DaemonSet", "falco")]["spec"]["updateStrategy"]["rollingUpdate"]["maxUnavailable"] == "10%"
    assert objs[("DaemonSet", "falco")]["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"] == {
        "cpu": "2000m", "memory": "2048Mi"}
    assert objs[("Deployment", "falcosidekick")]["spec"]["replicas"] == 3
    falco_yaml = yaml.safe_load(objs[("ConfigMap", "falco-config")]["data"]["falco.yaml"])
    assert falco_yaml["priority"] == "warning" and falco_yaml["engine"]["modern_ebpf"]["buf_size_preset"] == 6


def test_variations_validate_and_apply():
    run = run_program("staging", {"leastPrivileged": True, "tolerateAllTaints": False, "priorityClassName": "",
                                  "driver": "modern_ebpf", "mtls": False})
    objs = {k: resolve_ints(v) for k, v in objects(run).items()}
    for obj in objs.values():
        kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
    spec = pod(objs, "DaemonSet", "falco")
    assert spec["containers"][0]["securityContext"] == {
        "privileged": False, "capabilities": {"drop": ["ALL"], "add": ["BPF", "PERFMON", "SYS_PTRACE", "SYS_RESOURCE"]},
        "appArmorProfile": {"type": "Unconfined"}}
    assert "tolerations" not in spec and "priorityClassName" not in spec
    assert ("Secret", "falco-tls") not in objs and ("Secret", "falcosidekick-tls") not in objs
    assert not [r for r in run.resources if r.typ.startswith("tls:")]


def test_kmod_loads_the_driver_first():
    objs = {k: resolve_ints(v) for k, v in objects(run_program("staging", {"driver": "kmod"})).items()}
    spec = pod(objs, "DaemonSet", "falco")
    assert spec["initContainers"][0]["image"] == "falcosecurity/falco-driver-loader:0.44.1"
    assert {"/host/dev", "/host/boot", "/host/lib/modules", "/host/usr"} <= {
        m["mountPath"] for m in spec["containers"][0]["volumeMounts"]}
    kubernetes_validate.validate(objs[("DaemonSet", "falco")], K8S_VERSION, strict=True)


def test_sidekick_is_restricted(cluster):
    _, objs = cluster
    dep = objs[("Deployment", "falcosidekick")]
    spec = dep["spec"]["template"]["spec"]
    c = spec["containers"][0]
    assert spec["securityContext"] == {"runAsNonRoot": True, "runAsUser": 1234, "runAsGroup": 1234, "fsGroup": 1234,
                                       "seccompProfile": {"type": "RuntimeDefault"}}
    assert c["securityContext"] == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                    "privileged": False, "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}}
    assert c["livenessProbe"]["httpGet"]["port"] == c["readinessProbe"]["httpGet"]["port"] == 2810
    assert spec["topologySpreadConstraints"][0]["topologyKey"] == "kubernetes.io/hostname"
    assert dep["spec"]["replicas"] >= 2
    assert objs[("PodDisruptionBudget", "falcosidekick")]["spec"]["selector"] == dep["spec"]["selector"]


def _volume_files(objs, pod_spec, container):
    """Every file a container sees through its mounts, with mode and content: mountPath/file -> (mode, text)."""
    secrets = {name: o.get("stringData", {}) for (kind, name), o in objs.items() if kind == "Secret"}
    maps = {name: o["data"] for (kind, name), o in objs.items() if kind == "ConfigMap"}
    volumes = {v["name"]: v for v in pod_spec["volumes"]}
    files = {}
    for mount in container["volumeMounts"]:
        volume = volumes[mount["name"]]
        sources = []
        if "configMap" in volume:
            sources = [("cm", volume["configMap"], volume["configMap"].get("defaultMode"))]
        elif "secret" in volume:
            sources = [("secret", {**volume["secret"], "name": volume["secret"]["secretName"]},
                        volume["secret"].get("defaultMode"))]
        elif "projected" in volume:
            sources = [(("secret" if "secret" in s else "cm"), s.get("secret") or s.get("configMap"), None)
                       for s in volume["projected"]["sources"]]
        for kind, ref, default_mode in sources:
            data = (secrets if kind == "secret" else maps)[ref["name"]]
            items = ref.get("items") or [{"key": k, "path": k} for k in data]
            for item in items:
                path = f"{mount['mountPath']}/{item['path']}"
                if mount.get("subPath"):
                    if item["path"] != mount["subPath"]:
                        continue
                    path = mount["mountPath"]
                files[path] = (item.get("mode", default_mode), data[item["key"]])
    return files


def test_files_the_configs_reference_resolve_to_real_content(cluster):
    _, objs = cluster
    falco_spec = pod(objs, "DaemonSet", "falco")
    falco_files = _volume_files(objs, falco_spec, falco_spec["containers"][0])
    falco_yaml = yaml.safe_load(falco_files[w.FALCO_CONFIG][1])
    http = falco_yaml["http_output"]
    assert "BEGIN CERTIFICATE" in falco_files[http["ca_cert"]][1]
    assert "BEGIN CERTIFICATE" in falco_files[http["client_cert"]][1]
    assert falco_files[http["client_key"]][0] == 0o400 and "PRIVATE KEY" in falco_files[http["client_key"]][1]
    rules = [p for p in falco_files if p.startswith(w.FALCO_RULES_DIR + "/")]
    assert rules and all(yaml.safe_load(falco_files[p][1]) for p in rules)

    sk_spec = pod(objs, "Deployment", "falcosidekick")
    sk_files = _volume_files(objs, sk_spec, sk_spec["containers"][0])
    sk_yaml = yaml.safe_load(sk_files[w.SIDEKICK_CONFIG][1])
    assert sk_spec["containers"][0]["args"] == ["-c", w.SIDEKICK_CONFIG]
    tls = sk_yaml["tlsserver"]
    assert "BEGIN CERTIFICATE" in sk_files[tls["certfile"]][1] and "BEGIN CERTIFICATE" in sk_files[tls["cacertfile"]][1]
    assert sk_files[tls["keyfile"]][0] == 0o440 and "PRIVATE KEY" in sk_files[tls["keyfile"]][1]
    for mode, text in list(falco_files.values()) + list(sk_files.values()):
        if "PRIVATE KEY" in text:
            assert mode & 0o077 in (0, 0o040)


def test_keys_live_only_in_secrets(cluster):
    run, objs = cluster
    for (kind, name), obj in objs.items():
        if kind != "Secret":
            assert "PRIVATE KEY" not in repr(obj), f"{kind}/{name} carries a private key"
    for r in run.of_type("kubernetes:core/v1:Secret"):
        assert "stringData" in run.monitor.registrations[(r.typ, r.name)].secret_inputs


def test_service_dns_name_is_falcos_url_and_in_the_sans(cluster):
    run, objs = cluster
    svc = objs[("Service", "falcosidekick")]
    falco_yaml = yaml.safe_load(objs[("ConfigMap", "falco-config")]["data"]["falco.yaml"])
    url = urlparse(falco_yaml["http_output"]["url"])
    ns = svc["metadata"]["namespace"]
    assert url.hostname == f"{svc['metadata']['name']}.{ns}.svc.cluster.local"
    assert url.port in [p["port"] for p in svc["spec"]["ports"]]
    cert = x509.load_pem_x509_certificate(objs[("Secret", "falcosidekick-tls")]["stringData"]["server.crt"].encode())
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    name = svc["metadata"]["name"]
    assert set(sans) == {name, f"{name}.{ns}", f"{name}.{ns}.svc", f"{name}.{ns}.svc.cluster.local"}
    dep = objs[("Deployment", "falcosidekick")]
    assert svc["spec"]["selector"].items() <= dep["spec"]["template"]["metadata"]["labels"].items()


def _matches(selector, labels):
    return selector["matchLabels"].items() <= labels.items()


def test_network_policy_selects_what_it_means(cluster):
    _, objs = cluster
    policy = objs[("NetworkPolicy", "falcosidekick")]["spec"]
    falco_labels = objs[("DaemonSet", "falco")]["spec"]["template"]["metadata"]["labels"]
    sk_labels = objs[("Deployment", "falcosidekick")]["spec"]["template"]["metadata"]["labels"]
    assert _matches(policy["podSelector"], sk_labels) and not _matches(policy["podSelector"], falco_labels)
    alerts, health = policy["ingress"]
    assert alerts["ports"] == [{"port": 2801, "protocol": "TCP"}]
    assert _matches(alerts["from"][0]["podSelector"], falco_labels)
    assert not _matches(alerts["from"][0]["podSelector"], sk_labels)
    assert health["ports"] == [{"port": 2810, "protocol": "TCP"}]
    assert health["from"][0]["namespaceSelector"]["matchExpressions"][0]["values"] == ["monitoring"]


def _rolled(base, edited):
    """Workloads whose pod template changed, i.e. that Kubernetes rolls."""
    a, b = objects(base), objects(edited)
    return {name for kind, name in a if kind in ("DaemonSet", "Deployment")
            and a[(kind, name)]["spec"]["template"] != b[(kind, name)]["spec"]["template"]}


def _changed(base, edited):
    a, b = objects(base), objects(edited)
    return {key for key in a if a[key] != b.get(key)}


@pytest.fixture(scope="module")
def staging():
    return run_program("staging")


def test_a_priority_edit_changes_falco_config_and_rolls_only_falco(staging):
    edited = run_program("staging", {"priority": "error"}, after=staging)
    assert _rolled(staging, edited) == {"falco"}
    assert ("ConfigMap", "falco-config") in _changed(staging, edited)


def test_a_rules_edit_rolls_only_falco(staging):
    edited = run_program("staging", {"ruleFiles": ["00-macros.yaml", "70-cryptomining.yaml"]}, after=staging)
    assert _rolled(staging, edited) == {"falco"}
    assert ("ConfigMap", "falco-rules") in _changed(staging, edited)


def test_a_sidekick_output_edit_rolls_only_sidekick(staging):
    edited = run_program("staging", {"sidekickOutputs": {"loki": {"hostport": "http://loki.other:3100"}}}, after=staging)
    assert _rolled(staging, edited) == {"falcosidekick"}


def test_same_config_same_objects(staging):
    assert _changed(staging, run_program("staging", after=staging)) == set()


def test_rotation_rolls_both_workloads(staging):
    assert _rolled(staging, run_program("staging", {"pkiRotation": "r1"}, after=staging)) == {"falco", "falcosidekick"}


def test_render_yaml_to_switches_the_provider(tmp_path):
    run = run_program("staging", {"renderYamlTo": str(tmp_path / "manifests")})
    provider = run.one("pulumi:providers:kubernetes", "render-yaml")
    assert provider.inputs["renderYamlToDirectory"] == str(tmp_path / "manifests")
    ds = [r for r in run.resources if r.typ == "kubernetes:apps/v1:DaemonSet"][0]
    assert run.monitor.registrations[(ds.typ, ds.name)].parent.endswith("KubernetesTarget::sib")


def test_outputs(cluster):
    run, _ = cluster
    assert run.outputs["namespace"] == "falco"
    assert run.outputs["falcoDaemonSet"] == "falco" and run.outputs["sidekickDeployment"] == "falcosidekick"
    assert run.outputs["sidekickUrl"] == "https://falcosidekick.falco.svc.cluster.local:2801/"


def test_kubernetes_stack_does_not_import_docker():
    import subprocess
    import sys

    from tests.harness import ROOT

    code = ("import sys; from tests.harness import run_program; run_program('staging'); "
            "assert 'pulumi_docker' not in sys.modules, 'kubernetes stack imported pulumi_docker'")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
