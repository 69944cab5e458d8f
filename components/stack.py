"""Build one stack from its settings: wiring, rendered files, PKI, then the chosen target.

Only the target's provider SDK is imported, and pulumi-tls only when mTLS is on.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components.artifacts import render_artifacts
from components.settings import Settings
from components.wiring import FALCO_HEALTH_PATH, FALCO_WEBSERVER_PORT, wiring_for


def build(settings: Settings) -> dict[str, Any]:
    """Register every resource of the stack and return its outputs by name."""
    wiring = wiring_for(settings)
    artifacts = render_artifacts(settings, wiring)
    outputs: dict[str, Any] = {"target": settings.target, "mtls": wiring.mtls, "sidekickUrl": wiring.sidekick_url}

    pki = None
    if wiring.mtls:
        from components.pki import Pki
        from components.pki_plan import pki_plan

        pki = Pki("pki", pki_plan(settings, wiring))
        outputs["caCertPem"] = pki.ca_cert_pem
        expiry = {"ca": pki.ca_expires, "sidekickServer": pki.server.expires}
        if pki.falco_client:
            expiry["falcoClient"] = pki.falco_client.expires
        expiry |= {f"client-{name}": cert.expires for name, cert in pki.extra_clients.items()}
        outputs["certificateExpiry"] = expiry
        if pki.extra_clients:
            outputs["extraClients"] = pulumi.Output.secret(
                {name: {"certPem": c.cert_pem, "keyPem": c.key_pem} for name, c in pki.extra_clients.items()})

    if settings.target == "docker":
        from components.docker_target import DockerTarget

        target = DockerTarget("sib", settings, wiring, artifacts, pki)
        outputs |= {
            "sidekickHostUrl": wiring.operator_url,
            "falcoHealthUrl": f"http://{wiring.operator_host}:{FALCO_WEBSERVER_PORT}{FALCO_HEALTH_PATH}",
            "falcoContainer": target.falco_name,
            "sidekickContainer": target.sidekick_name,
        }
    else:
        from components.kubernetes_target import KubernetesTarget

        target = KubernetesTarget("sib", settings, wiring, artifacts, pki)
        outputs |= {"namespace": target.namespace_name, "falcoDaemonSet": target.daemonset_name,
                    "sidekickDeployment": target.deployment_name}
    return outputs
