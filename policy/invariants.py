"""The security invariants of a sib-detection stack, as plain checks over one resource's properties.

Each check takes a `Resource` (type token, Pulumi name, input properties with secrets unwrapped,
stack) and returns violation messages. `__main__.py` turns them into mandatory CrossGuard policies;
tests run them against the resources the real program registers. Checks read only the properties
they need, and file contents only of files they judge, so a value still unknown during a preview
(an image id, a key being issued) does not stop them.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

import yaml

DOCKER_CONTAINER = "docker:index/container:Container"
DOCKER_IMAGE = "docker:index/remoteImage:RemoteImage"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
SECRET = "kubernetes:core/v1:Secret"
SERVICE = "kubernetes:core/v1:Service"
# Kubernetes kinds that run pods -> path from the object's spec to the pod spec.
POD_TEMPLATES: dict[str, tuple[str, ...]] = {
    "kubernetes:core/v1:Pod": (),
    "kubernetes:apps/v1:DaemonSet": ("template",),
    "kubernetes:apps/v1:Deployment": ("template",),
    "kubernetes:apps/v1:StatefulSet": ("template",),
    "kubernetes:apps/v1:ReplicaSet": ("template",),
    "kubernetes:batch/v1:Job": ("template",),
    "kubernetes:batch/v1:CronJob": ("jobTemplate", "spec", "template"),
}
APP_LABEL = "app.kubernetes.io/name"
PRIVATE_KEY = re.compile(r"-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----")
ALL_ADDRESSES = ("", "0.0.0.0", "::", "[::]")
DEV_STACK = re.compile(r"^dev(-.+)?$")  # dev, dev-alice: laptop stacks, where mTLS may be off


@dataclass(frozen=True)
class Resource:
    type: str
    name: str
    props: Mapping[str, Any]
    stack: str


def stack_of(urn: str) -> str:
    """urn:pulumi:<stack>::<project>::<type>::<name>"""
    return urn.split("::", 1)[0].removeprefix("urn:pulumi:") if urn.startswith("urn:pulumi:") else ""


# --- finding the pieces -----------------------------------------------------------------------------

def _pod(r: Resource) -> tuple[Mapping[str, Any], Mapping[str, Any]] | None:
    """(labels, pod spec) of a Kubernetes workload."""
    path = POD_TEMPLATES.get(r.type)
    if path is None:
        return None
    node: Any = r.props
    metadata = node.get("metadata") or {}
    if path:
        node = node.get("spec") or {}
        for step in path:
            node = node.get(step) or {}
        metadata = node.get("metadata") or {}
    return metadata.get("labels") or {}, node.get("spec") or {}


def _containers(pod_spec: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [c for key in ("initContainers", "containers", "ephemeralContainers") for c in pod_spec.get(key) or []]


def _docker_role(r: Resource) -> str:
    """Which workload a Docker container is, by its Pulumi or container name (its image is often unknown)."""
    names = (r.name, str(r.props.get("name") or ""))
    if any(n == "sidekick" or n.endswith(("-sidekick", "falcosidekick")) for n in names):
        return "sidekick"
    if any(n == "falco" or n.endswith("-falco") for n in names):
        return "falco"
    image = str(r.props.get("image") or "")
    return "sidekick" if "falcosidekick" in image else "falco" if "falcosecurity/falco" in image else "other"


def _k8s_role(labels: Mapping[str, Any], containers: list[Mapping[str, Any]]) -> str:
    images = [str(c.get("image") or "") for c in containers]
    if labels.get(APP_LABEL) == "falcosidekick" or any("falcosidekick" in i for i in images):
        return "sidekick"
    if labels.get(APP_LABEL) == "falco" or images and all(i.startswith("falcosecurity/falco") for i in images):
        return "falco"
    return "other"


def _uploads(r: Resource, suffixes: tuple[str, ...]) -> Iterator[str]:
    """Contents of a Docker container's uploads whose path ends with one of the suffixes."""
    for upload in r.props.get("uploads") or []:
        if str(upload.get("file") or "").endswith(suffixes):
            yield upload.get("content") or ""


