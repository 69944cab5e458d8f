"""Lint Falco rules files before anything deploys: `file:line: message` for what Falco would reject.

Parses YAML with line numbers, checks item kinds and keys, required fields, priorities, duplicate
names, and every condition through a tokenizer and recursive-descent parser of Falco's condition
grammar (so unbalanced parentheses or quotes, dangling and unknown operators, and undefined macros
or lists are found). Rules whose condition, after macro expansion, does not restrict event types
get a warning, as Falco gives one and slows down on them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

from components.yamlio import _Loader, load_yaml

PRIORITIES = {"emergency", "alert", "critical", "error", "warning", "notice", "informational", "info", "debug"}
KIND_KEYS = {
    "rule": {"rule", "desc", "condition", "output", "priority", "enabled", "tags", "source", "exceptions", "append",
             "override", "warn_evttypes", "skip-if-unknown-filter", "capture", "capture_duration"},
    "macro": {"macro", "condition", "append", "override"},
    "list": {"list", "items", "append", "override"},
    "required_engine_version": {"required_engine_version"},
    "required_plugin_versions": {"required_plugin_versions"},
}
REQUIRED_RULE_KEYS = ("desc", "condition", "output", "priority")
COMPARE_OPS = {"=", "==", "!=", "<", "<=", ">", ">=", "contains", "icontains", "bcontains", "startswith",
               "bstartswith", "endswith", "glob", "iglob", "regex"}
LIST_OPS = {"in", "intersects", "pmatch"}
UNARY_OPS = {"exists"}
TRANSFORMERS = {"tolower", "toupper", "b64", "basename", "len", "val"}
FIELD = re.compile(r"^[a-z][a-z0-9_]*(\.[a-zA-Z0-9_]+)+(\[[^\]\s]+\])?$")
IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FIELD_TEXT = r"[a-z][a-z0-9_]*(?:\.[a-zA-Z0-9_]+)+(?:\[[^\]\s]+\])?"
OUTPUT_FIELD = re.compile(rf"%(?:\({_FIELD_TEXT}\)|{_FIELD_TEXT})")
# A bare list item is read as a list reference when it is named like one; anything else is a literal.
LIST_NAME = re.compile(r"^(user_known_\w+|sib_\w+|\w+_(binaries|images|names|dirs|directories|paths|ports|"
                       r"containers|files|addresses|hosts|procs|tools|networks|list|items))$")
TOKEN = re.compile(r"""\s*(?:(?P<paren>[(),])|(?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(?P<op>[=!<>]+)|"""
                   r"""(?P<word>[^\s(),'"=!<>]+)|(?P<bad>["']))""")


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    message: str
    warning: bool = False

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {'warning: ' if self.warning else ''}{self.message}"


class ConditionError(ValueError):
    pass


@dataclass
class Node:
    kind: str  # and | or | not | check | macro
    children: list["Node"] = field(default_factory=list)
    field_name: str = ""
    op: str = ""
    name: str = ""  # macro name
    values: list[str] = field(default_factory=list)  # bare identifiers used as list items


def tokenize(text: str) -> list[str]:
    tokens, pos = [], 0
    while pos < len(text):
        match = TOKEN.match(text, pos)
        if not match or match.end() == pos:
            if text[pos:].strip() == "":
                break
            raise ConditionError(f"unexpected character {text[pos]!r}")
        if match.group("bad"):
            raise ConditionError("unterminated quoted string")
        token = next(match.group(g) for g in ("paren", "str", "op", "word") if match.group(g) is not None)
        tokens.append(token)
        pos = match.end()
    return tokens


class Parser:
    """Recursive descent over Falco's grammar: or/and/not, parentheses, checks, macro references."""

    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise ConditionError("condition ends where an operand was expected (dangling operator?)")
        self.pos += 1
        return token

    def parse(self) -> Node:
        if not self.tokens:
            raise ConditionError("empty condition")
        node = self.or_expr()
        if self.peek() is not None:
            token = self.peek()
            raise ConditionError("unbalanced parentheses: unexpected ')'" if token == ")"
                                 else f"unexpected {token!r} after a complete expression")
        return node

    def or_expr(self) -> Node:
        return self.chain("or", self.and_expr)

    def and_expr(self) -> Node:
        return self.chain("and", self.not_expr)

    def chain(self, word: str, operand: Callable[[], Node]) -> Node:
        """`operand (word operand)*`, one node when there is nothing to join."""
        children = [operand()]
        while self.peek() == word:
            self.take()
            children.append(operand())
        return children[0] if len(children) == 1 else Node(word, children)

    def not_expr(self) -> Node:
        if self.peek() == "not":
            self.take()
            return Node("not", [self.not_expr()])
        return self.primary()

    def primary(self) -> Node:
        token = self.take()
        if token == "(":
            node = self.or_expr()
            if self.peek() != ")":
                raise ConditionError("unbalanced parentheses: missing ')'")
            self.take()
            return node
        if token in ("and", "or", ")", ","):
            raise ConditionError(f"{token!r} where an operand was expected (dangling operator?)")
        if token in TRANSFORMERS and self.peek() == "(":
            self.take()
            inner = self.take()
            if self.take() != ")":
                raise ConditionError(f"unbalanced parentheses in {token}()")
            return self.check(inner)
        if FIELD.match(token):
            return self.check(token)
        if IDENT.match(token):
            return Node("macro", name=token)
        raise ConditionError(f"{token!r} is neither a field, a macro nor an expression")

    def check(self, field_name: str) -> Node:
        op = self.peek()
        if op in UNARY_OPS:
            self.take()
            return Node("check", field_name=field_name, op=op)
        if op in LIST_OPS:
            self.take()
            return Node("check", field_name=field_name, op=op, values=self.value_list())
        if op in COMPARE_OPS:
            self.take()
            value = self.take()
            if value in ("and", "or", ")", "(", ","):
                raise ConditionError(f"operator {op!r} on {field_name} has no value (dangling operator)")
            return Node("check", field_name=field_name, op=op)
        if op is None or op in ("and", "or", ")"):
            raise ConditionError(f"field {field_name} without an operator")
        raise ConditionError(f"unknown operator {op!r} after {field_name}")

    def value_list(self) -> list[str]:
        if self.take() != "(":
            raise ConditionError("a list operator needs a parenthesised list")
        bare: list[str] = []
        while True:
            token = self.take()
            if token == ")" and not bare and self.tokens[self.pos - 2] == "(":
                return bare
            if token in ("(", ",", ")"):
                raise ConditionError("malformed list: empty item")
            if IDENT.match(token):
                bare.append(token)
            separator = self.take()
            if separator == ")":
                return bare
            if separator != ",":
                raise ConditionError(f"malformed list: expected ',' or ')' but found {separator!r}")


@dataclass
class Definition:
    kind: str
    name: str
    path: str
    line: int
    item: dict[str, Any]
    lines: dict[str, int]


def _load(path: Path, text: str, findings: list[Finding]) -> list[tuple[dict[str, Any], int, dict[str, int]]]:
    """Items of one file with the line of each item and of each of its keys."""
    try:
        root = yaml.compose(text, Loader=_Loader)
        values = load_yaml(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
        findings.append(Finding(str(path), (mark.line + 1) if mark else 1, f"YAML error: {getattr(err, 'problem', err)}"))
        return []
    if root is None:
        return []
    if not isinstance(root, yaml.SequenceNode):
        findings.append(Finding(str(path), root.start_mark.line + 1, "a rules file is a list of items"))
        return []
    items = []
    for node, value in zip(root.value, values):
        if not isinstance(node, yaml.MappingNode):
            findings.append(Finding(str(path), node.start_mark.line + 1, "an item must be a mapping"))
            continue
        lines = {k.value: v.start_mark.line + 1 for k, v in node.value}
        items.append((value, node.start_mark.line + 1, lines))
    return items


def lint_files(paths: list[Path], known_outside: frozenset[str] = frozenset()) -> list[Finding]:
    """Lint rules files loaded together in this order. `known_outside`: macro/list names defined elsewhere."""
    findings: list[Finding] = []
    defs: dict[tuple[str, str], Definition] = {}
    conditions: list[tuple[Definition, str]] = []
    for path in paths:
        for item, line, lines in _load(path, path.read_text(), findings):
            kinds = [k for k in KIND_KEYS if k in item]
            if len(kinds) != 1:
                findings.append(Finding(str(path), line, "unknown item kind: expected one of rule, macro, list, "
                                        "required_engine_version, required_plugin_versions"
                                        + (f" (found {', '.join(sorted(item))})" if item else "")))
                continue
            kind = kinds[0]
            for key in sorted(set(item) - KIND_KEYS[kind]):
                findings.append(Finding(str(path), lines[key], f"unknown key {key!r} in {kind}"))
            if kind not in ("rule", "macro", "list"):
                continue
            name = item[kind]
            # A rule given only `enabled` toggles an existing rule (Falco's short form of an override).
            extends = bool(item.get("append") or item.get("override")) or (kind == "rule" and set(item) == {"rule", "enabled"})
            definition = Definition(kind, str(name), str(path), line, item, lines)
            previous = defs.get((kind, str(name)))
            if previous and not extends:
                findings.append(Finding(str(path), line, f"duplicate {kind} {name!r} (first defined at "
                                        f"{previous.path}:{previous.line}); use append or override to extend it"))
            elif previous and extends and kind in ("macro", "list"):
                _extend(previous, item)
            elif not previous:
                defs[(kind, str(name))] = definition
            if kind == "rule":
                _check_rule(definition, extends, findings)
            if "condition" in item:
                conditions.append((definition, item["condition"]))
    macros = {name: d for (kind, name), d in defs.items() if kind == "macro"}
    lists = {name for (kind, name) in defs if kind == "list"} | set(known_outside)
    parsed_macros: dict[str, Node | None] = {}
    for definition, condition in conditions:
        at = Finding(definition.path, definition.lines.get("condition", definition.line), "")
        try:
            tree = Parser(str(condition)).parse()
        except ConditionError as err:
            findings.append(Finding(at.path, at.line, f"{definition.kind} {definition.name!r}: condition: {err}"))
            continue
        problems = _references(tree, set(macros) | set(known_outside), lists)
        for problem in problems:
            findings.append(Finding(at.path, at.line, f"{definition.kind} {definition.name!r}: {problem}"))
        if not problems and definition.kind == "rule" and definition.item.get("source", "syscall") == "syscall":
            if not _restricts_event_types(tree, macros, parsed_macros, set()):
                findings.append(Finding(at.path, at.line, f"rule {definition.name!r}: condition does not restrict "
                                        "event types (evt.type) after macro expansion; Falco matches it against "
                                        "every event", warning=True))
    return findings


def _extend(previous: Definition, item: dict[str, Any]) -> None:
    if previous.kind == "list":
        previous.item["items"] = list(previous.item.get("items") or []) + list(item.get("items") or [])
    else:
        previous.item["condition"] = f"({previous.item['condition']}) {item.get('condition', '')}"


def _check_rule(definition: Definition, extends: bool, findings: list[Finding]) -> None:
    item, path = definition.item, definition.path
    if not extends and set(item) - {"rule", "enabled"}:
        for key in REQUIRED_RULE_KEYS:
            if key not in item or item[key] in (None, ""):
                findings.append(Finding(path, definition.line, f"rule {definition.name!r}: missing {key}"))
    priority = item.get("priority")
    if priority is not None and str(priority).lower() not in PRIORITIES:
        findings.append(Finding(path, definition.lines["priority"], f"rule {definition.name!r}: invalid priority "
                                f"{priority!r}; valid: EMERGENCY, ALERT, CRITICAL, ERROR, WARNING, NOTICE, "
                                "INFORMATIONAL, DEBUG"))
    output = item.get("output")
    if isinstance(output, str):
        for problem in _output_problems(output):
            findings.append(Finding(path, definition.lines["output"], f"rule {definition.name!r}: output: {problem}"))


def _output_problems(output: str) -> list[str]:
    problems = []
    for index in [i for i, ch in enumerate(output) if ch == "%"]:
        if output[index + 1:index + 2] == "%" or (index and output[index - 1] == "%"):
            continue
        if not OUTPUT_FIELD.match(output, index):
            snippet = output[index:index + 20].split()[0] if output[index:].split() else "%"
            problems.append(f"malformed output field {snippet!r} (expected %class.field, e.g. %proc.name)")
    return problems


def _references(node: Node, macros: set[str], lists: set[str]) -> list[str]:
    problems = []
    if node.kind == "macro" and node.name not in macros:
        problems.append(f"undefined macro {node.name!r}")
    for value in node.values:
        if LIST_NAME.match(value) and value not in lists:
            problems.append(f"undefined list {value!r} (quote it if it is a literal value)")
    for child in node.children:
        problems += _references(child, macros, lists)
    return problems


def _restricts_event_types(node: Node, macros: dict[str, Definition], parsed: dict[str, Node | None],
                           seen: set[str]) -> bool:
    if node.kind == "check":
        return node.field_name == "evt.type" and node.op in ("=", "==", "in")
    if node.kind == "and":
        return any(_restricts_event_types(c, macros, parsed, seen) for c in node.children)
    if node.kind == "or":
        return all(_restricts_event_types(c, macros, parsed, seen) for c in node.children)
    if node.kind == "macro" and node.name in macros and node.name not in seen:
        if node.name not in parsed:
            try:
                parsed[node.name] = Parser(str(macros[node.name].item["condition"])).parse()
            except ConditionError:
                parsed[node.name] = None
        tree = parsed[node.name]
        return tree is not None and _restricts_event_types(tree, macros, parsed, seen | {node.name})
    return False


def rule_index(paths: list[Path]) -> tuple[set[str], set[str]]:
    """Names and tags of the rules these files define."""
    names, tags = set(), set()
    for path in paths:
        for item in load_yaml(path.read_text()) or []:
            if isinstance(item, dict) and "rule" in item:
                names.add(item["rule"])
                tags.update(item.get("tags") or [])
    return names, tags
