"""vae_lib.bayes against scipy.stats, torch.distributions, numerical optimisation and brute-force enumeration."""

import itertools
import math

import numpy as np
import pytest
import torch
from scipy import optimize, stats

from vae_lib.bayes import (
    MAX_MINIBATCHES,
    all_minibatch_means,
    beta_bernoulli_posterior,
    credible_interval,
    gaussian_log_prior,
    gaussian_mean_posterior,
    minibatch_variance,
    weight_decay_from_prior,
)


def coin_flips(n=40, p=0.3, seed=0):
    return torch.bernoulli(torch.full((n,), p, dtype=torch.float64), generator=torch.Generator().manual_seed(seed))


# --- Beta–Bernoulli -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("prior_a", "prior_b"), [(1.0, 1.0), (2.0, 2.0), (1.5, 4.0)])
def test_beta_posterior_mean_std_and_mode_match_scipy(prior_a, prior_b):
    x = coin_flips()
    post = beta_bernoulli_posterior(x, prior_a, prior_b)
    k, n = x.sum().item(), len(x)
    oracle = stats.beta(prior_a + k, prior_b + n - k)
    assert isinstance(post, torch.distributions.Beta)
    assert post.mean.item() == pytest.approx(oracle.mean(), rel=1e-12)
    assert post.stddev.item() == pytest.approx(oracle.std(), rel=1e-12)
    mode = optimize.minimize_scalar(
        lambda t: -oracle.logpdf(t), bounds=(1e-9, 1 - 1e-9), method="bounded", options={"xatol": 1e-10}
    )
    assert post.mode.item() == pytest.approx(mode.x, abs=1e-6)
    assert post.log_prob(torch.tensor(0.3, dtype=x.dtype)).item() == pytest.approx(oracle.logpdf(0.3), rel=1e-12)


def test_beta_posterior_is_prior_times_likelihood():
    """log posterior − (log prior + log likelihood) is the same constant (−log evidence) at every θ."""
    x = coin_flips(n=25, p=0.7, seed=1)
    post = beta_bernoulli_posterior(x, prior_a=2.0, prior_b=3.0)
    theta = np.linspace(0.05, 0.95, 19)
    unnormalised = stats.beta.logpdf(theta, 2.0, 3.0) + stats.bernoulli.logpmf(x.numpy()[:, None], theta).sum(0)
    gap = stats.beta.logpdf(theta, post.concentration1.item(), post.concentration0.item()) - unnormalised
    np.testing.assert_allclose(gap, gap[0], atol=1e-9)


def test_uniform_prior_map_equals_ml_and_mean_is_laplace_rule():
    x = coin_flips(n=12, p=0.1, seed=2)
    post = beta_bernoulli_posterior(x)
    k, n = x.sum().item(), len(x)
    assert post.mode.item() == pytest.approx(k / n, abs=1e-12)
    assert post.mean.item() == pytest.approx((k + 1) / (n + 2), abs=1e-12)


def test_beta_posterior_per_pixel_and_running():
    x = torch.bernoulli(torch.full((30, 4), 0.4), generator=torch.Generator().manual_seed(3))
    running = beta_bernoulli_posterior(x, 2.0, 2.0, running=True)
    assert running.batch_shape == (30, 4)
    for i in (0, 9, 29):
        final = beta_bernoulli_posterior(x[: i + 1], 2.0, 2.0)
        torch.testing.assert_close(running.concentration1[i], final.concentration1)
        torch.testing.assert_close(running.concentration0[i], final.concentration0)


def test_beta_interval_holds_its_mass_under_scipy_beta():
    post = beta_bernoulli_posterior(torch.bernoulli(torch.full((30, 3), 0.3), generator=torch.Generator()), 2.0, 2.0)
    lo, hi = credible_interval(post, 0.9)
    assert lo.shape == hi.shape == (3,) and lo.dtype == torch.float32
    a, b = post.concentration1.numpy(), post.concentration0.numpy()
    np.testing.assert_allclose(stats.beta.cdf(lo.numpy(), a, b), 0.05, atol=1e-6)
    np.testing.assert_allclose(stats.beta.cdf(hi.numpy(), a, b), 0.95, atol=1e-6)


