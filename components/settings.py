"""Stack settings: every config key of the project, its validation, and one frozen object.

The same `load_settings` reads a mapping of config keys wherever it comes from: the Pulumi
CLI's config inside the program (`from_pulumi_config`), or a stack file plus the Pulumi.yaml
defaults in tools and tests (`from_stack_file`). Values may arrive typed (YAML) or as the
strings the CLI passes to the program; both parse the same way. Every error is collected and
reported at once, before any resource exists.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

PROJECT = "sib-detection"
ROOT = Path(__file__).resolve().parent.parent

# Falco's priorities, most severe first; Sidekick's `minimumpriority` uses the same words.
PRIORITIES = ("emergency", "alert", "critical", "error", "warning", "notice", "informational", "debug")
PRIORITY_ALIASES = {"info": "informational"}
TARGETS = ("docker", "kubernetes")
DRIVERS = ("modern_ebpf", "kmod")
PKI_ALGORITHMS = ("ecdsa-p256", "rsa-4096")

# Sidekick outputs this stack configures: field -> is it a credential (must be secret config).
SIDEKICK_OUTPUT_FIELDS: dict[str, dict[str, bool]] = {
    "webhook": {"address": False, "method": False, "customHeaders": True, "checkcert": False,
                "minimumpriority": False},
    "slack": {"webhookurl": True, "channel": False, "username": False, "icon": False,
              "outputformat": False, "messageformat": False, "minimumpriority": False},
    "loki": {"hostport": False, "user": False, "apikey": True, "tenant": False, "format": False,
             "endpoint": False, "extralabels": False, "customHeaders": True, "checkcert": False,
             "minimumpriority": False},
    "alertmanager": {"hostport": False, "endpoint": False, "expiresafter": False,
                     "extralabels": False, "extraannotations": False, "customHeaders": True,
                     "checkcert": False, "minimumpriority": False},
    "elasticsearch": {"hostport": False, "index": False, "suffix": False, "username": False,
                      "password": True, "apikey": True, "customHeaders": True,
                      "checkcert": False, "minimumpriority": False},
}
# The field that switches each output on (Sidekick enables an output when it is non-empty).
SIDEKICK_OUTPUT_REQUIRED = {"webhook": "address", "slack": "webhookurl", "loki": "hostport",
                            "alertmanager": "hostport", "elasticsearch": "hostport"}

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_DNS_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$")
_IMAGE = re.compile(r"^[a-z0-9][a-z0-9._/:-]*[a-z0-9]:(?!latest$)[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_DOCKER_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$")
_IPV4 = re.compile(r"^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$")


class ConfigError(ValueError):
    """Every problem found in a stack's config, one line each."""

    heading = "invalid config value(s)"

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(f"{len(problems)} {self.heading}; nothing was deployed:\n"
                         + "\n".join(f"  - {p}" for p in problems))


class Invalid(ValueError):
    """One key's value is wrong; the message completes 'sib-detection:<key>: '."""


def _quote(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, str) else repr(value)


def did_you_mean(value: str, options: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(value, list(options), n=1, cutoff=0.6)
    close = close or [o for o in options if value and value.lower() in o.lower()][:1]
    return f" (did you mean {close[0]!r}?)" if close else ""


def _one_of(options: tuple[str, ...], aliases: Mapping[str, str] | None = None) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str) or (value not in options and value not in (aliases or {})):
            hint = did_you_mean(value, options) if isinstance(value, str) else ""
            raise Invalid(f"{_quote(value)} is not valid; valid values: {', '.join(options)}{hint}")
        return (aliases or {}).get(value, value)
    return check


def _int_range(low: int, high: int) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise Invalid(f"{_quote(value)} is not valid; valid values: an integer from {low} to {high}")
        return value
    return check


def _pattern(regex: re.Pattern[str], what: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str) or not regex.match(value):
            raise Invalid(f"{_quote(value)} is not valid; valid values: {what}")
        return value
    return check


