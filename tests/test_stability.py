"""Numerical stability: extreme but valid inputs give finite results that match an oracle.

float32 and float64, logits of ±100, variances down to 1e-8, a mixture with one
weight of 1e-30, log-weights of ±1e4. Oracles are computed in float64 by code
we did not write (``torch.distributions``, ``scipy.stats``, scikit-learn) from
the *same* (already rounded) inputs, so a float32 result is judged on its own
arithmetic, not on the rounding of its inputs.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats
from sklearn.mixture import GaussianMixture
from torch.distributions import Bernoulli, Categorical, MixtureSameFamily, MultivariateNormal, Normal, kl_divergence

from vae_lib.divergence import kl_categorical, kl_normal
from vae_lib.estimators import (
    effective_sample_size,
    gaussian_proposal,
    importance_log_marginal,
    log_mean_exp,
    prior_proposal,
)
from vae_lib.latent import LinearGaussian, MixtureOfGaussians
from vae_lib.likelihood import (
    bernoulli_log_prob,
    bernoulli_log_prob_from_probs,
    categorical_log_prob,
    gaussian_diag_log_prob,
    gaussian_log_prob,
    standard_normal_log_prob,
)
from vae_lib.models import gaussian_kl_standard_normal
from vae_lib.toy import GaussianMixture1D

DTYPES = [torch.float32, torch.float64]
RTOL = {torch.float32: 1e-5, torch.float64: 1e-12}
ATOL = 1e-12  # results that are exactly 0 in one form and -1e-44 in the other are both right


def f64(t: torch.Tensor) -> torch.Tensor:
    return t.detach().to(torch.float64)


def assert_finite_and_close(
    got: torch.Tensor, expected, dtype: torch.dtype, rtol: float | None = None, atol: float = ATOL
):
    assert got.dtype == dtype
    assert torch.isfinite(got).all(), got
    expected = torch.as_tensor(expected, dtype=torch.float64)
    torch.testing.assert_close(f64(got), expected, rtol=rtol or RTOL[dtype], atol=atol)


# --- Bernoulli (1.17)-(1.18) -------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
def test_bernoulli_logits_of_plus_minus_100_are_finite_and_exact(dtype):
    logits = torch.tensor([100.0, -100.0, 100.0, -100.0, 50.0, -30.0], dtype=dtype)
    x = torch.tensor([1.0, 0.0, 0.0, 1.0, 0.0, 1.0], dtype=dtype)
    expected = Bernoulli(logits=f64(logits)).log_prob(f64(x))
    assert_finite_and_close(bernoulli_log_prob(x, logits, event_dims=0), expected, dtype)
    # the wrong guesses cost exactly |logit| nats (plus log(1 + e^-|l|), below float precision here)
    assert bernoulli_log_prob(x[2], logits[2], event_dims=0).item() == pytest.approx(-100.0, rel=1e-7)


@pytest.mark.parametrize("dtype", DTYPES)
def test_bernoulli_logits_sum_over_784_pixels_of_extreme_logits(dtype):
    g = torch.Generator().manual_seed(0)
    logits = (100 * torch.sign(torch.randn(3, 784, generator=g))).to(dtype)
    x = torch.bernoulli(torch.full((3, 784), 0.5), generator=g).to(dtype)
    expected = Bernoulli(logits=f64(logits)).log_prob(f64(x)).sum(-1)
    assert_finite_and_close(bernoulli_log_prob(x, logits), expected, dtype)


@pytest.mark.parametrize(("dtype", "tiny"), [(torch.float32, 1e-30), (torch.float64, 1e-300)])
def test_bernoulli_probabilities_near_zero_and_one_match_scipy(dtype, tiny):
    probs = torch.tensor([tiny, tiny, 0.5, 1 - 1e-7], dtype=dtype)
    x = torch.tensor([1.0, 0.0, 1.0, 0.0], dtype=dtype)
    expected = stats.bernoulli.logpmf(f64(x).numpy(), f64(probs).numpy())
    assert_finite_and_close(bernoulli_log_prob_from_probs(x, probs, event_dims=0), expected, dtype, rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_bernoulli_both_forms_agree_at_logits_of_plus_minus_15(dtype):
    # Beyond |logit| ~ 15 the probability form itself loses digits (1 - sigmoid(30) keeps 3 of them in
    # float64), which is why models use the logits form; here both are still accurate.
    logits = torch.tensor([15.0, -15.0, 15.0, -15.0], dtype=torch.float64)
    x = torch.tensor([1.0, 1.0, 0.0, 0.0], dtype=torch.float64)
    from_logits = bernoulli_log_prob(x.to(dtype), logits.to(dtype), event_dims=0)
    from_probs = bernoulli_log_prob_from_probs(x, torch.sigmoid(logits), event_dims=0)
    torch.testing.assert_close(f64(from_logits), from_probs, rtol=1e-6, atol=1e-6 if dtype == torch.float32 else 1e-9)


# --- categorical (1.5) -------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("scale", [100.0, 1e4])
def test_categorical_with_huge_logits_is_finite_and_matches_torch(dtype, scale):
    logits = (scale * torch.tensor([[1.0, -1.0, 0.5, 0.0], [-1.0, -1.0, -1.0, 1.0]])).to(dtype)
    y = torch.tensor([[0, 1, 2, 3], [0, 1, 2, 3]]).T  # every class for both rows: (4, 2)
    got = categorical_log_prob(y, logits)
    expected = Categorical(logits=f64(logits)).log_prob(y)
    assert_finite_and_close(got, expected, dtype, rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_kl_categorical_with_logits_of_100_is_finite_and_matches_torch(dtype):
    p = torch.tensor([100.0, -100.0, 0.0], dtype=dtype)
    q = torch.tensor([-100.0, 100.0, 0.0], dtype=dtype)
    expected = kl_divergence(Categorical(logits=f64(p)), Categorical(logits=f64(q)))
    assert_finite_and_close(kl_categorical(p, q), expected, dtype, rtol=1e-6)


# --- Gaussians with variances down to 1e-8 -----------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("variance", [1.0, 1e-4, 1e-8])
def test_diagonal_gaussian_with_tiny_variance_matches_scipy(dtype, variance):
    mean = torch.tensor([1.0, -2.0, 0.0], dtype=dtype)
    sd = math.sqrt(variance)
    x = mean + torch.tensor([0.0, 3 * sd, -1.5 * sd], dtype=dtype)
    log_var = torch.full((3,), math.log(variance), dtype=dtype)
    expected = stats.norm.logpdf(f64(x).numpy(), f64(mean).numpy(), np.exp(0.5 * f64(log_var).numpy())).sum()
    assert_finite_and_close(
        gaussian_diag_log_prob(x, mean, log_var), expected, dtype, rtol=1e-5 if dtype == torch.float32 else 1e-10
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_full_covariance_gaussian_with_tiny_variances_matches_scipy(dtype):
    rng = np.random.default_rng(0)
    a = rng.normal(size=(3, 3))
    for variance in (1e-4, 1e-8):
        cov = torch.tensor(variance * (a @ a.T + 0.5 * np.eye(3)), dtype=dtype)
        mean = torch.tensor([0.5, -1.0, 2.0], dtype=dtype)
        x = mean + torch.tensor(rng.normal(size=(4, 3)) * math.sqrt(variance), dtype=dtype)
        expected = stats.multivariate_normal(f64(mean).numpy(), f64(cov).numpy()).logpdf(f64(x).numpy())
        assert_finite_and_close(
            gaussian_log_prob(x, mean, cov), expected, dtype, rtol=1e-4 if dtype == torch.float32 else 1e-9
        )


@pytest.mark.parametrize("dtype", DTYPES)
def test_standard_normal_far_in_the_tails_is_finite(dtype):
    z = torch.tensor([[1e3, -1e3], [0.0, 30.0]], dtype=dtype)
    assert_finite_and_close(standard_normal_log_prob(z), Normal(0.0, 1.0).log_prob(f64(z)).sum(-1), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_kl_with_variance_1e_8_matches_torch(dtype):
    mean = torch.tensor([0.0, 1.0, -2.0], dtype=dtype)
    log_var = torch.full((3,), math.log(1e-8), dtype=dtype)
    expected = kl_divergence(Normal(f64(mean), f64(log_var).mul(0.5).exp()), Normal(0.0, 1.0))
    assert_finite_and_close(
        kl_normal(mean, log_var, torch.zeros(()), torch.zeros(())).to(dtype), expected, dtype, rtol=1e-6
    )
    assert_finite_and_close(gaussian_kl_standard_normal(mean, log_var), expected.sum(), dtype, rtol=1e-6)


# --- a mixture with one weight of 1e-30 --------------------------------------


def tiny_weight_mixture(dtype: torch.dtype, variance: float = 1.0) -> tuple[MixtureOfGaussians, np.ndarray, np.ndarray]:
    weights = np.array([0.6, 0.4 - 1e-30, 1e-30])
    means = np.array([[0.0, 0.0], [3.0, -1.0], [-4.0, 4.0]])
    covariances = variance * np.stack([np.eye(2), [[2.0, 0.5], [0.5, 1.0]], np.eye(2)])
    model = MixtureOfGaussians(
        torch.tensor(weights, dtype=dtype), torch.tensor(means, dtype=dtype), torch.tensor(covariances, dtype=dtype)
    )
    x = np.concatenate(
        [means + math.sqrt(variance) * np.array([0.5, -0.5]), [[1e3, -1e3]]]
    )  # every centre, and far away
    return model, x, weights


def sklearn_mixture(model: MixtureOfGaussians) -> GaussianMixture:
    gm = GaussianMixture(n_components=model.n_components)
    covariances = f64(model.covariances).numpy()
    gm.weights_, gm.means_, gm.covariances_ = f64(model.weights).numpy(), f64(model.means).numpy(), covariances
    gm.precisions_cholesky_ = np.linalg.cholesky(np.linalg.inv(covariances))
    gm.n_features_in_ = model.dim
    return gm


@pytest.mark.parametrize("dtype", DTYPES)
def test_mixture_with_a_weight_of_1e_30_matches_sklearn_and_torch(dtype):
    model, x, _ = tiny_weight_mixture(dtype)
    xt = torch.tensor(x, dtype=dtype)
    got = model.log_marginal(xt)
    assert_finite_and_close(
        got,
        sklearn_mixture(model).score_samples(f64(xt).numpy()),
        dtype,
        rtol=1e-5 if dtype == torch.float32 else 1e-10,
    )
    oracle = MixtureSameFamily(
        Categorical(probs=f64(model.weights)), MultivariateNormal(f64(model.means), f64(model.covariances))
    )
    torch.testing.assert_close(f64(got), oracle.log_prob(f64(xt)), rtol=1e-5, atol=0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_mixture_responsibilities_with_a_weight_of_1e_30_are_finite_and_normalised(dtype):
    model, x, _ = tiny_weight_mixture(dtype)
    xt = torch.tensor(x, dtype=dtype)
    posterior = model.posterior(xt).probs
    assert torch.isfinite(posterior).all() and (posterior >= 0).all()
    torch.testing.assert_close(posterior.sum(-1), torch.ones(len(x), dtype=dtype))
    expected = sklearn_mixture(model).predict_proba(f64(xt).numpy())
    torch.testing.assert_close(f64(posterior), torch.tensor(expected), rtol=1e-4, atol=1e-6)
    # at its own centre the rare component's responsibility is tiny but not NaN, and rounds to its exact value
    log_joint = f64(model.log_joint(xt[2]))
    assert posterior[2, 2].item() == pytest.approx(torch.softmax(log_joint, -1)[2].item(), rel=1e-4)


@pytest.mark.parametrize("dtype", DTYPES)
def test_mixture_with_variances_of_1e_8_matches_sklearn(dtype):
    model, x, _ = tiny_weight_mixture(dtype, variance=1e-8)
    xt = torch.tensor(x[:3], dtype=dtype)  # the far point is 1e12 standard deviations out: skip it here
    expected = sklearn_mixture(model).score_samples(f64(xt).numpy())
    # float32: whitening x @ L⁻ᵀ - μ @ L⁻ᵀ (as scikit-learn does) cancels terms of size |μ|/σ = 4e4, so
    # about 4 digits of the Mahalanobis distance remain
    assert_finite_and_close(model.log_marginal(xt), expected, dtype, rtol=1e-4 if dtype == torch.float32 else 1e-9)


def test_toy_mixture_with_a_weight_of_1e_30_is_finite_far_away():
    p = GaussianMixture1D([1.0 - 1e-30, 1e-30], [0.0, 50.0], [1.0, 0.1])
    x = torch.tensor([0.0, 50.0, -1e4], dtype=torch.float64)
    expected = np.logaddexp(
        np.log(1.0 - 1e-30) + stats.norm.logpdf(x.numpy(), 0.0, 1.0),
        np.log(1e-30) + stats.norm.logpdf(x.numpy(), 50.0, 0.1),
    )
    assert_finite_and_close(p.log_prob(x), expected, torch.float64)


# --- linear-Gaussian with noise variance 1e-8 --------------------------------


def _linear_gaussian_case(dtype: torch.dtype, noise: float) -> tuple[LinearGaussian, torch.Tensor, np.ndarray]:
    rng = np.random.default_rng(1)
    weight, mean = rng.normal(size=(4, 2)), rng.normal(size=4)
    x = rng.normal(size=(5, 2)) @ weight.T + mean + math.sqrt(noise) * rng.normal(size=(5, 4))
    model = LinearGaussian(torch.tensor(weight, dtype=dtype), torch.tensor(mean, dtype=dtype), noise)
    xt = torch.tensor(x, dtype=dtype)
    cov = f64(model.weight) @ f64(model.weight).T + noise * torch.eye(4, dtype=torch.float64)
    expected = MultivariateNormal(f64(model.mean), cov).log_prob(f64(xt)).numpy()
    return model, xt, expected


@pytest.mark.parametrize("noise", [1e-2, 1e-4, 1e-8])
def test_linear_gaussian_with_tiny_noise_matches_torch_in_float64(noise):
    model, x, expected = _linear_gaussian_case(torch.float64, noise)
    assert_finite_and_close(model.log_marginal(x), expected, torch.float64, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("noise", [1e-2, 1e-4, 1e-8])
def test_linear_gaussian_with_tiny_noise_matches_torch_in_float32(noise):
    model, x, expected = _linear_gaussian_case(torch.float32, noise)
    assert_finite_and_close(model.log_marginal(x), expected, torch.float32, rtol=1e-4)


def test_importance_sampling_with_exact_posterior_stays_exact_at_noise_1e_8():
    model, x, expected = _linear_gaussian_case(torch.float64, 1e-8)
    posterior = model.posterior(x)
    proposal = gaussian_proposal(posterior.mean, posterior.covariance_matrix, torch.Generator().manual_seed(0))
    estimate = importance_log_marginal(model.log_joint, x, proposal, 50)
    assert_finite_and_close(estimate, expected, torch.float64, rtol=1e-7)


def test_naive_monte_carlo_with_log_weights_near_minus_1e8_is_finite_and_below_the_truth():
    model, x, expected = _linear_gaussian_case(torch.float64, 1e-8)
    estimate = importance_log_marginal(
        model.log_joint, x, prior_proposal(2, torch.Generator().manual_seed(0)), 1000, chunk_size=250
    )
    assert torch.isfinite(estimate).all()
    assert (estimate <= torch.tensor(expected) + 1e-6).all()  # the prior almost never lands in the 1e-4-wide posterior


# --- log-mean-exp and effective sample size with extreme log-weights ----------


@pytest.mark.parametrize("dtype", DTYPES)
def test_log_mean_exp_of_plus_minus_1e4_is_exact(dtype):
    values = torch.tensor([1e4, -1e4, 1e4 - 1.0, -math.inf], dtype=dtype)
    expected = 1e4 + math.log1p(math.exp(-1.0)) - math.log(4)
    assert_finite_and_close(log_mean_exp(values), expected, dtype, rtol=1e-7)
    assert_finite_and_close(log_mean_exp(-values[:3]), 1e4 - math.log(3), dtype, rtol=1e-7)


@pytest.mark.parametrize("dtype", DTYPES)
def test_effective_sample_size_with_extreme_log_weights_stays_in_range(dtype):
    log_w = torch.tensor([[1e4, 1e4, -1e4, -math.inf], [-1e4, -1e4 + math.log(3.0), -3e4, -3e4]], dtype=dtype).T
    ess = effective_sample_size(log_w)
    # weights (1, 1, 0, 0) -> ESS 2; (1, 3, ~0, ~0) -> 16 / 10, from the log-weights as rounded to dtype
    w = np.exp(f64(log_w).numpy() - f64(log_w).numpy().max(0))
    expected = w.sum(0) ** 2 / (w**2).sum(0)
    np.testing.assert_allclose(expected, [2.0, 1.6], rtol=1e-3)
    assert_finite_and_close(ess, expected, dtype, rtol=1e-5)
