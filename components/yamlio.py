"""YAML in and out, through libyaml when PyYAML has it (several times faster than pure Python)."""

from __future__ import annotations

from typing import Any

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _ReviewDumper(_Dumper):  # type: ignore[misc, valid-type]
    """Multi-line strings (a file inside a ConfigMap or Secret) as literal blocks, line by line."""


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_ReviewDumper.add_representer(str, _string)


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)  # noqa: S506 (a safe loader)


def to_yaml(data: Any) -> str:
    """Block-style YAML in the dict's own order: the renderers keep that order stable."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=120)


def to_review_yaml(data: Any) -> str:
    """As to_yaml, with embedded files as literal blocks so a diff shows the lines that changed."""
    return yaml.dump(data, Dumper=_ReviewDumper, sort_keys=False, default_flow_style=False, width=120)
