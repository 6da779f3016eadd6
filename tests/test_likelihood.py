"""vae_lib.likelihood against torch.distributions, scipy.stats and closed forms."""

import math

import numpy as np
import pytest
import torch
from scipy import stats
from torch.distributions import Bernoulli, Categorical, MultivariateNormal, Normal

from vae_lib.likelihood import (
    bernoulli_log_prob,
    bernoulli_log_prob_from_probs,
    categorical_log_prob,
    dataset_log_likelihood,
    gaussian_diag_log_prob,
    gaussian_log_prob,
    minibatch_estimate,
    standard_normal_log_prob,
)

DTYPES = [torch.float32, torch.float64]


def binary(shape, seed=0, dtype=torch.float64):
    return torch.bernoulli(torch.full(shape, 0.5, dtype=dtype), generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("dtype", DTYPES)
def test_bernoulli_logits_matches_torch_distributions(dtype):
    g = torch.Generator().manual_seed(1)
    logits = (torch.randn(5, 7, generator=g) * 4).to(dtype)
    x = binary((5, 7), dtype=dtype)
    expected = Bernoulli(logits=logits).log_prob(x).sum(-1)
    got = bernoulli_log_prob(x, logits)
    assert got.dtype == dtype and got.shape == (5,)
    torch.testing.assert_close(got, expected)


@pytest.mark.parametrize("dtype", DTYPES)
def test_bernoulli_logits_extreme_values_are_finite_and_exact(dtype):
    logits = torch.tensor([100.0, -100.0, 100.0, -100.0, 0.0], dtype=dtype)
    x = torch.tensor([1.0, 0.0, 0.0, 1.0, 1.0], dtype=dtype)
    got = bernoulli_log_prob(x, logits, event_dims=0)
    assert torch.isfinite(got).all()
    torch.testing.assert_close(got, Bernoulli(logits=logits).log_prob(x))
    # closed form: log sigmoid(-100) = -100 - log(1 + e^-100)
    assert got[2].item() == pytest.approx(-100.0, rel=1e-6)
    assert got[4].item() == pytest.approx(-math.log(2), rel=1e-6)


def test_bernoulli_probs_form_matches_scipy_and_logits_form():
    g = torch.Generator().manual_seed(2)
    probs = torch.rand(4, 6, generator=g, dtype=torch.float64) * 0.98 + 0.01
    x = binary((4, 6), seed=3)
    expected = stats.bernoulli.logpmf(x.numpy(), probs.numpy()).sum(-1)
    np.testing.assert_allclose(bernoulli_log_prob_from_probs(x, probs).numpy(), expected, rtol=1e-12)
    logits = torch.log(probs) - torch.log1p(-probs)
    torch.testing.assert_close(bernoulli_log_prob(x, logits), bernoulli_log_prob_from_probs(x, probs))


def test_bernoulli_probs_form_at_zero_and_one_is_exact_not_nan():
    probs = torch.tensor([0.0, 1.0, 0.0, 1.0])
    x = torch.tensor([0.0, 1.0, 1.0, 0.0])
    got = bernoulli_log_prob_from_probs(x, probs, event_dims=0)
    assert got[:2].tolist() == [0.0, 0.0]
    assert got[2:].tolist() == [-math.inf, -math.inf]
    assert not torch.isnan(got).any()


def test_bernoulli_broadcasts_over_sample_dimension():
    logits = torch.randn(3, 5, 8, generator=torch.Generator().manual_seed(4))  # (K, N, D)
    x = binary((5, 8), dtype=torch.float32)  # (N, D)
    got = bernoulli_log_prob(x, logits)
    assert got.shape == (3, 5)
    torch.testing.assert_close(got, Bernoulli(logits=logits).log_prob(x.expand(3, 5, 8)).sum(-1))


@pytest.mark.parametrize(
    ("x", "logits", "message"),
    [
        (torch.tensor([0.5, 1.0]), torch.zeros(2), "x must be binary"),
        (torch.tensor([2.0, 1.0]), torch.zeros(2), "x must be binary"),
        (torch.ones(3), torch.zeros(2), "shape mismatch"),
        (torch.ones(2), torch.tensor([float("nan"), 0.0]), "logits contains NaN"),
        (torch.ones(2), torch.tensor([float("inf"), 0.0]), "logits contains inf"),
        (torch.tensor([float("nan"), 1.0]), torch.zeros(2), "x must be binary"),
    ],
)
def test_bernoulli_logits_bad_input(x, logits, message):
    with pytest.raises(ValueError, match=message):
        bernoulli_log_prob(x, logits)


@pytest.mark.parametrize(
    ("x", "probs", "message"),
    [
        (torch.ones(2), torch.tensor([1.5, 0.5]), r"probs must lie in \[0, 1\], found 1.5"),
        (torch.ones(2), torch.tensor([-0.1, 0.5]), r"probs must lie in \[0, 1\]"),
        (torch.ones(2), torch.tensor([float("nan"), 0.5]), "probs contains NaN"),
        (torch.tensor([0.3, 1.0]), torch.full((2,), 0.5), "x must be binary"),
        (torch.ones(2, 3), torch.full((2,), 0.5), "shape mismatch"),
    ],
)
def test_bernoulli_probs_bad_input(x, probs, message):
    with pytest.raises(ValueError, match=message):
        bernoulli_log_prob_from_probs(x, probs)


def test_event_dims_out_of_range():
    with pytest.raises(ValueError, match="event_dims must be between 0 and 1"):
        bernoulli_log_prob(torch.ones(2), torch.zeros(2), event_dims=2)


@pytest.mark.parametrize("dtype", DTYPES)
def test_categorical_matches_torch_distributions(dtype):
    g = torch.Generator().manual_seed(5)
    logits = (torch.randn(6, 10, generator=g) * 5).to(dtype)
    y = torch.randint(0, 10, (6,), generator=g)
    torch.testing.assert_close(categorical_log_prob(y, logits), Categorical(logits=logits).log_prob(y))


def test_categorical_extreme_logits_are_finite():
    logits = torch.tensor([[1000.0, 0.0, -1000.0]], dtype=torch.float32)
    got = categorical_log_prob(torch.tensor([2]), logits)
    assert torch.isfinite(got).all()
    assert got.item() == pytest.approx(-2000.0)


def test_categorical_broadcasts_labels_against_logits():
    logits = torch.randn(4, 3, 5, generator=torch.Generator().manual_seed(6))
    y = torch.tensor([0, 4, 2])
    torch.testing.assert_close(categorical_log_prob(y, logits), Categorical(logits=logits).log_prob(y.expand(4, 3)))


@pytest.mark.parametrize(
    ("y", "logits", "message"),
    [
        (torch.tensor([3]), torch.zeros(1, 3), r"class label in 0..2, found 3"),
        (torch.tensor([-1]), torch.zeros(1, 3), "class label"),
        (torch.tensor([0.5]), torch.zeros(1, 3), "integer class labels"),
        (torch.tensor([0, 1]), torch.zeros(3, 3), "shape mismatch"),
        (torch.tensor(0), torch.tensor(1.0), "class dimension"),
        (torch.tensor([0]), torch.tensor([[float("nan"), 0.0]]), "logits contains NaN"),
    ],
)
def test_categorical_bad_input(y, logits, message):
    with pytest.raises(ValueError, match=message):
        categorical_log_prob(y, logits)


@pytest.mark.parametrize("dtype", DTYPES)
def test_gaussian_diag_matches_normal_and_scipy(dtype):
    g = torch.Generator().manual_seed(7)
    x, mean = torch.randn(2, 5, 3, generator=g, dtype=dtype)
    log_var = torch.randn(3, generator=g, dtype=dtype)
    expected = Normal(mean, torch.exp(0.5 * log_var)).log_prob(x).sum(-1)
    torch.testing.assert_close(gaussian_diag_log_prob(x, mean, log_var), expected)
    scipy_val = stats.norm.logpdf(x.double().numpy(), mean.double().numpy(), np.exp(0.5 * log_var.double().numpy()))
    np.testing.assert_allclose(gaussian_diag_log_prob(x, mean, log_var).double().numpy(), scipy_val.sum(-1), rtol=1e-5)


def test_gaussian_diag_tiny_variance_is_finite():
    x = torch.tensor([1e-4], dtype=torch.float64)
    log_var = torch.tensor([math.log(1e-8)], dtype=torch.float64)
    got = gaussian_diag_log_prob(x, torch.zeros(1, dtype=torch.float64), log_var)
    assert got.item() == pytest.approx(stats.norm.logpdf(1e-4, 0, 1e-4), rel=1e-10)


def test_standard_normal_matches_multivariate_normal():
    z = torch.randn(4, 3, generator=torch.Generator().manual_seed(8))
    expected = MultivariateNormal(torch.zeros(3), torch.eye(3)).log_prob(z)
    torch.testing.assert_close(standard_normal_log_prob(z), expected)


@pytest.mark.parametrize("dtype", DTYPES)
def test_full_gaussian_matches_multivariate_normal_and_scipy(dtype):
    g = torch.Generator().manual_seed(9)
    a = torch.randn(4, 4, generator=g, dtype=dtype)
    cov = a @ a.T + 0.5 * torch.eye(4, dtype=dtype)
    mean = torch.randn(4, generator=g, dtype=dtype)
    x = torch.randn(6, 4, generator=g, dtype=dtype)
    torch.testing.assert_close(gaussian_log_prob(x, mean, cov), MultivariateNormal(mean, cov).log_prob(x))
    scipy_val = stats.multivariate_normal(mean.double().numpy(), cov.double().numpy()).logpdf(x.double().numpy())
    np.testing.assert_allclose(gaussian_log_prob(x, mean, cov).double().numpy(), scipy_val, rtol=1e-4)


@pytest.mark.parametrize(
    ("cov", "message"),
    [
        (torch.tensor([[1.0, 0.0], [0.0, -1.0]]), "not positive definite"),
        (torch.tensor([[1.0, 2.0], [2.0, 1.0]]), "not positive definite"),
        (torch.tensor([[1.0, 0.5], [0.0, 1.0]]), "must be symmetric"),
        (torch.ones(2, 3), "square matrix"),
    ],
)
def test_full_gaussian_bad_covariance(cov, message):
    with pytest.raises(ValueError, match=message):
        gaussian_log_prob(torch.zeros(2), torch.zeros(2), cov)


def test_full_gaussian_dimension_mismatch():
    with pytest.raises(ValueError, match="must end in D = 2"):
        gaussian_log_prob(torch.zeros(3), torch.zeros(2), torch.eye(2))


def test_dataset_log_likelihood_is_sum_of_per_example_terms_in_any_chunking():
    x = binary((37, 5))
    logits = torch.linspace(-2, 2, 5, dtype=torch.float64)

    def log_prob(batch):
        return bernoulli_log_prob(batch, logits)

    expected = Bernoulli(logits=logits).log_prob(x).sum()
    torch.testing.assert_close(dataset_log_likelihood(log_prob, x), expected)
    torch.testing.assert_close(dataset_log_likelihood(log_prob, x, batch_size=8), expected)


def test_dataset_log_likelihood_bad_input():
    with pytest.raises(ValueError, match="data is empty"):
        dataset_log_likelihood(lambda b: b.sum(-1), torch.zeros(0, 3))
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        dataset_log_likelihood(lambda b: b.sum(-1), torch.zeros(2, 3), batch_size=0)
    with pytest.raises(ValueError, match="one value per data point"):
        dataset_log_likelihood(lambda b: b.sum(), torch.zeros(2, 3))


def test_minibatch_estimate_full_batch_equals_mean_and_checks_size():
    x = binary((10, 4))
    logits = torch.zeros(4, dtype=torch.float64)

    def log_prob(batch):
        return bernoulli_log_prob(batch, logits)

    got = minibatch_estimate(log_prob, x, batch_size=10)
    torch.testing.assert_close(got, torch.tensor(-4 * math.log(2), dtype=torch.float64))
    with pytest.raises(ValueError, match="batch_size must be <= 10, got 11"):
        minibatch_estimate(log_prob, x, batch_size=11)
    with pytest.raises(ValueError, match="batch_size must be >= 1, got 0"):
        minibatch_estimate(log_prob, x, batch_size=0)
    with pytest.raises(ValueError, match="data is empty"):
        minibatch_estimate(log_prob, x[:0], batch_size=1)


@pytest.mark.parametrize(
    ("x_shape", "mean_shape", "cov_batch"),
    [
        ((50, 4), (4,), ()),  # one covariance shared by every point
        ((50, 3, 4), (3, 4), (3,)),  # one per class, shared by the points (the Gaussian classifier)
        ((2, 50, 3, 4), (2, 1, 3, 4), (2, 1, 3)),  # a batch of models, size-1 dims broadcast over points
        ((4,), (4,), (7,)),  # one point, many covariances
        ((6, 4), (4,), (6,)),  # a covariance per point
    ],
)
def test_gaussian_log_prob_broadcasts_like_torch_distributions(x_shape, mean_shape, cov_batch):
    """Points that share a covariance are solved together; the result must not depend on how."""
    g = torch.Generator().manual_seed(0)
    a = torch.randn(*cov_batch, 4, 4, generator=g, dtype=torch.float64)
    cov = a @ a.transpose(-1, -2) + torch.eye(4, dtype=torch.float64)
    x = torch.randn(x_shape, generator=g, dtype=torch.float64)
    mean = torch.randn(mean_shape, generator=g, dtype=torch.float64)
    expected = torch.distributions.MultivariateNormal(mean, cov).log_prob(x)
    got = gaussian_log_prob(x, mean, cov)
    assert got.shape == expected.shape
    torch.testing.assert_close(got, expected)
