"""Property-based tests (hypothesis) of the likelihood and estimator functions.

Random shapes and values within each function's documented range; the
invariants are those any correct implementation must satisfy: discrete
log-probabilities are <= 0, categorical and posterior outputs normalise, the
probability and logits forms of (1.18) agree where both are finite, results
broadcast like torch, log_mean_exp lies between the min and the max.
Deterministic (``derandomize=True``, no example database) so CI is repeatable.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from torch.distributions import Bernoulli, Normal

from vae_lib.bayes import minibatch_variance
from vae_lib.divergence import kl_categorical, kl_normal
from vae_lib.estimators import (
    effective_sample_size,
    gaussian_proposal,
    grid_log_marginal,
    grid_log_posterior,
    importance_log_marginal,
    latent_grid,
    log_mean_exp,
)
from vae_lib.latent import LinearGaussian, MixtureOfGaussians
from vae_lib.likelihood import (
    bernoulli_log_prob,
    bernoulli_log_prob_from_probs,
    categorical_log_prob,
    dataset_log_likelihood,
    gaussian_diag_log_prob,
    gaussian_log_prob,
    standard_normal_log_prob,
)

FAST = settings(
    max_examples=50, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)
SHAPES = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5)
DTYPES = st.sampled_from([torch.float32, torch.float64])


def reals(low: float = -50.0, high: float = 50.0) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


def array(shape, low: float = -50.0, high: float = 50.0) -> st.SearchStrategy[np.ndarray]:
    return hnp.arrays(np.float64, shape, elements=reals(low, high))


def binary(shape) -> st.SearchStrategy[np.ndarray]:
    return hnp.arrays(np.float64, shape, elements=st.sampled_from([0.0, 1.0]))


def as_tensor(values: np.ndarray, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    return torch.as_tensor(values, dtype=dtype)


def close(actual: torch.Tensor, expected: torch.Tensor, scale: float = 1.0) -> None:
    """Agreement up to the rounding of the dtype, relative to ``scale`` (the size of the summed terms)."""
    tol = 1e-4 if actual.dtype == torch.float32 else 1e-10
    torch.testing.assert_close(actual, expected.to(actual.dtype), rtol=tol, atol=tol * scale)


# --- Bernoulli (1.17)-(1.18) -------------------------------------------------


@FAST
@given(data=st.data(), shape=SHAPES, dtype=DTYPES)
def test_bernoulli_logits_form_is_a_log_probability_matching_torch(data, shape, dtype):
    x = as_tensor(data.draw(binary(shape)), dtype)
    logits = as_tensor(data.draw(array(shape, -100.0, 100.0)), dtype)
    got = bernoulli_log_prob(x, logits)
    assert got.shape == shape[:-1] and got.dtype == dtype
    assert torch.isfinite(got).all()
    assert (got <= 0).all()
    close(got, Bernoulli(logits=logits.double()).log_prob(x.double()).sum(-1), scale=100.0 * shape[-1])


@FAST
@given(data=st.data(), shape=SHAPES)
def test_bernoulli_probs_form_is_at_most_zero(data, shape):
    x = as_tensor(data.draw(binary(shape)))
    probs = as_tensor(data.draw(array(shape, 0.0, 1.0)))
    got = bernoulli_log_prob_from_probs(x, probs)
    assert not torch.isnan(got).any()
    assert (got <= 0).all()


@FAST
@given(data=st.data(), shape=SHAPES)
def test_bernoulli_probability_and_logits_forms_agree_where_both_finite(data, shape):
    x = as_tensor(data.draw(binary(shape)))
    probs = as_tensor(data.draw(array(shape, 1e-12, 1.0 - 1e-12)))
    logits = torch.log(probs) - torch.log1p(-probs)
    torch.testing.assert_close(
        bernoulli_log_prob_from_probs(x, probs), bernoulli_log_prob(x, logits), rtol=1e-9, atol=1e-9
    )


@FAST
@given(data=st.data(), n=st.integers(1, 4), d=st.integers(1, 6), k=st.integers(1, 4))
def test_bernoulli_broadcasts_over_leading_sample_dimensions(data, n, d, k):
    x = as_tensor(data.draw(binary((n, d))))
    logits = as_tensor(data.draw(array((k, n, d))))
    got = bernoulli_log_prob(x, logits)
    assert got.shape == (k, n)
    torch.testing.assert_close(got, torch.stack([bernoulli_log_prob(x, logits[i]) for i in range(k)]))


@FAST
@given(data=st.data(), shape=SHAPES, event_dims=st.integers(0, 3))
def test_bernoulli_event_dims_sum_out_trailing_dimensions(data, shape, event_dims):
    event_dims = min(event_dims, len(shape))
    x = as_tensor(data.draw(binary(shape)))
    logits = as_tensor(data.draw(array(shape)))
    elementwise = bernoulli_log_prob(x, logits, event_dims=0)
    expected = elementwise.sum(dim=tuple(range(-event_dims, 0))) if event_dims else elementwise
    torch.testing.assert_close(bernoulli_log_prob(x, logits, event_dims=event_dims), expected)


# --- categorical (1.4)-(1.5) -------------------------------------------------


@FAST
@given(data=st.data(), batch=st.integers(1, 5), n_classes=st.integers(1, 8), dtype=DTYPES)
def test_categorical_log_probs_are_at_most_zero_and_normalise(data, batch, n_classes, dtype):
    logits = as_tensor(data.draw(array((batch, n_classes), -100.0, 100.0)), dtype)
    every_class = categorical_log_prob(torch.arange(n_classes)[:, None], logits)  # (K, batch): all labels at once
    assert every_class.shape == (n_classes, batch)
    assert (every_class <= 0).all()
    torch.testing.assert_close(
        torch.logsumexp(every_class.double(), 0), torch.zeros(batch, dtype=torch.float64), atol=1e-5, rtol=0
    )


@FAST
@given(data=st.data(), n_classes=st.integers(2, 6), shift=reals(-1e3, 1e3))
def test_categorical_is_invariant_to_a_constant_added_to_the_logits(data, n_classes, shift):
    logits = as_tensor(data.draw(array((3, n_classes))))
    y = torch.as_tensor(data.draw(hnp.arrays(np.int64, 3, elements=st.integers(0, n_classes - 1))))
    torch.testing.assert_close(
        categorical_log_prob(y, logits + shift), categorical_log_prob(y, logits), atol=1e-9, rtol=1e-9
    )


# --- Gaussians ---------------------------------------------------------------


@FAST
@given(data=st.data(), shape=SHAPES)
def test_gaussian_diag_matches_torch_normal_and_sums_over_the_event(data, shape):
    x = as_tensor(data.draw(array(shape, -10.0, 10.0)))
    mean = as_tensor(data.draw(array(shape[-1:], -10.0, 10.0)))  # broadcasts against x
    log_var = as_tensor(data.draw(array(shape[-1:], -18.0, 5.0)))  # variances 1.5e-8 .. 148
    expected = Normal(mean, torch.exp(0.5 * log_var)).log_prob(x).sum(-1)
    torch.testing.assert_close(gaussian_diag_log_prob(x, mean, log_var), expected, rtol=1e-9, atol=1e-6)


@FAST
@given(data=st.data(), shape=SHAPES, shift=reals(-100.0, 100.0))
def test_gaussian_diag_is_translation_invariant(data, shape, shift):
    x = as_tensor(data.draw(array(shape, -10.0, 10.0)))
    mean = as_tensor(data.draw(array(shape, -10.0, 10.0)))
    log_var = as_tensor(data.draw(array(shape, -5.0, 5.0)))
    torch.testing.assert_close(
        gaussian_diag_log_prob(x + shift, mean + shift, log_var),
        gaussian_diag_log_prob(x, mean, log_var),
        rtol=1e-6,
        atol=1e-6,
    )


@FAST
@given(data=st.data(), shape=SHAPES)
def test_standard_normal_is_the_unit_diagonal_gaussian(data, shape):
    z = as_tensor(data.draw(array(shape, -30.0, 30.0)))
    zero = torch.zeros(shape[-1], dtype=torch.float64)
    torch.testing.assert_close(standard_normal_log_prob(z), gaussian_diag_log_prob(z, zero, zero))


@FAST
@given(data=st.data(), n=st.integers(1, 5), d=st.integers(1, 5))
def test_full_covariance_with_a_diagonal_matrix_equals_the_diagonal_form(data, n, d):
    x = as_tensor(data.draw(array((n, d), -10.0, 10.0)))
    mean = as_tensor(data.draw(array((d,), -10.0, 10.0)))
    log_var = as_tensor(data.draw(array((d,), -10.0, 5.0)))
    torch.testing.assert_close(
        gaussian_log_prob(x, mean, torch.diag(log_var.exp())),
        gaussian_diag_log_prob(x, mean, log_var),
        rtol=1e-9,
        atol=1e-7,
    )


# --- dataset log-likelihood (1.10) -------------------------------------------


@FAST
@given(data=st.data(), n=st.integers(1, 12), d=st.integers(1, 4), batch_size=st.integers(1, 15))
def test_dataset_log_likelihood_does_not_depend_on_the_batch_size(data, n, d, batch_size):
    x = as_tensor(data.draw(binary((n, d))))
    logits = as_tensor(data.draw(array((d,))))

    def log_prob(b):
        return bernoulli_log_prob(b, logits)

    whole = dataset_log_likelihood(log_prob, x)
    torch.testing.assert_close(dataset_log_likelihood(log_prob, x, batch_size=batch_size), whole)
    assert whole <= 0


# --- log-mean-exp and effective sample size ----------------------------------


@FAST
@given(data=st.data(), shape=SHAPES, dim=st.integers(0, 2))
def test_log_mean_exp_lies_between_min_and_max(data, shape, dim):
    dim = min(dim, len(shape) - 1)
    values = as_tensor(data.draw(array(shape, -1e4, 1e4)))
    got = log_mean_exp(values, dim=dim)
    assert got.shape == values.sum(dim).shape
    slack = 1e-9 * (1 + values.abs().amax())
    assert (got >= values.amin(dim) - slack).all()
    assert (got <= values.amax(dim) + slack).all()
    assert (got <= torch.logsumexp(values, dim) + slack).all()


@FAST
@given(data=st.data(), k=st.integers(1, 20), shift=reals(-1e3, 1e3))
def test_log_mean_exp_shifts_with_its_input_and_is_exact_on_constants(data, k, shift):
    values = as_tensor(data.draw(array((k,))))
    torch.testing.assert_close(log_mean_exp(values + shift), log_mean_exp(values) + shift, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(
        log_mean_exp(torch.full((k,), shift, dtype=torch.float64)), torch.tensor(shift, dtype=torch.float64)
    )


@FAST
@given(data=st.data(), k=st.integers(1, 30), shift=reals(-1e3, 1e3))
def test_effective_sample_size_is_between_one_and_k_and_shift_invariant(data, k, shift):
    log_w = as_tensor(data.draw(array((k,), -100.0, 100.0)))
    ess = effective_sample_size(log_w)
    assert 1 - 1e-9 <= ess <= k + 1e-9
    torch.testing.assert_close(effective_sample_size(log_w + shift), ess, rtol=1e-9, atol=1e-9)


# --- exact latent-variable models and estimators (1.13), (1.19) --------------


@st.composite
def mixtures(draw) -> MixtureOfGaussians:
    k, d = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    raw = draw(array((k,), 0.01, 1.0))
    factors = as_tensor(draw(array((k, d, d), -2.0, 2.0)))
    covariances = factors @ factors.transpose(-1, -2) + 0.1 * torch.eye(d, dtype=torch.float64)
    return MixtureOfGaussians(as_tensor(raw / raw.sum()), as_tensor(draw(array((k, d), -5.0, 5.0))), covariances)


@FAST
@given(data=st.data(), model=mixtures())
def test_mixture_posterior_normalises_and_marginal_bounds_the_joint(data, model):
    x = as_tensor(data.draw(array((6, model.dim), -10.0, 10.0)))
    joint = model.log_joint(x)
    posterior = model.posterior(x).probs
    assert (posterior >= 0).all()
    torch.testing.assert_close(posterior.sum(-1), torch.ones(6, dtype=torch.float64))
    marginal = model.log_marginal(x)
    assert (marginal >= joint.amax(-1) - 1e-9).all()
    assert (marginal <= joint.amax(-1) + math.log(model.n_components) + 1e-9).all()


@st.composite
def linear_gaussians(draw) -> LinearGaussian:
    d, k = draw(st.integers(2, 5)), draw(st.integers(1, 2))
    weight = as_tensor(draw(array((d, k), -2.0, 2.0)))
    return LinearGaussian(weight, as_tensor(draw(array((d,), -3.0, 3.0))), as_tensor(draw(array((d,), 0.05, 2.0))))


@FAST
@given(data=st.data(), model=linear_gaussians(), n_samples=st.integers(1, 16))
def test_importance_sampling_with_the_exact_posterior_has_zero_variance(data, model, n_samples):
    x = as_tensor(data.draw(array((4, model.dim), -5.0, 5.0)))
    posterior = model.posterior(x)
    proposal = gaussian_proposal(posterior.mean, posterior.covariance_matrix, torch.Generator().manual_seed(0))
    estimate = importance_log_marginal(model.log_joint, x, proposal, n_samples)
    torch.testing.assert_close(estimate, model.log_marginal(x), rtol=1e-8, atol=1e-8)


def sample_bank(z: torch.Tensor, log_q: torch.Tensor):
    """A proposal that hands out the next rows of fixed samples: the same samples however they are chunked."""
    position = [0]

    def proposal(x: torch.Tensor, n_samples: int) -> tuple[torch.Tensor, torch.Tensor]:
        rows = slice(position[0], position[0] + n_samples)
        position[0] += n_samples
        return z[rows], log_q[rows]

    return proposal


@FAST
@given(data=st.data(), model=linear_gaussians(), chunk_size=st.integers(1, 25))
def test_importance_sampling_combines_chunks_exactly(data, model, chunk_size):
    x = as_tensor(data.draw(array((3, model.dim), -5.0, 5.0)))
    posterior = model.posterior(x)
    z, log_q = gaussian_proposal(posterior.mean, 2 * posterior.covariance_matrix, torch.Generator().manual_seed(1))(
        x, 20
    )
    whole = importance_log_marginal(model.log_joint, x, sample_bank(z, log_q), 20)
    chunked = importance_log_marginal(model.log_joint, x, sample_bank(z, log_q), 20, chunk_size=chunk_size)
    torch.testing.assert_close(chunked, whole, rtol=1e-12, atol=1e-12)


@FAST
@given(data=st.data(), noise=reals(0.3, 3.0))
def test_grid_posterior_normalises_and_grid_marginal_matches_the_closed_form(data, noise):
    model = LinearGaussian(as_tensor(data.draw(array((2, 1), -1.5, 1.5))), torch.zeros(2, dtype=torch.float64), noise)
    x = as_tensor(data.draw(array((3, 2), -3.0, 3.0)))
    grid = latent_grid(1, limits=(-10.0, 10.0), n_points=801)
    log_post = grid_log_posterior(model.log_joint, x, grid)
    torch.testing.assert_close(
        torch.logsumexp(log_post, 0) + grid.log_cell_volume, torch.zeros(3, dtype=torch.float64), atol=1e-9, rtol=0
    )
    torch.testing.assert_close(grid_log_marginal(model.log_joint, x, grid), model.log_marginal(x), rtol=1e-6, atol=1e-6)


# --- divergences and the minibatch variance -----------------------------------


@FAST
@given(data=st.data(), n_classes=st.integers(1, 6))
def test_kl_categorical_is_non_negative_and_zero_for_equal_arguments(data, n_classes):
    p = as_tensor(data.draw(array((4, n_classes), -20.0, 20.0)))
    q = as_tensor(data.draw(array((4, n_classes), -20.0, 20.0)))
    assert (kl_categorical(p, q) >= -1e-9).all()
    torch.testing.assert_close(kl_categorical(p, p), torch.zeros(4, dtype=torch.float64), atol=1e-12, rtol=0)


@FAST
@given(data=st.data(), shape=SHAPES)
def test_kl_normal_is_non_negative_and_matches_torch(data, shape):
    mp, mq = as_tensor(data.draw(array(shape, -5.0, 5.0))), as_tensor(data.draw(array(shape, -5.0, 5.0)))
    lvp, lvq = as_tensor(data.draw(array(shape, -10.0, 5.0))), as_tensor(data.draw(array(shape, -10.0, 5.0)))
    got = kl_normal(mp, lvp, mq, lvq)
    assert (got >= -1e-9).all()
    expected = torch.distributions.kl_divergence(Normal(mp, (0.5 * lvp).exp()), Normal(mq, (0.5 * lvq).exp()))
    torch.testing.assert_close(got, expected, rtol=1e-7, atol=1e-7)


@FAST
@given(data=st.data(), n=st.integers(1, 10), batch_size=st.integers(1, 10))
def test_minibatch_variance_is_non_negative_and_zero_for_the_full_batch(data, n, batch_size):
    values = as_tensor(data.draw(array((n,), -100.0, 100.0)))
    batch_size = min(batch_size, n)
    assert minibatch_variance(values, batch_size) >= 0
    assert minibatch_variance(values, n) == 0
