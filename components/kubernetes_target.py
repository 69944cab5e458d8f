"""Kubernetes target: Falco as a DaemonSet on every node, Falcosidekick as a hardened Deployment.

The objects come from `components.manifests` as plain dicts; this component makes them resources,
marks Secret contents secret and computes the checksums that roll a workload when a file it reads
changes. With `renderYamlTo` the provider writes manifests to that directory instead of applying them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_kubernetes as k8s

from components import manifests as m
from components import wiring as w
from components.artifacts import Artifacts
from components.settings import Settings

if TYPE_CHECKING:  # pulumi_tls is imported only by stacks with mTLS on
    from components.pki import Pki

KINDS: dict[str, type[pulumi.CustomResource]] = {
    "Namespace": k8s.core.v1.Namespace,
    "ServiceAccount": k8s.core.v1.ServiceAccount,
    "ConfigMap": k8s.core.v1.ConfigMap,
    "Secret": k8s.core.v1.Secret,
    "DaemonSet": k8s.apps.v1.DaemonSet,
    "Deployment": k8s.apps.v1.Deployment,
    "Service": k8s.core.v1.Service,
    "PodDisruptionBudget": k8s.policy.v1.PodDisruptionBudget,
    "NetworkPolicy": k8s.networking.v1.NetworkPolicy,
}
WORKLOADS = ("DaemonSet", "Deployment")


def checksum(*parts: Any) -> pulumi.Output[str]:
    """A digest of (possibly secret) contents; a hash reveals nothing, so it stays visible in diffs."""
    return pulumi.Output.unsecret(pulumi.Output.all(*parts).apply(lambda values: m.sha256(*values)))


def _args(obj: dict[str, Any]) -> dict[str, Any]:
    """An object's fields as the SDK's keyword arguments (stringData -> string_data)."""
    args = {re.sub(r"(?<!^)(?=[A-Z])", "_", k).lower(): v for k, v in obj.items() if k not in ("apiVersion", "kind")}
    if obj["kind"] == "Secret":
        args["string_data"] = {k: pulumi.Output.secret(v) for k, v in obj["stringData"].items()}
    return args


class KubernetesTarget(pulumi.ComponentResource):
    """Namespace, config, Secrets, Falco DaemonSet, Sidekick Deployment/Service/PDB/NetworkPolicy."""

    namespace_name: str
    daemonset_name: str
    deployment_name: str

    def __init__(self, name: str, settings: Settings, wiring: w.Wiring, artifacts: Artifacts, pki: Pki | None,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("sib:detection:KubernetesTarget", name, None, opts)
        provider = None
        if settings.render_yaml_to:
            provider = k8s.Provider("render-yaml", render_yaml_to_directory=settings.render_yaml_to,
                                    opts=pulumi.ResourceOptions(parent=self))
        self.namespace_name = settings.namespace
        self.daemonset_name, self.deployment_name = m.FALCO_NAME, m.SIDEKICK_NAME

        tls = pki.material if pki else None
        sums = m.checksums(artifacts, tls, checksum)
        # The namespace first; workloads after the config and Secrets they mount.
        namespace: list[pulumi.Resource] = []
        mounted: list[pulumi.Resource] = []
        for obj in m.stack_objects(settings, wiring, artifacts, tls, sums):
            depends_on = namespace + (mounted if obj["kind"] in WORKLOADS else [])
            resource = KINDS[obj["kind"]](m.resource_name(obj), **_args(obj), opts=pulumi.ResourceOptions(
                parent=self, provider=provider, depends_on=depends_on))
            if obj["kind"] == "Namespace":
                namespace.append(resource)
            elif obj["kind"] in ("ConfigMap", "Secret"):
                mounted.append(resource)
        self.register_outputs({})
