"""The stacks CI previews and deploys (deployFromCi: true), as a JSON list for a workflow matrix.

    python tools/ci_stacks.py [--changed FILE --base REF]

With --changed (a JSON list written by `tools/diff.py --changed-json`), only those of them whose
rendered output changed, unless the change since --base touches what no render shows (provider
SDK versions, the policy pack): then every CI stack, since any of them may preview differently.
Stack files are loaded and validated exactly as the program loads them.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from components.settings import from_stack_file, stack_names  # noqa: E402

UNRENDERED = ("requirements.txt", "policy/")


def touches_unrendered(base: str) -> bool:
    changed = subprocess.run(["git", "-C", str(ROOT), "diff", "--name-only", base, "--", *UNRENDERED],
                             capture_output=True, text=True, check=True).stdout
    return bool(changed.strip())


def ci_stacks(changed: list[str] | None = None) -> list[str]:
    return [n for n in stack_names() if from_stack_file(n).deploy_from_ci and (changed is None or n in changed)]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--changed", type=Path, help="JSON list of changed stacks (tools/diff.py --changed-json)")
    parser.add_argument("--base", help="with --changed: the ref the change is against")
    args = parser.parse_args(argv)
    if args.changed and not args.base:
        parser.error("--changed needs --base")
    changed = json.loads(args.changed.read_text()) if args.changed and not touches_unrendered(args.base) else None
    print(json.dumps(ci_stacks(changed)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
