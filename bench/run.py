"""`make bench` runs every benchmark in bench/ (`make bench ONLY=name` one of them).

A module `bench/<module>.py` offers either `main()` (one benchmark named after the module) or a dict
`BENCHMARKS = {name: function}`. Each benchmark runs in a process of its own and ends with one line
`BENCH <name> ours=<s> baseline=<s> ratio=<x>` (or `BENCH <name> seconds=… pages=… peak_mb=…`).
"""

import importlib
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def benchmarks() -> dict[str, str]:
    """{benchmark name: python expression that runs it}."""
    found = {}
    for path in sorted(HERE.glob("*.py")):
        if path.stem in {"__init__", "run", "common"}:
            continue
        module = importlib.import_module(f"bench.{path.stem}")
        if hasattr(module, "BENCHMARKS"):
            for name in module.BENCHMARKS:
                found[name] = f"import bench.{path.stem} as b; b.BENCHMARKS[{name!r}]()"
        else:
            found[path.stem] = f"import bench.{path.stem} as b; b.main()"
    return found


def main(argv: list[str]) -> int:
    known = benchmarks()
    names = [name for name in argv if name] or list(known)
    unknown = set(names) - set(known)
    if unknown:
        print(f"Unknown benchmark(s): {', '.join(sorted(unknown))}. Known: {', '.join(known)}")
        return 2
    failed = 0
    for name in names:
        print(f"== {name}", flush=True)
        failed += subprocess.call([sys.executable, "-c", known[name]], cwd=ROOT, env=os.environ) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main(sys.argv[1:]))
