"""Estimators of log p(x) (1.13) and the grid posterior (1.19), against closed forms and scipy."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import integrate, special, stats
from torch.distributions import Bernoulli, MultivariateNormal, Normal

from vae_lib.estimators import (
    effective_sample_size,
    encoder_proposal,
    gaussian_proposal,
    grid_kl_to_gaussian,
    grid_log_joint,
    grid_log_marginal,
    grid_log_posterior,
    grid_posterior_moments,
    importance_log_marginal,
    latent_grid,
    log_importance_weights,
    log_mean_exp,
    naive_log_marginal,
    prior_proposal,
    running_log_mean_exp,
    running_mean,
)
from vae_lib.latent import LinearGaussian
from vae_lib.models import DLVM, BernoulliDecoder, GaussianEncoder

DTYPE = torch.float64


def linear_gaussian(dim: int = 5, n_latent: int = 2, seed: int = 0) -> LinearGaussian:
    rng = np.random.default_rng(seed)
    return LinearGaussian(rng.normal(size=(dim, n_latent)), rng.normal(size=dim), rng.uniform(0.3, 1.0, size=dim))


def exact_log_marginal(model: LinearGaussian, x: torch.Tensor) -> torch.Tensor:
    """Oracle: log N(x; μ, WWᵀ + Ψ) from torch.distributions."""
    cov = model.weight @ model.weight.T + torch.diag(model.noise_variance)
    return MultivariateNormal(model.mean, cov).log_prob(x)


def exact_posterior(model: LinearGaussian, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Oracle: Gaussian conditioning of the joint of (z, x), p(z|x) = N(Wᵀ C⁻¹(x-μ), I - Wᵀ C⁻¹ W)."""
    cov = model.weight @ model.weight.T + torch.diag(model.noise_variance)
    mean = torch.linalg.solve(cov, (x - model.mean).T).T @ model.weight
    eye = torch.eye(model.n_latent, dtype=DTYPE)
    return mean, eye - model.weight.T @ torch.linalg.solve(cov, model.weight)


def data(model: LinearGaussian, n: int, seed: int = 1) -> torch.Tensor:
    return model.sample(n, generator=torch.Generator().manual_seed(seed))[0]


# --- log-mean-exp and effective sample size -----------------------------------


def test_log_mean_exp_matches_scipy_and_is_stable():
    values = torch.tensor([[-1000.0, -1001.0, -1002.0], [3.0, 1.0, -2.0]], dtype=DTYPE)
    expected = special.logsumexp(values.numpy(), axis=1) - math.log(3)
    np.testing.assert_allclose(log_mean_exp(values, dim=1).numpy(), expected, rtol=1e-12)
    assert np.mean(np.exp(values[0].numpy())) == 0.0  # the naive formula underflows: log 0 = -inf


def test_effective_sample_size_matches_kish_formula():
    log_w = torch.randn(50, 3, generator=torch.Generator().manual_seed(0), dtype=DTYPE) * 2
    w = np.exp(log_w.numpy())
    np.testing.assert_allclose(effective_sample_size(log_w).numpy(), w.sum(0) ** 2 / (w**2).sum(0), rtol=1e-12)
    # Shifting all log-weights by a constant (an unknown normaliser) changes nothing.
    torch.testing.assert_close(effective_sample_size(log_w - 500), effective_sample_size(log_w))


def test_effective_sample_size_is_accurate_in_float32_far_from_zero():
    # Oracle in float64; unshifted, 2·logsumexp(w) - logsumexp(2w) near -2e4 loses 3 digits in float32.
    log_w = torch.tensor([-1e4, -1e4 + math.log(3.0), -1e4 - 1.0, -3e4], dtype=torch.float32)
    w = np.exp(log_w.double().numpy() + 1e4)  # the float32 inputs, exactly
    expected = w.sum() ** 2 / (w**2).sum()
    assert effective_sample_size(log_w).item() == pytest.approx(expected, rel=1e-6)
    assert effective_sample_size(torch.full((3,), -math.inf)).isnan()  # all weights zero: undefined, not an error


