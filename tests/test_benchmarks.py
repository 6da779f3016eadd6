"""The benchmark scripts still run and agree with their references (no timing is asserted)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_fast_benchmarks_run_and_check_their_results():
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks", "bernoulli", "linear_gaussian"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "targets met" in result.stdout
    assert "Bernoulli log p" in result.stdout and "PPCA log p(x)" in result.stdout
