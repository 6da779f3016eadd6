"""Tests of vae_lib.latent against scikit-learn, torch.distributions and closed forms."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA, FactorAnalysis
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture
from torch.distributions import Categorical, MixtureSameFamily, MultivariateNormal, Normal

from vae_lib.data import load_digits
from vae_lib.latent import LinearGaussian, MixtureOfGaussians

DTYPE = torch.float64


def random_mog(n_components: int = 3, dim: int = 4, seed: int = 0) -> MixtureOfGaussians:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n_components, dim, dim)) / np.sqrt(dim)
    covs = a @ a.transpose(0, 2, 1) + 0.3 * np.eye(dim)
    weights = rng.dirichlet(np.ones(n_components) * 2)
    return MixtureOfGaussians(weights, rng.normal(scale=2.0, size=(n_components, dim)), covs)


def sklearn_mixture(mog: MixtureOfGaussians) -> GaussianMixture:
    """An unfitted GaussianMixture carrying mog's parameters (recipe in shared/RECIPES.md)."""
    gm = GaussianMixture(n_components=mog.n_components, covariance_type="full")
    covs = mog.covariances.numpy()
    gm.weights_, gm.means_, gm.covariances_ = mog.weights.numpy(), mog.means.numpy(), covs
    gm.precisions_cholesky_ = np.linalg.cholesky(np.linalg.inv(covs))
    gm.n_features_in_ = mog.dim
    return gm


def torch_mixture(mog: MixtureOfGaussians) -> MixtureSameFamily:
    return MixtureSameFamily(Categorical(probs=mog.weights), MultivariateNormal(mog.means, mog.covariances))


def random_linear_gaussian(dim: int = 6, n_latent: int = 2, seed: int = 0, isotropic: bool = False) -> LinearGaussian:
    rng = np.random.default_rng(seed)
    noise = 0.5 if isotropic else rng.uniform(0.2, 1.5, size=dim)
    return LinearGaussian(rng.normal(size=(dim, n_latent)), rng.normal(size=dim), noise)


def points(n: int, dim: int, seed: int = 1) -> torch.Tensor:
    return torch.as_tensor(np.random.default_rng(seed).normal(scale=2.0, size=(n, dim)))


# --- mixture of Gaussians ----------------------------------------------------


def test_mog_log_marginal_matches_sklearn_score_samples():
    mog = random_mog()
    x = points(200, mog.dim)
    np.testing.assert_allclose(mog.log_marginal(x).numpy(), sklearn_mixture(mog).score_samples(x.numpy()), rtol=1e-10)


def test_mog_log_marginal_matches_torch_mixture_same_family():
    mog = random_mog(n_components=4, dim=3, seed=2)
    x = points(100, 3)
    torch.testing.assert_close(mog.log_marginal(x), torch_mixture(mog).log_prob(x))


def test_mog_log_joint_is_log_weight_plus_component_density():
    mog = random_mog()
    x = points(50, mog.dim)
    expected = torch.log(mog.weights) + MultivariateNormal(mog.means, mog.covariances).log_prob(x.unsqueeze(-2))
    torch.testing.assert_close(mog.log_joint(x), expected)


def test_mog_posterior_matches_sklearn_predict_proba_and_sums_to_one():
    mog = random_mog()
    x = points(200, mog.dim)
    resp = mog.posterior(x).probs
    np.testing.assert_allclose(resp.numpy(), sklearn_mixture(mog).predict_proba(x.numpy()), atol=1e-10)
    torch.testing.assert_close(resp.sum(-1), torch.ones(200, dtype=DTYPE))


def test_mog_leading_batch_dims_and_float32():
    mog32 = MixtureOfGaussians(
        *(t.float() for t in (random_mog().weights, random_mog().means, random_mog().covariances))
    )
    x = points(12, 4).float().reshape(3, 4, 4)
    out = mog32.log_marginal(x)
    assert out.shape == (3, 4) and out.dtype == torch.float32
    torch.testing.assert_close(out, torch_mixture(mog32).log_prob(x), rtol=1e-5, atol=1e-4)


def test_mog_log_marginal_is_finite_far_from_every_component():
    mog = random_mog()
    x = torch.full((1, mog.dim), 1e3, dtype=DTYPE)
    value = mog.log_marginal(x)
    assert torch.isfinite(value).all()
    torch.testing.assert_close(value, torch_mixture(mog).log_prob(x))