def test_nan_log_weights_raise():
    with pytest.raises(ValueError, match="values contains NaN"):
        log_mean_exp(torch.tensor([0.0, math.nan]))
    with pytest.raises(ValueError, match="log_weights contains NaN"):
        effective_sample_size(torch.tensor([0.0, math.nan]))
    with pytest.raises(ValueError, match=r"values contains \+inf"):
        log_mean_exp(torch.tensor([0.0, math.inf]))
    assert log_mean_exp(torch.tensor([0.0, -math.inf])).item() == pytest.approx(-math.log(2))  # a zero weight is fine


def test_effective_sample_size_extremes():
    assert effective_sample_size(torch.zeros(10)).item() == pytest.approx(10)
    assert effective_sample_size(torch.tensor([0.0, -50.0, -50.0, -50.0])).item() == pytest.approx(1, abs=1e-12)


# --- proposals ----------------------------------------------------------------


def test_prior_proposal_log_density_is_standard_normal():
    z, log_q = prior_proposal(3, generator=torch.Generator().manual_seed(0))(torch.zeros(4, 2, dtype=DTYPE), 5)
    assert z.shape == (5, 4, 3) and z.dtype == DTYPE
    torch.testing.assert_close(log_q, Normal(0.0, 1.0).log_prob(z).sum(-1))


def test_encoder_proposal_log_density_matches_normal():
    torch.manual_seed(0)
    encoder = GaussianEncoder(4, [8], 2)
    x = torch.rand(3, 4)
    z, log_q = encoder_proposal(encoder, generator=torch.Generator().manual_seed(0))(x, 6)
    mean, log_var = encoder(x)
    torch.testing.assert_close(log_q, Normal(mean, torch.exp(0.5 * log_var)).log_prob(z).sum(-1))


def test_gaussian_proposal_log_density_matches_multivariate_normal():
    mean = torch.tensor([[0.0, 1.0], [2.0, -1.0]], dtype=DTYPE)
    cov = torch.tensor([[2.0, 0.5], [0.5, 1.0]], dtype=DTYPE)
    z, log_q = gaussian_proposal(mean, cov, torch.Generator().manual_seed(0))(torch.zeros(2, 3), 4)
    assert z.shape == (4, 2, 2)
    torch.testing.assert_close(log_q, MultivariateNormal(mean, cov).log_prob(z))


def test_gaussian_proposal_per_point_covariances_and_sample_moments():
    mean = torch.tensor([[0.0, 1.0], [2.0, -1.0]], dtype=DTYPE)
    cov = torch.stack([torch.eye(2, dtype=DTYPE) * 0.5, torch.tensor([[2.0, -0.8], [-0.8, 1.0]], dtype=DTYPE)])
    z, log_q = gaussian_proposal(mean, cov, torch.Generator().manual_seed(1))(torch.zeros(2, 3), 40_000)
    torch.testing.assert_close(log_q, MultivariateNormal(mean, cov).log_prob(z))
    # Standard errors: mean sqrt(2/n) < 0.008, variance sqrt(2/n)·σ² < 0.015; about 4 of each.
    torch.testing.assert_close(z.mean(0), mean, atol=0.03, rtol=0)
    for n in range(2):
        torch.testing.assert_close(torch.cov(z[:, n].T), cov[n], atol=0.06, rtol=0)


# --- importance sampling on the linear-Gaussian model (exact log p(x) known) ----


def test_exact_posterior_proposal_has_zero_variance():
    model = linear_gaussian()
    x = data(model, 8)
    posterior = model.posterior(x)
    proposal = gaussian_proposal(
        posterior.mean, posterior.covariance_matrix, generator=torch.Generator().manual_seed(0)
    )
    log_w = log_importance_weights(model.log_joint, x, proposal, 100)
    exact = exact_log_marginal(model, x)
    # log p(x, z) - log p(z|x) = log p(x) for *every* z: each single weight is exact.
    torch.testing.assert_close(log_w, exact.expand(100, -1), atol=1e-10, rtol=0)
    torch.testing.assert_close(effective_sample_size(log_w), torch.full((8,), 100.0, dtype=DTYPE))


