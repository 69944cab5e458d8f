"""Kubernetes objects of a stack, as plain dicts: a pure function of settings, wiring, files and checksums.

`stack_objects` lists every object in apply order. Secret contents are whatever TlsMaterial and
Artifacts hold (Outputs in a deployment, placeholders in an offline render); the target marks
them secret. Checksum annotations on the pod templates roll a workload exactly when a file it
reads changes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Callable

from components import wiring as w
from components.artifacts import Artifacts
from components.container_files import (
    DOCKER_SOCKET,
    FALCO_CONFIG_MODE,
    GROUP_SECRET,
    HOST_PATHS,
    KMOD_HOST_PATHS,
    LEAST_PRIVILEGED_CAPS,
    PUBLIC,
    ROOT_SECRET,
    TlsMaterial,
)
from components.settings import PROJECT, Settings

FALCO_NAME = "falco"
SIDEKICK_NAME = w.K8S_SIDEKICK_SERVICE
FALCO_CONFIG_MAP = "falco-config"
FALCO_RULES_MAP = "falco-rules"
FALCO_TLS_SECRET = "falco-tls"
SIDEKICK_TLS_SECRET = "falcosidekick-tls"
SIDEKICK_CONFIG_SECRET = "falcosidekick-config"
# Container runtime sockets the container plugin reads metadata from, as Falco's Helm chart mounts them.
RUNTIME_SOCKETS = ("/run/containerd/containerd.sock", "/run/crio/crio.sock", DOCKER_SOCKET)


@dataclass(frozen=True)
class Checksums:
    """sha256 of what each workload reads; any Input[str]."""

    falco_config: Any
    falco_tls: Any
    sidekick_config: Any
    sidekick_tls: Any


def sha256(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


NO_FILES = sha256("")  # the checksum of a workload's TLS files when it has none


def checksums(artifacts: Artifacts, tls: TlsMaterial | None, digest: Callable[..., Any]) -> Checksums:
    """Which files roll which workload. `digest` hashes contents that may exist only at deploy time."""
    return Checksums(
        falco_config=sha256(artifacts.falco_yaml, *(text for _, text in artifacts.rules)),
        falco_tls=digest(tls.ca_cert, tls.falco_cert, tls.falco_key) if tls and tls.falco_client else NO_FILES,
        sidekick_config=digest(artifacts.sidekick_yaml),
        sidekick_tls=digest(tls.ca_cert, tls.server_cert, tls.server_key) if tls else NO_FILES,
    )


def labels(name: str, component: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": PROJECT,
            "app.kubernetes.io/component": component}


def selector(name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": PROJECT}


def meta(settings: Settings, name: str, component: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": settings.namespace, "labels": labels(name, component), **extra}


def namespace(settings: Settings) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {
        "name": settings.namespace,
        "labels": {"pod-security.kubernetes.io/enforce": "privileged",
                   "pod-security.kubernetes.io/enforce-version": "latest",
                   "app.kubernetes.io/part-of": PROJECT},
        "annotations": {f"{PROJECT}/pod-security": "privileged: Falco's DaemonSet needs host mounts and kernel "
                        "access to load its driver; Falcosidekick itself runs with the restricted profile"}}}


def service_account(settings: Settings, name: str, component: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta(settings, name, component),
            "automountServiceAccountToken": False}


def falco_config_maps(settings: Settings, falco_yaml: str, rules: tuple[tuple[str, str], ...]) -> list[dict[str, Any]]:
    return [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(settings, FALCO_CONFIG_MAP, "sensor"),
         "data": {"falco.yaml": falco_yaml}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(settings, FALCO_RULES_MAP, "sensor"),
         "data": dict(rules)},
    ]


def _host_volume(path: str, read_only: bool = True) -> tuple[dict[str, Any], dict[str, Any]]:
    name = "host" + path.replace("/", "-").replace(".", "-")
    return ({"name": name, "hostPath": {"path": path}},
            {"name": name, "mountPath": f"/host{path}", "readOnly": read_only})


def _http_probe(path: str, port: int, **timing: int) -> dict[str, Any]:
    return {"httpGet": {"path": path, "port": port}, "timeoutSeconds": 5, **timing}


def falco_daemonset(settings: Settings, wiring: w.Wiring, sums: Checksums, with_tls: bool) -> dict[str, Any]:
    host = [_host_volume(p) for p in HOST_PATHS + (KMOD_HOST_PATHS if settings.driver == "kmod" else ())]
    host += [_host_volume(p) for p in RUNTIME_SOCKETS]
    volumes = [v for v, _ in host] + [
        {"name": "config", "configMap": {"name": FALCO_CONFIG_MAP, "defaultMode": FALCO_CONFIG_MODE}},
        {"name": "rules", "configMap": {"name": FALCO_RULES_MAP, "defaultMode": FALCO_CONFIG_MODE}},
    ]
    mounts = [m for _, m in host] + [
        {"name": "config", "mountPath": w.FALCO_CONFIG, "subPath": "falco.yaml", "readOnly": True},
        {"name": "rules", "mountPath": w.FALCO_RULES_DIR, "readOnly": True},
    ]
    if with_tls:
        volumes.append({"name": "tls", "secret": {"secretName": FALCO_TLS_SECRET, "defaultMode": ROOT_SECRET, "items": [
            {"key": "ca.crt", "path": "ca.crt", "mode": PUBLIC},
            {"key": "client.crt", "path": "client.crt", "mode": PUBLIC},
            {"key": "client.key", "path": "client.key", "mode": ROOT_SECRET}]}})
        mounts.append({"name": "tls", "mountPath": w.FALCO_TLS_DIR, "readOnly": True})
    least = settings.least_privileged
    security = ({"privileged": False, "capabilities": {"drop": ["ALL"], "add": list(LEAST_PRIVILEGED_CAPS)},
                 "appArmorProfile": {"type": "Unconfined"}} if least else {"privileged": True})
    node_name = {"valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}
    env = [{"name": "HOST_ROOT", "value": "/host"},
           {"name": "FALCO_HOSTNAME", **({"value": settings.falco_hostname} if settings.falco_hostname else node_name)},
           {"name": "FALCO_K8S_NODE_NAME", **node_name}]
    web = w.FALCO_WEBSERVER_PORT
    container = {
        "name": FALCO_NAME, "image": settings.falco_image, "imagePullPolicy": "IfNotPresent",
        "securityContext": security, "env": env,
        "ports": [{"name": "web", "containerPort": web, "protocol": "TCP"}],
        "startupProbe": _http_probe(w.FALCO_HEALTH_PATH, web, periodSeconds=10, failureThreshold=30),
        "livenessProbe": _http_probe(w.FALCO_HEALTH_PATH, web, periodSeconds=15, failureThreshold=3),
        "readinessProbe": _http_probe(w.FALCO_HEALTH_PATH, web, periodSeconds=15, failureThreshold=3),
        "resources": settings.falco_resources.as_dict(),
        "volumeMounts": mounts,
    }
    pod_spec: dict[str, Any] = {
        "serviceAccountName": FALCO_NAME, "automountServiceAccountToken": False,
        "containers": [container], "volumes": volumes,
    }
    if settings.driver == "kmod":
        pod_spec["initContainers"] = [_driver_loader(settings, mounts)]
    if settings.tolerate_all_taints:
        pod_spec["tolerations"] = [{"operator": "Exists"}]
    if settings.priority_class_name:
        pod_spec["priorityClassName"] = settings.priority_class_name
    return {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": meta(settings, FALCO_NAME, "sensor"), "spec": {
        "selector": {"matchLabels": selector(FALCO_NAME)},
        "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": _int_or_percent(
            settings.falco_max_unavailable)}},
        "template": {
            "metadata": {"labels": labels(FALCO_NAME, "sensor"), "annotations": {
                "checksum/config": sums.falco_config, "checksum/tls": sums.falco_tls}},
            "spec": pod_spec}}}


def _driver_loader(settings: Settings, mounts: list[dict[str, Any]]) -> dict[str, Any]:
    """kmod needs the module built/loaded for the node's kernel before Falco starts (as Falco's Helm chart does)."""
    tag = settings.falco_image.rsplit(":", 1)[1].removesuffix("-debian")
    return {"name": "falco-driver-loader", "image": f"falcosecurity/falco-driver-loader:{tag}", "args": ["kmod"],
            "securityContext": {"privileged": True},
            "volumeMounts": [m for m in mounts if m["mountPath"].startswith("/host/")]}


def _int_or_percent(value: str) -> int | str:
    return value if value.endswith("%") else int(value)


def sidekick_deployment(settings: Settings, wiring: w.Wiring, sums: Checksums) -> dict[str, Any]:
    items = [{"secret": {"name": SIDEKICK_CONFIG_SECRET, "items": [
        {"key": "config.yaml", "path": "config.yaml", "mode": GROUP_SECRET}]}}]
    if wiring.mtls:
        items.append({"secret": {"name": SIDEKICK_TLS_SECRET, "items": [
            {"key": "ca.crt", "path": "tls/ca.crt", "mode": PUBLIC},
            {"key": "server.crt", "path": "tls/server.crt", "mode": PUBLIC},
            {"key": "server.key", "path": "tls/server.key", "mode": GROUP_SECRET}]}})
    ports = [{"name": "alerts", "containerPort": w.SIDEKICK_PORT, "protocol": "TCP"}]
    if wiring.mtls:
        ports.append({"name": "health", "containerPort": w.SIDEKICK_HEALTH_PORT, "protocol": "TCP"})
    probe_port = wiring.sidekick_probe_port
    uid = w.SIDEKICK_UID
    container = {
        "name": SIDEKICK_NAME, "image": settings.sidekick_image, "imagePullPolicy": "IfNotPresent",
        "args": ["-c", w.SIDEKICK_CONFIG], "ports": ports,
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "privileged": False,
                            "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}},
        "livenessProbe": _http_probe(w.SIDEKICK_HEALTH_PATH, probe_port, periodSeconds=10, failureThreshold=3),
        "readinessProbe": _http_probe(w.SIDEKICK_HEALTH_PATH, probe_port, periodSeconds=10, failureThreshold=3),
        "resources": settings.sidekick_resources.as_dict(),
        "volumeMounts": [{"name": "files", "mountPath": w.SIDEKICK_DIR, "readOnly": True}],
    }
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta(settings, SIDEKICK_NAME, "alerting"),
            "spec": {
                "replicas": settings.sidekick_replicas,
                "selector": {"matchLabels": selector(SIDEKICK_NAME)},
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
                "template": {
                    "metadata": {"labels": labels(SIDEKICK_NAME, "alerting"), "annotations": {
                        "checksum/config": sums.sidekick_config, "checksum/tls": sums.sidekick_tls}},
                    "spec": {
                        "serviceAccountName": SIDEKICK_NAME, "automountServiceAccountToken": False,
                        "securityContext": {"runAsNonRoot": True, "runAsUser": uid, "runAsGroup": uid, "fsGroup": uid,
                                            "seccompProfile": {"type": "RuntimeDefault"}},
                        "topologySpreadConstraints": [{
                            "maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "ScheduleAnyway",
                            "labelSelector": {"matchLabels": selector(SIDEKICK_NAME)}}],
                        "containers": [container],
                        "volumes": [{"name": "files", "projected": {"sources": items}}]}}}}


def sidekick_service(settings: Settings, wiring: w.Wiring) -> dict[str, Any]:
    ports = [{"name": "alerts", "port": w.SIDEKICK_PORT, "targetPort": "alerts", "protocol": "TCP"}]
    if wiring.mtls:
        ports.append({"name": "health", "port": w.SIDEKICK_HEALTH_PORT, "targetPort": "health", "protocol": "TCP"})
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta(settings, SIDEKICK_NAME, "alerting"),
            "spec": {"type": "ClusterIP", "selector": selector(SIDEKICK_NAME), "ports": ports}}


def sidekick_pdb(settings: Settings) -> dict[str, Any]:
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": meta(settings, SIDEKICK_NAME, "alerting"),
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector(SIDEKICK_NAME)}}}


def sidekick_network_policy(settings: Settings, wiring: w.Wiring) -> dict[str, Any]:
    """Alerts port: Falco pods only. Health/metrics: the configured namespaces (kubelet probes come from the node)."""
    alerts = {"port": w.SIDEKICK_PORT, "protocol": "TCP"}
    health = {"port": w.SIDEKICK_HEALTH_PORT, "protocol": "TCP"} if wiring.mtls else alerts
    ingress = [{"from": [{"podSelector": {"matchLabels": selector(FALCO_NAME)}}], "ports": [alerts]}]
    if settings.metrics_namespaces:
        ingress.append({"from": [{"namespaceSelector": {"matchExpressions": [{
            "key": "kubernetes.io/metadata.name", "operator": "In", "values": list(settings.metrics_namespaces)}]}}],
            "ports": [health]})
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": meta(settings, SIDEKICK_NAME, "alerting"),
            "spec": {"podSelector": {"matchLabels": selector(SIDEKICK_NAME)}, "policyTypes": ["Ingress"],
                     "ingress": ingress}}


def _secret(settings: Settings, name: str, component: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": meta(settings, name, component), "type": "Opaque",
            "stringData": data}


def secrets(settings: Settings, artifacts: Artifacts, tls: TlsMaterial | None) -> list[dict[str, Any]]:
    """Sidekick's config (it can hold output credentials) and each side's TLS files."""
    found = [_secret(settings, SIDEKICK_CONFIG_SECRET, "alerting", {"config.yaml": artifacts.sidekick_yaml})]
    if tls is not None and tls.falco_client:
        found.append(_secret(settings, FALCO_TLS_SECRET, "sensor", {
            "ca.crt": tls.ca_cert, "client.crt": tls.falco_cert, "client.key": tls.falco_key}))
    if tls is not None:
        found.append(_secret(settings, SIDEKICK_TLS_SECRET, "alerting", {
            "ca.crt": tls.ca_cert, "server.crt": tls.server_cert, "server.key": tls.server_key}))
    return found


def stack_objects(settings: Settings, wiring: w.Wiring, artifacts: Artifacts, tls: TlsMaterial | None,
                  sums: Checksums) -> list[dict[str, Any]]:
    """Every object of the stack, in the order `kubectl apply` needs them."""
    return [
        namespace(settings),
        service_account(settings, FALCO_NAME, "sensor"),
        service_account(settings, SIDEKICK_NAME, "alerting"),
        *falco_config_maps(settings, artifacts.falco_yaml, artifacts.rules),
        *secrets(settings, artifacts, tls),
        falco_daemonset(settings, wiring, sums, with_tls=tls is not None and tls.falco_client),
        sidekick_deployment(settings, wiring, sums),
        sidekick_service(settings, wiring),
        sidekick_pdb(settings),
        sidekick_network_policy(settings, wiring),
    ]


def resource_name(obj: dict[str, Any]) -> str:
    """The Pulumi resource name of an object: its own name, made unique where two kinds share one."""
    kind, name = obj["kind"], obj["metadata"]["name"]
    return {"Namespace": "namespace", "ServiceAccount": f"{name}-sa"}.get(kind, name)