def _any_string(value: Any) -> str:
    if not isinstance(value, str):
        raise Invalid(f"{_quote(value)} is not valid; valid values: any string")
    return value


def _optional_path(value: Any) -> str:
    if not isinstance(value, str):
        raise Invalid(f"{_quote(value)} is not valid; valid values: a directory path, or \"\" for none")
    return value


def _bind_address(value: Any) -> str:
    if not isinstance(value, str) or not _IPV4.match(value) or value == "0.0.0.0":
        raise Invalid(f"{_quote(value)} is not valid; valid values: one IPv4 address of the host such as 127.0.0.1 "
                      "(0.0.0.0 would publish Falcosidekick on every address)")
    return value


def _names(item: Callable[[Any], str], what: str) -> Callable[[Any], tuple[str, ...]]:
    def check(value: Any) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise Invalid(f"{_quote(value)} is not valid; valid values: a list of {what}")
        out = []
        for index, entry in enumerate(value):
            try:
                out.append(item(entry))
            except Invalid as err:
                raise Invalid(f"item {index}: {err}") from None
        if len(set(out)) != len(out):
            dupes = sorted({x for x in out if out.count(x) > 1})
            raise Invalid(f"{_quote(value)} is not valid; duplicate entries: {', '.join(dupes)}")
        return tuple(out)
    return check


def _resources(value: Any) -> "Resources":
    shape = "an object {requests: {cpu, memory}, limits: {cpu, memory}} of Kubernetes quantities"
    if not isinstance(value, dict) or set(value) - {"requests", "limits"}:
        raise Invalid(f"{_quote(value)} is not valid; valid values: {shape}")
    parts = {}
    for part in ("requests", "limits"):
        entry = value.get(part, {})
        if not isinstance(entry, dict) or set(entry) - {"cpu", "memory"}:
            raise Invalid(f"{part}: {_quote(entry)} is not valid; valid values: {shape}")
        for name, quantity in entry.items():
            if not isinstance(quantity, str) or not _QUANTITY.match(quantity):
                raise Invalid(f"{part}.{name}: {_quote(quantity)} is not valid; "
                              "valid values: a Kubernetes quantity such as 100m or 512Mi")
        parts[part] = tuple(sorted(entry.items()))
    return Resources(requests=parts["requests"], limits=parts["limits"])


def _sidekick_outputs(value: Any) -> tuple["SidekickOutput", ...]:
    if not isinstance(value, dict):
        raise Invalid(f"{_quote(value)} is not valid; valid values: an object keyed by output "
                      f"({', '.join(SIDEKICK_OUTPUT_FIELDS)})")
    outputs = []
    for name in sorted(value):
        if name not in SIDEKICK_OUTPUT_FIELDS:
            raise Invalid(f"{name!r} is not a supported output; valid values: "
                          f"{', '.join(SIDEKICK_OUTPUT_FIELDS)}{did_you_mean(name, tuple(SIDEKICK_OUTPUT_FIELDS))}")
        fields = value[name]
        known = SIDEKICK_OUTPUT_FIELDS[name]
        if not isinstance(fields, dict):
            raise Invalid(f"{name}: {_quote(fields)} is not valid; valid values: an object with "
                          f"{', '.join(known)}")
        for key in sorted(fields):
            if key not in known:
                raise Invalid(f"{name}.{key}: unknown field; valid fields: {', '.join(known)}"
                              f"{did_you_mean(key, tuple(known))}")
        required = SIDEKICK_OUTPUT_REQUIRED[name]
        if not fields.get(required):
            raise Invalid(f"{name}.{required}: missing; the {name} output needs it")
        if "minimumpriority" in fields:
            try:
                fields = {**fields, "minimumpriority": _one_of(PRIORITIES, PRIORITY_ALIASES)(fields["minimumpriority"])}
            except Invalid as err:
                raise Invalid(f"{name}.minimumpriority: {err}") from None
        credentials = tuple(sorted(k for k in fields if known[k]))
        outputs.append(SidekickOutput(name=name, fields=tuple(sorted(fields.items())), credentials=credentials))
    return tuple(outputs)


