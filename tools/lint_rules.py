"""`make lint-rules`: lint rules/ (or the files given) and print `file:line: message` per finding."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from components.rules import RULES_DIR  # noqa: E402
from components.rules_lint import lint_files  # noqa: E402


def main(argv: list[str]) -> int:
    files = [Path(a) for a in argv] or sorted(RULES_DIR.glob("*.y*ml"))
    findings = lint_files(files)
    for finding in findings:
        print(finding)
    errors = sum(not f.warning for f in findings)
    print(f"{len(files)} file(s): {errors} error(s), {len(findings) - errors} warning(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