def _b64(value: Any) -> str:
    try:
        return base64.b64decode(str(value)).decode(errors="replace")
    except ValueError:  # not base64: nothing Kubernetes would accept either
        return ""


def _entry(r: Resource, key: str) -> Iterator[str]:
    """A ConfigMap's or Secret's entry `key`, decoded; other entries are not read (they may be unknown)."""
    for field in ("stringData", "data"):
        entries = r.props.get(field) or {}
        if key in entries:
            value = str(entries[key])
            yield _b64(value) if (r.type, field) == (SECRET, "data") else value


def _yaml(text: str) -> Mapping[str, Any]:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    return doc if isinstance(doc, dict) else {}


def falco_configs(r: Resource) -> Iterator[Mapping[str, Any]]:
    """Every falco.yaml the resource delivers (a ConfigMap entry or a Docker upload)."""
    if r.type == CONFIG_MAP:
        texts: Iterator[str] = _entry(r, "falco.yaml")
    elif r.type == DOCKER_CONTAINER:
        texts = _uploads(r, ("/falco.yaml",))
    else:
        return
    yield from (_yaml(t) for t in texts)


def sidekick_configs(r: Resource) -> Iterator[Mapping[str, Any]]:
    """Every Falcosidekick config the resource delivers (a Secret or ConfigMap entry, a Docker upload)."""
    if r.type in (SECRET, CONFIG_MAP):
        texts: Iterator[str] = _entry(r, "config.yaml")
    elif r.type == DOCKER_CONTAINER and _docker_role(r) == "sidekick":
        texts = _uploads(r, ("/config.yaml",))
    else:
        return
    yield from (doc for doc in (_yaml(t) for t in texts) if "listenport" in doc or "tlsserver" in doc)


# --- the checks -------------------------------------------------------------------------------------

def mtls_outside_dev(r: Resource) -> list[str]:
    if DEV_STACK.match(r.stack):
        return []
    problems = []
    for config in falco_configs(r):
        http = config.get("http_output") or {}
        if http.get("enabled") and not (str(http.get("url", "")).startswith("https://") and http.get("mtls")):
            problems.append(f"Falco sends alerts to {http.get('url')!r} without mutual TLS in stack {r.stack!r}: "
                            "set sib-detection:mtls true")
    for config in sidekick_configs(r):
        tls = config.get("tlsserver") or {}
        if not (tls.get("deploy") and tls.get("mutualtls")):
            problems.append(f"Falcosidekick accepts alerts without mutual TLS in stack {r.stack!r}: "
                            "set sib-detection:mtls true")
    return problems


def _image_pinned(image: str) -> bool:
    if "@sha256:" in image:
        return True
    name, _, tag = image.rpartition(":")
    return bool(name) and "/" not in tag and tag not in ("", "latest")


def pinned_images(r: Resource) -> list[str]:
    images: list[str] = []
    if r.type == DOCKER_IMAGE:  # containers run these images' ids, unknown until pulled
        images.append(str(r.props.get("name") or ""))
    elif (pod := _pod(r)) is not None:
        images += [str(c.get("image") or "") for c in _containers(pod[1])]
    return [f"image {i!r} is not pinned to an explicit version: use a release tag (not latest) or a digest"
            for i in images if not _image_pinned(i)]


