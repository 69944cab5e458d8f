"""Non-default values of keys that feed several places move every place together."""

from urllib.parse import urlparse

import yaml
from cryptography import x509

from components import wiring as w
from tests.harness import plain, run_program

LSC = "tls:index/locallySignedCert:LocallySignedCert"


def server_sans(run):
    cert = x509.load_pem_x509_certificate(run.one(LSC, "sidekick-server").outputs["certPem"].encode())
    return set(cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName))


def k8s_objects(run):
    return {(r.inputs["kind"], r.inputs["metadata"]["name"]): plain(r.inputs)
            for r in run.resources if r.typ.startswith("kubernetes:") and "kind" in r.inputs}


def test_namespace_and_cluster_domain_move_url_sans_service_and_objects():
    run = run_program("staging", {"namespace": "security", "clusterDomain": "corp.internal"})
    objs = k8s_objects(run)
    url = urlparse(yaml.safe_load(objs[("ConfigMap", "falco-config")]["data"]["falco.yaml"])["http_output"]["url"])
    assert url.hostname == "falcosidekick.security.svc.corp.internal" == urlparse(run.outputs["sidekickUrl"]).hostname
    assert server_sans(run) == {"falcosidekick", "falcosidekick.security", "falcosidekick.security.svc",
                                "falcosidekick.security.svc.corp.internal"}
    assert objs[("Namespace", "security")]
    assert {o["metadata"].get("namespace") for (kind, _), o in objs.items() if kind != "Namespace"} == {"security"}
    assert run.outputs["namespace"] == "security"


def test_container_prefix_and_network_move_names_aliases_url_and_sans():
    run = run_program("dev", {"containerPrefix": "lab", "dockerNetwork": "lab-net"})
    containers = {c.name: plain(c.inputs) for c in run.of_type("docker:index/container:Container")}
    assert containers["falco"]["name"] == "lab-falco" and containers["sidekick"]["name"] == "lab-sidekick"
    assert run.one("docker:index/network:Network", "network").inputs["name"] == "lab-net"
    assert containers["sidekick"]["networksAdvanced"] == [{"name": "lab-net", "aliases": ["lab-sidekick"]}]
    falco_yaml = next(u["content"] for u in containers["falco"]["uploads"] if u["file"] == w.FALCO_CONFIG)
    assert urlparse(yaml.safe_load(falco_yaml)["http_output"]["url"]).hostname == "lab-sidekick"
    assert "lab-sidekick" in server_sans(run)
    assert run.one("docker:index/volume:Volume", "sidekick-files").inputs["name"] == "lab-sidekick-files"


def test_images_and_sidekick_resources_reach_the_workloads():
    run = run_program("staging", {"sidekickImage": "registry.internal/falcosidekick:2.34.1",
                                  "falcoImage": "registry.internal/falco:0.44.1",
                                  "sidekickResources": {"requests": {"cpu": "10m"}, "limits": {"memory": "1Gi"}}})
    objs = k8s_objects(run)
    sidekick = objs[("Deployment", "falcosidekick")]["spec"]["template"]["spec"]["containers"][0]
    assert sidekick["image"] == "registry.internal/falcosidekick:2.34.1"
    assert sidekick["resources"] == {"requests": {"cpu": "10m"}, "limits": {"memory": "1Gi"}}
    falco = objs[("DaemonSet", "falco")]["spec"]["template"]["spec"]["containers"][0]
    assert falco["image"] == "registry.internal/falco:0.44.1"
    images = {r.inputs["name"] for r in run_program("dev", {"sidekickImage": "mirror/falcosidekick:2.34.1"})
              .of_type("docker:index/remoteImage:RemoteImage")}
    assert "mirror/falcosidekick:2.34.1" in images


def test_http_output_off_issues_no_falco_client_certificate():
    run = run_program("staging", {"httpOutput": False, "jsonOutput": False})
    assert {r.name for r in run.of_type(LSC)} == {"sidekick-server"}
    objs = k8s_objects(run)
    falco_yaml = yaml.safe_load(objs[("ConfigMap", "falco-config")]["data"]["falco.yaml"])
    assert falco_yaml["http_output"] == {"enabled": False} and falco_yaml["json_output"] is False
    assert ("Secret", "falco-tls") not in objs
    mounts = objs[("DaemonSet", "falco")]["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
    assert w.FALCO_TLS_DIR not in {m["mountPath"] for m in mounts}
    assert "falcoClient" not in run.outputs["certificateExpiry"]


def test_falco_hostname_reaches_the_daemonset():
    objs = k8s_objects(run_program("staging", {"falcoHostname": "cluster-a"}))
    env = {e["name"]: e for e in objs[("DaemonSet", "falco")]["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["FALCO_HOSTNAME"] == {"name": "FALCO_HOSTNAME", "value": "cluster-a"}
