"""Mixture-of-Gaussians marginal (1.13) vs ``sklearn.mixture.GaussianMixture.score_samples``.

The same parameters are given to both: our :class:`~vae_lib.latent.MixtureOfGaussians`
and an unfitted scikit-learn ``GaussianMixture`` whose ``weights_``, ``means_``,
``covariances_`` and ``precisions_cholesky_`` are set by hand. Construction
(Cholesky factors on both sides) is not timed; scoring is.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.mixture import GaussianMixture

from benchmarks import Result, time_against
from vae_lib.latent import MixtureOfGaussians

N, D, K = 10_000, 64, 10
TARGET = 1.0


def _parameters(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    weights = rng.dirichlet(np.ones(K))
    means = 3 * rng.standard_normal((K, D))
    factors = rng.standard_normal((K, D, D)) / np.sqrt(D)
    covariances = factors @ factors.transpose(0, 2, 1) + 0.5 * np.eye(D)
    return weights, means, covariances


def run(repeats: int = 15) -> Result:
    """Time ``MixtureOfGaussians.log_marginal`` and ``GaussianMixture.score_samples`` (float64, full covariances)."""
    rng = np.random.default_rng(0)
    weights, means, covariances = _parameters(rng)
    x = rng.standard_normal((N, D)) * 2 + means[rng.integers(K, size=N)]

    sk = GaussianMixture(n_components=K, covariance_type="full")
    sk.weights_, sk.means_, sk.covariances_ = weights, means, covariances
    sk.precisions_cholesky_ = np.linalg.cholesky(np.linalg.inv(covariances))
    sk.n_features_in_ = D
    ours_model = MixtureOfGaussians(torch.from_numpy(weights), torch.from_numpy(means), torch.from_numpy(covariances))
    x_torch = torch.from_numpy(x)

    def ours() -> torch.Tensor:
        return ours_model.log_marginal(x_torch)

    def reference() -> np.ndarray:
        return sk.score_samples(x)

    np.testing.assert_allclose(ours().numpy(), reference(), rtol=1e-8, atol=1e-8)
    return time_against(f"MoG log p(x) K={K} full D={D} N={N} f64", "sklearn GMM", reference, ours, TARGET, repeats)