@pytest.mark.parametrize("estimator", ["naive", "importance"])
def test_estimators_converge_to_exact_log_marginal(estimator):
    model = linear_gaussian()
    x = data(model, 10)
    gen = torch.Generator().manual_seed(0)
    if estimator == "naive":
        proposal = prior_proposal(model.n_latent, gen)
    else:  # a deliberately imperfect proposal: the posterior, shifted and twice as wide
        posterior = model.posterior(x)
        proposal = gaussian_proposal(posterior.mean + 0.3, 2 * posterior.covariance_matrix, gen)
    n_samples = 100_000
    log_w = log_importance_weights(model.log_joint, x, proposal, n_samples)
    estimate = log_mean_exp(log_w)
    # Delta method: sd(log p̂) ≈ sd(w) / (sqrt(K) E[w]) = sqrt((K/ESS - 1)/K), from the same weights.
    sd = torch.sqrt((n_samples / effective_sample_size(log_w) - 1) / n_samples)
    assert (sd < 0.05).all()  # the tolerance below is tight enough to mean something
    error = (estimate - exact_log_marginal(model, x)).abs()
    assert (error < 5 * sd).all(), (error / sd).max()


def test_importance_estimate_is_unbiased_for_p_and_biased_low_for_log_p():
    model = linear_gaussian(dim=3, n_latent=1)
    x = data(model, 1)
    replicates, n_samples = 4000, 5
    log_w = log_importance_weights(
        model.log_joint, x, prior_proposal(1, torch.Generator().manual_seed(2)), replicates * n_samples
    )
    estimates = log_mean_exp(log_w.reshape(replicates, n_samples, 1), dim=1).squeeze(-1)
    ratio = torch.exp(estimates - exact_log_marginal(model, x))  # p̂ / p, one per replicate
    assert abs(ratio.mean().item() - 1) < 5 * ratio.std().item() / math.sqrt(replicates)
    # Jensen: E[log p̂] < log E[p̂] = log p, by more than 5 standard errors.
    log_error = torch.log(ratio)
    assert log_error.mean().item() < -5 * log_error.std().item() / math.sqrt(replicates)


def test_chunked_importance_sampling_combines_chunks_exactly():
    model = linear_gaussian()
    x = data(model, 3)
    z_fixed = torch.randn(3, 3, 2, generator=torch.Generator().manual_seed(0), dtype=DTYPE)
    proposal_q = MultivariateNormal(torch.zeros(2, dtype=DTYPE), 4 * torch.eye(2, dtype=DTYPE))

    def fixed(x: torch.Tensor, n_samples: int) -> tuple[torch.Tensor, torch.Tensor]:
        z = z_fixed[:n_samples]
        return z, proposal_q.log_prob(z)

    # Three chunks of the same 3 samples = the same average as those 3 samples.
    torch.testing.assert_close(
        importance_log_marginal(model.log_joint, x, fixed, 9, chunk_size=3),
        importance_log_marginal(model.log_joint, x, fixed, 3),
    )


def test_chunked_and_unchunked_agree_within_monte_carlo_error():
    model = linear_gaussian()
    x = data(model, 4)
    posterior = model.posterior(x)
    mean, cov = posterior.mean, posterior.covariance_matrix
    kwargs = {"log_joint": model.log_joint, "x": x, "n_samples": 20_000}
    a = importance_log_marginal(proposal=gaussian_proposal(mean, 1.5 * cov, torch.Generator().manual_seed(0)), **kwargs)
    b = importance_log_marginal(
        proposal=gaussian_proposal(mean, 1.5 * cov, torch.Generator().manual_seed(1)), chunk_size=700, **kwargs
    )
    torch.testing.assert_close(a, b, atol=0.01, rtol=0)
    torch.testing.assert_close(a, exact_log_marginal(model, x), atol=0.01, rtol=0)


