"""Whole-book execution time: every chapter notebook, run top to bottom in a fresh kernel.

The notebooks are *copied* to a temporary directory and executed there with
``tools/execute_notebooks.py``'s :func:`execute` (nbclient, the same call the
maintainers use), so the committed notebooks and their outputs are never
touched. Targets: no notebook over 15 s, the whole book under 60 s.
"""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PER_NOTEBOOK_LIMIT_S = 15.0
TOTAL_LIMIT_S = 60.0


def _executor() -> Callable[[Path], float]:
    """``execute(path) -> seconds`` from tools/execute_notebooks.py (not a package, so loaded from its file)."""
    spec = importlib.util.spec_from_file_location("execute_notebooks", ROOT / "tools" / "execute_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.execute


def run(pattern: str = "*.ipynb") -> dict[str, float]:
    """Execute copies of ``chapters/<pattern>``; print and return ``{notebook: seconds}``."""
    execute = _executor()
    times: dict[str, float] = {}
    print(f"{'notebook':40s} {'seconds':>8s}")
    with tempfile.TemporaryDirectory(prefix="vae-intro-notebooks-") as tmp:
        for folder in ("chapters", "docs"):
            if (ROOT / folder).is_dir():
                shutil.copytree(ROOT / folder, Path(tmp) / folder)
        for path in sorted((Path(tmp) / "chapters").glob(pattern)):
            times[path.name] = execute(path)
            flag = "  over 15 s" if times[path.name] > PER_NOTEBOOK_LIMIT_S else ""
            print(f"{path.name:40s} {times[path.name]:8.1f}{flag}", flush=True)
    total = sum(times.values())
    print(f"{'total':40s} {total:8.1f}{'  over 60 s' if total > TOTAL_LIMIT_S else ''}")
    return times
