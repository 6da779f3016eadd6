"""vae_lib.divergence against torch.distributions.kl_divergence, closed forms and quadrature."""

import math

import pytest
import torch
from scipy import integrate
from torch.distributions import Categorical, Independent, Normal, kl_divergence

from vae_lib.divergence import kl_categorical, kl_normal, monte_carlo_kl
from vae_lib.toy import GaussianMixture1D


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_kl_normal_matches_torch_kl_divergence(dtype):
    g = gen(1)
    mp, mq = torch.randn(2, 7, 3, generator=g, dtype=dtype)
    lvp, lvq = torch.randn(2, 7, 3, generator=g, dtype=dtype)
    expected = kl_divergence(Normal(mp, torch.exp(0.5 * lvp)), Normal(mq, torch.exp(0.5 * lvq)))
    got = kl_normal(mp, lvp, mq, lvq)
    assert got.dtype == dtype
    torch.testing.assert_close(got, expected)


def test_kl_normal_event_dims_sums_like_independent():
    g = gen(2)
    mp, mq, lvp, lvq = torch.randn(4, 5, 3, generator=g, dtype=torch.float64)
    p = Independent(Normal(mp, torch.exp(0.5 * lvp)), 1)
    q = Independent(Normal(mq, torch.exp(0.5 * lvq)), 1)
    torch.testing.assert_close(kl_normal(mp, lvp, mq, lvq, event_dims=1), kl_divergence(p, q))


def test_kl_normal_closed_form_values():
    # KL(N(0,1) || N(0, 4)) = ½(log 4 + 1/4 − 1)
    got = kl_normal(torch.tensor(0.0), torch.tensor(0.0), torch.tensor(0.0), torch.tensor(math.log(4.0)))
    assert got.item() == pytest.approx(0.5 * (math.log(4) + 0.25 - 1), rel=1e-6)
    zero = kl_normal(torch.tensor(1.5), torch.tensor(-0.3), torch.tensor(1.5), torch.tensor(-0.3))
    assert zero.item() == 0.0


