"""`./dev bench`: every benchmark in turn, or those named: `./dev bench host prompts`."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = ["host", "coldstart", "prompts", "trust", "bundle", "browsers", "sandboxed"]


def main() -> None:
    names = sys.argv[1:] or BENCHMARKS
    for name in names:
        if name not in BENCHMARKS:
            sys.exit(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}")
    for name in names:
        print(f"== {name} ==", flush=True)
        importlib.import_module(f"benchmarks.{name}").main()
        print(flush=True)


main()
