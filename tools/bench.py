"""Cost of evaluating each stack's program under mocks, against a bare import of the SDKs it needs
(every module of the Pulumi and provider SDKs that the run loads).

Each measurement is a fresh interpreter (what `pulumi up` starts); best of N runs. Prints one line
per stack and exits non-zero when a ratio exceeds the budget.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BUDGET = 1.5


def best_of(code: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
        times.append(time.perf_counter() - start)
    return min(times)


def sdk_modules(stack: str) -> list[str]:
    """The SDK modules the stack's program really loads (provider SDKs load their submodules lazily)."""
    code = (f"import json, sys; from tests.harness import run_program; run_program({stack!r}); "
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'pulumi' "
            "or m.startswith('pulumi_'))))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return json.loads(out.splitlines()[-1])


def measure(stack: str, runs: int = 7) -> tuple[float, float]:
    bare = best_of("import " + ", ".join(sdk_modules(stack)), runs)
    program = best_of(f"from tests.harness import run_program; run_program({stack!r})", runs)
    return bare, program


def main() -> int:
    from tests.harness import STACKS

    worst = 0.0
    for stack in STACKS:
        bare, program = measure(stack)
        ratio = program / bare
        worst = max(worst, ratio)
        print(f"{stack:10s} bare SDK import {bare:6.3f}s  program under mocks {program:6.3f}s  ratio {ratio:4.2f}"
              f" (budget {BUDGET})")
    return 0 if worst <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
