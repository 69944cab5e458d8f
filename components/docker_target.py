"""Docker target: Falco and Falcosidekick as containers on one host (the dev stack of `make up`).

What to create comes from `components.docker_spec`; this component only makes it resources.
Every delivered file is a container upload, and uploads force a new container: a changed
falco.yaml, rule or certificate therefore always reaches a fresh container on the next
`pulumi up`, and a change that concerns only one container replaces only that one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_docker as docker

from components import wiring as w
from components.artifacts import Artifacts
from components.container_files import ContainerFile
from components.docker_spec import docker_spec
from components.settings import Settings

if TYPE_CHECKING:  # pulumi_tls is imported only by stacks with mTLS on
    from components.pki import Pki


def uploads(files: list[ContainerFile]) -> list[dict[str, Any]]:
    return [{"file": f.path, "content": pulumi.Output.secret(f.content) if f.secret else f.content,
             "permissions": f"{f.mode:04o}"} for f in files]


class DockerTarget(pulumi.ComponentResource):
    """Network, pinned images, Sidekick's files volume and the two containers."""

    falco_name: str
    sidekick_name: str

    def __init__(self, name: str, settings: Settings, wiring: w.Wiring, artifacts: Artifacts, pki: Pki | None,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__("sib:detection:DockerTarget", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        spec = docker_spec(settings, wiring, artifacts, pki.material if pki else None)
        self.falco_name, self.sidekick_name = spec.containers["falco"]["name"], spec.containers["sidekick"]["name"]

        network = docker.Network("network", **spec.network, opts=child)
        images = {name: docker.RemoteImage(name, **args, opts=child) for name, args in spec.images.items()}
        volumes = [docker.Volume(name, **args, opts=child) for name, args in spec.volumes.items()]
        started: list[pulumi.Resource] = [network, *volumes]
        for resource_name, args in spec.containers.items():
            # Fixed container names: the old container must go before its replacement can take the name.
            container = docker.Container(
                resource_name,
                **{**args, "image": images[args["image"]].image_id, "uploads": uploads(args["uploads"])},
                opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True, depends_on=list(started)),
            )
            started.append(container)
        self.register_outputs({})
