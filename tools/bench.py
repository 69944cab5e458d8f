"""Cost of evaluating each stack's program under mocks, against a bare import of the SDKs it needs.

Each measurement is a fresh interpreter (what `pulumi up` starts); best of N runs. Prints one line
per stack and exits non-zero when a ratio exceeds the budget.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BUDGET = 1.5
SDKS = {"docker": ("pulumi", "pulumi_docker", "pulumi_tls"),
        "kubernetes": ("pulumi", "pulumi_kubernetes", "pulumi_tls")}
# What the program's kubernetes target imports of pulumi_kubernetes (the package itself is lazy).
K8S_MODULES = ("pulumi_kubernetes.core.v1", "pulumi_kubernetes.apps.v1", "pulumi_kubernetes.policy.v1",
               "pulumi_kubernetes.networking.v1", "pulumi_kubernetes.meta.v1")


def best_of(code: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
        times.append(time.perf_counter() - start)
    return min(times)


def measure(stack: str, runs: int = 7) -> tuple[float, float]:
    from components.settings import from_stack_file

    target = from_stack_file(stack).target
    modules = SDKS[target] + (K8S_MODULES if target == "kubernetes" else ())
    bare = best_of("import " + ", ".join(modules), runs)
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
