"""vae_lib.toy against scipy.stats, torch.distributions and numerical integration."""

import numpy as np
import pytest
import torch
from scipy import integrate, stats
from torch.distributions import Categorical, MixtureSameFamily, Normal

from vae_lib.toy import Banana2D, GaussianMixture1D, HeteroscedasticRegression

WEIGHTS, MEANS, STDS = [0.3, 0.5, 0.2], [-2.0, 0.5, 3.0], [0.5, 1.0, 0.3]


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_mixture_log_prob_matches_torch_mixture_same_family():
    p = GaussianMixture1D(WEIGHTS, MEANS, STDS)
    oracle = MixtureSameFamily(
        Categorical(probs=torch.tensor(WEIGHTS, dtype=torch.float64)),
        Normal(torch.tensor(MEANS, dtype=torch.float64), torch.tensor(STDS, dtype=torch.float64)),
    )
    x = torch.linspace(-6, 6, 101, dtype=torch.float64).reshape(101, 1)
    torch.testing.assert_close(p.log_prob(x), oracle.log_prob(x))
    assert p.log_prob(x).shape == (101, 1)


def test_mixture_density_integrates_to_one_and_is_finite_in_far_tails():
    p = GaussianMixture1D(WEIGHTS, MEANS, STDS)
    total, _ = integrate.quad(lambda v: p.log_prob(torch.tensor(v)).exp().item(), -15, 15, points=MEANS, limit=200)
    assert total == pytest.approx(1.0, abs=1e-8)
    far = p.log_prob([-200.0, 200.0])
    assert torch.isfinite(far).all() and (far < -1e4).all()


def test_mixture_samples_match_the_cdf_ks_test():
    p = GaussianMixture1D(WEIGHTS, MEANS, STDS)
    x = p.sample(20_000, generator=gen(1)).numpy()

    def cdf(v):
        return sum(w * stats.norm.cdf(v, m, s) for w, m, s in zip(WEIGHTS, MEANS, STDS, strict=True))

    assert stats.kstest(x, cdf).pvalue > 0.01
    assert x.dtype == np.float64


def test_mixture_sampling_is_reproducible_with_a_generator():
    p = GaussianMixture1D(WEIGHTS, MEANS, STDS)
    assert torch.equal(p.sample(10, gen(3)), p.sample(10, gen(3)))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([0.5, 0.6], [0.0, 1.0], [1.0, 1.0]), "weights must be non-negative and sum to 1"),
        (([1.5, -0.5], [0.0, 1.0], [1.0, 1.0]), "weights must be non-negative"),
        (([0.5, 0.5], [0.0, 1.0], [1.0, 0.0]), "stds must all be > 0"),
        (([0.5, 0.5], [0.0], [1.0, 1.0]), "one entry per component, got lengths 2, 1 and 2"),
        (([], [], []), "weights is empty"),
        (([[1.0]], [0.0], [1.0]), "weights must be a 1-D sequence"),
        (([1.0], [float("nan")], [1.0]), "means contains NaN"),
    ],
)
def test_mixture_bad_parameters(args, message):
    with pytest.raises(ValueError, match=message):
        GaussianMixture1D(*args)


def test_mixture_bad_inputs():
    p = GaussianMixture1D([1.0], [0.0], [1.0])
    with pytest.raises(ValueError, match="x contains inf"):
        p.log_prob([float("inf")])
    with pytest.raises(ValueError, match="n must be >= 1"):
        p.sample(0)


def test_banana_log_prob_is_the_product_of_its_two_gaussian_factors():
    s, b, sigma = 1.5, 0.7, 0.4
    p = Banana2D(scale=s, curvature=b, noise=sigma)
    x = torch.randn(50, 2, generator=gen(2), dtype=torch.float64) * 2
    x1, x2 = x.numpy().T
    expected = stats.norm.logpdf(x1, 0, s) + stats.norm.logpdf(x2, b * (x1**2 - s**2), sigma)
    np.testing.assert_allclose(p.log_prob(x).numpy(), expected, rtol=1e-12)


