"""The minibatch estimator (1.11) and its gradient (1.12): unbiased by exhaustive enumeration, with the
sampling-without-replacement variance; weight decay = a Gaussian log-prior; bad sizes raise."""

import itertools
import math
from collections import Counter

import numpy as np
import pytest
import torch
from scipy import stats
from torch import nn

from vae_lib.bayes import all_minibatch_means, gaussian_log_prior, minibatch_variance, weight_decay_from_prior
from vae_lib.data import load_digits
from vae_lib.likelihood import bernoulli_log_prob, dataset_log_likelihood, minibatch_estimate
from vae_lib.training import train

N_D = 8


def small_problem():
    """Eight binarised digits and a factorised Bernoulli model with random logits θ (float64)."""
    x, _ = load_digits(binarize=True, dtype=torch.float64)
    theta = torch.randn(64, dtype=torch.float64, generator=torch.Generator().manual_seed(0)).requires_grad_()
    return x[:N_D], theta, lambda b: bernoulli_log_prob(b, theta)


@pytest.mark.parametrize("batch_size", range(1, N_D + 1))
def test_every_minibatch_objective_and_gradient_average_to_the_full_ones(batch_size):
    """Brute force: for each of the comb(N_D, N_M) minibatches M, autograd of (1/N_M) log p(M); their
    average equals (1/N_D) log p(D) and its gradient within 1e-6 (1.11)–(1.12)."""
    x, theta, log_prob = small_problem()
    full = dataset_log_likelihood(log_prob, x) / N_D
    (full_grad,) = torch.autograd.grad(full, theta)
    values, grads = [], []
    for subset in itertools.combinations(range(N_D), batch_size):
        objective = dataset_log_likelihood(log_prob, x[list(subset)]) / batch_size
        values.append(objective.item())
        grads.append(torch.autograd.grad(objective, theta)[0])
    assert len(values) == math.comb(N_D, batch_size)
    assert np.mean(values) == pytest.approx(full.item(), abs=1e-6)
    torch.testing.assert_close(torch.stack(grads).mean(0), full_grad, atol=1e-6, rtol=0)
    if batch_size < N_D:  # a single minibatch is not the full objective: the estimator has spread
        assert np.ptp(values) > 1.0


@pytest.mark.parametrize("batch_size", range(1, N_D + 1))
def test_variance_formula_matches_the_enumerated_variance(batch_size):
    """Var over all minibatches (numpy, itertools) = σ²/N_M · (N_D − N_M)/(N_D − 1)."""
    x, _, log_prob = small_problem()
    per_example = log_prob(x).detach()
    enumerated = [per_example.numpy()[list(m)].mean() for m in itertools.combinations(range(N_D), batch_size)]
    predicted = minibatch_variance(per_example, batch_size).item()
    assert np.var(enumerated) == pytest.approx(predicted, rel=1e-9, abs=1e-12)
    with_replacement = per_example.var(correction=0).item() / batch_size
    if 1 < batch_size:  # without replacement is strictly less variable than with replacement
        assert predicted < with_replacement
    torch.testing.assert_close(all_minibatch_means(per_example, batch_size).var(correction=0).item(), predicted)


def recording_problem():
    """A dataset whose rows carry their own index, so a log_prob can see which rows a minibatch holds."""
    values = torch.tensor([-3.0, -1.0, -4.0, -1.5, -9.0, -2.0], dtype=torch.float64)
    data = torch.arange(len(values), dtype=torch.float64).unsqueeze(1)
    seen = []

    def log_prob(batch):
        idx = batch[:, 0].long()
        seen.append(tuple(sorted(idx.tolist())))
        return values[idx]

    return values, data, log_prob, seen


def test_minibatch_estimate_draws_uniform_subsets_without_replacement():
    """Each draw is the mean over N_M distinct rows, and all comb(6, 3) = 20 subsets are equally likely (χ²)."""
    values, data, log_prob, seen = recording_problem()
    g = torch.Generator().manual_seed(1)
    draws = [minibatch_estimate(log_prob, data, batch_size=3, generator=g).item() for _ in range(4000)]
    for subset, draw in zip(seen, draws, strict=True):
        assert len(set(subset)) == 3
        assert draw == pytest.approx(values[list(subset)].mean().item(), abs=1e-12)
    counts = Counter(seen)
    assert set(counts) == set(itertools.combinations(range(6), 3))
    assert stats.chisquare([counts[s] for s in sorted(counts)]).pvalue > 1e-3


