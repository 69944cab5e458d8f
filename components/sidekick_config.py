"""Falcosidekick's config.yaml for a stack: a pure function of the settings and the wiring.

With mTLS the main port serves TLS and demands client certificates signed by the stack's CA; a
plain-HTTP `notlsport` serves only health and metrics paths, so probes and scrapers keep working.
"""

from __future__ import annotations

from typing import Any

from components import wiring as w
from components.settings import PROJECT, Settings


def render_sidekick_config(settings: Settings, wiring: w.Wiring) -> dict[str, Any]:
    config: dict[str, Any] = {
        "listenaddress": "",
        "listenport": w.SIDEKICK_PORT,
        "debug": False,
        "customfields": {"sib_stack": f"{PROJECT}/{settings.stack}"},
    }
    if wiring.mtls:
        config["tlsserver"] = {
            "deploy": True,
            "certfile": w.SIDEKICK_TLS.cert,
            "keyfile": w.SIDEKICK_TLS.key,
            "mutualtls": True,
            "cacertfile": w.SIDEKICK_TLS.ca,
            "notlsport": w.SIDEKICK_HEALTH_PORT,
            "notlspaths": list(w.SIDEKICK_HEALTH_PATHS),
        }
    for output in settings.sidekick_outputs:
        fields = dict(output.fields)
        fields.setdefault("minimumpriority", settings.priority)
        config[output.name] = fields
    return config
