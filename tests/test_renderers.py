"""falco.yaml and the Falcosidekick config, checked against upstream facts and against each other."""

import json
import re
from urllib.parse import urlparse

import jsonschema
import pytest

from components import wiring as w
from components.artifacts import render_artifacts
from components.falco_config import render_falco_config
from components.settings import from_stack_file, load_settings
from components.sidekick_config import render_sidekick_config
from tests.harness import STACKS


def rendered(stack="dev", **overrides):
    settings = from_stack_file(stack, overrides)
    wiring = w.wiring_for(settings)
    return settings, wiring, render_falco_config(settings, wiring), render_sidekick_config(settings, wiring)


@pytest.mark.parametrize("stack", STACKS)
def test_falco_yaml_validates_against_falco_schema(stack, reference):
    schema = json.loads((reference / "falco-0.44" / "config.schema.json").read_text())
    _, _, falco, _ = rendered(stack)
    jsonschema.validate(falco, schema)


@pytest.mark.parametrize("variation", [{"mtls": False}, {"driver": "kmod"}, {"httpOutput": False, "jsonOutput": False},
                                       {"disabledRules": ["Terminal shell in container"], "disabledTags": ["T1059"]}])
def test_variations_validate_against_falco_schema(variation, reference):
    schema = json.loads((reference / "falco-0.44" / "config.schema.json").read_text())
    jsonschema.validate(render_falco_config(*_sw(variation)), schema)


def _sw(overrides):
    settings = load_settings(overrides, "t")
    return settings, w.wiring_for(settings)


def test_buffer_preset_lives_under_the_engine_kind():
    for driver in ("modern_ebpf", "kmod"):
        falco = render_falco_config(*_sw({"driver": driver, "bufferPreset": 7}))
        assert falco["engine"]["kind"] == driver
        assert falco["engine"][driver]["buf_size_preset"] == 7
        assert "syscall_buf_size_preset" not in falco


def test_settings_reach_falco_yaml():
    falco = render_falco_config(*_sw({"priority": "warning", "bufferedOutputs": True}))
    assert falco["priority"] == "warning" and falco["buffered_outputs"] is True and falco["json_output"] is True
    assert falco["json_include_output_property"] and falco["json_include_tags_property"]


def test_default_rules_and_config_d_are_kept():
    falco = render_falco_config(*_sw({}))
    assert falco["rules_files"] == [w.FALCO_DEFAULT_RULES, w.FALCO_RULES_DIR]
    assert falco["config_files"] == [w.FALCO_CONFIG_D]
    assert "load_plugins" not in falco and "plugins" not in falco  # the image's config.d loads the container plugin


def test_alerts_still_reach_logs_and_drops_are_visible():
    falco = render_falco_config(*_sw({}))
    assert falco["stdout_output"] == {"enabled": True}
    assert falco["webserver"]["enabled"] and falco["webserver"]["k8s_healthz_endpoint"] == "/healthz"
    assert falco["webserver"]["prometheus_metrics_enabled"] is True
    assert falco["metrics"]["enabled"] and falco["metrics"]["output_rule"]
    assert set(falco["syscall_event_drops"]["actions"]) == {"log", "alert"}


@pytest.mark.parametrize("stack", STACKS)
def test_falco_and_sidekick_agree_on_tls_port_and_host(stack):
    settings, wiring, falco, sidekick = rendered(stack)
    url = urlparse(falco["http_output"]["url"])
    assert url.port == sidekick["listenport"] == w.SIDEKICK_PORT
    assert url.hostname == wiring.sidekick_host and url.hostname in wiring.dns_names
    assert (url.scheme == "https") == falco["http_output"]["mtls"] == sidekick["tlsserver"]["mutualtls"] == settings.mtls
    assert falco["http_output"]["insecure"] is False
    assert sidekick["tlsserver"]["deploy"] is True
    assert sidekick["tlsserver"]["notlsport"] == w.SIDEKICK_HEALTH_PORT
    assert "/healthz" in sidekick["tlsserver"]["notlspaths"] and "/metrics" in sidekick["tlsserver"]["notlspaths"]


def test_mtls_off_turns_both_sides_off():
    settings, wiring = _sw({"mtls": False})
    falco, sidekick = render_falco_config(settings, wiring), render_sidekick_config(settings, wiring)
    assert falco["http_output"]["url"].startswith("http://") and falco["http_output"]["mtls"] is False
    assert "client_key" not in falco["http_output"] and "tlsserver" not in sidekick


def test_sidekick_outputs_and_customfields():
    settings, wiring = _sw({"priority": "notice", "sidekickOutputs": {
        "loki": {"hostport": "http://loki:3100"}, "webhook": {"address": "http://hook", "minimumpriority": "info"}}})
    sidekick = render_sidekick_config(settings, wiring)
    assert sidekick["loki"] == {"hostport": "http://loki:3100", "minimumpriority": "notice"}
    assert sidekick["webhook"]["minimumpriority"] == "informational"
    assert sidekick["customfields"] == {"sib_stack": "sib-detection/t"}


def _rendered_keys(node, prefix=""):
    keys = set()
    if isinstance(node, dict):
        for k, v in node.items():
            keys.add(prefix + k.lower())
            keys |= _rendered_keys(v, prefix + k.lower() + ".")
    return keys


KEY_LINE = re.compile(r"^( *)(#( *))?([A-Za-z][A-Za-z0-9_]*):")


def _example_keys(text):
    """Key paths of the example config, commented (optional) keys included, by indentation."""
    keys, stack = set(), []
    for line in text.splitlines():
        match = KEY_LINE.match(line)
        if not match:
            continue
        indent = len(match[1]) + (max(len(match[3]) - 1, 0) if match[2] else 0)
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = ".".join([name for _, name in stack] + [match[4].lower()])
        keys.add(path)
        stack.append((indent, match[4].lower()))
    return keys


@pytest.mark.parametrize("stack", STACKS)
def test_every_sidekick_key_is_one_sidekick_knows(stack, reference):
    known = _example_keys((reference / "falcosidekick-2.34" / "config_example.yaml").read_text())
    _, _, _, sidekick = rendered(stack, sidekickOutputs={
        "webhook": {"address": "http://h", "checkcert": True, "method": "POST"},
        "loki": {"hostport": "http://l", "tenant": "t", "format": "json"},
        "alertmanager": {"hostport": "http://a", "endpoint": "/api/v2/alerts"},
        "elasticsearch": {"hostport": "http://e", "index": "falco", "suffix": "daily"}})
    rendered_keys = _rendered_keys({k: v for k, v in sidekick.items() if k != "customfields"})
    assert rendered_keys - known == set()


def test_every_sidekick_output_field_we_accept_is_one_sidekick_knows(reference):
    from components.settings import SIDEKICK_OUTPUT_FIELDS

    known = _example_keys((reference / "falcosidekick-2.34" / "config_example.yaml").read_text())
    accepted = {f"{output}.{name.lower()}" for output, fields in SIDEKICK_OUTPUT_FIELDS.items() for name in fields}
    assert accepted - known == set()


def test_rendering_is_deterministic():
    settings = from_stack_file("prod")
    wiring = w.wiring_for(settings)
    assert render_artifacts(settings, wiring) == render_artifacts(from_stack_file("prod"), wiring)