@dataclass(frozen=True)
class Key:
    """One config key: how Pulumi.yaml declares it and how the program checks it."""

    name: str
    type: str  # Pulumi.yaml type: string | integer | boolean | array; "object" is declared untyped
    default: Any
    description: str
    check: Callable[[Any], Any] | None = None

    @property
    def field(self) -> str:
        return re.sub(r"(?<!^)(?=[A-Z])", "_", self.name).lower()


KEYS: tuple[Key, ...] = (
    Key("target", "string", "docker", "Where the stack runs: docker (one host) or kubernetes (a cluster).",
        _one_of(TARGETS)),
    Key("priority", "string", "notice",
        "Minimum Falco rule priority to alert on: emergency, alert, critical, error, warning, notice, "
        "informational (or info), debug.", _one_of(PRIORITIES, PRIORITY_ALIASES)),
    Key("bufferPreset", "integer", 4,
        "Falco syscall ring-buffer size per CPU, as Falco's preset index 1..10 (1 MB..512 MB; 4 = 8 MB). "
        "Raise it when Falco reports dropped events.", _int_range(1, 10)),
    Key("driver", "string", "modern_ebpf", "Falco driver: modern_ebpf (CO-RE eBPF, no kernel headers) or kmod.",
        _one_of(DRIVERS)),
    Key("jsonOutput", "boolean", True,
        "Falco writes alerts as JSON. Must stay true while Falco posts to Falcosidekick (httpOutput)."),
    Key("bufferedOutputs", "boolean", False,
        "Falco buffers outputs; off so that sparse alerts are delivered at once."),
    Key("httpOutput", "boolean", True, "Falco posts its alerts to Falcosidekick."),
    Key("mtls", "boolean", True,
        "Mutual TLS between Falco and Falcosidekick, with a PKI generated by the stack. "
        "Turns both sides on or off together."),
    Key("falcoImage", "string", "falcosecurity/falco:0.44.1", "Falco container image, pinned by tag.",
        _pattern(_IMAGE, "an image reference with an explicit version tag (not latest), e.g. falcosecurity/falco:0.44.1")),
    Key("sidekickImage", "string", "falcosecurity/falcosidekick:2.34.1",
        "Falcosidekick container image, pinned by tag.",
        _pattern(_IMAGE, "an image reference with an explicit version tag (not latest), e.g. "
                 "falcosecurity/falcosidekick:2.34.1")),
    Key("sidekickOutputs", "object", {},
        "Falcosidekick outputs by name (webhook, slack, loki, alertmanager, elasticsearch), each an object "
        "of Falcosidekick fields with an optional minimumpriority. Credentials must be set as secrets: "
        "pulumi config set --secret --path 'sidekickOutputs.slack.webhookurl' ...", _sidekick_outputs),
    Key("pkiAlgorithm", "string", "ecdsa-p256", "Key algorithm of every certificate: ecdsa-p256 or rsa-4096.",
        _one_of(PKI_ALGORITHMS)),
    Key("caValidityDays", "integer", 1826, "Validity of the CA certificate, in days.", _int_range(30, 7300)),
    Key("certValidityDays", "integer", 365, "Validity of the Sidekick server and Falco client certificates, in days.",
        _int_range(2, 825)),
    Key("certRenewalDays", "integer", 30,
        "Leaf certificates are re-issued by `pulumi up` once they are this many days from expiry.",
        _int_range(1, 365)),
    Key("pkiRotation", "string", "",
        "Change to any new value to re-issue every key and certificate, CA included.", _any_string),
    Key("mtlsExtraClients", "array", [],
        "Extra client certificates for Falco sensors outside the stack, by name; their keys are secret outputs.",
        _names(_pattern(_DNS_LABEL, "a lowercase DNS label such as edge-01"), "lowercase DNS labels")),
    Key("clusterDomain", "string", "cluster.local", "Kubernetes cluster DNS domain, used in the Sidekick certificate.",
        _pattern(_DNS_NAME, "a DNS domain such as cluster.local")),
    Key("containerPrefix", "string", "sib", "Docker: containers are named <prefix>-falco and <prefix>-sidekick.",
        _pattern(_DOCKER_NAME, "letters, digits, '_', '.', '-'")),
    Key("dockerNetwork", "string", "sib-network", "Docker: name of the bridge network both containers join.",
        _pattern(_DOCKER_NAME, "letters, digits, '_', '.', '-'")),
    Key("dockerBindAddress", "string", "127.0.0.1",
        "Docker: the one host address the Sidekick and Falco health ports are published on (loopback by default; never 0.0.0.0).",
        _bind_address),
    Key("leastPrivileged", "boolean", False,
        "Run Falco with only the capabilities modern_ebpf needs instead of privileged (modern_ebpf only)."),
    Key("falcoHostname", "string", "",
        "Hostname Falco reports in alerts (FALCO_HOSTNAME); empty: the Docker host's or Kubernetes node's name.",
        _any_string),
    Key("namespace", "string", "falco", "Kubernetes: namespace of the whole stack.",
        _pattern(_DNS_LABEL, "a lowercase DNS label")),
    Key("tolerateAllTaints", "boolean", True, "Kubernetes: Falco runs on every node, tainted ones included."),
    Key("priorityClassName", "string", "system-node-critical",
        "Kubernetes: priority class of the Falco pods; empty for none.", _any_string),
    Key("falcoMaxUnavailable", "string", "1",
        "Kubernetes: how many Falco pods a rolling update may take down at once (number or percentage).",
        _pattern(re.compile(r"^([1-9][0-9]*|([1-9][0-9]?|100)%)$"), "a positive number or a percentage like 10%")),
    Key("falcoResources", "object", {"requests": {"cpu": "100m", "memory": "512Mi"},
                                     "limits": {"cpu": "1000m", "memory": "1024Mi"}},
        "Kubernetes: Falco container resources {requests: {cpu, memory}, limits: {cpu, memory}}.", _resources),
    Key("sidekickReplicas", "integer", 2, "Kubernetes: Falcosidekick replicas.", _int_range(1, 10)),
    Key("sidekickResources", "object", {"requests": {"cpu": "50m", "memory": "64Mi"},
                                        "limits": {"cpu": "500m", "memory": "256Mi"}},
        "Kubernetes: Falcosidekick container resources {requests: {cpu, memory}, limits: {cpu, memory}}.",
        _resources),
    Key("metricsNamespaces", "array", [],
        "Kubernetes: namespaces whose pods may scrape the Sidekick health/metrics port (kubelet probes always can).",
        _names(_pattern(_DNS_LABEL, "a lowercase DNS label"), "namespace names")),
    Key("renderYamlTo", "string", "",
        "Kubernetes: write manifests to this directory instead of applying them (GitOps hand-off).", _optional_path),
    Key("ruleFiles", "array", ["*"],
        "Custom rules files from rules/ this stack deploys, by file name; [\"*\"] for all.",
        _names(_pattern(re.compile(r"^(\*|[A-Za-z0-9_.-]+\.ya?ml)$"), "a file name in rules/ or *"), "file names")),
    Key("disabledRules", "array", [], "Falco rules (custom or default) this stack disables, by exact name.",
        _names(_any_string, "rule names")),
    Key("disabledTags", "array", [], "Falco rule tags this stack disables (every rule with the tag).",
        _names(_any_string, "tags")),
    Key("deployFromCi", "boolean", False,
        "CI previews this stack on pull requests and deploys it on pushes to main; its state must be in the CI "
        "backend (README: CI set-up)."),
)
KEYS_BY_NAME = {key.name: key for key in KEYS}


