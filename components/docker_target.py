"""Docker target: Falco and Falcosidekick as containers on one host (the dev stack of `make up`).

Every delivered file is a container upload, and uploads force a new container: a changed
falco.yaml, rule or certificate therefore always reaches a fresh container on the next
`pulumi up`, and a change that concerns only one container replaces only that one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pulumi
import pulumi_docker as docker

from components import wiring as w
from components.artifacts import Artifacts
from components.container_files import (
    HOST_PATHS,
    KMOD_HOST_PATHS,
    LEAST_PRIVILEGED_CAPS,
    ContainerFile,
    falco_files,
    sidekick_files,
)
from components.settings import Settings

if TYPE_CHECKING:  # pulumi_tls is imported only by stacks with mTLS on
    from components.pki import Pki

DOCKER_SOCKET = "/var/run/docker.sock"


def uploads(files: list[ContainerFile]) -> list[docker.ContainerUploadArgs]:
    return [docker.ContainerUploadArgs(file=f.path, content=f.content, permissions=f"{f.mode:04o}") for f in files]


def falco_healthcheck(settings: Settings) -> docker.ContainerHealthcheckArgs | None:
    """The default Falco image is distroless (no shell, no curl): only `-debian` tags can probe themselves."""
    if not settings.falco_image.rsplit(":", 1)[-1].endswith("-debian"):
        return None
    return docker.ContainerHealthcheckArgs(
        tests=["CMD", "curl", "-fsS", f"http://127.0.0.1:{w.FALCO_WEBSERVER_PORT}{w.FALCO_HEALTH_PATH}"],
        interval="30s", timeout="5s", retries=3, start_period="60s")


def falco_host_volumes(settings: Settings) -> list[docker.ContainerVolumeArgs]:
    paths = HOST_PATHS + (KMOD_HOST_PATHS if settings.driver == "kmod" else ())
    volumes = [docker.ContainerVolumeArgs(host_path=p, container_path=f"/host{p}", read_only=True) for p in paths]
    volumes.append(docker.ContainerVolumeArgs(host_path=DOCKER_SOCKET, container_path=f"/host{DOCKER_SOCKET}",
                                              read_only=True))
    return volumes


class DockerTarget(pulumi.ComponentResource):
    """Network, pinned images and the two containers."""

    falco_name: str
    sidekick_name: str

    def __init__(self, name: str, settings: Settings, wiring: w.Wiring, artifacts: Artifacts, pki: Pki | None,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("sib:detection:DockerTarget", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        # Fixed container names: the old container must go before its replacement can take the name.
        replace = pulumi.ResourceOptions(parent=self, delete_before_replace=True)
        self.falco_name, self.sidekick_name = w.docker_names(settings)
        bind = settings.docker_bind_address

        network = docker.Network("network", name=settings.docker_network, driver="bridge", opts=child)
        falco_image = docker.RemoteImage("falco-image", name=settings.falco_image, keep_locally=True, opts=child)
        sidekick_image = docker.RemoteImage("sidekick-image", name=settings.sidekick_image, keep_locally=True,
                                            opts=child)
        # Sidekick's root filesystem is read-only and Docker refuses uploads into one: its files go to a volume.
        sidekick_volume = docker.Volume("sidekick-files", name=f"{self.sidekick_name}-files", opts=child)

        sidekick_ports = [docker.ContainerPortArgs(internal=w.SIDEKICK_PORT, external=w.SIDEKICK_PORT, ip=bind)]
        if wiring.mtls:
            sidekick_ports.append(docker.ContainerPortArgs(internal=w.SIDEKICK_HEALTH_PORT,
                                                           external=w.SIDEKICK_HEALTH_PORT, ip=bind))
        sidekick = docker.Container(
            "sidekick",
            name=self.sidekick_name,
            image=sidekick_image.image_id,
            command=["-c", w.SIDEKICK_CONFIG],
            user=f"{w.SIDEKICK_UID}:0",
            read_only=True,
            capabilities=docker.ContainerCapabilitiesArgs(drops=["ALL"]),
            security_opts=["no-new-privileges:true"],
            restart="unless-stopped",
            ports=sidekick_ports,
            networks_advanced=[docker.ContainerNetworksAdvancedArgs(name=network.name, aliases=[wiring.sidekick_host])],
            volumes=[docker.ContainerVolumeArgs(volume_name=sidekick_volume.name, container_path=w.SIDEKICK_DIR)],
            uploads=uploads(sidekick_files(artifacts, pki)),
            healthcheck=docker.ContainerHealthcheckArgs(
                tests=["CMD", "wget", "-q", "-O", "/dev/null",
                       f"http://127.0.0.1:{wiring.sidekick_probe_port}{w.SIDEKICK_HEALTH_PATH}"],
                interval="30s", timeout="5s", retries=3, start_period="10s"),
            wait=True,
            wait_timeout=120,
            opts=replace,
        )

        envs = ["HOST_ROOT=/host"] + ([f"FALCO_HOSTNAME={settings.falco_hostname}"] if settings.falco_hostname else [])
        least = settings.least_privileged
        self.falco = docker.Container(
            "falco",
            name=self.falco_name,
            image=falco_image.image_id,
            privileged=not least,
            capabilities=docker.ContainerCapabilitiesArgs(drops=["ALL"], adds=list(LEAST_PRIVILEGED_CAPS)) if least else None,
            security_opts=["apparmor=unconfined"] if least else None,
            envs=envs,
            restart="unless-stopped",
            ports=[docker.ContainerPortArgs(internal=w.FALCO_WEBSERVER_PORT, external=w.FALCO_WEBSERVER_PORT, ip=bind)],
            networks_advanced=[docker.ContainerNetworksAdvancedArgs(name=network.name, aliases=[self.falco_name])],
            volumes=falco_host_volumes(settings),
            uploads=uploads(falco_files(artifacts, pki)),
            healthcheck=falco_healthcheck(settings),
            opts=pulumi.ResourceOptions.merge(replace, pulumi.ResourceOptions(depends_on=[sidekick])),
        )
        self.sidekick = sidekick
        self.register_outputs({})
