"""Execute chapter notebooks in place (top to bottom, fresh kernel) and print their run times.

    python tools/execute_notebooks.py                    # every notebook in chapters/
    python tools/execute_notebooks.py chapters/1_6*.ipynb

Stored outputs are what strict nbval compares against, so run this after
changing a notebook and commit the result. Timing metadata is not recorded,
so re-running an unchanged notebook leaves the file unchanged.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


def execute(path: Path, timeout: int = 120) -> float:
    """Run ``path`` in place with a fresh python3 kernel; return wall seconds."""
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    seconds = time.perf_counter() - start
    nbformat.write(nb, path)
    return seconds


if __name__ == "__main__":
    paths = [Path(p) for p in sys.argv[1:]] or sorted((ROOT / "chapters").glob("*.ipynb"))
    total = 0.0
    print(f"{'notebook':40s} {'seconds':>8s}")
    for path in paths:
        seconds = execute(path)
        total += seconds
        print(f"{path.name:40s} {seconds:8.1f}", flush=True)
    print(f"{'total':40s} {total:8.1f}")
