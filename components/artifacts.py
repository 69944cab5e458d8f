"""The files a stack deploys, rendered as text: falco.yaml, Sidekick's config and the custom rules.

Both targets (and the offline renderer) deploy exactly these strings, so what a review shows is what
runs. YAML is dumped in insertion order, which the renderers keep stable.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.falco_config import render_falco_config
from components.rules import checked_rule_files
from components.settings import Settings
from components.sidekick_config import render_sidekick_config
from components.wiring import Wiring
from components.yamlio import to_yaml


@dataclass(frozen=True)
class Artifacts:
    falco_yaml: str
    sidekick_yaml: str  # may carry output credentials: deploy it only as a secret
    rules: tuple[tuple[str, str], ...]  # (file name, content), sorted by name


def render_artifacts(settings: Settings, wiring: Wiring) -> Artifacts:
    return Artifacts(
        falco_yaml=to_yaml(render_falco_config(settings, wiring)),
        sidekick_yaml=to_yaml(render_sidekick_config(settings, wiring)),
        rules=tuple((path.name, path.read_text()) for path in checked_rule_files(settings)),
    )