# --- grid quadrature --------------------------------------------------------


def test_latent_grid_cells():
    grid = latent_grid(2, limits=(-2.0, 2.0), n_points=4)
    assert grid.points.shape == (16, 2) and grid.shape == (4, 4)
    torch.testing.assert_close(grid.axis, torch.tensor([-1.5, -0.5, 0.5, 1.5], dtype=DTYPE))
    assert grid.log_cell_volume == pytest.approx(0.0)


@pytest.mark.parametrize("n_latent", [1, 2])
def test_grid_log_marginal_matches_exact_linear_gaussian(n_latent):
    model = linear_gaussian(n_latent=n_latent)
    x = data(model, 6)
    grid = latent_grid(n_latent, limits=(-8.0, 8.0), n_points=401 if n_latent == 1 else 201)
    torch.testing.assert_close(
        grid_log_marginal(model.log_joint, x, grid), exact_log_marginal(model, x), atol=1e-8, rtol=0
    )


def test_grid_posterior_integrates_to_one_and_matches_exact_posterior():
    model = linear_gaussian(n_latent=2)
    x = data(model, 4)
    grid = latent_grid(2, limits=(-8.0, 8.0), n_points=201)
    log_post = grid_log_posterior(model.log_joint, x, grid)
    post = torch.exp(log_post) * math.exp(grid.log_cell_volume)  # (G, N) masses
    torch.testing.assert_close(post.sum(0), torch.ones(4, dtype=DTYPE))
    mean, cov = grid_posterior_moments(log_post, grid)
    exact_mean, exact_cov = exact_posterior(model, x)
    torch.testing.assert_close(mean, exact_mean, atol=1e-8, rtol=0)
    torch.testing.assert_close(cov, exact_cov.expand(4, 2, 2), atol=1e-8, rtol=0)
    # A Gaussian posterior is its own moment-matched Gaussian: KL 0 up to quadrature error.
    torch.testing.assert_close(grid_kl_to_gaussian(log_post, grid), torch.zeros(4, dtype=DTYPE), atol=1e-8, rtol=0)