def test_kl_normal_broadcasts_scalar_truth_against_many_models():
    mq = torch.linspace(-1, 1, 5)
    got = kl_normal(torch.tensor(0.0), torch.tensor(0.0), mq, torch.zeros(5))
    torch.testing.assert_close(got, 0.5 * mq**2)


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((torch.zeros(3), torch.zeros(2), torch.zeros(3), torch.zeros(3)), {}, "shape mismatch"),
        (
            (torch.zeros(2), torch.tensor([0.0, float("nan")]), torch.zeros(2), torch.zeros(2)),
            {},
            "log_var_p contains NaN",
        ),
        (
            (torch.zeros(2), torch.zeros(2), torch.zeros(2), torch.zeros(2)),
            {"event_dims": 2},
            "event_dims must be between 0 and 1",
        ),
    ],
)
def test_kl_normal_bad_input(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        kl_normal(*args, **kwargs)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_kl_categorical_matches_torch_kl_divergence(dtype):
    g = gen(3)
    lp, lq = (torch.randn(2, 6, 10, generator=g) * 3).to(dtype)
    expected = kl_divergence(Categorical(logits=lp), Categorical(logits=lq))
    torch.testing.assert_close(kl_categorical(lp, lq), expected)


def test_kl_categorical_is_zero_for_equal_and_handles_near_zero_probabilities():
    logits = torch.tensor([0.0, 1.0, -2.0])
    assert kl_categorical(logits, logits + 5.0).abs().item() < 1e-6  # logits are unnormalised
    # p puts ~e^-1000 on class 0: that term contributes 0, not NaN
    got = kl_categorical(torch.tensor([-1000.0, 0.0, 0.0]), torch.tensor([0.0, 0.0, 0.0]))
    assert got.item() == pytest.approx(math.log(3 / 2), rel=1e-6)


@pytest.mark.parametrize(
    ("lp", "lq", "message"),
    [
        (torch.zeros(3), torch.zeros(4), "same number of classes, got 3 and 4"),
        (torch.tensor(0.0), torch.zeros(1), "logits_p must have a class dimension"),
        (torch.zeros(3), torch.tensor([0.0, float("inf"), 0.0]), "logits_q contains inf"),
        (torch.zeros(2, 3), torch.zeros(4, 3), "shape mismatch"),
        (torch.zeros(0), torch.zeros(0), "logits_p is empty"),
    ],
)
def test_kl_categorical_bad_input(lp, lq, message):
    with pytest.raises(ValueError, match=message):
        kl_categorical(lp, lq)


def test_monte_carlo_kl_agrees_with_closed_form_within_its_standard_error():
    p, q = Normal(torch.tensor(0.0, dtype=torch.float64), 1.0), Normal(torch.tensor(0.7, dtype=torch.float64), 1.5)
    x = torch.randn(200_000, generator=gen(6), dtype=torch.float64)  # x ~ p = N(0, 1)
    est = monte_carlo_kl(p.log_prob(x), q.log_prob(x))
    exact = kl_divergence(p, q).item()
    assert abs(est.estimate.item() - exact) < 4 * est.stderr.item()
    assert 1e-4 < est.stderr.item() < 1e-2


def test_monte_carlo_kl_of_a_mixture_agrees_with_quadrature():
    truth = GaussianMixture1D([0.4, 0.6], [-2.0, 1.5], [0.6, 1.0])
    model = Normal(torch.tensor(0.0, dtype=torch.float64), torch.tensor(2.0, dtype=torch.float64))

    def integrand(v):
        log_p = truth.log_prob(torch.tensor(v)).item()
        return math.exp(log_p) * (log_p - model.log_prob(torch.tensor(v, dtype=torch.float64)).item())

    exact, _ = integrate.quad(integrand, -15, 15, points=[-2.0, 1.5], limit=200)
    x = truth.sample(200_000, generator=gen(4))
    est = monte_carlo_kl(truth.log_prob(x), model.log_prob(x))
    assert abs(est.estimate.item() - exact) < 4 * est.stderr.item()


def test_monte_carlo_kl_standard_error_formula_and_batch_dimension():
    diff = torch.randn(1000, 3, generator=gen(5), dtype=torch.float64)
    est = monte_carlo_kl(diff, torch.zeros(1, 3, dtype=torch.float64))
    torch.testing.assert_close(est.estimate, diff.mean(0))
    torch.testing.assert_close(est.stderr, diff.std(0, correction=1) / math.sqrt(1000))
    assert est.estimate.shape == est.stderr.shape == (3,)


def test_monte_carlo_kl_stderr_shrinks_like_one_over_root_s():
    p, q = Normal(0.0, 1.0), Normal(0.5, 1.0)
    small, large = torch.randn(1_000, generator=gen(7)), torch.randn(100_000, generator=gen(8))  # x ~ p
    ratio = (
        monte_carlo_kl(p.log_prob(small), q.log_prob(small)).stderr
        / monte_carlo_kl(p.log_prob(large), q.log_prob(large)).stderr
    )
    assert ratio.item() == pytest.approx(10.0, rel=0.1)


@pytest.mark.parametrize(
    ("lp", "lq", "message"),
    [
        (torch.zeros(1), torch.zeros(1), "need at least 2 samples"),
        (torch.tensor(0.0), torch.tensor(0.0), "need at least 2 samples"),
        (torch.zeros(3), torch.zeros(4), "shape mismatch"),
        (torch.zeros(3), torch.tensor([0.0, -float("inf"), 0.0]), "log_q contains inf"),
    ],
)
def test_monte_carlo_kl_bad_input(lp, lq, message):
    with pytest.raises(ValueError, match=message):
        monte_carlo_kl(lp, lq)