def sidekick_contained(r: Resource) -> list[str]:
    problems = []
    if r.type == DOCKER_CONTAINER and _docker_role(r) == "sidekick":
        if r.props.get("privileged"):
            problems.append("the Falcosidekick container is privileged")
        if r.props.get("networkMode") == "host":
            problems.append("the Falcosidekick container uses the host network")
        for port in r.props.get("ports") or []:
            if str(port.get("ip") or "") in ALL_ADDRESSES:
                problems.append(f"Falcosidekick port {port.get('external') or port.get('internal')} is published on "
                                "all host addresses: bind it to one (sib-detection:dockerBindAddress)")
    elif (pod := _pod(r)) is not None and _k8s_role(pod[0], _containers(pod[1])) == "sidekick":
        spec = pod[1]
        if spec.get("hostNetwork"):
            problems.append("the Falcosidekick pod uses the host network")
        for c in _containers(spec):
            if (c.get("securityContext") or {}).get("privileged"):
                problems.append(f"Falcosidekick container {c.get('name')!r} is privileged")
            if any(p.get("hostPort") for p in c.get("ports") or []):
                problems.append(f"Falcosidekick container {c.get('name')!r} publishes a hostPort on its node")
    elif r.type == SERVICE:
        spec = r.props.get("spec") or {}
        if (spec.get("selector") or {}).get(APP_LABEL) == "falcosidekick" and (
                spec.get("type") in ("NodePort", "LoadBalancer") or spec.get("externalIPs")):
            problems.append(f"Service {r.name!r} publishes Falcosidekick outside the cluster "
                            f"(type {spec.get('type')}): use ClusterIP")
    return problems


def only_falco_privileged(r: Resource) -> list[str]:
    if r.type == DOCKER_CONTAINER:
        if r.props.get("privileged") and _docker_role(r) != "falco":
            return [f"container {r.props.get('name') or r.name!r} is privileged; only Falco's may be"]
    elif (pod := _pod(r)) is not None:
        labels, spec = pod
        containers = _containers(spec)
        if _k8s_role(labels, containers) != "falco":
            return [f"container {c.get('name')!r} of {r.name!r} is privileged; only Falco's workload may be"
                    for c in containers if (c.get("securityContext") or {}).get("privileged")]
    return []


def no_private_keys_in_plain_config(r: Resource) -> list[str]:
    found: list[str] = []
    if r.type == CONFIG_MAP:
        found += [f"ConfigMap {r.name!r} key {k!r}" for k, v in (r.props.get("data") or {}).items()
                  if PRIVATE_KEY.search(str(v))]
        found += [f"ConfigMap {r.name!r} key {k!r}" for k, v in (r.props.get("binaryData") or {}).items()
                  if PRIVATE_KEY.search(_b64(v))]
    elif r.type == DOCKER_CONTAINER:
        found += [f"environment variable {str(e).split('=', 1)[0]!r}" for e in r.props.get("envs") or []
                  if PRIVATE_KEY.search(str(e))]
    elif (pod := _pod(r)) is not None:
        found += [f"environment variable {e.get('name')!r} of container {c.get('name')!r}"
                  for c in _containers(pod[1]) for e in c.get("env") or [] if PRIVATE_KEY.search(str(e.get("value")))]
    return [f"{where} holds a private key: keys belong in Secrets or file uploads only" for where in found]


def falco_verifies_tls(r: Resource) -> list[str]:
    return ["Falco's http_output.insecure is true: Falco would accept any certificate from Falcosidekick"
            for config in falco_configs(r) if (config.get("http_output") or {}).get("insecure") is True]


@dataclass(frozen=True)
class Invariant:
    name: str
    description: str
    check: Callable[[Resource], list[str]]


INVARIANTS = (
    Invariant("mtls-outside-dev", "Falco and Falcosidekick talk mutual TLS in every stack but dev.", mtls_outside_dev),
    Invariant("pinned-images", "Every image is pinned to an explicit version (a release tag or digest, never "
              "latest).", pinned_images),
    Invariant("sidekick-contained", "Falcosidekick is never privileged, never on the host network and never "
              "published on all addresses.", sidekick_contained),
    Invariant("only-falco-privileged", "Only the Falco workload runs privileged.", only_falco_privileged),
    Invariant("no-private-keys-in-plain-config", "No private key in a ConfigMap or a plain environment variable.",
              no_private_keys_in_plain_config),
    Invariant("falco-verifies-tls", "Falco's http_output.insecure is never true.", falco_verifies_tls),
)
