"""Progress bars whose final text is deterministic (safe in committed notebook outputs)."""

from __future__ import annotations

import sys

from tqdm import tqdm


class _Bar(tqdm):
    monitor_interval = 0  # no monitor thread: it would change the refresh rate mid-run


def progress_bar(total: int, desc: str, enabled: bool = True) -> tqdm:
    """A tqdm bar on stdout that shows counts and postfix values but no timings.

    Rates and elapsed times differ on every run; leaving them out keeps a
    notebook's stored output identical between runs (nbval compares it).
    Refreshes every 5 % of ``total``, independent of wall time.
    """
    return _Bar(
        total=total,
        desc=desc,
        file=sys.stdout,
        disable=not enabled,
        mininterval=0,
        miniters=max(1, total // 20),
        bar_format="{desc}: {percentage:3.0f}%|{bar:20}| {n_fmt}/{total_fmt}{postfix}",
    )
