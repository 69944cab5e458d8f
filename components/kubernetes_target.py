"""Kubernetes target: Falco as a DaemonSet on every node, Falcosidekick as a hardened Deployment.

The objects come from `components.manifests` as plain dicts; this component adds the Secrets'
contents (Pulumi secrets) and the checksums that roll a workload when a file it reads changes.
With `renderYamlTo` the provider writes manifests to that directory instead of applying them.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_kubernetes as k8s

from components import manifests as m
from components import wiring as w
from components.artifacts import Artifacts
from components.settings import Settings

if TYPE_CHECKING:  # pulumi_tls is imported only by stacks with mTLS on
    from components.pki import Pki


def sha256(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def checksum(*parts: Any) -> pulumi.Output[str]:
    """A digest of (possibly secret) contents; a hash reveals nothing, so it stays visible in diffs."""
    return pulumi.Output.unsecret(pulumi.Output.all(*parts).apply(lambda values: sha256(*values)))


def _secret(name: str, settings: Settings, component: str, data: dict[str, Any],
            opts: pulumi.ResourceOptions) -> k8s.core.v1.Secret:
    return k8s.core.v1.Secret(name, metadata=m.meta(settings, name, component), type="Opaque",
                              string_data={k: pulumi.Output.secret(v) for k, v in data.items()}, opts=opts)


class KubernetesTarget(pulumi.ComponentResource):
    """Namespace, config, Secrets, Falco DaemonSet, Sidekick Deployment/Service/PDB/NetworkPolicy."""

    namespace_name: str
    daemonset_name: str
    deployment_name: str

    def __init__(self, name: str, settings: Settings, wiring: w.Wiring, artifacts: Artifacts, pki: Pki | None,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("sib:detection:KubernetesTarget", name, None, opts)
        providers = None
        if settings.render_yaml_to:
            providers = k8s.Provider("render-yaml", render_yaml_to_directory=settings.render_yaml_to,
                                     opts=pulumi.ResourceOptions(parent=self))
        child = pulumi.ResourceOptions(parent=self, provider=providers)
        self.namespace_name = settings.namespace
        self.daemonset_name, self.deployment_name = m.FALCO_NAME, m.SIDEKICK_NAME

        ns = k8s.core.v1.Namespace("namespace", metadata=m.namespace(settings)["metadata"], opts=child)
        in_ns = pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[ns]))

        for account, component in ((m.FALCO_NAME, "sensor"), (m.SIDEKICK_NAME, "alerting")):
            sa = m.service_account(settings, account, component)
            k8s.core.v1.ServiceAccount(f"{account}-sa", metadata=sa["metadata"],
                                       automount_service_account_token=sa["automountServiceAccountToken"], opts=in_ns)
        config_maps = [k8s.core.v1.ConfigMap(cm["metadata"]["name"], metadata=cm["metadata"], data=cm["data"], opts=in_ns)
                       for cm in m.falco_config_maps(settings, artifacts.falco_yaml, artifacts.rules)]

        falco_tls = pki is not None and pki.falco_client is not None
        secrets = [_secret(m.SIDEKICK_CONFIG_SECRET, settings, "alerting",
                           {"config.yaml": artifacts.sidekick_yaml}, in_ns)]
        if falco_tls:
            secrets.append(_secret(m.FALCO_TLS_SECRET, settings, "sensor", {
                "ca.crt": pki.ca_cert_pem, "client.crt": pki.falco_client.cert_pem,
                "client.key": pki.falco_client.key_pem}, in_ns))
        if pki is not None:
            secrets.append(_secret(m.SIDEKICK_TLS_SECRET, settings, "alerting", {
                "ca.crt": pki.ca_cert_pem, "server.crt": pki.server.cert_pem, "server.key": pki.server.key_pem}, in_ns))

        sums = m.Checksums(
            falco_config=sha256(artifacts.falco_yaml, *(text for _, text in artifacts.rules)),
            falco_tls=checksum(pki.ca_cert_pem, pki.falco_client.cert_pem, pki.falco_client.key_pem)
            if falco_tls else sha256(""),
            sidekick_config=checksum(pulumi.Output.secret(artifacts.sidekick_yaml)),
            sidekick_tls=checksum(pki.ca_cert_pem, pki.server.cert_pem, pki.server.key_pem) if pki else sha256(""),
        )
        workloads = pulumi.ResourceOptions.merge(in_ns, pulumi.ResourceOptions(depends_on=config_maps + secrets))
        ds = m.falco_daemonset(settings, wiring, sums, with_tls=falco_tls)
        k8s.apps.v1.DaemonSet("falco", metadata=ds["metadata"], spec=ds["spec"], opts=workloads)
        dep = m.sidekick_deployment(settings, wiring, sums)
        k8s.apps.v1.Deployment("falcosidekick", metadata=dep["metadata"], spec=dep["spec"], opts=workloads)
        svc = m.sidekick_service(settings, wiring)
        k8s.core.v1.Service("falcosidekick", metadata=svc["metadata"], spec=svc["spec"], opts=in_ns)
        pdb = m.sidekick_pdb(settings)
        k8s.policy.v1.PodDisruptionBudget("falcosidekick", metadata=pdb["metadata"], spec=pdb["spec"], opts=in_ns)
        policy = m.sidekick_network_policy(settings, wiring)
        k8s.networking.v1.NetworkPolicy("falcosidekick", metadata=policy["metadata"], spec=policy["spec"], opts=in_ns)
        self.register_outputs({})
