"""Settings: Pulumi.yaml and code agree; every bad value fails before any resource exists."""

import pytest
import yaml

from components import settings as s
from tests.harness import ROOT, STACKS, cli_form, run_program


def test_pulumi_yaml_declares_every_key_with_the_code_defaults():
    declared = s.project_file()["config"]
    assert list(declared) == [k.name for k in s.KEYS]
    for key in s.KEYS:
        spec = declared[key.name]
        assert spec["default"] == key.default, key.name
        assert spec["description"] == key.description, key.name
        assert spec.get("type", "object") == key.type, key.name
        if key.type == "array":
            assert spec["items"] == {"type": "string"}


def test_pulumi_yaml_types_are_ones_the_cli_accepts():
    for name, spec in s.project_file()["config"].items():
        assert spec.get("type") in (None, "string", "integer", "boolean", "array"), name


def test_project_metadata():
    project = s.project_file()
    assert project["name"] == "sib-detection"
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}
    assert project["stackConfigDir"] == "stacks"


def test_stacks_exist_with_their_targets():
    assert set(STACKS) >= {"dev", "staging", "prod"}
    assert s.from_stack_file("dev").target == "docker"
    assert s.from_stack_file("staging").target == "kubernetes"
    prod = s.from_stack_file("prod")
    assert prod.target == "kubernetes" and prod.mtls and prod.priority in ("warning", "notice")
    assert prod.buffer_preset > s.KEYS_BY_NAME["bufferPreset"].default


@pytest.mark.parametrize("stack", STACKS)
def test_cli_strings_and_typed_yaml_load_the_same(stack):
    typed, _ = s.stack_file_config(stack)
    as_cli = {k: cli_form(v) for k, v in typed.items()}
    assert s.load_settings(typed, stack) == s.load_settings(as_cli, stack) == s.from_stack_file(stack)


def test_defaults_alone_are_valid():
    settings = s.load_settings({}, "x")
    assert settings.mtls and not settings.buffered_outputs and settings.buffer_preset == 4
    assert settings.falco_image == "falcosecurity/falco:0.44.1"
    assert settings.sidekick_image == "falcosecurity/falcosidekick:2.34.1"


def test_info_is_accepted_as_informational():
    assert s.load_settings({"priority": "info"}, "x").priority == "informational"


BAD = [
    ({"priority": "warn"}, "sib-detection:priority: 'warn' is not valid; valid values: emergency, alert, critical, "
     "error, warning, notice, informational, debug (did you mean 'warning'?)"),
    ({"target": "kubernets"}, "sib-detection:target: 'kubernets' is not valid; valid values: docker, kubernetes "
     "(did you mean 'kubernetes'?)"),
    ({"bufferPreset": 11}, "sib-detection:bufferPreset: 11 is not valid; valid values: an integer from 1 to 10"),
    ({"bufferPreset": 0}, "sib-detection:bufferPreset: 0 is not valid; valid values: an integer from 1 to 10"),
    ({"bufferPreset": "big"}, "sib-detection:bufferPreset: 'big' is not valid; valid values: an integer"),
    ({"driver": "ebpf"}, "sib-detection:driver: 'ebpf' is not valid; valid values: modern_ebpf, kmod "
     "(did you mean 'modern_ebpf'?)"),
    ({"mtls": "yes"}, "sib-detection:mtls: 'yes' is not valid; valid values: a boolean (true or false)"),
    ({"prority": "notice"}, "sib-detection:prority: unknown key (did you mean 'priority'?); known keys: "
     + ", ".join(sorted(s.KEYS_BY_NAME))),
    ({"jsonOutput": False}, "sib-detection:jsonOutput: false is not valid while httpOutput is true; valid values: "
     "true (Falcosidekick only accepts JSON alerts), or set httpOutput to false"),
    ({"falcoImage": "falcosecurity/falco"}, "sib-detection:falcoImage: 'falcosecurity/falco' is not valid; valid "
     "values: an image reference with an explicit version tag (not latest), e.g. falcosecurity/falco:0.44.1"),
    ({"sidekickImage": "falcosecurity/falcosidekick:latest"}, "sib-detection:sidekickImage: "
     "'falcosecurity/falcosidekick:latest' is not valid; valid values: an image reference with an explicit version "
     "tag (not latest), e.g. falcosecurity/falcosidekick:2.34.1"),
    ({"sidekickOutputs": {"slak": {"webhookurl": "x"}}}, "sib-detection:sidekickOutputs: 'slak' is not a supported "
     "output; valid values: webhook, slack, loki, alertmanager, elasticsearch (did you mean 'slack'?)"),
    ({"sidekickOutputs": {"loki": {"hostport": "http://l", "minimumpriority": "warn"}}},
     "sib-detection:sidekickOutputs: loki.minimumpriority: 'warn' is not valid; valid values: emergency, alert, "
     "critical, error, warning, notice, informational, debug (did you mean 'warning'?)"),
    ({"sidekickOutputs": {"loki": {"hostprt": "http://l"}}}, "sib-detection:sidekickOutputs: loki.hostprt: unknown "
     "field; valid fields: hostport, user, apikey, tenant, format, endpoint, extralabels, customHeaders, checkcert, "
     "minimumpriority (did you mean 'hostport'?)"),
    ({"sidekickOutputs": {"webhook": {"method": "POST"}}},
     "sib-detection:sidekickOutputs: webhook.address: missing; the webhook output needs it"),
    ({"sidekickOutputs": {"slack": {"webhookurl": "https://hooks.slack.com/x"}}},
     "sib-detection:sidekickOutputs: slack.webhookurl is a credential in plaintext config; valid values: secret "
     "config, e.g. pulumi config set --secret --path 'sidekickOutputs.slack.webhookurl' <value>"),
    ({"mtlsExtraClients": ["Edge_1"]}, "sib-detection:mtlsExtraClients: item 0: 'Edge_1' is not valid; valid values: "
     "a lowercase DNS label such as edge-01"),
    ({"mtlsExtraClients": ["a", "a"]}, "sib-detection:mtlsExtraClients: [\"a\", \"a\"] is not valid; duplicate "
     "entries: a"),
    ({"leastPrivileged": True, "driver": "kmod"}, "sib-detection:leastPrivileged: true is not valid with driver "
     "'kmod'; valid values: false, or driver modern_ebpf (loading a kernel module needs a privileged container)"),
    ({"dockerBindAddress": "localhost"}, "sib-detection:dockerBindAddress: 'localhost' is not valid; valid values: "
     "one IPv4 address of the host such as 127.0.0.1 (0.0.0.0 would publish Falcosidekick on every address)"),
    ({"dockerBindAddress": "0.0.0.0"}, "sib-detection:dockerBindAddress: '0.0.0.0' is not valid; valid values: "
     "one IPv4 address of the host such as 127.0.0.1 (0.0.0.0 would publish Falcosidekick on every address)"),
    ({"falcoResources": {"limits": {"cpu": "lots"}}}, "sib-detection:falcoResources: limits.cpu: 'lots' is not "
     "valid; valid values: a Kubernetes quantity such as 100m or 512Mi"),
    ({"pkiAlgorithm": "rsa-2048"}, "sib-detection:pkiAlgorithm: 'rsa-2048' is not valid; valid values: ecdsa-p256, "
     "rsa-4096 (did you mean 'rsa-4096'?)"),
]