def test_banana_density_integrates_to_one():
    p = Banana2D(scale=1.0, curvature=0.5, noise=0.5)
    # inner integral over x2 is 1 for each x1 (a Gaussian); check it numerically on a grid, then the outer one
    x1, x2 = torch.meshgrid(
        torch.linspace(-8, 8, 801, dtype=torch.float64),
        torch.linspace(-10, 30, 4001, dtype=torch.float64),
        indexing="ij",
    )
    density = p.log_prob(torch.stack([x1, x2], dim=-1)).exp().numpy()
    total = integrate.simpson(integrate.simpson(density, x=x2[0].numpy(), axis=1), x=x1[:, 0].numpy())
    assert total == pytest.approx(1.0, abs=1e-6)


def test_banana_sample_moments():
    s, b, sigma = 1.5, 0.5, 0.5
    x = Banana2D(scale=s, curvature=b, noise=sigma).sample(200_000, generator=gen(4))
    assert x.shape == (200_000, 2)
    # E[x1] = 0, Var x1 = s², E[x2] = 0, Var x2 = b² Var(x1²) + σ² = 2 b² s⁴ + σ²
    torch.testing.assert_close(x.mean(0), torch.zeros(2, dtype=torch.float64), atol=0.02, rtol=0)
    torch.testing.assert_close(
        x.var(0), torch.tensor([s**2, 2 * b**2 * s**4 + sigma**2], dtype=torch.float64), atol=0, rtol=0.02
    )


@pytest.mark.parametrize(
    ("cls", "kwargs", "message"),
    [
        (Banana2D, {"scale": 0.0}, "scale must be a finite number > 0"),
        (Banana2D, {"noise": -1.0}, "noise must be a finite number > 0"),
        (Banana2D, {"curvature": float("inf")}, "curvature must be finite"),
        (HeteroscedasticRegression, {"x_range": 0.0}, "x_range must be a finite number > 0"),
        (HeteroscedasticRegression, {"noise": 0.0}, "noise must be a finite number > 0"),
        (HeteroscedasticRegression, {"noise_slope": -0.1}, "noise_slope must be a finite number >= 0"),
        (HeteroscedasticRegression, {"frequency": float("nan")}, "frequency must be a finite number >= 0"),
    ],
)
def test_bad_parameters(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls(**kwargs)


def test_banana_rejects_wrong_last_dimension():
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., 2\), got \(4, 3\)"):
        Banana2D().log_prob(torch.zeros(4, 3))


def test_regression_log_prob_matches_scipy():
    task = HeteroscedasticRegression(x_range=3.0, frequency=1.5, noise=0.1, noise_slope=0.3)
    x = torch.linspace(-3, 3, 41, dtype=torch.float64)
    y = torch.randn(41, generator=gen(5), dtype=torch.float64)
    expected = stats.norm.logpdf(y.numpy(), np.sin(1.5 * x.numpy()), 0.1 + 0.3 * np.abs(x.numpy()))
    np.testing.assert_allclose(task.log_prob(y, x).numpy(), expected, rtol=1e-12)


def test_regression_samples_follow_the_conditional():
    task = HeteroscedasticRegression(x_range=2.0, noise=0.2, noise_slope=0.4)
    x, y = task.sample(100_000, generator=gen(6))
    assert x.min() >= -2 and x.max() <= 2
    assert stats.kstest(x.numpy(), stats.uniform(-2, 4).cdf).pvalue > 0.01
    z = (y - task.mean(x)) / task.std(x)  # standardised residuals are N(0, 1) if y | x is right
    assert stats.kstest(z.numpy(), stats.norm.cdf).pvalue > 0.01


def test_regression_bad_inputs():
    task = HeteroscedasticRegression()
    with pytest.raises(ValueError, match="y contains NaN"):
        task.log_prob(torch.tensor([float("nan")]), torch.tensor([0.0]))
    with pytest.raises(ValueError, match="shape mismatch"):
        task.log_prob(torch.zeros(3), torch.zeros(2))
