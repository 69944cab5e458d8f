"""The custom ruleset and its linter: clean rules, every category, exact errors for broken files."""

import json
import re
import textwrap
from pathlib import Path

import jsonschema
import pytest
import yaml

from components import rules as rules_module
from components.rules import RULES_DIR, RulesError, checked_rule_files, default_rules
from components.rules_lint import Parser, lint_files
from components.settings import ConfigError, load_settings
from tests.harness import run_program
from tests.mocks import ProviderMocks

FILES = sorted(RULES_DIR.glob("*.yaml"))
CATEGORIES = ("container_escape", "file_integrity", "process", "network", "credential_access", "persistence",
              "cryptomining")


def shipped_rules():
    return [item for path in FILES for item in yaml.safe_load(path.read_text()) if "rule" in item]


def test_shipped_rules_have_no_errors_and_no_warnings():
    assert [str(f) for f in lint_files(FILES)] == []


def test_every_category_has_at_least_two_rules_with_mitre_tags():
    rules = shipped_rules()
    for category in CATEGORIES:
        assert len([r for r in rules if category in r["tags"]]) >= 2, category
    for rule in rules:
        assert any(re.fullmatch(r"T\d{4}(\.\d{3})?", t) for t in rule["tags"]), rule["rule"]
        assert any(t.startswith("mitre_") for t in rule["tags"]), rule["rule"]
        for field in ("%user.name", "%proc.cmdline", "%proc.pcmdline", "%container.id", "%container.image.repository"):
            assert field in rule["output"], (rule["rule"], field)


def test_shipped_rules_validate_against_falcos_rule_schema(reference):
    schema = json.loads((reference / "falco-0.44" / "rule.schema.json").read_text())
    for path in FILES:
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)


def test_references_exist_locally_or_in_falcos_defaults(reference):
    upstream = yaml.safe_load((reference / "falco-0.44" / "falco_rules.yaml").read_text())
    known = {i.get("macro") or i.get("list") for i in upstream if "macro" in i or "list" in i}
    assert [str(f) for f in lint_files(FILES, known_outside=frozenset(known))] == []


def test_default_rules_index_matches_the_pinned_falco(reference):
    upstream = yaml.safe_load((reference / "falco-0.44" / "falco_rules.yaml").read_text())
    names = {i["rule"] for i in upstream if "rule" in i}
    tags = {t for i in upstream if "rule" in i for t in i.get("tags", [])}
    assert default_rules() == (names, tags)


def test_the_linter_reads_falcos_own_default_ruleset(reference):
    assert lint_files([reference / "falco-0.44" / "falco_rules.yaml"]) == []


HEADER = """\
- macro: spawned
  condition: evt.type in (execve, execveat)
- list: my_binaries
  items: [xmrig]
"""
GOOD_RULE = """\
- rule: Good
  desc: fine
  condition: spawned and proc.name in (my_binaries)
  output: miner (command=%proc.cmdline)
  priority: WARNING
"""

BROKEN = [
    ("yaml", "- rule: X\n  desc: [unclosed\n", ["7: YAML error"]),
    ("kind", "- rul: X\n", ["5: unknown item kind"]),
    ("key", GOOD_RULE.replace("  priority: WARNING", "  priority: WARNING\n  severity: high"),
     ["10: unknown key 'severity' in rule"]),
    ("missing", "- rule: Bare\n  condition: spawned\n", ["5: rule 'Bare': missing desc", "5: rule 'Bare': missing output",
                                                         "5: rule 'Bare': missing priority"]),
    ("priority", GOOD_RULE.replace("WARNING", "SEVERE"), ["9: rule 'Good': invalid priority 'SEVERE'"]),
    ("duplicate", GOOD_RULE + GOOD_RULE, ["10: duplicate rule 'Good' (first defined at"]),
    ("macro", GOOD_RULE.replace("spawned and", "spawnd and"), ["7: rule 'Good': undefined macro 'spawnd'"]),
    ("list", GOOD_RULE.replace("(my_binaries)", "(miner_binaries)"), ["7: rule 'Good': undefined list 'miner_binaries'"]),
    ("paren", GOOD_RULE.replace("spawned and", "(spawned and"), ["7: rule 'Good': condition: unbalanced parentheses"]),
    ("quote", GOOD_RULE.replace("proc.name in (my_binaries)", "proc.name = \"xmrig"),
     ["7: rule 'Good': condition: unterminated quoted string"]),
    ("dangling", GOOD_RULE.replace("spawned and proc.name in (my_binaries)", "spawned and"),
     ["7: rule 'Good': condition: condition ends where an operand was expected"]),
    ("operator", GOOD_RULE.replace("proc.name in (my_binaries)", "proc.name equals xmrig"),
     ["7: rule 'Good': condition: unknown operator 'equals' after proc.name"]),
    ("novalue", GOOD_RULE.replace("proc.name in (my_binaries)", "proc.name = and spawned"),
     ["7: rule 'Good': condition: operator '=' on proc.name has no value"]),
    ("output", GOOD_RULE.replace("%proc.cmdline", "%proc"), ["8: rule 'Good': output: malformed output field '%proc)'"]),
    ("evttype", GOOD_RULE.replace("spawned and proc.name", "proc.name"),
     ["7: warning: rule 'Good': condition does not restrict event types"]),
]