@dataclass(frozen=True)
class Resources:
    """Kubernetes resource requests and limits, as sorted (name, quantity) pairs."""

    requests: tuple[tuple[str, str], ...]
    limits: tuple[tuple[str, str], ...]

    def as_dict(self) -> dict[str, dict[str, str]]:
        return {"requests": dict(self.requests), "limits": dict(self.limits)}


@dataclass(frozen=True)
class SidekickOutput:
    """One Falcosidekick output; `credentials` names the fields that must stay secret."""

    name: str
    fields: tuple[tuple[str, Any], ...]
    credentials: tuple[str, ...]


@dataclass(frozen=True)
class Settings:
    """Everything a stack is built from, validated; one field per config key."""

    stack: str
    target: str
    priority: str
    buffer_preset: int
    driver: str
    json_output: bool
    buffered_outputs: bool
    http_output: bool
    mtls: bool
    falco_image: str
    sidekick_image: str
    sidekick_outputs: tuple[SidekickOutput, ...]
    pki_algorithm: str
    ca_validity_days: int
    cert_validity_days: int
    cert_renewal_days: int
    pki_rotation: str
    mtls_extra_clients: tuple[str, ...]
    cluster_domain: str
    container_prefix: str
    docker_network: str
    docker_bind_address: str
    least_privileged: bool
    falco_hostname: str
    namespace: str
    tolerate_all_taints: bool
    priority_class_name: str
    falco_max_unavailable: str
    falco_resources: Resources
    sidekick_replicas: int
    sidekick_resources: Resources
    metrics_namespaces: tuple[str, ...]
    render_yaml_to: str
    rule_files: tuple[str, ...]
    disabled_rules: tuple[str, ...]
    disabled_tags: tuple[str, ...]
    deploy_from_ci: bool