def test_mog_sample_frequencies_and_component_moments():
    mog = random_mog(n_components=2, dim=2, seed=3)
    x, z = mog.sample(40_000, generator=torch.Generator().manual_seed(0))
    assert x.shape == (40_000, 2) and z.shape == (40_000,)
    freq = torch.bincount(z, minlength=2).double() / 40_000
    # Binomial standard error sqrt(p(1-p)/n) <= 0.0025; allow 5 of them.
    torch.testing.assert_close(freq, mog.weights, atol=0.0125, rtol=0)
    for k in range(2):
        xs = x[z == k]
        torch.testing.assert_close(xs.mean(0), mog.means[k], atol=0.05, rtol=0)
        # A sample variance from n >= 10^4 points has relative sd sqrt(2/n) <= 0.015; allow about 3.5 of them.
        torch.testing.assert_close(torch.cov(xs.T), mog.covariances[k], atol=0.05, rtol=0.05)


def test_mog_sample_is_reproducible_with_a_generator():
    mog = random_mog()
    a = mog.sample(5, generator=torch.Generator().manual_seed(1))
    b = mog.sample(5, generator=torch.Generator().manual_seed(1))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def two_blobs(n: int = 600, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.concatenate(
        [
            rng.normal(size=(n // 3, 2)) @ [[1.0, 0.6], [0.0, 0.5]] + [-2, 0],
            rng.normal(size=(n // 3, 2)) * 0.5 + [2, 1],
            rng.normal(size=(n - 2 * (n // 3), 2)) * [1.5, 0.3] + [0, -2],
        ]
    )


def test_em_log_likelihood_never_decreases():
    # tol=-inf: exactly n_iter iterations, so the test does not depend on when EM would stop (issue 12).
    x = torch.as_tensor(two_blobs())
    mog = MixtureOfGaussians(
        n_components=3, n_iter=60, tol=float("-inf"), reg_covar=0.0, generator=torch.Generator().manual_seed(0)
    ).fit(x)
    history = np.array(mog.history_)
    assert len(history) == 61
    # Every step, not only the last: a rise, or a fall no larger than float64 rounding of the mean log-likelihood.
    steps = np.diff(history)
    assert (steps >= -1e-12 * np.abs(history[1:]).clip(min=1.0)).all(), steps.min()
    assert history[-1] > history[0] + 0.1


def test_em_matches_sklearn_em_from_the_same_initialisation():
    x = two_blobs(seed=1)
    init = MixtureOfGaussians(
        np.array([0.3, 0.3, 0.4]),
        np.array([[-1.0, 0.0], [1.0, 1.0], [0.0, -1.0]]),
        np.tile(np.cov(x.T, bias=True), (3, 1, 1)),
    )
    start = (init.weights, init.means, init.covariances)
    ours = MixtureOfGaussians(*start, n_iter=50, tol=1e-3).fit(x)  # EM starts from the parameters it is built with
    history = ours.history_
    gm = GaussianMixture(
        3,
        covariance_type="full",
        max_iter=50,
        tol=1e-3,
        weights_init=init.weights.numpy(),
        means_init=init.means.numpy(),
        precisions_init=np.linalg.inv(init.covariances.numpy()),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm.fit(x)
    sklearn_ll = gm.score(x)
    assert abs(history[-1] - sklearn_ll) <= 0.01 * abs(sklearn_ll)
    # The final log-likelihood reported is the model's own mean log p(x).
    np.testing.assert_allclose(history[-1], ours.log_marginal(torch.as_tensor(x)).mean().item(), rtol=1e-12)


def test_em_default_initialisation_recovers_separated_clusters():
    gen = torch.Generator().manual_seed(0)
    truth = MixtureOfGaussians([0.5, 0.5], [[-4.0, 0.0], [4.0, 0.0]], torch.eye(2).expand(2, 2, 2))
    x, _ = truth.sample(1000, generator=gen)
    fitted = MixtureOfGaussians(n_components=2, generator=gen).fit(x)
    assert fitted.means.dtype == x.dtype  # EM runs in float64; the parameters follow the data
    order = fitted.means[:, 0].argsort()
    torch.testing.assert_close(fitted.means[order], truth.means, atol=0.2, rtol=0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weights": [0.5, 0.6]}, "weights must sum to 1"),
        ({"weights": [1.5, -0.5]}, "weights must all be > 0"),
        ({"means": [[0.0, 0.0]]}, r"means must have shape \(2, D\)"),
        ({"covariances": [[[1.0, 0.0], [0.0, 1.0]]] * 2}, r"covariances must have shape \(2, 1, 1\)"),
        ({"covariances": [[[1.0]], [[-1.0]]]}, "covariances is not positive definite"),
        ({"means": [[0.0], [float("nan")]]}, "means contains NaN"),
    ],
)
def test_mog_bad_parameters_raise(kwargs, message):
    params = {"weights": [0.5, 0.5], "means": [[0.0], [1.0]], "covariances": [[[1.0]], [[1.0]]]} | kwargs
    with pytest.raises(ValueError, match=message):
        MixtureOfGaussians(**params)


def test_mog_bad_data_raise():
    mog = random_mog(dim=4)
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., 4\)"):
        mog.log_marginal(torch.zeros(3, 5, dtype=DTYPE))
    with pytest.raises(ValueError, match="x needs at least 3 rows"):
        MixtureOfGaussians(n_components=3).fit(torch.zeros(2, 4))
    with pytest.raises(ValueError, match="n_components must be >= 1"):
        MixtureOfGaussians(n_components=0)
    with pytest.raises(ValueError, match="x has 5 columns but the mixture is 4-dimensional"):
        mog.fit(torch.randn(10, 5, dtype=DTYPE))
    with pytest.raises(ValueError, match="has no parameters yet: call fit"):
        MixtureOfGaussians(n_components=2).log_marginal(torch.zeros(1, 4))
    with pytest.raises(ValueError, match="weights, means, covariances go together"):
        MixtureOfGaussians([1.0], [[0.0]])


# --- linear-Gaussian (probabilistic PCA / factor analysis) --------------------


def test_linear_gaussian_log_marginal_matches_multivariate_normal():
    model = random_linear_gaussian()
    x = points(100, model.dim)
    cov = model.weight @ model.weight.T + torch.diag(model.noise_variance)
    torch.testing.assert_close(model.log_marginal(x), MultivariateNormal(model.mean, cov).log_prob(x))
    torch.testing.assert_close(model.marginal_covariance(), cov)


def test_linear_gaussian_matches_sklearn_factor_analysis_with_our_parameters():
    model = random_linear_gaussian(dim=8, n_latent=3)
    fa = FactorAnalysis(n_components=3)  # recipe in shared/RECIPES.md
    fa.components_, fa.noise_variance_ = model.weight.T.numpy(), model.noise_variance.numpy()
    fa.mean_, fa.n_features_in_ = model.mean.numpy(), 8
    x = points(300, 8)
    np.testing.assert_allclose(model.log_marginal(x).numpy(), fa.score_samples(x.numpy()), rtol=1e-10)
    np.testing.assert_allclose(model.posterior(x).mean.numpy(), fa.transform(x.numpy()), atol=1e-10)


def test_linear_gaussian_matches_fitted_sklearn_pca_score_samples():
    x = load_digits()[0].double().numpy()
    pca = PCA(n_components=10).fit(x)
    # sklearn's PPCA: W = U (Λ - σ²)^½ with its (n-1)-divisor eigenvalues.
    weight = pca.components_.T * np.sqrt(pca.explained_variance_ - pca.noise_variance_)
    model = LinearGaussian(weight, pca.mean_, pca.noise_variance_)
    np.testing.assert_allclose(model.log_marginal(torch.as_tensor(x)).numpy(), pca.score_samples(x), rtol=1e-8)


def test_fit_ppca_is_sklearn_pca_with_the_maximum_likelihood_divisor():
    x = load_digits()[0].double().numpy()
    n = x.shape[0]
    # The exact solver: scikit-learn 1.4 would pick its randomized solver for this shape, 7e-5 off (issue 12).
    pca = PCA(n_components=10, svd_solver="full").fit(x)
    ml = (n - 1) / n  # sklearn divides by n - 1; the ML estimate divides by n.
    weight = pca.components_.T * np.sqrt((pca.explained_variance_ - pca.noise_variance_) * ml)
    expected = LinearGaussian(weight, pca.mean_, pca.noise_variance_ * ml)
    fitted = LinearGaussian(n_latent=10).fit(torch.as_tensor(x))
    assert len(fitted.history_) == 1  # closed form: no iterations
    # W is identifiable only up to a rotation; the marginal covariance WWᵀ + σ²I is not.
    torch.testing.assert_close(fitted.marginal_covariance(), expected.marginal_covariance(), atol=1e-9, rtol=1e-7)
    torch.testing.assert_close(fitted.noise_variance, expected.noise_variance, rtol=1e-9, atol=0)


def test_fit_ppca_is_a_maximum_of_the_likelihood():
    x, _ = random_linear_gaussian(isotropic=True).sample(2000, generator=torch.Generator().manual_seed(0))
    fitted = LinearGaussian(n_latent=2).fit(x)
    best = fitted.log_marginal(x).mean()
    gen = torch.Generator().manual_seed(1)
    for _ in range(5):
        w = fitted.weight + 0.05 * torch.randn(fitted.weight.shape, generator=gen, dtype=DTYPE)
        for sigma2 in (0.95, 1.05):
            other = LinearGaussian(w, fitted.mean, fitted.noise_variance[0] * sigma2)
            assert other.log_marginal(x).mean() < best


@pytest.mark.parametrize("noise", [1e-2, 1e-8])
def test_linear_gaussian_log_marginal_in_float32_with_tiny_noise(noise):
    rng = np.random.default_rng(1)
    weight, mean = rng.normal(size=(4, 2)), rng.normal(size=4)
    x = rng.normal(size=(5, 2)) @ weight.T + mean + np.sqrt(noise) * rng.normal(size=(5, 4))
    model32 = LinearGaussian(torch.tensor(weight, dtype=torch.float32), torch.tensor(mean, dtype=torch.float32), noise)
    oracle = MultivariateNormal(torch.tensor(mean), torch.tensor(weight @ weight.T) + noise * torch.eye(4, dtype=DTYPE))
    expected = oracle.log_prob(torch.as_tensor(x))
    # Terms of size |x - μ|²/ψ ~ 1e8 must not cancel: float32 keeps ~4 significant digits here.
    got = model32.log_marginal(torch.tensor(x, dtype=torch.float32)).double()
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-3)
    z = torch.zeros(3, 5, 2)
    joint = model32.log_joint(torch.tensor(x, dtype=torch.float32), z).double()
    expected_joint = Normal(0.0, 1.0).log_prob(z.double()).sum(-1) + MultivariateNormal(
        torch.tensor(mean), noise * torch.eye(4, dtype=DTYPE)
    ).log_prob(torch.as_tensor(x))
    torch.testing.assert_close(joint, expected_joint, rtol=1e-4, atol=1e-3)


def test_linear_gaussian_posterior_matches_gaussian_conditioning():
    model = random_linear_gaussian()
    x = points(20, model.dim)
    # Joint Gaussian of (z, x): Cov(z, x) = Wᵀ, so p(z|x) = N(Wᵀ C⁻¹ (x - μ), I - Wᵀ C⁻¹ W).
    c = model.weight @ model.weight.T + torch.diag(model.noise_variance)
    posterior = model.posterior(x)
    assert isinstance(posterior, MultivariateNormal) and posterior.batch_shape == (20,)
    torch.testing.assert_close(posterior.mean, torch.linalg.solve(c, (x - model.mean).T).T @ model.weight)
    expected_cov = torch.eye(2, dtype=DTYPE) - model.weight.T @ torch.linalg.solve(c, model.weight)
    torch.testing.assert_close(posterior.covariance_matrix, expected_cov.expand(20, 2, 2))


def test_linear_gaussian_posterior_is_joint_over_marginal():
    model = random_linear_gaussian(n_latent=2)
    x = points(5, model.dim)
    z = points(5, 2, seed=3)
    log_post = model.posterior(x).log_prob(z)
    torch.testing.assert_close(model.log_joint(x, z) - model.log_marginal(x), log_post)


def test_linear_gaussian_log_joint_matches_torch_distributions():
    model = random_linear_gaussian()
    x = points(7, model.dim)
    z = points(3 * 7 * 2, 1, seed=4).reshape(3, 7, 2)
    expected = Normal(0.0, 1.0).log_prob(z).sum(-1) + MultivariateNormal(
        z @ model.weight.T + model.mean, torch.diag(model.noise_variance)
    ).log_prob(x)
    out = model.log_joint(x, z)
    assert out.shape == (3, 7)
    torch.testing.assert_close(out, expected)


def test_linear_gaussian_sample_moments():
    model = random_linear_gaussian(dim=3, n_latent=1)
    x, z = model.sample(50_000, generator=torch.Generator().manual_seed(0))
    assert x.shape == (50_000, 3) and z.shape == (50_000, 1)
    torch.testing.assert_close(x.mean(0), model.mean, atol=0.05, rtol=0)
    torch.testing.assert_close(torch.cov(x.T), model.marginal_covariance(), atol=0.08, rtol=0.03)


def test_factor_analysis_em_never_decreases_and_matches_sklearn():
    truth = LinearGaussian(
        np.array([[2.0, 0.0], [1.0, 1.0], [0.5, -1.0], [1.0, 0.5], [0.0, 2.0]]), np.zeros(5), [0.1, 0.5, 1.0, 0.3, 2.0]
    )
    x, _ = truth.sample(3000, generator=torch.Generator().manual_seed(0))
    fitted = LinearGaussian(n_latent=2, noise="diagonal", tol=0.0, n_iter=300).fit(x)
    history = fitted.history_
    assert np.diff(history).min() >= -1e-12
    sklearn_ll = FactorAnalysis(n_components=2).fit(x.numpy()).score(x.numpy())
    assert abs(history[-1] - sklearn_ll) <= 0.01 * abs(sklearn_ll)
    assert history[-1] >= sklearn_ll - 1e-3
    np.testing.assert_allclose(history[-1], fitted.log_marginal(x).mean().item(), rtol=1e-10)
    torch.testing.assert_close(fitted.noise_variance, truth.noise_variance, rtol=0.25, atol=0.05)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"noise_variance": -1.0}, "noise_variance must be > 0"),
        ({"noise_variance": [1.0, 1.0]}, r"noise_variance must be one number or have shape \(3,\)"),
        ({"mean": [0.0, 0.0]}, r"mean must have shape \(3,\)"),
        ({"weight": [1.0, 2.0, 3.0]}, r"weight must have shape \(D, k\)"),
    ],
)
def test_linear_gaussian_bad_parameters_raise(kwargs, message):
    params = {"weight": [[1.0], [2.0], [3.0]], "mean": [0.0, 0.0, 0.0], "noise_variance": 1.0} | kwargs
    with pytest.raises(ValueError, match=message):
        LinearGaussian(**params)


def test_linear_gaussian_bad_data_raise():
    model = random_linear_gaussian(dim=6, n_latent=2)
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., 6\)"):
        model.log_marginal(torch.zeros(2, 5, dtype=DTYPE))
    with pytest.raises(ValueError, match=r"z must have shape \(\.\.\., 2\)"):
        model.log_joint(torch.zeros(2, 6, dtype=DTYPE), torch.zeros(2, 3, dtype=DTYPE))
    with pytest.raises(ValueError, match="x contains inf"):
        model.posterior(torch.full((1, 6), float("inf"), dtype=DTYPE))
    with pytest.raises(ValueError, match="n_latent must be <= 5"):
        LinearGaussian(n_latent=6).fit(torch.randn(10, 6))
    with pytest.raises(ValueError, match=r"x must be a data matrix of shape \(N, D\)"):
        LinearGaussian(n_latent=1, noise="diagonal").fit(torch.randn(10))
    with pytest.raises(ValueError, match="x has 5 columns but the model is 6-dimensional"):
        model.fit(torch.randn(10, 5, dtype=DTYPE))
    with pytest.raises(ValueError, match="has no parameters yet: call fit"):
        LinearGaussian(n_latent=1).posterior(torch.zeros(1, 6))
    with pytest.raises(ValueError, match="noise must be 'isotropic' or 'diagonal'"):
        LinearGaussian(n_latent=1, noise="full")