@pytest.mark.parametrize("batch_size", [1, 10, 100, 1000])
def test_minibatch_estimate_on_digits_is_unbiased_with_the_predicted_variance(batch_size):
    """Monte Carlo on all 1797 digits: mean within 4 standard errors of the full objective, variance within 10 %."""
    x, _ = load_digits(binarize=True)
    logits = torch.logit((x.sum(0) + 1) / (len(x) + 2))
    log_prob = lambda b: bernoulli_log_prob(b, logits)  # noqa: E731
    full = (dataset_log_likelihood(log_prob, x) / len(x)).item()
    predicted = minibatch_variance(log_prob(x).double(), batch_size).item()
    g = torch.Generator().manual_seed(2)
    draws = np.array([minibatch_estimate(log_prob, x, batch_size, generator=g).item() for _ in range(3000)])
    assert abs(draws.mean() - full) < 4 * math.sqrt(predicted / len(draws))
    assert draws.var() == pytest.approx(predicted, rel=0.1)


def test_full_batch_minibatch_estimate_is_the_full_objective():
    x, _, log_prob = small_problem()
    torch.testing.assert_close(minibatch_estimate(log_prob, x, N_D), dataset_log_likelihood(log_prob, x) / N_D)


class TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(64, 8), nn.Tanh(), nn.Linear(8, 64))

    def forward(self, x):
        return bernoulli_log_prob(x, self.net(x.flip(-1)))


@pytest.mark.parametrize(("optimizer", "batch_size"), [("sgd", None), ("sgd", 16), ("adam", None), ("adam", 16)])
def test_weight_decay_lands_where_an_explicit_gaussian_log_prior_does(optimizer, batch_size):
    """train(weight_decay=λ) on −mean log p(x) and train on −mean log p(x) − log p(θ)/N give the same weights."""
    x = load_digits(binarize=True)[0][:64]
    prior_std, n = 0.5, len(x)

    def fit(explicit_prior):
        torch.manual_seed(3)
        model = TinyNet()

        def loss(b):
            nll = -model(b).mean()
            return nll - gaussian_log_prior(model.parameters(), prior_std) / n if explicit_prior else nll

        decay = 0.0 if explicit_prior else weight_decay_from_prior(prior_std, n)
        train(
            loss,
            model,
            x,
            steps=60,
            batch_size=batch_size,
            optimizer=optimizer,
            lr=0.05,
            weight_decay=decay,
            progress=False,
        )
        return torch.cat([p.detach().flatten() for p in model.parameters()])

    with_decay, with_prior = fit(False), fit(True)
    torch.manual_seed(3)
    start = torch.cat([p.detach().flatten() for p in TinyNet().parameters()])
    assert (with_decay - start).abs().max() > 0.1  # training moved the weights
    torch.testing.assert_close(with_decay, with_prior, atol=1e-5, rtol=0)


def test_gaussian_prior_shrinks_weights_towards_zero():
    x = load_digits(binarize=True)[0][:64]
    norms = []
    for decay in (0.0, weight_decay_from_prior(0.1, len(x))):
        torch.manual_seed(4)
        model = TinyNet()
        train(lambda b: -model(b).mean(), model, x, steps=100, lr=0.05, weight_decay=decay, progress=False)  # noqa: B023
        norms.append(torch.cat([p.detach().flatten() for p in model.parameters()]).norm().item())
    assert norms[1] < 0.5 * norms[0]


# --- bad sizes ------------------------------------------------------------------------------------------------------


def test_empty_dataset_raises():
    log_prob = lambda b: bernoulli_log_prob(b, torch.zeros(3))  # noqa: E731
    empty = torch.zeros(0, 3)
    with pytest.raises(ValueError, match=r"data is empty \(shape \(0, 3\)\)"):
        dataset_log_likelihood(log_prob, empty)
    with pytest.raises(ValueError, match="data is empty"):
        minibatch_estimate(log_prob, empty, batch_size=1)
    w = nn.Parameter(torch.zeros(3))
    with pytest.raises(ValueError, match="data is empty"):
        train(lambda b: -bernoulli_log_prob(b, w).mean(), [w], empty, steps=1, progress=False)


@pytest.mark.parametrize(
    ("batch_size", "message"), [(0, "batch_size must be >= 1, got 0"), (9, "batch_size must be <= 8, got 9")]
)
def test_batch_size_zero_or_larger_than_the_dataset_raises(batch_size, message):
    x, _, log_prob = small_problem()
    with pytest.raises(ValueError, match=message):
        minibatch_estimate(log_prob, x, batch_size=batch_size)
    w = nn.Parameter(torch.zeros(64, dtype=torch.float64))
    with pytest.raises(ValueError, match=message):
        train(lambda b: -bernoulli_log_prob(b, w).mean(), [w], x, steps=1, batch_size=batch_size, progress=False)
    with pytest.raises(ValueError, match=message):
        all_minibatch_means(log_prob(x).detach(), batch_size)


def test_dataset_log_likelihood_rejects_chunk_size_zero():
    x, _, log_prob = small_problem()
    with pytest.raises(ValueError, match="batch_size must be >= 1, got 0"):
        dataset_log_likelihood(log_prob, x, batch_size=0)