def _parse(key: Key, value: Any) -> Any:
    """Turn the CLI's string form of a typed value into that value; typed values pass through."""
    if not isinstance(value, str) or key.type == "string":
        return value
    if key.type == "boolean" and value in ("true", "false"):
        return value == "true"
    if key.type in ("integer", "array", "object"):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _check_type(key: Key, value: Any) -> None:
    expected = {"string": str, "integer": int, "boolean": bool, "array": list, "object": dict}[key.type]
    if not isinstance(value, expected) or (key.type == "integer" and isinstance(value, bool)):
        article = "an" if key.type[0] in "aeiou" else "a"
        raise Invalid(f"{_quote(value)} is not valid; valid values: {article} {key.type}"
                      + (" (true or false)" if key.type == "boolean" else ""))


def _cross_checks(values: dict[str, Any]) -> list[str]:
    """Rules that involve more than one key."""
    problems = []
    if values.get("httpOutput") and values.get("jsonOutput") is False:
        problems.append(f"{PROJECT}:jsonOutput: false is not valid while httpOutput is true; valid values: true "
                        "(Falcosidekick only accepts JSON alerts), or set httpOutput to false")
    if values.get("leastPrivileged") and values.get("driver") == "kmod":
        problems.append(f"{PROJECT}:leastPrivileged: true is not valid with driver 'kmod'; valid values: false, "
                        "or driver modern_ebpf (loading a kernel module needs a privileged container)")
    return problems


