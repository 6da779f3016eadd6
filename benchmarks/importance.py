"""Monte Carlo :math:`\\log p_\\theta(\\mathbf{x})` (1.13) for all 1 797 digits: batched vs a loop over data points.

Two estimators, each timed as one batched call against a loop that calls the
*same* function on one data point at a time (itself vectorised over the K
samples):

* ``naive_log_marginal`` — naive Monte Carlo (importance sampling with the
  prior as proposal). The prior does not depend on x, so the batched call
  shares one set of K samples between all points: the decoder runs K times
  instead of N·K and the likelihoods are one matrix product. Target ≥ 20.
* ``importance_log_marginal`` with the encoder as proposal — samples depend
  on x, so the batched call does the same decoder arithmetic as the loop and
  saves only per-call overhead: expect a ratio near 1 (reported, not a target
  it can meet; see the README).

Peak memory is measured in a fresh child process per variant
(``python -m benchmarks.importance VARIANT``), with glibc's mmap threshold fixed
at 128 KiB (``MALLOC_MMAP_THRESHOLD_``) so that freed tensors leave the resident
set at once and the peak resident size tracks the peak of live tensors.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import torch

from benchmarks import Result, peak_memory_mib, single_thread, time_against
from vae_lib.data import load_digits
from vae_lib.estimators import encoder_proposal, importance_log_marginal, naive_log_marginal
from vae_lib.models import DLVM, BernoulliDecoder, GaussianEncoder

N_SAMPLES = 1_000
Z_DIM = 2
HIDDEN = [64]
CHUNK_SIZE = 100
TARGET = 20.0
ROOT = Path(__file__).resolve().parent.parent
VARIANTS = {
    "naive": f"naive MC, batched, chunk_size={CHUNK_SIZE}",
    "naive_unchunked": "naive MC, batched, all K at once",
    "naive_loop": "naive MC, loop over data points",
    "encoder": f"encoder IS, batched, chunk_size={CHUNK_SIZE}",
    "encoder_loop": "encoder IS, loop over data points",
}


def _estimators(n_points: int | None = None) -> dict[str, Callable[[], torch.Tensor]]:
    """The variants of ``VARIANTS`` on the first ``n_points`` binarised digits (all if ``None``)."""
    x = load_digits(binarize=True)[0][:n_points]
    torch.manual_seed(0)
    model = DLVM(BernoulliDecoder(Z_DIM, HIDDEN, x.shape[1]))
    encoder = GaussianEncoder(x.shape[1], HIDDEN, Z_DIM)

    def naive(rows: torch.Tensor, chunk_size: int | None = CHUNK_SIZE) -> torch.Tensor:
        return naive_log_marginal(model, rows, N_SAMPLES, torch.Generator().manual_seed(0), chunk_size)

    def encoder_is(rows: torch.Tensor) -> torch.Tensor:
        proposal = encoder_proposal(encoder, torch.Generator().manual_seed(0))
        with torch.no_grad():
            return importance_log_marginal(model.log_joint, rows, proposal, N_SAMPLES, chunk_size=CHUNK_SIZE)

    def loop(fn: Callable[[torch.Tensor], torch.Tensor]) -> Callable[[], torch.Tensor]:
        return lambda: torch.cat([fn(x[i : i + 1]) for i in range(len(x))])

    return {
        "naive": lambda: naive(x),
        "naive_unchunked": lambda: naive(x, None),
        "naive_loop": loop(naive),
        "encoder": lambda: encoder_is(x),
        "encoder_loop": loop(encoder_is),
    }


def _peak_in_child(variant: str) -> float | None:
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": str(128 * 1024)}
    child = subprocess.run(
        [sys.executable, "-m", "benchmarks.importance", variant],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    value = child.stdout.strip()
    return None if value == "None" else float(value)


def _compare(batched: Callable[[], torch.Tensor], loop: Callable[[], torch.Tensor], name: str, repeats: int) -> Result:
    estimate = batched()
    if abs(estimate.mean() - loop().mean()) > 0.05:
        raise AssertionError(f"{name}: batched and per-point estimates of the mean log p(x) differ by > 0.05 nats")
    return time_against(name, "loop/point", loop, batched, TARGET, repeats, warmup=0)


def run(repeats: int = 3) -> tuple[list[Result], dict[str, float | None]]:
    """Time both estimators batched vs per point; return the results and peak memory (MiB) per variant."""
    est = _estimators()
    results = [
        _compare(est["naive"], est["naive_loop"], f"naive MC log p(x) K={N_SAMPLES} N=1797 z={Z_DIM} f32", repeats),
        _compare(est["encoder"], est["encoder_loop"], f"encoder IS log p(x) K={N_SAMPLES} N=1797 z={Z_DIM}", repeats),
    ]
    return results, {label: _peak_in_child(variant) for variant, label in VARIANTS.items()}


if __name__ == "__main__":
    with single_thread():
        _estimators(20)[sys.argv[1]]()  # warm-up: first-call allocations are not the estimator's memory
        print(peak_memory_mib(_estimators()[sys.argv[1]]))
