"""`make render`: write what a stack deploys, offline (see components/render.py for the layout).

    python tools/render.py STACK OUT     one stack into OUT
    python tools/render.py --all OUT     every stack into OUT/<stack>

OUT is replaced as a whole, so a file the stack no longer deploys does not linger; to keep that
from deleting anything else, OUT must be absent, empty, or an earlier render (it holds MARKER).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from components.render import RENDER_MARKER as MARKER  # noqa: E402
from components.render import render_stack  # noqa: E402
from components.settings import ConfigError, from_stack_file, stack_names  # noqa: E402

USAGE = "usage: render.py STACK OUT | render.py --all OUT"


def prepare(out: Path) -> None:
    if out.exists() and any(out.iterdir()) and not (out / MARKER).exists():
        raise SystemExit(f"render: {out} is not empty and not an earlier render ({MARKER} missing); "
                         "choose an empty or new directory")
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    (out / MARKER).write_text("Written by `make render`; replaced as a whole on the next render.\n")


def write_stack(stack: str, out: Path) -> None:
    for relative, text in render_stack(from_stack_file(stack)).items():
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(USAGE, file=sys.stderr)
        return 2
    target, out = argv[0], Path(argv[1])
    names = stack_names() if target == "--all" else [target]
    if target != "--all" and target not in stack_names():
        print(f"render: no stack file stacks/Pulumi.{target}.yaml; stacks: {', '.join(stack_names())}", file=sys.stderr)
        return 2
    prepare(out)
    failed = 0
    for stack in names:
        try:
            write_stack(stack, out / stack if target == "--all" else out)
        except ConfigError as err:
            print(f"render: stack {stack}: {err}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
