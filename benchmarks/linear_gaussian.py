"""Linear-Gaussian (probabilistic PCA) log-likelihood (1.13) vs ``sklearn.decomposition.PCA.score_samples``.

scikit-learn's fitted PCA *is* a probabilistic PCA model,
:math:`\\mathcal{N}(\\boldsymbol\\mu, \\mathbf{W}\\mathbf{W}^\\top + \\sigma^2\\mathbf{I})`
with ``W = components_.T * sqrt(explained_variance_ - noise_variance_)``; our
:class:`~vae_lib.latent.LinearGaussian` gets exactly those parameters, and both
score the 1 797 digits. Fitting is not timed; scoring is.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA

from benchmarks import Result, time_against
from vae_lib.latent import LinearGaussian

N_COMPONENTS = 10
TARGET = 1.0


def run(repeats: int = 51) -> Result:
    """Time ``LinearGaussian.log_marginal`` and ``PCA.score_samples`` on the digits (float64)."""
    x = load_digits().data / 16.0
    pca = PCA(n_components=N_COMPONENTS, svd_solver="full").fit(x)
    weight = pca.components_.T * np.sqrt(pca.explained_variance_ - pca.noise_variance_)
    model = LinearGaussian(torch.from_numpy(weight), torch.from_numpy(pca.mean_), float(pca.noise_variance_))
    x_torch = torch.from_numpy(x)

    def ours() -> torch.Tensor:
        return model.log_marginal(x_torch)

    def reference() -> np.ndarray:
        return pca.score_samples(x)

    np.testing.assert_allclose(ours().numpy(), reference(), rtol=1e-7, atol=1e-6)
    return time_against(
        f"PPCA log p(x) digits N={x.shape[0]} k={N_COMPONENTS} f64", "sklearn PCA", reference, ours, TARGET, repeats
    )