def test_beta_bernoulli_bad_input():
    with pytest.raises(ValueError, match="x must be binary"):
        beta_bernoulli_posterior(torch.tensor([0.0, 0.5]))
    with pytest.raises(ValueError, match="x is empty"):
        beta_bernoulli_posterior(torch.zeros(0))
    with pytest.raises(ValueError, match="leading data-point dimension"):
        beta_bernoulli_posterior(torch.tensor(1.0))
    with pytest.raises(ValueError, match="prior_a must be a finite number > 0, got 0"):
        beta_bernoulli_posterior(torch.ones(3), prior_a=0.0)
    with pytest.raises(ValueError, match="prior_b must be a finite number > 0"):
        beta_bernoulli_posterior(torch.ones(3), prior_b=float("inf"))
    with pytest.raises(ValueError, match=r"mass must be in \(0, 1\), got 1.5"):
        credible_interval(beta_bernoulli_posterior(torch.ones(3)), 1.5)
    with pytest.raises(ValueError, match=r"posterior must be a torch\.distributions\.Distribution"):
        credible_interval((0.0, 1.0))
    with pytest.raises(ValueError, match="Categorical has no icdf"):
        credible_interval(torch.distributions.Categorical(probs=torch.ones(3) / 3))


# --- Gaussian mean, known variance ----------------------------------------------------------------------------------


def gaussian_data(n=20, seed=4):
    g = torch.Generator().manual_seed(seed)
    return 1.5 + 2.0 * torch.randn(n, dtype=torch.float64, generator=g)


def test_gaussian_posterior_matches_numerical_posterior_on_a_grid():
    """Prior × likelihood normalised on a fine grid (scipy.stats.norm) has the same mean and variance."""
    x = gaussian_data()
    post = gaussian_mean_posterior(x, noise_std=2.0, prior_mean=-1.0, prior_std=0.5)
    grid = np.linspace(-5, 5, 200_001)
    log_post = stats.norm.logpdf(grid, -1.0, 0.5) + stats.norm.logpdf(x.numpy()[:, None], grid, 2.0).sum(0)
    w = np.exp(log_post - log_post.max())
    w /= w.sum()
    grid_mean = (w * grid).sum()
    assert isinstance(post, torch.distributions.Normal)
    assert post.mean.item() == pytest.approx(grid_mean, abs=1e-8)
    assert post.variance.item() == pytest.approx((w * (grid - grid_mean) ** 2).sum(), rel=1e-6)


def test_gaussian_map_is_the_maximiser_of_log_prior_plus_log_likelihood():
    x = gaussian_data(n=5, seed=5)
    post = gaussian_mean_posterior(x, noise_std=1.0, prior_mean=3.0, prior_std=0.3)
    objective = lambda mu: -(stats.norm.logpdf(mu, 3.0, 0.3) + stats.norm.logpdf(x.numpy(), mu, 1.0).sum())  # noqa: E731
    assert post.mode.item() == pytest.approx(optimize.minimize_scalar(objective).x, abs=1e-6)


def test_gaussian_posterior_running_and_interval():
    x = gaussian_data(n=10).reshape(5, 2)
    running = gaussian_mean_posterior(x, noise_std=2.0, running=True)
    final = gaussian_mean_posterior(x[:3], noise_std=2.0)
    torch.testing.assert_close(running.mean[2], final.mean)
    torch.testing.assert_close(running.variance[2], final.variance)
    lo, hi = credible_interval(final, 0.8)
    mass = stats.norm.cdf(hi.numpy(), final.mean.numpy(), final.stddev.numpy()) - stats.norm.cdf(
        lo.numpy(), final.mean.numpy(), final.stddev.numpy()
    )
    np.testing.assert_allclose(mass, 0.8, atol=1e-9)


