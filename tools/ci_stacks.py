"""The stacks CI previews and deploys (deployFromCi: true), as a JSON list for a workflow matrix.

    python tools/ci_stacks.py [--changed FILE]

With --changed (a JSON list written by `tools/diff.py --changed-json`), only those of them that
changed. Stack files are loaded and validated exactly as the program loads them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from components.settings import from_stack_file, stack_names  # noqa: E402


def ci_stacks(changed: list[str] | None = None) -> list[str]:
    return [n for n in stack_names() if from_stack_file(n).deploy_from_ci and (changed is None or n in changed)]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--changed", type=Path, help="JSON list of changed stacks (tools/diff.py --changed-json)")
    args = parser.parse_args(argv)
    print(json.dumps(ci_stacks(json.loads(args.changed.read_text()) if args.changed else None)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
