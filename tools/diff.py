"""`make diff`: what a change does to each stack's rendered output, offline.

    python tools/diff.py --base REF [--stack NAME] [--markdown FILE] [--changed-json FILE]

Renders every stack at REF (with REF's own code, from `git archive`) and in the working tree,
prints a unified diff of the rendered files and one summary line per changed stack: files
changed, and which workloads would roll (Kubernetes pod templates) or be replaced (Docker
containers). `--markdown` also writes the report for a CI job summary; `--changed-json` writes
the changed stacks' names as a JSON list. Renders hold placeholders, never secrets.
"""

from __future__ import annotations

import argparse
import difflib
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from components.render import RENDER_MARKER as MARKER  # noqa: E402
from components.yamlio import load_yaml  # noqa: E402

RENDER = Path("tools") / "render.py"
SUMMARY_LIMIT = 900_000  # GitHub job summaries hold at most 1 MiB


@dataclass
class StackChange:
    stack: str
    status: str  # "changed", "added" or "removed"
    diffs: list[str] = field(default_factory=list)  # unified diff per changed file
    added_lines: int = 0
    removed_lines: int = 0
    workloads: list[str] = field(default_factory=list)  # "rolls DaemonSet/falco", "replaces container sib-falco"

    def summary(self) -> str:
        status = "" if self.status == "changed" else f"stack {self.status}, "
        rolls = "; ".join(self.workloads) if self.workloads else "no workload rolls"
        return (f"{self.stack}: {status}{len(self.diffs)} file(s) changed (+{self.added_lines} -{self.removed_lines}); "
                f"{rolls}")


def read_tree(path: Path) -> dict[str, str]:
    return {str(p.relative_to(path)): p.read_text() for p in sorted(path.rglob("*")) if p.is_file()}


def render_all(source: Path, out: Path, label: str, strict: bool) -> str:
    """Render every stack of a source tree with that tree's own renderer; returns its complaints.

    `strict` (the working tree): a stack that does not render stops the diff, since it would not deploy.
    """
    if not (source / RENDER).exists():
        out.mkdir(parents=True)
        return f"{label} predates `make render`: its stacks count as empty"
    done = subprocess.run([sys.executable, str(source / RENDER), "--all", str(out)], capture_output=True, text=True)
    if done.returncode != 0 and (strict or done.returncode != 1 or not out.exists()):
        raise SystemExit(f"diff: {label} does not render:\n{done.stderr}")
    return f"{label}: {done.stderr.strip()}" if done.stderr.strip() else ""


def export(ref: str, into: Path) -> None:
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
                            capture_output=True, text=True)
    if commit.returncode != 0:
        raise SystemExit(f"diff: BASE {ref!r} is not a commit in this repository (fetch it, or use e.g. BASE=HEAD)")
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", commit.stdout.strip()],
                             capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")


def stacks_in(render: Path) -> dict[str, dict[str, str]]:
    return {d.name: read_tree(d) for d in sorted(render.iterdir()) if d.is_dir()}


def workload_changes(old: dict[str, str], new: dict[str, str], path: str) -> str | None:
    """What applying a changed file does to a running workload, if anything."""
    before, after = (load_yaml(tree[path]) if path in tree else None for tree in (old, new))
    doc = after or before
    if path.startswith("kubernetes/") and doc.get("kind") in ("DaemonSet", "Deployment"):
        what = f"{doc['kind']}/{doc['metadata']['name']}"
        if before is None or after is None:
            return f"{'creates' if before is None else 'deletes'} {what}"
        return f"rolls {what}" if before["spec"]["template"] != after["spec"]["template"] else None
    if path.startswith("docker/") and "-container-" in path:
        verb = "creates" if before is None else "removes" if after is None else "replaces"
        return f"{verb} container {doc['name']}"
    return None


def compare(stack: str, old: dict[str, str] | None, new: dict[str, str] | None) -> StackChange | None:
    change = StackChange(stack, "added" if old is None else "removed" if new is None else "changed")
    old, new = old or {}, new or {}
    for path in sorted(set(old) | set(new)):
        if old.get(path) == new.get(path) or path == MARKER:
            continue
        lines = list(difflib.unified_diff(
            old.get(path, "").splitlines(keepends=True), new.get(path, "").splitlines(keepends=True),
            f"a/{stack}/{path}" if path in old else "/dev/null", f"b/{stack}/{path}" if path in new else "/dev/null"))
        change.diffs.append("".join(line if line.endswith("\n") else line + "\n" for line in lines))
        change.added_lines += sum(1 for line in lines if line.startswith("+") and not line.startswith("+++"))
        change.removed_lines += sum(1 for line in lines if line.startswith("-") and not line.startswith("---"))
        effect = workload_changes(old, new, path)
        if effect:
            change.workloads.append(effect)
    return change if change.diffs else None


def markdown(base: str, changes: list[StackChange], notes: list[str]) -> str:
    parts = [f"## Rendered changes against `{base}`\n"]
    parts += [f"> {note}\n" for note in notes]
    if not changes:
        parts.append("No stack's rendered output changes.\n")
    parts += [f"- **{c.summary().split(':', 1)[0]}**:{c.summary().split(':', 1)[1]}" for c in changes]
    budget = SUMMARY_LIMIT
    for c in changes:
        body = "".join(c.diffs)
        if len(body) > budget:
            body = body[:max(budget, 0)] + "\n... diff truncated: run `make diff` locally for all of it\n"
        budget -= len(body)
        parts.append(f"\n<details><summary>{c.stack}</summary>\n\n```diff\n{body}```\n\n</details>")
    return "\n".join(parts) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="git ref to compare the working tree with")
    parser.add_argument("--stack", default="", help="only this stack (default: every stack that changed)")
    parser.add_argument("--markdown", type=Path, help="also write the report as Markdown to this file")
    parser.add_argument("--changed-json", type=Path, help="write the changed stacks' names as JSON to this file")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="sib-diff-") as tmp:
        work = Path(tmp)
        source = work / "base"
        source.mkdir()
        export(args.base, source)
        notes = [n for n in (render_all(source, work / "base-render", f"BASE {args.base}", strict=False),
                             render_all(ROOT, work / "head-render", "the working tree", strict=True)) if n]
        old, new = stacks_in(work / "base-render"), stacks_in(work / "head-render")

    names = [args.stack] if args.stack else sorted(set(old) | set(new))
    if args.stack and args.stack not in old and args.stack not in new:
        print(f"diff: no stack {args.stack!r} at {args.base} or in the working tree", file=sys.stderr)
        return 2
    changes = [c for name in names if (c := compare(name, old.get(name), new.get(name)))]
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    for change in changes:
        sys.stdout.write("".join(change.diffs))
    print(f"--- rendered changes against {args.base} ---")
    print("\n".join(c.summary() for c in changes) if changes else "no stack's rendered output changes")
    if args.markdown:
        args.markdown.write_text(markdown(args.base, changes, notes))
    if args.changed_json:
        args.changed_json.write_text(json.dumps([c.stack for c in changes if c.status != "removed"]) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
