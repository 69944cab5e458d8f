"""How Falco reaches Falcosidekick: decided once here, fed to both renderers, the PKI and the targets.

The URL Falco posts to, the ports, the hostnames the server certificate must cover, the paths of
every file inside each container, and the mTLS switch all come from `wiring_for`, so the two
sides cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.settings import Settings

SIDEKICK_PORT = 2801  # Falcosidekick's listen port (TLS when mTLS is on)
SIDEKICK_HEALTH_PORT = 2810  # Falcosidekick's plain-HTTP `notlsport`, health and metrics only
SIDEKICK_HEALTH_PATH = "/healthz"  # what probes and health checks ask
SIDEKICK_HEALTH_PATHS = (SIDEKICK_HEALTH_PATH, "/metrics", "/ping")  # what the plain port serves
FALCO_WEBSERVER_PORT = 8765  # Falco's embedded webserver: /healthz and Prometheus /metrics
FALCO_HEALTH_PATH = "/healthz"
SIDEKICK_UID = 1234  # the user the Falcosidekick image runs as
K8S_SIDEKICK_SERVICE = "falcosidekick"

FALCO_DIR = "/etc/falco"
FALCO_CONFIG = f"{FALCO_DIR}/falco.yaml"
FALCO_CONFIG_D = f"{FALCO_DIR}/config.d"  # the image's own drop-ins (container plugin): left intact
FALCO_DEFAULT_RULES = f"{FALCO_DIR}/falco_rules.yaml"  # the image's default ruleset
FALCO_RULES_DIR = f"{FALCO_DIR}/rules.d"  # this stack's custom rules
FALCO_TLS_DIR = f"{FALCO_DIR}/tls"
SIDEKICK_DIR = "/etc/falcosidekick"
SIDEKICK_CONFIG = f"{SIDEKICK_DIR}/config.yaml"
SIDEKICK_TLS_DIR = f"{SIDEKICK_DIR}/tls"


@dataclass(frozen=True)
class TlsPaths:
    """Where one side's TLS files live inside its container."""

    ca: str
    cert: str
    key: str


FALCO_TLS = TlsPaths(ca=f"{FALCO_TLS_DIR}/ca.crt", cert=f"{FALCO_TLS_DIR}/client.crt",
                     key=f"{FALCO_TLS_DIR}/client.key")
SIDEKICK_TLS = TlsPaths(ca=f"{SIDEKICK_TLS_DIR}/ca.crt", cert=f"{SIDEKICK_TLS_DIR}/server.crt",
                        key=f"{SIDEKICK_TLS_DIR}/server.key")


@dataclass(frozen=True)
class Wiring:
    """The Falco -> Falcosidekick connection of one stack."""

    mtls: bool
    sidekick_host: str  # the hostname in Falco's http_output.url
    dns_names: tuple[str, ...]  # every name that reaches Sidekick: the server certificate's DNS SANs
    ip_addresses: tuple[str, ...]  # the server certificate's IP SANs
    operator_host: str  # where an operator reaches Sidekick from outside (Docker: the published address)

    @property
    def scheme(self) -> str:
        return "https" if self.mtls else "http"

    @property
    def sidekick_url(self) -> str:
        """The URL Falco posts alerts to."""
        return f"{self.scheme}://{self.sidekick_host}:{SIDEKICK_PORT}/"

    @property
    def operator_url(self) -> str:
        return f"{self.scheme}://{self.operator_host}:{SIDEKICK_PORT}/"

    @property
    def sidekick_probe_port(self) -> int:
        """The port health checks use: plain HTTP even when mTLS is on."""
        return SIDEKICK_HEALTH_PORT if self.mtls else SIDEKICK_PORT


def docker_names(settings: Settings) -> tuple[str, str]:
    """Container names of Falco and Sidekick on Docker, as the seed named them."""
    return f"{settings.container_prefix}-falco", f"{settings.container_prefix}-sidekick"


def wiring_for(settings: Settings) -> Wiring:
    if settings.target == "docker":
        _, sidekick = docker_names(settings)
        bind = settings.docker_bind_address
        loopback = bind == "127.0.0.1"
        operator = "localhost" if loopback else bind
        ips = ("127.0.0.1",) if loopback else ("127.0.0.1", bind)
        return Wiring(mtls=settings.mtls, sidekick_host=sidekick, dns_names=(sidekick, "localhost"),
                      ip_addresses=ips, operator_host=operator)
    name, ns = K8S_SIDEKICK_SERVICE, settings.namespace
    fqdn = f"{name}.{ns}.svc.{settings.cluster_domain}"
    return Wiring(mtls=settings.mtls, sidekick_host=fqdn,
                  dns_names=(name, f"{name}.{ns}", f"{name}.{ns}.svc", fqdn), ip_addresses=(),
                  operator_host=fqdn)
