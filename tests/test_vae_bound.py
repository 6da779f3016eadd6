"""The ELBO reported by section 1.2's recipe is a lower bound on an importance-sampled log p(x).

Importance sampling (1.13) with the encoder as proposal,
log p̂(x) = log (1/K) Σ_k p(x, z_k) / q(z_k | x), is unbiased for p(x) and, for
K = 1, has expectation equal to the ELBO; its expectation grows with K towards
log p(x). So on the same data, with K large, the importance-sampled estimate
must sit above the ELBO. Both sides are Monte Carlo estimates: the test compares
their per-data-point difference with its standard error.
"""

from __future__ import annotations

import math

import pytest
import torch

from vae_lib.data import load_digits
from vae_lib.estimators import encoder_proposal, importance_log_marginal
from vae_lib.models import VAE
from vae_lib.training import train

# The recipe of chapters/1_2_aim.ipynb: 80/20 split with seed 0, VAE(64, [64], 2), Adam, 400 steps of batch 512.
HIDDEN, Z_DIM, LR, BATCH_SIZE, STEPS = [64], 2, 1e-2, 512, 400


@pytest.fixture(scope="module")
def digits() -> tuple[torch.Tensor, torch.Tensor]:
    x, _ = load_digits(binarize=True)
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
    n_train = int(0.8 * len(x))
    return x[perm[:n_train]], x[perm[n_train:]]


def _vae(x_train: torch.Tensor, steps: int) -> VAE:
    torch.manual_seed(0)
    vae = VAE(x_train.shape[1], HIDDEN, Z_DIM)
    if steps:
        train(vae.loss, vae, x_train, steps=steps, batch_size=BATCH_SIZE, lr=LR, progress=False)
    return vae


def _elbo_and_log_marginal(vae: VAE, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per data point: ELBO (200 samples), its standard error, and log p(x) by importance sampling (K = 2000)."""
    with torch.no_grad():  # 200 single-sample ELBOs per data point, in one batch of 200 copies of x
        draws = vae.elbo(x.repeat(200, 1), generator=torch.Generator().manual_seed(1)).reshape(200, len(x))
    log_px = importance_log_marginal(
        vae.model.log_joint, x, encoder_proposal(vae.encoder, torch.Generator().manual_seed(2)), 2000, chunk_size=500
    )
    return draws.mean(0), draws.std(0) / math.sqrt(len(draws)), log_px


@pytest.mark.parametrize("steps", [0, STEPS], ids=["untrained", "trained-as-in-1.2"])
def test_elbo_is_below_importance_sampled_log_marginal_on_held_out_digits(digits, steps):
    x_train, x_test = digits
    vae = _vae(x_train, steps)
    elbo, elbo_se, log_px = _elbo_and_log_marginal(vae, x_test)
    gap = log_px - elbo  # ≥ 0 in expectation: KL(q ‖ posterior), less what K samples recover of it
    se = gap.std() / math.sqrt(len(gap))
    assert gap.mean() > 3 * se, f"mean gap {gap.mean():.4g} nats, standard error {se:.4g}"
    worst = (gap / elbo_se).min()
    assert worst > -5, f"a data point's ELBO exceeds its log p(x) estimate by {-worst:.3g} standard errors"
    if steps:  # the recipe must have trained: an untrained VAE scores about -45 nats per held-out digit
        assert elbo.mean() > -25
