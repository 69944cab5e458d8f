"""The Docker target as plain data: network, pinned images, Sidekick's files volume and both containers.

Arguments are the ones pulumi-docker takes (snake_case, nested values as dicts). A container's
`image` names the RemoteImage resource whose id it runs, and its `uploads` are ContainerFiles;
`DockerTarget` resolves both. The offline renderer writes this same data out for review.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components import wiring as w
from components.artifacts import Artifacts
from components.container_files import (
    DOCKER_SOCKET,
    HOST_PATHS,
    KMOD_HOST_PATHS,
    LEAST_PRIVILEGED_CAPS,
    TlsMaterial,
    falco_files,
    sidekick_files,
)
from components.settings import Settings

FALCO_IMAGE, SIDEKICK_IMAGE = "falco-image", "sidekick-image"


@dataclass(frozen=True)
class DockerSpec:
    network: dict[str, Any]
    images: dict[str, dict[str, Any]]  # resource name -> RemoteImage args
    volumes: dict[str, dict[str, Any]]  # resource name -> Volume args
    containers: dict[str, dict[str, Any]]  # resource name -> Container args, in start order


def _healthcheck(command: list[str], start_period: str) -> dict[str, Any]:
    return {"tests": ["CMD", *command], "interval": "30s", "timeout": "5s", "retries": 3, "start_period": start_period}


def falco_healthcheck(settings: Settings) -> dict[str, Any] | None:
    """The default Falco image is distroless (no shell, no curl): only `-debian` tags can probe themselves."""
    if not settings.falco_image.rsplit(":", 1)[-1].endswith("-debian"):
        return None
    return _healthcheck(["curl", "-fsS", f"http://127.0.0.1:{w.FALCO_WEBSERVER_PORT}{w.FALCO_HEALTH_PATH}"], "60s")


def falco_host_volumes(settings: Settings) -> list[dict[str, Any]]:
    paths = HOST_PATHS + (KMOD_HOST_PATHS if settings.driver == "kmod" else ()) + (DOCKER_SOCKET,)
    return [{"host_path": p, "container_path": f"/host{p}", "read_only": True} for p in paths]


def _published(port: int, bind: str) -> dict[str, Any]:
    return {"internal": port, "external": port, "ip": bind}


def docker_spec(settings: Settings, wiring: w.Wiring, artifacts: Artifacts, tls: TlsMaterial | None) -> DockerSpec:
    falco_name, sidekick_name = w.docker_names(settings)
    bind = settings.docker_bind_address
    files_volume = f"{sidekick_name}-files"
    sidekick_ports = [_published(w.SIDEKICK_PORT, bind)]
    if wiring.mtls:
        sidekick_ports.append(_published(w.SIDEKICK_HEALTH_PORT, bind))
    sidekick = {
        "name": sidekick_name,
        "image": SIDEKICK_IMAGE,
        "command": ["-c", w.SIDEKICK_CONFIG],
        "user": f"{w.SIDEKICK_UID}:0",
        "read_only": True,
        "capabilities": {"drops": ["ALL"]},
        "security_opts": ["no-new-privileges:true"],
        "restart": "unless-stopped",
        "ports": sidekick_ports,
        "networks_advanced": [{"name": settings.docker_network, "aliases": [wiring.sidekick_host]}],
        # Sidekick's root filesystem is read-only and Docker refuses uploads into one: its files go to a volume.
        "volumes": [{"volume_name": files_volume, "container_path": w.SIDEKICK_DIR}],
        "uploads": sidekick_files(artifacts, tls),
        "healthcheck": _healthcheck(["wget", "-q", "-O", "/dev/null",
                                     f"http://127.0.0.1:{wiring.sidekick_probe_port}{w.SIDEKICK_HEALTH_PATH}"], "10s"),
        "wait": True,
        "wait_timeout": 120,
    }
    least = settings.least_privileged
    falco = {
        "name": falco_name,
        "image": FALCO_IMAGE,
        "privileged": not least,
        "envs": ["HOST_ROOT=/host"] + ([f"FALCO_HOSTNAME={settings.falco_hostname}"] if settings.falco_hostname else []),
        "restart": "unless-stopped",
        "ports": [_published(w.FALCO_WEBSERVER_PORT, bind)],
        "networks_advanced": [{"name": settings.docker_network, "aliases": [falco_name]}],
        "volumes": falco_host_volumes(settings),
        "uploads": falco_files(artifacts, tls),
    }
    if least:
        falco |= {"capabilities": {"drops": ["ALL"], "adds": list(LEAST_PRIVILEGED_CAPS)},
                  "security_opts": ["apparmor=unconfined"]}
    healthcheck = falco_healthcheck(settings)
    if healthcheck:
        falco["healthcheck"] = healthcheck
    return DockerSpec(
        network={"name": settings.docker_network, "driver": "bridge"},
        images={FALCO_IMAGE: {"name": settings.falco_image, "keep_locally": True},
                SIDEKICK_IMAGE: {"name": settings.sidekick_image, "keep_locally": True}},
        volumes={"sidekick-files": {"name": files_volume}},
        containers={"sidekick": sidekick, "falco": falco},
    )
