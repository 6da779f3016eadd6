"""Run the ratio benchmarks and the notebook timing table: ``python -m benchmarks [part ...]``.

Parts: ``bernoulli``, ``mixture``, ``linear_gaussian``, ``importance`` (the
kernels), ``notebooks`` (per-notebook execution times); ``kernels`` runs the
four kernels; no argument runs everything.
"""

from __future__ import annotations

import argparse
import platform
import time

import torch

from benchmarks import Result, bernoulli, importance, linear_gaussian, mixture, notebooks, print_results, single_thread

KERNELS = {"bernoulli": bernoulli, "mixture": mixture, "linear_gaussian": linear_gaussian, "importance": importance}
PARTS = [*KERNELS, "kernels", "notebooks"]


def run_kernels(names: list[str]) -> None:
    """Run the named kernel benchmarks single-threaded and print their table and the estimator's peak memory."""
    print(
        f"torch {torch.__version__}, {platform.machine()}, 1 thread; median of repeats, reference and ours alternated\n"
    )
    results: list[Result] = []
    memory: dict[str, float | None] = {}
    with single_thread():
        for name in names:
            outcome = KERNELS[name].run()
            if isinstance(outcome, tuple):
                outcome, memory = outcome
            results.extend(outcome if isinstance(outcome, list) else [outcome])
    print_results(results)
    if memory:
        print("\nPeak memory added by the log p(x) estimators (fresh process each, peak RSS; see importance.py):")
        for variant, mib in memory.items():
            print(f"  {variant:44s} {'n/a' if mib is None else f'{mib:8.1f} MiB'}")
    missed = [r.name for r in results if not r.met]
    print(
        f"\n{len(results) - len(missed)}/{len(results)} targets met"
        + (f"; missed: {'; '.join(missed)}" if missed else "")
    )


def main() -> None:
    """Parse the parts to run (default: all) and run them."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="*", metavar="part", help=f"any of {', '.join(PARTS)} (default: all)")
    parts = parser.parse_args().parts or ["kernels", "notebooks"]
    unknown = [part for part in parts if part not in PARTS]
    if unknown:
        parser.error(f"unknown part {unknown[0]!r}; choose from {', '.join(PARTS)}")
    start = time.perf_counter()
    kernels = [name for name in KERNELS if name in parts or "kernels" in parts]
    if kernels:
        run_kernels(kernels)
    if "notebooks" in parts:
        print()
        notebooks.run()
    print(f"\nbenchmarks ran in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
