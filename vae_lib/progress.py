"""Progress reporting whose text is deterministic (safe in committed notebook outputs).

In a terminal, a live tqdm bar; anywhere else (a notebook, a log file) one line
at each quarter of the run, so that the stored output of a notebook and the
rendered book show a short, readable training log instead of twenty redrawn
bars. Neither shows timings: those differ on every run, and strict nbval
compares stored outputs.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TextIO

from tqdm import tqdm

from vae_lib.checks import check_positive_int


class _TerminalBar(tqdm):
    monitor_interval = 0  # no monitor thread: it would change the refresh rate mid-run


class CheckpointProgress:
    """Prints ``desc: |█████░░░░░| 50% 300/600, loss=17.76`` at each of ``checkpoints`` equal steps.

    Has the part of tqdm's interface that :func:`vae_lib.training.train` uses
    (``update``, ``set_postfix_str``, context manager).

    Example:
        >>> with CheckpointProgress(8, "fit", checkpoints=2) as bar:
        ...     for _ in range(8):
        ...         bar.update()
        fit: |██████████··········|  50% 4/8
        fit: |████████████████████| 100% 8/8
    """

    def __init__(self, total: int, desc: str, checkpoints: int = 4, file: TextIO | None = None) -> None:
        check_positive_int(total, "total")
        check_positive_int(checkpoints, "checkpoints")
        self.total, self.desc, self.n = total, desc, 0
        self.file = file
        self.marks = sorted({max(1, round(total * k / checkpoints)) for k in range(1, checkpoints + 1)})
        self.postfix = ""

    def set_postfix_str(self, text: str, refresh: bool = False) -> None:
        """Text shown after the counts, e.g. the running loss."""
        self.postfix = f", {text}" if text else ""

    def update(self, n: int = 1) -> None:
        """Advance by ``n`` steps; print a line when a checkpoint is passed."""
        before, self.n = self.n, self.n + n
        if any(before < mark <= self.n for mark in self.marks):
            filled = 20 * self.n // self.total
            bar = "█" * filled + "·" * (20 - filled)
            print(
                f"{self.desc}: |{bar}| {100 * self.n // self.total:3d}% {self.n}/{self.total}{self.postfix}",
                file=self.file or sys.stdout,
                flush=True,
            )

    def __enter__(self) -> CheckpointProgress:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        return None


class _Disabled(CheckpointProgress):
    def update(self, n: int = 1) -> None:
        self.n += n


def progress_bar(total: int, desc: str, enabled: bool = True) -> tqdm | CheckpointProgress:
    """A progress display for ``total`` steps: live in a terminal, four log lines elsewhere.

    Neither form shows rates or elapsed times, so the text is the same on every run.

    Example:
        >>> with progress_bar(4, "fit") as bar:  # doctest: +ELLIPSIS
        ...     bar.update(4)
        fit: |████████████████████| 100% 4/4
    """
    check_positive_int(total, "total")
    if not enabled:
        return _Disabled(total, desc)
    if sys.stdout.isatty():
        return _TerminalBar(
            total=total,
            desc=desc,
            file=sys.stdout,
            bar_format="{desc}: {percentage:3.0f}%|{bar:20}| {n_fmt}/{total_fmt}{postfix}",
        )
    return CheckpointProgress(total, desc)
