"""The custom rules a stack deploys: chosen by `ruleFiles`, linted, and the tuning keys checked.

Runs before any resource is registered (through `render_artifacts`): a rules file Falco would
reject, or a disabled rule or tag that does not exist, stops the program with every problem listed.
"""

from __future__ import annotations

import json
from pathlib import Path

from components.rules_lint import lint_files, rule_index
from components.settings import PROJECT, ROOT, ConfigError, Settings, did_you_mean

RULES_DIR = ROOT / "rules"
DEFAULT_RULES_INDEX = Path(__file__).with_name("falco_default_rules.json")


class RulesError(ConfigError):
    """The rules files have errors Falco would reject."""

    heading = "error(s) in the rules files"


def selected_rule_files(settings: Settings) -> tuple[Path, ...]:
    """The rules files this stack deploys, in load order (Falco reads a directory alphabetically)."""
    available = {path.name: path for path in sorted(RULES_DIR.glob("*.y*ml"))}
    if "*" in settings.rule_files:
        return tuple(available.values())
    missing = [name for name in settings.rule_files if name not in available]
    if missing:
        raise ConfigError([f"{PROJECT}:ruleFiles: {name!r} is not a file in rules/; valid values: "
                           f"{', '.join(sorted(available))} or *{did_you_mean(name, tuple(available))}"
                           for name in missing])
    return tuple(available[name] for name in sorted(settings.rule_files))


def default_rules() -> tuple[set[str], set[str]]:
    index = json.loads(DEFAULT_RULES_INDEX.read_text())
    return set(index["rules"]), set(index["tags"])


def checked_rule_files(settings: Settings) -> tuple[Path, ...]:
    """Selected files, after the linter and the disabledRules/disabledTags check pass."""
    files = selected_rule_files(settings)
    errors = [str(f) for f in lint_files(list(files)) if not f.warning]
    if errors:
        raise RulesError(errors)
    names, tags = rule_index(list(files))
    default_names, default_tags = default_rules()
    names, tags = names | default_names, tags | default_tags
    problems = [f"{PROJECT}:disabledRules: {name!r} is not a rule in the deployed rules files or Falco's default "
                f"ruleset{did_you_mean(name, tuple(sorted(names)))}" for name in settings.disabled_rules
                if name not in names]
    problems += [f"{PROJECT}:disabledTags: {tag!r} is not a tag of any deployed rule"
                 f"{did_you_mean(tag, tuple(sorted(tags)))}" for tag in settings.disabled_tags if tag not in tags]
    if problems:
        raise ConfigError(problems)
    return files
