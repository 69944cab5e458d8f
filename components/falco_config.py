"""Falco's falco.yaml for a stack: a pure function of the settings and the wiring.

Valid for Falco 0.44: the buffer preset lives under `engine.<kind>`, the image's default rules and
its `config.d` (container plugin) stay in place, and dropped events surface through `metrics` and
`syscall_event_drops` (what `--stats-interval` used to do).
"""

from __future__ import annotations

from typing import Any

from components import wiring as w
from components.settings import Settings


def rules_section(settings: Settings) -> list[dict[str, Any]]:
    """falco.yaml `rules:` entries that switch off what this stack disables."""
    return ([{"disable": {"rule": name}} for name in settings.disabled_rules]
            + [{"disable": {"tag": tag}} for tag in settings.disabled_tags])


def http_output(settings: Settings, wiring: w.Wiring) -> dict[str, Any]:
    if not settings.http_output:
        return {"enabled": False}
    section: dict[str, Any] = {
        "enabled": True,
        "url": wiring.sidekick_url,
        "user_agent": "falcosecurity/falco",
        "insecure": False,
        "keep_alive": True,
        "mtls": wiring.mtls,
    }
    if wiring.mtls:
        section |= {"ca_cert": w.FALCO_TLS.ca, "client_cert": w.FALCO_TLS.cert, "client_key": w.FALCO_TLS.key}
    return section


def render_falco_config(settings: Settings, wiring: w.Wiring) -> dict[str, Any]:
    kind = settings.driver
    engine_options: dict[str, Any] = {"buf_size_preset": settings.buffer_preset, "drop_failed_exit": False}
    if kind == "modern_ebpf":
        engine_options["cpus_for_each_buffer"] = 2
    config: dict[str, Any] = {
        "config_files": [w.FALCO_CONFIG_D],
        "watch_config_files": True,
        "rules_files": [w.FALCO_DEFAULT_RULES, w.FALCO_RULES_DIR],
        "engine": {"kind": kind, kind: engine_options},
        "priority": settings.priority,
        "json_output": settings.json_output,
        "json_include_output_property": True,
        "json_include_output_fields_property": True,
        "json_include_tags_property": True,
        "buffered_outputs": settings.buffered_outputs,
        "stdout_output": {"enabled": True},
        "syslog_output": {"enabled": False},
        "http_output": http_output(settings, wiring),
        "webserver": {
            "enabled": True,
            "listen_port": w.FALCO_WEBSERVER_PORT,
            "listen_address": "0.0.0.0",
            "k8s_healthz_endpoint": w.FALCO_HEALTH_PATH,
            "prometheus_metrics_enabled": True,
            "ssl_enabled": False,
        },
        "metrics": {
            "enabled": True,
            "interval": "15m",
            "output_rule": True,
            "resource_utilization_enabled": True,
            "state_counters_enabled": True,
            "kernel_event_counters_enabled": True,
            "rules_counters_enabled": True,
            "convert_memory_to_mb": True,
        },
        "syscall_event_drops": {"threshold": 0.1, "actions": ["log", "alert"], "rate": 0.03333, "max_burst": 1},
        "log_stderr": True,
        "log_syslog": False,
        "log_level": "info",
    }
    rules = rules_section(settings)
    if rules:
        config["rules"] = rules
    return config
