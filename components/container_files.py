"""Which file lands where, with which mode, in each container: shared by every target.

Private keys and the Sidekick config (it can hold output credentials) are secret and never
world-readable. Falco runs as root, so its key is 0400. Falcosidekick runs as UID 1234 and the
files a target delivers are owned by root, so its secrets are 0440 and readable through the
group the target gives Sidekick (GID 0 on Docker, the pod's fsGroup on Kubernetes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components import wiring as w
from components.artifacts import Artifacts

# What Falco needs from the host, whatever the target: mounted read-only under /host (HOST_ROOT).
HOST_PATHS = ("/proc", "/etc")
KMOD_HOST_PATHS = ("/dev", "/boot", "/lib/modules", "/usr")
DOCKER_SOCKET = "/var/run/docker.sock"  # container metadata on a Docker host
# Capabilities Falco documents for modern_ebpf without a privileged container.
LEAST_PRIVILEGED_CAPS = ("BPF", "PERFMON", "SYS_PTRACE", "SYS_RESOURCE")

PUBLIC = 0o444
FALCO_CONFIG_MODE = 0o644
ROOT_SECRET = 0o400
GROUP_SECRET = 0o440


@dataclass(frozen=True)
class TlsMaterial:
    """What the PKI issued: Outputs in a deployment, marked placeholders in an offline render."""

    ca_cert: Any
    server_cert: Any
    server_key: Any
    falco_cert: Any = None  # None when Falco gets no client certificate (httpOutput off)
    falco_key: Any = None

    @property
    def falco_client(self) -> bool:
        return self.falco_cert is not None


@dataclass(frozen=True)
class ContainerFile:
    path: str
    content: Any  # str or pulumi.Output[str]
    mode: int
    secret: bool = False  # targets deliver it as a Pulumi secret

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


def falco_files(artifacts: Artifacts, tls: TlsMaterial | None) -> list[ContainerFile]:
    files = [ContainerFile(w.FALCO_CONFIG, artifacts.falco_yaml, FALCO_CONFIG_MODE)]
    files += [ContainerFile(f"{w.FALCO_RULES_DIR}/{name}", text, FALCO_CONFIG_MODE) for name, text in artifacts.rules]
    if tls is not None and tls.falco_client:
        files += [
            ContainerFile(w.FALCO_TLS.ca, tls.ca_cert, PUBLIC),
            ContainerFile(w.FALCO_TLS.cert, tls.falco_cert, PUBLIC),
            ContainerFile(w.FALCO_TLS.key, tls.falco_key, ROOT_SECRET, secret=True),
        ]
    return files


def sidekick_files(artifacts: Artifacts, tls: TlsMaterial | None) -> list[ContainerFile]:
    files = [ContainerFile(w.SIDEKICK_CONFIG, artifacts.sidekick_yaml, GROUP_SECRET, secret=True)]
    if tls is not None:
        files += [
            ContainerFile(w.SIDEKICK_TLS.ca, tls.ca_cert, PUBLIC),
            ContainerFile(w.SIDEKICK_TLS.cert, tls.server_cert, PUBLIC),
            ContainerFile(w.SIDEKICK_TLS.key, tls.server_key, GROUP_SECRET, secret=True),
        ]
    return files
