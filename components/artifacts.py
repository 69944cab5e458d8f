"""The files a stack deploys, rendered as text: falco.yaml, Sidekick's config and the custom rules.

Both targets (and the offline renderer) deploy exactly these strings, so what a review shows is what
runs. YAML is dumped in insertion order, which the renderers keep stable.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from components.falco_config import render_falco_config
from components.settings import ROOT, Settings
from components.sidekick_config import render_sidekick_config
from components.wiring import Wiring
from components.yamlio import to_yaml

RULES_DIR = ROOT / "rules"


@dataclass(frozen=True)
class Artifacts:
    falco_yaml: str
    sidekick_yaml: str  # may carry output credentials: deploy it only as a secret
    rules: tuple[tuple[str, str], ...]  # (file name, content), sorted by name


def selected_rule_files(settings: Settings, rules_dir: Path = RULES_DIR) -> tuple[Path, ...]:
    """The rules files this stack deploys, in load order (Falco reads a directory alphabetically)."""
    available = {path.name: path for path in sorted(rules_dir.glob("*.y*ml"))}
    if "*" in settings.rule_files:
        return tuple(available.values())
    missing = [name for name in settings.rule_files if name not in available]
    if missing:
        from components.settings import ConfigError, PROJECT

        raise ConfigError([f"{PROJECT}:ruleFiles: {name!r} is not a file in rules/; valid values: "
                           f"{', '.join(sorted(available))} or *" for name in missing])
    return tuple(available[name] for name in sorted(settings.rule_files))


def render_artifacts(settings: Settings, wiring: Wiring) -> Artifacts:
    return Artifacts(
        falco_yaml=to_yaml(render_falco_config(settings, wiring)),
        sidekick_yaml=to_yaml(render_sidekick_config(settings, wiring)),
        rules=tuple((path.name, path.read_text()) for path in selected_rule_files(settings)),
    )
