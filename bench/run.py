"""`make bench` runs every benchmark in bench/ (`make bench ONLY=name` one of them).

Each benchmark is a module `bench/<name>.py` with `main()`; each ends with one line
`BENCH <name> ours=<s> baseline=<s> ratio=<x>` (or `BENCH <name> seconds=… pages=… peak_mb=…`).
"""

import importlib
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def benchmarks() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.py") if p.stem not in {"__init__", "run", "common"})


def main(argv: list[str]) -> int:
    only = [name for name in argv if name]
    names = only or benchmarks()
    unknown = set(names) - set(benchmarks())
    if unknown:
        print(f"Unknown benchmark(s): {', '.join(sorted(unknown))}. Known: {', '.join(benchmarks())}")
        return 2
    failed = 0
    for name in names:
        print(f"== {name}", flush=True)
        # Each benchmark in its own process: a clean memory reading and no state shared between them.
        code = subprocess.call(
            [sys.executable, "-c", f"import bench.{name} as b; b.main()"], cwd=ROOT, env=os.environ
        )
        failed += code != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    importlib.invalidate_caches()
    sys.exit(main(sys.argv[1:]))
