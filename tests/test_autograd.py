"""Gradients of the latent-variable log-densities, against torch.distributions and finite differences (gradcheck).

A reader extending chapter 1 fits a mixture or a linear-Gaussian model by gradient
ascent: build the model from tensors that require gradients, and the log-density
must be differentiable in them and in the data.
"""

import numpy as np
import pytest
import torch
from torch.autograd import gradcheck
from torch.distributions import Categorical, MixtureSameFamily, MultivariateNormal

from vae_lib import latent
from vae_lib.latent import LinearGaussian, MixtureOfGaussians

DTYPE = torch.float64


def mixture_parameters(n_components: int = 3, dim: int = 2, seed: int = 0) -> list[torch.Tensor]:
    """Unconstrained parameters (weight logits, means, lower-triangular factors) that require gradients."""
    rng = np.random.default_rng(seed)
    logits = torch.tensor(rng.normal(size=n_components), dtype=DTYPE)
    means = torch.tensor(rng.normal(scale=2.0, size=(n_components, dim)), dtype=DTYPE)
    factors = np.tril(rng.normal(size=(n_components, dim, dim)), -1) + np.eye(dim) * rng.uniform(
        0.5, 2, (n_components, 1, dim)
    )
    factors = torch.tensor(factors, dtype=DTYPE)  # lower triangular, positive diagonal
    return [t.requires_grad_() for t in (logits, means, factors)]


def mixture(logits: torch.Tensor, means: torch.Tensor, factors: torch.Tensor) -> MixtureOfGaussians:
    lower = torch.tril(factors)  # as scale_tril uses it: entries above the diagonal get no gradient
    return MixtureOfGaussians(torch.softmax(logits, -1), means, lower @ lower.mT)


def oracle_mixture(logits: torch.Tensor, means: torch.Tensor, factors: torch.Tensor) -> MixtureSameFamily:
    return MixtureSameFamily(Categorical(logits=logits), MultivariateNormal(means, scale_tril=factors))


def points(n: int, dim: int, seed: int = 1) -> torch.Tensor:
    return torch.tensor(np.random.default_rng(seed).normal(scale=2.0, size=(n, dim)), dtype=DTYPE)


@pytest.mark.parametrize("block_elements", [latent._BLOCK_ELEMENTS, 12])  # 12: two rows per block, many blocks
def test_mixture_gradients_match_mixture_same_family(block_elements, monkeypatch):
    monkeypatch.setattr(latent, "_BLOCK_ELEMENTS", block_elements)
    params = mixture_parameters()
    x = points(7, 2).requires_grad_()
    ours = torch.autograd.grad(mixture(*params).log_marginal(x).sum(), [*params, x])
    expected = torch.autograd.grad(oracle_mixture(*params).log_prob(x).sum(), [*params, x])
    for got, want in zip(ours, expected, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-10, atol=1e-12)


def test_mixture_log_marginal_and_log_joint_pass_gradcheck():
    params = mixture_parameters(n_components=2, dim=2, seed=3)
    x = points(4, 2).requires_grad_()
    assert gradcheck(lambda *args: mixture(*args[:3]).log_marginal(args[3]), (*params, x))
    assert gradcheck(lambda *args: mixture(*args[:3]).log_joint(args[3]), (*params, x))
    assert gradcheck(lambda *args: mixture(*args[:3]).posterior(args[3]).probs, (*params, x))


def test_fitting_a_mixture_by_gradient_ascent_reaches_the_em_optimum():
    x = torch.cat([points(150, 1, seed=5) * 0.5 - 2, points(150, 1, seed=6) * 0.5 + 2])
    em = MixtureOfGaussians(n_components=2, generator=torch.Generator().manual_seed(0)).fit(x)
    logits, means, factors = (
        torch.zeros(2, dtype=DTYPE, requires_grad=True),
        torch.tensor([[-1.0], [1.0]], dtype=DTYPE, requires_grad=True),
        torch.ones(2, 1, 1, dtype=DTYPE, requires_grad=True),
    )
    optimizer = torch.optim.Adam([logits, means, factors], lr=0.05)
    for _ in range(400):
        optimizer.zero_grad()
        loss = -mixture(logits, means, factors).log_marginal(x).mean()
        loss.backward()
        optimizer.step()
    assert -loss.item() == pytest.approx(em.history_[-1], abs=1e-3)


def linear_gaussian_parameters(dim: int = 4, n_latent: int = 2, seed: int = 0) -> list[torch.Tensor]:
    rng = np.random.default_rng(seed)
    weight = torch.tensor(rng.normal(size=(dim, n_latent)), dtype=DTYPE)
    mean = torch.tensor(rng.normal(size=dim), dtype=DTYPE)
    noise = torch.tensor(rng.uniform(0.3, 1.5, size=dim), dtype=DTYPE)
    return [t.requires_grad_() for t in (weight, mean, noise)]


def test_linear_gaussian_gradients_match_multivariate_normal():
    weight, mean, noise = linear_gaussian_parameters()
    x = points(6, 4).requires_grad_()
    inputs = [weight, mean, noise, x]
    ours = torch.autograd.grad(LinearGaussian(weight, mean, noise).log_marginal(x).sum(), inputs)
    oracle = MultivariateNormal(mean, weight @ weight.T + torch.diag(noise))
    expected = torch.autograd.grad(oracle.log_prob(x).sum(), inputs)
    for got, want in zip(ours, expected, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-9, atol=1e-11)


def test_linear_gaussian_log_densities_and_posterior_pass_gradcheck():
    weight, mean, noise = linear_gaussian_parameters(dim=3, n_latent=2, seed=2)
    x = points(3, 3).requires_grad_()
    z = points(3, 2, seed=4).requires_grad_()
    assert gradcheck(lambda w, m, s, x: LinearGaussian(w, m, s).log_marginal(x), (weight, mean, noise, x))
    assert gradcheck(lambda w, m, s, x, z: LinearGaussian(w, m, s).log_joint(x, z), (weight, mean, noise, x, z))
    assert gradcheck(lambda w, m, s, x: LinearGaussian(w, m, s).posterior(x).mean, (weight, mean, noise, x))
    assert gradcheck(lambda w, m, s, x: LinearGaussian(w, m, s).posterior(x).scale_tril, (weight, mean, noise, x))


def test_gradients_are_finite_for_float32_models_too():
    params = [p.detach().float().requires_grad_() for p in mixture_parameters()]
    value = mixture(*params).log_marginal(points(5, 2).float()).sum()
    grads = torch.autograd.grad(value, params)
    assert all(torch.isfinite(g).all() and g.dtype == torch.float32 for g in grads)
    weight, mean, noise = (p.detach().float().requires_grad_() for p in linear_gaussian_parameters())
    grads = torch.autograd.grad(LinearGaussian(weight, mean, noise).log_marginal(points(5, 4).float()).sum(), weight)
    assert torch.isfinite(grads[0]).all() and grads[0].dtype == torch.float32