def test_grid_kl_to_gaussian_of_a_bimodal_posterior_matches_scipy_quad():
    """p(z|x) = ½N(-1, 0.5²) + ½N(1, 0.5²): KL(p ‖ N(0, 1.25)) = ½ log(2πe·1.25) − H(p), H(p) by quadrature."""
    components = Normal(torch.tensor([-1.0, 1.0], dtype=DTYPE), torch.tensor([0.5, 0.5], dtype=DTYPE))

    def log_joint(x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:  # independent of x: the posterior is the mixture
        return torch.logsumexp(components.log_prob(z) + math.log(0.5), -1) + 0 * x[..., 0]

    grid = latent_grid(1, limits=(-6.0, 6.0), n_points=1201)
    log_post = grid_log_posterior(log_joint, torch.zeros(2, 1, dtype=DTYPE), grid)
    mean, cov = grid_posterior_moments(log_post, grid)
    torch.testing.assert_close(mean, torch.zeros(2, 1, dtype=DTYPE), atol=1e-10, rtol=0)
    torch.testing.assert_close(cov, torch.full((2, 1, 1), 1.25, dtype=DTYPE), atol=1e-8, rtol=0)

    def density(z: float) -> float:
        return 0.5 * (stats.norm.pdf(z, -1.0, 0.5) + stats.norm.pdf(z, 1.0, 0.5))

    entropy = integrate.quad(lambda z: -density(z) * math.log(density(z)), -10, 10, epsabs=1e-13)[0]
    expected = 0.5 * math.log(2 * math.pi * math.e * 1.25) - entropy
    torch.testing.assert_close(grid_kl_to_gaussian(log_post, grid), torch.full((2,), expected, dtype=DTYPE))
    assert expected > 0.05  # far from Gaussian: the test can fail


def test_grid_moments_bad_input():
    grid = latent_grid(1, n_points=5)
    with pytest.raises(ValueError, match=r"log_posterior must have shape \(5, N\)"):
        grid_posterior_moments(torch.zeros(4, 2), grid)
    with pytest.raises(ValueError, match="log_posterior contains NaN"):
        grid_kl_to_gaussian(torch.full((5, 1), float("nan")), grid)
    one_cell = torch.full((5, 1), -math.inf)
    one_cell[2] = 0.0  # every bit of mass in one cell: zero variance
    with pytest.raises(ValueError, match="covariance of the grid posterior is not positive definite"):
        grid_kl_to_gaussian(one_cell - math.log(8 / 5), grid)


# --- running estimates --------------------------------------------------------


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_running_mean_is_the_mean_of_every_prefix(dim):
    values = torch.randn(7, 5, generator=torch.Generator().manual_seed(0), dtype=DTYPE)
    got = running_mean(values, dim)
    moved = values.movedim(dim, 0)
    expected = torch.stack([moved[: k + 1].mean(0) for k in range(moved.shape[0])]).movedim(0, dim)
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dim", [0, 1])
def test_running_log_mean_exp_matches_scipy_on_every_prefix(dim):
    log_w = 300 * torch.randn(6, 9, generator=torch.Generator().manual_seed(1), dtype=DTYPE)  # would overflow exp
    got = running_log_mean_exp(log_w, dim).numpy()
    values = np.moveaxis(log_w.numpy(), dim, 0)
    expected = np.stack([special.logsumexp(values[: k + 1], axis=0) - math.log(k + 1) for k in range(len(values))])
    np.testing.assert_allclose(got, np.moveaxis(expected, 0, dim), rtol=1e-12)
    assert running_log_mean_exp(torch.tensor([0.0, -math.inf, math.log(4.0)])).exp().tolist() == pytest.approx(
        [1.0, 0.5, 5 / 3]
    )


def test_running_estimates_bad_input():
    with pytest.raises(ValueError, match=r"dim must index a dimension of values \(shape \(3,\)\), got 1"):
        running_mean(torch.zeros(3), dim=1)
    with pytest.raises(ValueError, match="log_weights contains NaN"):
        running_log_mean_exp(torch.tensor([0.0, math.nan]))
    with pytest.raises(ValueError, match="values must be a tensor"):
        running_mean("abc")


def test_grid_log_marginal_of_a_dlvm_matches_scipy_quad():
    torch.manual_seed(0)
    model = DLVM(BernoulliDecoder(1, [8], 5)).double()
    x = torch.tensor([[1.0, 0.0, 1.0, 1.0, 0.0]], dtype=DTYPE)

    def joint(z: float) -> float:
        with torch.no_grad():
            return math.exp(model.log_joint(x, torch.tensor([[z]], dtype=DTYPE)).item())

    expected = math.log(integrate.quad(joint, -np.inf, np.inf, epsabs=0, epsrel=1e-11)[0])
    grid = latent_grid(1, limits=(-9.0, 9.0), n_points=2001)
    assert grid_log_marginal(model.log_joint, x, grid).item() == pytest.approx(expected, abs=1e-8)


def test_grid_chunking_gives_the_same_values():
    model = linear_gaussian(n_latent=2)
    x = data(model, 3)
    grid = latent_grid(2, n_points=30)
    torch.testing.assert_close(
        grid_log_joint(model.log_joint, x, grid, chunk_size=77), grid_log_joint(model.log_joint, x, grid)
    )


# --- bad input -------------------------------------------------------------


def test_zero_samples_raise():
    model = linear_gaussian()
    x = data(model, 2)
    with pytest.raises(ValueError, match="n_samples must be >= 1, got 0"):
        importance_log_marginal(model.log_joint, x, prior_proposal(2), 0)
    with pytest.raises(ValueError, match="n_samples must be >= 1, got 0"):
        log_importance_weights(model.log_joint, x, prior_proposal(2), 0)
    with pytest.raises(ValueError, match="values must have at least one entry along dim 0"):
        log_mean_exp(torch.zeros(0, 3))
    with pytest.raises(ValueError, match="log_weights must have at least one entry"):
        effective_sample_size(torch.zeros(0))


def test_bad_gaussian_proposal_raises():
    with pytest.raises(ValueError, match="cov is not positive definite"):
        gaussian_proposal(torch.zeros(3, 2), torch.tensor([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match="cov must be symmetric"):
        gaussian_proposal(torch.zeros(3, 2), torch.tensor([[1.0, 0.5], [0.0, 1.0]]))
    with pytest.raises(ValueError, match=r"cov must have shape \(2, 2\) or \(3, 2, 2\)"):
        gaussian_proposal(torch.zeros(3, 2), torch.eye(3))
    with pytest.raises(ValueError, match=r"mean must have shape \(N, d\)"):
        gaussian_proposal(torch.zeros(2), torch.eye(2))
    with pytest.raises(ValueError, match="built for 3 data points, got x with 4 rows"):
        gaussian_proposal(torch.zeros(3, 2), torch.eye(2))(torch.zeros(4, 5), 2)


def test_bad_grid_input_raises():
    with pytest.raises(ValueError, match="z_dim must be <= 3"):
        latent_grid(4)
    with pytest.raises(ValueError, match=r"limits must be finite \(low, high\) with low < high"):
        latent_grid(1, limits=(1.0, -1.0))
    with pytest.raises(ValueError, match="limits must be finite"):
        latent_grid(1, limits=(-math.inf, 1.0))
    model = linear_gaussian(n_latent=2)
    with pytest.raises(ValueError, match=r"x must have shape \(N, D\)"):
        grid_log_marginal(model.log_joint, torch.zeros(5, dtype=DTYPE), latent_grid(2, n_points=5))
    with pytest.raises(ValueError, match=r"log_joint\(x, z\) must have shape \(25, 2\)"):
        grid_log_marginal(lambda x, z: z.sum(-1).sum(-1), torch.zeros(2, 5, dtype=DTYPE), latent_grid(2, n_points=5))
    with pytest.raises(ValueError, match=r"z must have shape \(\.\.\., 2\)"):
        grid_log_marginal(model.log_joint, data(model, 2), latent_grid(1, n_points=5))


def test_naive_log_marginal_equals_log_mean_exp_of_bernoulli_likelihoods_with_the_same_samples():
    """Oracle: torch.distributions.Bernoulli on the same prior samples, and grid quadrature as K grows."""
    torch.manual_seed(0)
    model = DLVM(BernoulliDecoder(2, [8], 6)).double()
    x = torch.bernoulli(torch.full((5, 6), 0.5, dtype=torch.float64), generator=torch.Generator().manual_seed(1))
    got = naive_log_marginal(model, x, 300, generator=torch.Generator().manual_seed(2))
    z = torch.randn(300, 2, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    with torch.no_grad():
        log_lik = Bernoulli(logits=model.decoder(z)).log_prob(x[:, None, :]).sum(-1)  # (N, K)
    torch.testing.assert_close(got, torch.logsumexp(log_lik, dim=1) - math.log(300))
    exact = grid_log_marginal(model.log_joint, x, latent_grid(2, (-6.0, 6.0), 121))
    many = naive_log_marginal(model, x, 200_000, generator=torch.Generator().manual_seed(3), chunk_size=50_000)
    torch.testing.assert_close(many, exact, atol=0.02, rtol=0)


@pytest.mark.parametrize(
    ("x", "n_samples", "message"),
    [
        (torch.full((2, 6), 0.5), 10, "x must be binary"),
        (torch.ones(2, 5), 10, r"x must have shape \(N, 6\)"),
        (torch.ones(2, 6), 0, "n_samples must be >= 1"),
    ],
)
def test_naive_log_marginal_bad_input(x, n_samples, message):
    with pytest.raises(ValueError, match=message):
        naive_log_marginal(DLVM(BernoulliDecoder(2, [8], 6)), x, n_samples)