def load_settings(config: Mapping[str, Any], stack: str, secret_keys: frozenset[str] | set[str] = frozenset()) -> Settings:
    """Validate a mapping of config keys (with or without the project prefix) into Settings.

    Keys of other namespaces (`docker:host`, `kubernetes:context`, ...) belong to providers and
    are ignored. Missing keys take their default. Raises ConfigError listing every problem.
    """
    problems: list[str] = []
    values: dict[str, Any] = {}
    secrets = {k.split(":", 1)[-1] for k in secret_keys if k.startswith(f"{PROJECT}:") or ":" not in k}
    for full_name, raw in sorted(config.items()):
        namespace, _, name = full_name.rpartition(":")
        if namespace not in ("", PROJECT):
            continue
        key = KEYS_BY_NAME.get(name)
        if key is None:
            problems.append(f"{PROJECT}:{name}: unknown key{did_you_mean(name, tuple(KEYS_BY_NAME))}; "
                            f"known keys: {', '.join(sorted(KEYS_BY_NAME))}")
            continue
        values[name] = _parse(key, raw)
    for key in KEYS:
        values.setdefault(key.name, key.default)

    checked: dict[str, Any] = {}
    for key in KEYS:
        try:
            _check_type(key, values[key.name])
            checked[key.field] = key.check(values[key.name]) if key.check else values[key.name]
        except Invalid as err:
            problems.append(f"{PROJECT}:{key.name}: {err}")
    problems += _cross_checks(values)
    outputs = checked.get("sidekick_outputs", ())
    if any(output.credentials for output in outputs) and "sidekickOutputs" not in secrets:
        leaked = [f"{o.name}.{c}" for o in outputs for c in o.credentials]
        problems.append(
            f"{PROJECT}:sidekickOutputs: {', '.join(leaked)} is a credential in plaintext config; valid values: "
            "secret config, e.g. pulumi config set --secret --path 'sidekickOutputs." + leaked[0] + "' <value>")
    if problems:
        raise ConfigError(problems)
    return Settings(stack=stack, **checked)


def from_pulumi_config() -> Settings:
    """Settings of the running program, from the config the Pulumi CLI (or the mocks) provide."""
    import pulumi
    from pulumi.runtime import config as runtime_config

    merged = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    secrets = set(runtime_config.get_config_secret_keys_env()) | set(runtime_config._SECRET_KEYS.get())
    return load_settings(merged, pulumi.get_stack(), frozenset(secrets))


def project_file() -> dict[str, Any]:
    """Pulumi.yaml, parsed."""
    from components.yamlio import load_yaml

    return load_yaml((ROOT / "Pulumi.yaml").read_text())


def stack_names() -> list[str]:
    """Every stack that has a file in stacks/."""
    return sorted(p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in (ROOT / "stacks").glob("Pulumi.*.yaml"))


def stack_file_config(stack: str) -> tuple[dict[str, Any], frozenset[str]]:
    """The config `pulumi up` would pass for stacks/Pulumi.<stack>.yaml: Pulumi.yaml defaults overlaid by
    the stack file, keys fully qualified, and which keys are secret.

    Secure values cannot be decrypted here: they load as a marked placeholder.
    """
    from components.yamlio import load_yaml

    project_defaults = {f"{PROJECT}:{name}": spec["default"]
                        for name, spec in (project_file().get("config") or {}).items() if "default" in spec}
    stack_config = load_yaml((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text()).get("config") or {}
    secret_keys = frozenset(k for k, v in stack_config.items() if _holds_secure(v))
    return {**project_defaults, **{k: _placeholder_secure(v) for k, v in stack_config.items()}}, secret_keys


def from_stack_file(stack: str, overrides: Mapping[str, Any] | None = None) -> Settings:
    """Settings of a stack file, as `pulumi up` would see them (see stack_file_config)."""
    config, secret_keys = stack_file_config(stack)
    config |= {(k if ":" in k else f"{PROJECT}:{k}"): v for k, v in (overrides or {}).items()}
    return load_settings(config, stack, secret_keys)


SECRET_MARK = "<secret: "  # how every placeholder for secret material starts


def secret_placeholder(ciphertext: str) -> str:
    """A stand-in for a secure value: never the value, but it changes whenever the ciphertext does."""
    return f"{SECRET_MARK}set in the stack's encrypted config, ciphertext {hashlib.sha256(ciphertext.encode()).hexdigest()[:12]}>"


def _holds_secure(value: Any) -> bool:
    if isinstance(value, dict):
        return set(value) == {"secure"} or any(_holds_secure(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_secure(v) for v in value)
    return False


def _placeholder_secure(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return secret_placeholder(str(value["secure"]))
        return {k: _placeholder_secure(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_placeholder_secure(v) for v in value]
    return value
