"""Ratio benchmarks: vae_lib against reference implementations, in one process.

Every benchmark times *our* function and a *reference* (``torch.distributions``,
scikit-learn, or a per-point loop) on the same data, in the same dtype, with the
same thread count, takes the median of several repeats, checks first that both
compute the same numbers, and reports ``ratio = reference / ours`` (> 1 means
vae_lib is faster) against the target of issue 9. Run them all with
``python -m benchmarks``; ``python -m benchmarks --help`` lists the parts.

Everything runs single-threaded (torch and the BLAS behind NumPy/scikit-learn),
as the book's notebooks do (:func:`vae_lib.seed_everything` fixes one thread):
one core is what a notebook gets, and one thread keeps the timings steadier on
a shared machine.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import re
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch
from threadpoolctl import threadpool_limits

STATUS = Path("/proc/self/status")
CLEAR_REFS = Path("/proc/self/clear_refs")


@dataclass(frozen=True)
class Result:
    """One benchmark's outcome: median seconds of the reference and of ours, and the target ratio."""

    name: str
    reference: str
    reference_s: float
    ours_s: float
    target: float

    @property
    def ratio(self) -> float:
        """Reference time / our time: > 1 means vae_lib is faster."""
        return self.reference_s / self.ours_s

    @property
    def met(self) -> bool:
        """Whether the ratio reaches the target."""
        return self.ratio >= self.target


def median_seconds(
    reference: Callable[[], object], ours: Callable[[], object], repeats: int, warmup: int = 1
) -> tuple[float, float]:
    """Median wall times ``(reference, ours)`` over ``repeats`` calls each, after ``warmup`` untimed calls.

    The two are called alternately, so that load from other processes on a
    shared machine falls on both alike.
    """
    for _ in range(warmup):
        reference()
        ours()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for fn, bucket in ((reference, times[0]), (ours, times[1])):
            start = time.perf_counter()
            fn()
            bucket.append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def time_against(
    name: str,
    reference_label: str,
    reference: Callable[[], object],
    ours: Callable[[], object],
    target: float,
    repeats: int,
    warmup: int = 1,
) -> Result:
    """Time ``reference`` and ``ours`` alternately (:func:`median_seconds`) and return the :class:`Result`."""
    reference_s, ours_s = median_seconds(reference, ours, repeats, warmup)
    return Result(name=name, reference=reference_label, reference_s=reference_s, ours_s=ours_s, target=target)


@contextmanager
def single_thread() -> Iterator[None]:
    """Run the block with one torch thread and one BLAS/OpenMP thread, then restore torch's count."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        torch.set_num_threads(before)


def _high_water_kib() -> int | None:
    match = re.search(r"VmHWM:\s+(\d+) kB", STATUS.read_text()) if STATUS.exists() else None
    return int(match.group(1)) if match else None


def peak_memory_mib(fn: Callable[[], object]) -> float | None:
    """Peak resident memory that ``fn()`` adds to the process, in MiB (Linux only; ``None`` elsewhere).

    Method: return freed heap memory to the kernel (glibc ``malloc_trim``), so
    that memory ``fn`` allocates must become resident again; reset the kernel's
    peak-RSS counter (``VmHWM``, the number behind ``resource.getrusage().ru_maxrss``)
    by writing ``5`` to ``/proc/self/clear_refs``; run ``fn``; subtract the
    resident size before the call from the new peak. ``tracemalloc`` cannot be
    used: it sees only Python's allocator, not the memory of torch tensors.
    """
    if _high_water_kib() is None or not CLEAR_REFS.exists():
        return None
    libc_name = ctypes.util.find_library("c")
    if libc_name:
        ctypes.CDLL(libc_name).malloc_trim(0)
    CLEAR_REFS.write_text("5")
    before = _high_water_kib()
    fn()
    return max(0, _high_water_kib() - before) / 1024


def print_results(results: list[Result]) -> None:
    """Print the benchmark table: median times in ms, ratio reference/ours, target, met or not."""
    header = f"{'benchmark':44s} {'reference':>12s} {'ref ms':>9s} {'ours ms':>9s} {'ratio':>7s} {'target':>7s}  met"
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.name:44s} {r.reference:>12s} {1e3 * r.reference_s:9.1f} {1e3 * r.ours_s:9.1f} "
            f"{r.ratio:7.2f} {'>= ' + format(r.target, 'g'):>7s}  {'yes' if r.met else 'NO'}"
        )
