"""Offline render of a stack: every file and object it deploys, as text, with no cloud, cluster or Docker.

The same settings, renderers, manifests and Docker spec the program uses produce the output; only
what exists at deploy time is replaced: issued certificates and keys, secure config values, and
checksums over them. Each stand-in is a marked placeholder that never holds the secret but changes
whenever what it stands for would (the PKI plan, the ciphertext), so a review still sees that change.

Layout (paths relative to the output directory):
  falco/falco.yaml, falco/rules.d/<file>, falcosidekick/config.yaml   the files, at their /etc/ path
  pki/plan.yaml                                                       certificates to issue (mTLS on)
  kubernetes/NN-<kind>-<name>.yaml                                    one object per file, apply order
  docker/NN-<type>-<name>.yaml                                        resource arguments, start order
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

from components import manifests as m
from components import wiring as w
from components.artifacts import Artifacts, render_artifacts
from components.container_files import ContainerFile, TlsMaterial
from components.docker_spec import docker_spec
from components.pki_plan import CertSpec, PkiPlan, pki_plan
from components.settings import SECRET_MARK, Settings
from components.yamlio import to_review_yaml

RENDER_MARKER = ".rendered-by-sib-detection"  # the file that marks a directory as make render's output
ISSUED_MARK = "<issued at deploy: "  # a certificate pulumi-tls issues
COMPUTED_MARK = "<computed at deploy: "  # a checksum over contents that exist only at deploy
PLACEHOLDER = re.compile("|".join(re.escape(mark) for mark in (SECRET_MARK, ISSUED_MARK, COMPUTED_MARK)))


def _short(*parts: str) -> str:
    return m.sha256(*parts)[:12]


def _cert_inputs(plan: PkiPlan, spec: CertSpec | None) -> str:
    """What re-issues a certificate when it changes (early renewal is time-driven; not known offline)."""
    ca = {k: v for k, v in dataclasses.asdict(plan).items() if k not in ("server", "falco_client", "extra_clients",
                                                                          "renewal_hours")}
    return json.dumps({"ca": ca, "leaf": dataclasses.asdict(spec) if spec else None}, sort_keys=True)


def placeholder_material(plan: PkiPlan) -> TlsMaterial:
    """Stand-ins for what pulumi-tls issues; keys are marked secret, certificates as issued at deploy."""
    ca = _short(_cert_inputs(plan, None))
    server = _short(_cert_inputs(plan, plan.server))
    client = _short(_cert_inputs(plan, plan.falco_client)) if plan.falco_client else None
    return TlsMaterial(
        ca_cert=f"{ISSUED_MARK}CA certificate, inputs {ca}>",
        server_cert=f"{ISSUED_MARK}{plan.server.name} certificate, inputs {server}>",
        server_key=f"{SECRET_MARK}{plan.server.name} private key, inputs {server}>",
        falco_cert=f"{ISSUED_MARK}{plan.falco_client.name} certificate, inputs {client}>" if client else None,
        falco_key=f"{SECRET_MARK}{plan.falco_client.name} private key, inputs {client}>" if client else None,
    )


def checksum(*parts: str) -> str:
    """The checksum the deployment computes; a marked stand-in where a part is only a placeholder here."""
    value = m.sha256(*parts)
    if any(PLACEHOLDER.search(part) for part in parts):
        return f"{COMPUTED_MARK}sha256 over issued or secret contents, stand-in {value[:12]}>"
    return value


def rendered_path(container_path: str) -> str:
    """Where a delivered file lands in the render: its path under /etc/."""
    return container_path.removeprefix("/etc/")


def render_stack(settings: Settings) -> dict[str, str]:
    """Every rendered file of the stack: relative path -> text."""
    wiring = w.wiring_for(settings)
    artifacts = render_artifacts(settings, wiring)
    plan = pki_plan(settings, wiring) if wiring.mtls else None
    tls = placeholder_material(plan) if plan else None

    files = {rendered_path(w.FALCO_CONFIG): artifacts.falco_yaml,
             **{rendered_path(f"{w.FALCO_RULES_DIR}/{name}"): text for name, text in artifacts.rules},
             rendered_path(w.SIDEKICK_CONFIG): artifacts.sidekick_yaml}
    delivered = set(files)
    if plan:
        files["pki/plan.yaml"] = to_review_yaml(dataclasses.asdict(plan))
    if settings.target == "kubernetes":
        files |= _kubernetes(settings, wiring, artifacts, tls)
    else:
        files |= _docker(settings, wiring, artifacts, tls, delivered)
    return files


def _kubernetes(settings: Settings, wiring: w.Wiring, artifacts: Artifacts, tls: TlsMaterial | None) -> dict[str, str]:
    objects = m.stack_objects(settings, wiring, artifacts, tls, m.checksums(artifacts, tls, checksum))
    return {f"kubernetes/{i:02d}-{obj['kind'].lower()}-{obj['metadata']['name']}.yaml": to_review_yaml(obj)
            for i, obj in enumerate(objects, start=1)}


def _upload(file: ContainerFile, delivered: set[str]) -> dict[str, Any]:
    """A rendered file by reference (path and sha256); anything else, i.e. a placeholder, inline."""
    entry: dict[str, Any] = {"file": file.path, "permissions": f"{file.mode:04o}"}
    source = rendered_path(file.path)
    if source in delivered:
        entry |= {"source": source, "sha256": checksum(file.content)}
    else:
        entry["content"] = file.content
    return entry


def _docker(settings: Settings, wiring: w.Wiring, artifacts: Artifacts, tls: TlsMaterial | None,
            delivered: set[str]) -> dict[str, str]:
    spec = docker_spec(settings, wiring, artifacts, tls)
    resources: list[tuple[str, str, dict[str, Any]]] = [("network", "network", spec.network)]
    resources += [("image", name, args) for name, args in spec.images.items()]
    resources += [("volume", name, args) for name, args in spec.volumes.items()]
    for name, args in spec.containers.items():
        resources.append(("container", name, {
            **args, "image": spec.images[args["image"]]["name"],
            "uploads": [_upload(f, delivered) for f in args["uploads"]]}))
    return {f"docker/{i:02d}-{kind}-{name}.yaml": to_review_yaml(args) for i, (kind, name, args) in enumerate(resources, 1)}