@pytest.mark.parametrize("name,body,expected", BROKEN, ids=[b[0] for b in BROKEN])
def test_each_defect_yields_its_file_and_line(tmp_path, name, body, expected):
    path = tmp_path / "custom.yaml"
    path.write_text(HEADER + body)
    found = [str(f) for f in lint_files([path])]
    assert len(found) == len(expected), found
    for line, prefix in zip(found, expected):
        assert line.startswith(f"{path}:{prefix}"), (line, prefix)


def test_append_and_override_extend_instead_of_duplicating(tmp_path):
    path = tmp_path / "custom.yaml"
    path.write_text(HEADER + GOOD_RULE + "- list: my_binaries\n  items: [minerd]\n  append: true\n"
                    "- rule: Good\n  enabled: false\n")
    assert lint_files([path]) == []


def test_the_parser_accepts_falcos_grammar():
    for condition in ('evt.type in (connect) and fd.sip != "1.2.3.4" and not (proc.name exists)',
                      "tolower(proc.name) = xmrig and proc.aname[2] startswith sh",
                      "evt.type = setns and evt.dir = < and fd.name pmatch (/etc, /usr)"):
        Parser(condition).parse()


def _broken_rules_dir(tmp_path: Path) -> Path:
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    (rules_dir / "bad.yaml").write_text(textwrap.dedent("""\
        - rule: Broken
          desc: broken
          condition: (evt.type = execve
          output: x (command=%proc.cmdline)
          priority: NOTICE
        """))
    return rules_dir


def test_the_program_refuses_to_deploy_broken_rules(tmp_path, monkeypatch):
    monkeypatch.setattr(rules_module, "RULES_DIR", _broken_rules_dir(tmp_path))
    mocks = ProviderMocks()
    with pytest.raises(RulesError) as err:
        run_program("dev", mocks=mocks)
    assert "bad.yaml:3: rule 'Broken': condition: unbalanced parentheses" in str(err.value)
    assert str(err.value).startswith("1 error(s) in the rules files; nothing was deployed")
    assert mocks.resources == []


def test_unknown_disabled_rules_and_tags_are_errors():
    with pytest.raises(ConfigError) as err:
        checked_rule_files(load_settings({"disabledRules": ["Cryptocurrency miner launchd"],
                                          "disabledTags": ["cryptominin"]}, "t"))
    assert err.value.problems == [
        "sib-detection:disabledRules: 'Cryptocurrency miner launchd' is not a rule in the deployed rules files or "
        "Falco's default ruleset (did you mean 'Cryptocurrency miner launched'?)",
        "sib-detection:disabledTags: 'cryptominin' is not a tag of any deployed rule (did you mean 'cryptomining'?)"]


def test_rule_files_choose_what_deploys():
    files = checked_rule_files(load_settings({"ruleFiles": ["70-cryptomining.yaml", "00-macros.yaml"]}, "t"))
    assert [f.name for f in files] == ["00-macros.yaml", "70-cryptomining.yaml"]
    with pytest.raises(ConfigError, match="'70-crypto.yaml' is not a file in rules/"):
        checked_rule_files(load_settings({"ruleFiles": ["70-crypto.yaml"]}, "t"))


def test_disabled_rules_reach_falco_yaml():
    from components import wiring
    from components.artifacts import render_artifacts

    settings = load_settings({"disabledRules": ["Connection to mining pool"], "disabledTags": ["T1059"]}, "t")
    falco = yaml.safe_load(render_artifacts(settings, wiring.wiring_for(settings)).falco_yaml)
    assert falco["rules"] == [{"disable": {"rule": "Connection to mining pool"}}, {"disable": {"tag": "T1059"}}]