def test_gaussian_posterior_bad_input():
    with pytest.raises(ValueError, match="noise_std must be a finite number > 0, got -1"):
        gaussian_mean_posterior(torch.ones(3), noise_std=-1.0)
    with pytest.raises(ValueError, match="prior_std must be a finite number > 0"):
        gaussian_mean_posterior(torch.ones(3), noise_std=1.0, prior_std=0.0)
    with pytest.raises(ValueError, match="prior_mean must be finite"):
        gaussian_mean_posterior(torch.ones(3), noise_std=1.0, prior_mean=float("nan"))
    with pytest.raises(ValueError, match="x contains NaN"):
        gaussian_mean_posterior(torch.tensor([1.0, float("nan")]), noise_std=1.0)
    with pytest.raises(ValueError, match=r"mass must be in \(0, 1\)"):
        credible_interval(gaussian_mean_posterior(torch.ones(3), noise_std=1.0), 0.0)


# --- Gaussian prior and weight decay --------------------------------------------------------------------------------


def test_gaussian_log_prior_matches_torch_normal_and_its_gradient():
    params = [torch.randn(3, 4, generator=torch.Generator().manual_seed(6)).requires_grad_(), torch.ones(2)]
    value = gaussian_log_prior(params, prior_std=0.7)
    oracle = sum(torch.distributions.Normal(0.0, 0.7).log_prob(p).sum() for p in params)
    torch.testing.assert_close(value, oracle)
    (grad,) = torch.autograd.grad(value, params[0])
    torch.testing.assert_close(grad, -params[0].detach() / 0.7**2)


def test_weight_decay_is_the_gradient_of_the_scaled_negative_log_prior():
    theta = torch.randn(10, generator=torch.Generator().manual_seed(7)).requires_grad_()
    n_data, prior_std = 250, 0.4
    (grad,) = torch.autograd.grad(-gaussian_log_prior([theta], prior_std) / n_data, theta)
    torch.testing.assert_close(grad, weight_decay_from_prior(prior_std, n_data) * theta.detach())


def test_prior_helpers_bad_input():
    with pytest.raises(ValueError, match="params is empty"):
        gaussian_log_prior([], prior_std=1.0)
    with pytest.raises(ValueError, match="prior_std must be a finite number > 0"):
        gaussian_log_prior([torch.ones(1)], prior_std=0.0)
    with pytest.raises(ValueError, match="n_data must be >= 1, got 0"):
        weight_decay_from_prior(1.0, 0)
    with pytest.raises(ValueError, match="prior_std must be a finite number > 0"):
        weight_decay_from_prior(-2.0, 10)


# --- minibatch enumeration helpers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("batch_size", [1, 2, 3, 5])
def test_all_minibatch_means_matches_itertools_enumeration(batch_size):
    values = torch.randn(5, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(8))
    oracle = np.array([values.numpy()[list(m)].mean(0) for m in itertools.combinations(range(5), batch_size)])
    means = all_minibatch_means(values, batch_size)
    assert means.shape == (math.comb(5, batch_size), 3)
    np.testing.assert_allclose(means.numpy(), oracle, rtol=0, atol=1e-12)


def test_minibatch_variance_matches_numpy_sampling_without_replacement():
    values = torch.randn(300, dtype=torch.float64, generator=torch.Generator().manual_seed(9)) ** 2
    rng = np.random.default_rng(0)
    draws = np.array([values.numpy()[rng.choice(300, size=100, replace=False)].mean() for _ in range(20_000)])
    predicted = minibatch_variance(values, 100).item()
    assert draws.var() == pytest.approx(predicted, rel=0.05)
    assert predicted < values.var(correction=0).item() / 100  # the finite-population correction shrinks it


def test_minibatch_variance_edge_cases():
    assert minibatch_variance(torch.tensor([3.0]), 1).item() == 0.0
    assert minibatch_variance(torch.arange(6.0), 6).item() == 0.0
    assert minibatch_variance(torch.arange(6.0), 1).item() == pytest.approx(np.var(np.arange(6.0)))


def test_minibatch_helpers_bad_input():
    with pytest.raises(ValueError, match="batch_size must be >= 1, got 0"):
        all_minibatch_means(torch.ones(4), 0)
    with pytest.raises(ValueError, match="batch_size must be <= 4, got 5"):
        minibatch_variance(torch.ones(4), 5)
    with pytest.raises(ValueError, match="values is empty"):
        minibatch_variance(torch.zeros(0), 1)
    with pytest.raises(ValueError, match=f"minibatches is more than {MAX_MINIBATCHES}"):
        all_minibatch_means(torch.ones(40), 20)