@pytest.mark.parametrize("config,message", BAD, ids=[next(iter(c)) for c, _ in BAD])
def test_bad_value_names_key_value_and_valid_values(config, message):
    with pytest.raises(s.ConfigError) as err:
        s.load_settings(config, "x")
    assert err.value.problems == [message]


@pytest.mark.parametrize("config,message", BAD[:4], ids=[next(iter(c)) for c, _ in BAD[:4]])
def test_program_fails_before_registering_anything(config, message):
    from tests.mocks import ProviderMocks

    mocks = ProviderMocks()
    with pytest.raises(s.ConfigError) as err:
        run_program("dev", overrides=config, mocks=mocks)
    assert message in str(err.value)
    assert mocks.resources == []


def test_every_problem_is_reported_at_once():
    with pytest.raises(s.ConfigError) as err:
        s.load_settings({"priority": "loud", "bufferPreset": 99, "colour": "red"}, "x")
    assert len(err.value.problems) == 3


def test_provider_keys_are_left_to_providers():
    assert s.load_settings({"docker:host": "ssh://me@box", "kubernetes:context": "kind"}, "x").target == "docker"


def test_secret_credentials_are_accepted_and_remembered():
    settings = s.load_settings({"sidekickOutputs": {"slack": {"webhookurl": "https://hooks.slack.com/x"}}}, "x",
                               frozenset({"sib-detection:sidekickOutputs"}))
    assert settings.sidekick_outputs[0].credentials == ("webhookurl",)


def test_stack_file_secure_values_load_as_secret_placeholders(tmp_path, monkeypatch):
    stacks = tmp_path / "stacks"
    stacks.mkdir()
    (stacks / "Pulumi.t.yaml").write_text(yaml.safe_dump({"config": {
        "sib-detection:sidekickOutputs": {"slack": {"webhookurl": {"secure": "v1:abc"}}}}}))
    (tmp_path / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    monkeypatch.setattr(s, "ROOT", tmp_path)
    settings = s.from_stack_file("t")
    placeholder = dict(settings.sidekick_outputs[0].fields)["webhookurl"]
    assert placeholder.startswith(s.SECRET_MARK) and "v1:abc" not in placeholder
    assert "sib-detection:sidekickOutputs" in s.stack_file_config("t")[1]
    (stacks / "Pulumi.t.yaml").write_text(yaml.safe_dump({"config": {
        "sib-detection:sidekickOutputs": {"slack": {"webhookurl": {"secure": "v1:abd"}}}}}))
    assert dict(s.from_stack_file("t").sidekick_outputs[0].fields)["webhookurl"] != placeholder


@pytest.mark.parametrize("stack", STACKS)
def test_the_program_and_the_offline_tools_load_equal_settings(stack, monkeypatch):
    """One code path: pulumi.Config in the program and the stack file in render/diff give the same Settings."""
    import components.stack

    seen = []
    build = components.stack.build
    monkeypatch.setattr(components.stack, "build", lambda settings: seen.append(settings) or build(settings))
    run_program(stack)
    assert seen == [s.from_stack_file(stack)]
