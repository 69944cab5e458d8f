"""The stack's mTLS PKI as plain data: which certificates to issue, with which names, SANs, usages and lifetimes.

`components.pki` issues the plan with pulumi-tls; the offline renderer shows it for review.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.settings import PROJECT, Settings
from components.wiring import Wiring

CA_USAGES = ("cert_signing", "crl_signing", "digital_signature")
SERVER_USAGES = ("digital_signature", "key_encipherment", "server_auth")
CLIENT_USAGES = ("digital_signature", "client_auth")


@dataclass(frozen=True)
class CertSpec:
    """One leaf certificate the CA issues."""

    name: str
    common_name: str
    usages: tuple[str, ...]
    dns_names: tuple[str, ...] = ()
    ip_addresses: tuple[str, ...] = ()


@dataclass(frozen=True)
class PkiPlan:
    algorithm: str  # pulumi-tls algorithm: ECDSA or RSA
    ecdsa_curve: str | None
    rsa_bits: int | None
    organization: str
    ca_common_name: str
    ca_hours: int
    leaf_hours: int
    renewal_hours: int
    rotation: str
    server: CertSpec
    falco_client: CertSpec | None
    extra_clients: tuple[CertSpec, ...]


def pki_plan(settings: Settings, wiring: Wiring) -> PkiPlan:
    ecdsa = settings.pki_algorithm == "ecdsa-p256"
    prefix = f"{PROJECT}/{settings.stack}"
    return PkiPlan(
        algorithm="ECDSA" if ecdsa else "RSA",
        ecdsa_curve="P256" if ecdsa else None,
        rsa_bits=None if ecdsa else 4096,
        organization=PROJECT,
        ca_common_name=f"{prefix} CA",
        ca_hours=settings.ca_validity_days * 24,
        leaf_hours=settings.cert_validity_days * 24,
        renewal_hours=settings.cert_renewal_days * 24,
        rotation=settings.pki_rotation,
        server=CertSpec("sidekick-server", wiring.sidekick_host, SERVER_USAGES,
                        dns_names=wiring.dns_names, ip_addresses=wiring.ip_addresses),
        falco_client=CertSpec("falco-client", f"{prefix}/falco", CLIENT_USAGES) if settings.http_output else None,
        extra_clients=tuple(CertSpec(f"client-{name}", f"{prefix}/sensor/{name}", CLIENT_USAGES)
                            for name in settings.mtls_extra_clients),
    )
