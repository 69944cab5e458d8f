"""The stack's mTLS PKI: a CA, the Falcosidekick server certificate and Falco client certificates.

`components.pki_plan` decides every certificate as plain data (names, SANs, usages, lifetimes); `Pki`
turns the plan into pulumi-tls resources. Keys live only in Pulumi secrets. `pkiRotation` is the only thing
besides the certificates' own contents and lifetimes that re-issues them: it is each PKI resource's
replacement trigger.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_tls as tls

from components.container_files import TlsMaterial
from components.pki_plan import CA_USAGES, CertSpec, PkiPlan


@dataclass
class IssuedCert:
    """A certificate with its key; `key_pem` is always a secret Output."""

    cert_pem: pulumi.Output[str]
    key_pem: pulumi.Output[str]
    expires: pulumi.Output[str]


class Pki(pulumi.ComponentResource):
    """CA, Sidekick server certificate and Falco client certificates, from a PkiPlan."""

    ca_cert_pem: pulumi.Output[str]
    ca_expires: pulumi.Output[str]
    server: IssuedCert
    falco_client: IssuedCert | None
    extra_clients: dict[str, IssuedCert]

    def __init__(self, name: str, plan: PkiPlan, opts: pulumi.ResourceOptions | None = None):
        super().__init__("sib:detection:Pki", name, None, opts)
        self._plan = plan
        self._child = pulumi.ResourceOptions(parent=self, replacement_trigger=plan.rotation)
        ca_key = self._key("ca-key")
        ca = tls.SelfSignedCert(
            "ca",
            private_key_pem=ca_key.private_key_pem,
            subject=tls.SelfSignedCertSubjectArgs(common_name=plan.ca_common_name, organization=plan.organization),
            is_ca_certificate=True,
            set_subject_key_id=True,
            allowed_uses=list(CA_USAGES),
            validity_period_hours=plan.ca_hours,
            opts=self._child,
        )
        self.ca_cert_pem = ca.cert_pem
        self.ca_expires = ca.validity_end_time
        self.server = self._issue(plan.server, ca, ca_key)
        self.falco_client = self._issue(plan.falco_client, ca, ca_key) if plan.falco_client else None
        self.extra_clients = {spec.name.removeprefix("client-"): self._issue(spec, ca, ca_key)
                              for spec in plan.extra_clients}
        self.register_outputs({"ca_cert_pem": self.ca_cert_pem})

    @property
    def material(self) -> TlsMaterial:
        """What the targets deliver: the CA, the server pair and Falco's client pair."""
        client = self.falco_client
        return TlsMaterial(ca_cert=self.ca_cert_pem, server_cert=self.server.cert_pem, server_key=self.server.key_pem,
                           falco_cert=client.cert_pem if client else None, falco_key=client.key_pem if client else None)

    def _key(self, name: str) -> tls.PrivateKey:
        return tls.PrivateKey(name, algorithm=self._plan.algorithm, ecdsa_curve=self._plan.ecdsa_curve,
                              rsa_bits=self._plan.rsa_bits, opts=self._child)

    def _issue(self, spec: CertSpec, ca: tls.SelfSignedCert, ca_key: tls.PrivateKey) -> IssuedCert:
        key = self._key(f"{spec.name}-key")
        csr = tls.CertRequest(
            f"{spec.name}-csr",
            private_key_pem=key.private_key_pem,
            subject=tls.CertRequestSubjectArgs(common_name=spec.common_name, organization=self._plan.organization),
            dns_names=list(spec.dns_names) or None,
            ip_addresses=list(spec.ip_addresses) or None,
            opts=self._child,
        )
        cert = tls.LocallySignedCert(
            spec.name,
            cert_request_pem=csr.cert_request_pem,
            ca_private_key_pem=ca_key.private_key_pem,
            ca_cert_pem=ca.cert_pem,
            allowed_uses=list(spec.usages),
            validity_period_hours=self._plan.leaf_hours,
            early_renewal_hours=self._plan.renewal_hours,
            set_subject_key_id=True,
            opts=self._child,
        )
        return IssuedCert(cert_pem=cert.cert_pem, key_pem=pulumi.Output.secret(key.private_key_pem),
                          expires=cert.validity_end_time)
