"""vae_lib follows its inputs, as torch.distributions does (issue 14).

Every public function is called with float32 and with float64 inputs, on the CPU
and — where one is available — on a CUDA device; every tensor it returns must
have the inputs' dtype and device. Mixing float32 and float64 tensors is a
``ValueError`` that names both dtypes, and tensors on different devices a
``ValueError`` that names both devices (checked with PyTorch's ``meta`` device,
which exists on every machine). Random draws take an explicit CPU generator on
every device, so the same seed gives the same numbers on the CPU and on a GPU.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np
import pytest
import torch
from torch import Tensor, nn
from torch.distributions import Distribution

from vae_lib import bayes, calibration, checks, data, divergence, estimators, likelihood, models, toy, training
from vae_lib.classifiers import GaussianClassifier, LogisticRegression, learning_curve
from vae_lib.graphical import DirectedGraphicalModel, Node
from vae_lib.latent import LinearGaussian, MixtureOfGaussians

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
DEVICES = [pytest.param("cpu", id="cpu"), pytest.param("cuda", id="cuda", marks=CUDA)]
DTYPES = [pytest.param(torch.float32, id="float32"), pytest.param(torch.float64, id="float64")]


class Inputs:
    """Makers of test inputs in one dtype on one device, drawn from a fixed CPU generator."""

    def __init__(self, dtype: torch.dtype, device: str) -> None:
        self.dtype, self.device = dtype, torch.device(device)
        self.generator = torch.Generator().manual_seed(0)

    def randn(self, *shape: int) -> Tensor:
        return torch.randn(shape, generator=self.generator, dtype=self.dtype).to(self.device)

    def binary(self, *shape: int) -> Tensor:
        return (torch.rand(shape, generator=self.generator) < 0.5).to(dtype=self.dtype, device=self.device)

    def labels(self, n: int, k: int) -> Tensor:
        return (torch.arange(n) % k).to(self.device)

    def probs(self, n: int, k: int) -> Tensor:
        return torch.softmax(self.randn(n, k), -1)

    def spd(self, d: int) -> Tensor:
        a = self.randn(d, d)
        return a @ a.T + torch.eye(d, dtype=self.dtype, device=self.device)

    def module(self, module: nn.Module) -> nn.Module:
        torch.manual_seed(0)
        return module.to(dtype=self.dtype, device=self.device)

    def gen(self, seed: int = 1) -> torch.Generator:
        return torch.Generator().manual_seed(seed)  # a CPU generator, whatever the device

    def mixture(self) -> MixtureOfGaussians:
        return MixtureOfGaussians(
            torch.tensor([0.3, 0.7], dtype=self.dtype, device=self.device),
            self.randn(2, 3),
            torch.stack([self.spd(3), self.spd(3)]),
        )

    def linear_gaussian(self, noise: float | Tensor = 0.5) -> LinearGaussian:
        return LinearGaussian(self.randn(4, 2), self.randn(4), noise)

    def graph(self, conditional: str) -> DirectedGraphicalModel:
        nodes = {
            "a": Node("bernoulli"),
            "c": Node("categorical", parents=("a",), n_classes=3),
            "b": Node("bernoulli", parents=("a", "c")),
        }
        if conditional == "mlp":
            nodes["g"] = Node("gaussian", parents=("b",), dim=2)
        return self.module(DirectedGraphicalModel(nodes, conditional=conditional))


def flatten(value: object) -> list[Tensor]:
    """Every tensor in a result: tensors, sequences, mappings, distributions, NamedTuples."""
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, Distribution):
        return flatten(list(vars(value).values()))
    if isinstance(value, Mapping):
        return flatten(list(value.values()))
    if isinstance(value, list | tuple):
        return [t for item in value for t in flatten(item)]
    return []


def fitted_parameters(model: MixtureOfGaussians | LinearGaussian) -> list[Tensor]:
    if isinstance(model, MixtureOfGaussians):
        return [model.weights, model.means, model.covariances, model.log_marginal(model.means)]
    return [model.weight, model.mean, model.noise_variance, model.log_marginal(model.mean)]


def vae_elbo(i: Inputs) -> Tensor:
    vae = i.module(models.VAE(6, [5], 2))
    return [vae.elbo(i.binary(4, 6), 3, i.gen()), vae.loss(i.binary(4, 6))]


def dlvm(i: Inputs, z_dim: int = 2) -> models.DLVM:
    return i.module(models.DLVM(models.BernoulliDecoder(z_dim, [5], 6)))


def trained(i: Inputs) -> list[Tensor]:
    model = i.module(models.CategoricalClassifier(3, [4], 2))
    x, y = i.randn(16, 3), i.labels(16, 2)
    training.train(lambda xb, yb: -model.log_prob(yb, xb).mean(), model, (x, y), steps=3, batch_size=4, progress=False)
    return list(model.parameters())


def grid_moments(i: Inputs) -> list[Tensor]:
    model = dlvm(i)
    grid = estimators.latent_grid(2, n_points=15)  # float64 by default: it follows the data
    log_post = estimators.grid_log_posterior(model.log_joint, i.binary(3, 6), grid)
    return [
        log_post,
        *estimators.grid_posterior_moments(log_post, grid),
        estimators.grid_kl_to_gaussian(log_post, grid),
    ]


def beta_interval(i: Inputs) -> list[Tensor]:
    post = bayes.beta_bernoulli_posterior(i.binary(10, 3), 2.0, 2.0, running=True)
    return [post, *bayes.credible_interval(post, 0.9), post.mode]


def normal_interval(i: Inputs) -> list[Tensor]:
    post = bayes.gaussian_mean_posterior(i.randn(10, 2), noise_std=1.0, running=True)
    return [post, *bayes.credible_interval(post, 0.9)]


def classifiers_fitted(i: Inputs) -> list[Tensor]:
    x, y = i.randn(30, 3), i.labels(30, 3)
    out = []
    for covariance in ("diag", "full"):
        clf = GaussianClassifier(covariance=covariance, shared=covariance == "full").fit(x, y)
        out += [clf.log_prior_, clf.means_, clf.covariances_, clf.log_proba(x), clf.predict(x)]
    logistic = LogisticRegression(C=1.0).fit(x, (y > 0).long())
    return [*out, logistic.weight_, logistic.bias_, logistic.log_proba(x), logistic.predict(x)]


def curve(i: Inputs) -> Tensor:
    x, y = i.randn(20, 2), i.labels(20, 2)
    return learning_curve(
        lambda xt, yt, xs: GaussianClassifier(2).fit(xt, yt).predict(xs), x, y, x, y, [4, 8], 2, i.gen()
    )


def toy_mixture(i: Inputs) -> toy.GaussianMixture1D:
    return toy.GaussianMixture1D(torch.tensor([0.4, 0.6], dtype=i.dtype, device=i.device), i.randn(2), [1.0, 0.5])


CASES: dict[str, Callable[[Inputs], object]] = {
    # checks
    "checks.as_float_tensor(list, like)": lambda i: checks.as_float_tensor([0.3, 1], "x", like=i.randn(2)),
    "checks.common_float": lambda i: checks.common_float(x=[1, 0], y=i.randn(2), s=0.5),
    "checks.randn": lambda i: checks.randn((3, 2), i.randn(1), i.gen()),
    # likelihood
    "bernoulli_log_prob": lambda i: likelihood.bernoulli_log_prob(i.binary(4, 5), i.randn(4, 5)),
    "bernoulli_log_prob_from_probs": lambda i: likelihood.bernoulli_log_prob_from_probs(
        i.binary(4, 5), torch.sigmoid(i.randn(4, 5))
    ),
    "categorical_log_prob": lambda i: likelihood.categorical_log_prob(i.labels(4, 3), i.randn(4, 3)),
    "gaussian_diag_log_prob": lambda i: likelihood.gaussian_diag_log_prob(i.randn(4, 3), i.randn(3), 0.0),
    "standard_normal_log_prob": lambda i: likelihood.standard_normal_log_prob(i.randn(4, 3)),
    "gaussian_log_prob": lambda i: likelihood.gaussian_log_prob(i.randn(4, 3), i.randn(3), i.spd(3)),
    "cholesky": lambda i: likelihood.cholesky(i.spd(3)),
    "dataset_log_likelihood": lambda i: likelihood.dataset_log_likelihood(
        lambda b: likelihood.bernoulli_log_prob(b, torch.zeros_like(b[0])), i.binary(8, 3), batch_size=3
    ),
    "minibatch_estimate": lambda i: likelihood.minibatch_estimate(
        lambda b: likelihood.bernoulli_log_prob(b, torch.zeros_like(b[0])), i.binary(8, 3), 3, i.gen()
    ),
    # data
    "load_digits": lambda i: data.load_digits(binarize=True, dtype=i.dtype, device=i.device),
    "minibatches": lambda i: list(data.minibatches(i.randn(7, 2), i.labels(7, 2), batch_size=3, generator=i.gen())),
    # models
    "MLP": lambda i: i.module(models.MLP([3, 4, 2]))(np.ones((5, 3))),
    "CategoricalClassifier": lambda i: [
        (clf := i.module(models.CategoricalClassifier(3, [4], 2))).log_prob(i.labels(5, 2), i.randn(5, 3)),
        clf.predict_proba(i.randn(5, 3)),
    ],
    "BernoulliDecoder": lambda i: [
        (dec := i.module(models.BernoulliDecoder(2, [4], 6))).probs(i.randn(5, 2)),
        dec.log_prob(i.binary(5, 6), i.randn(5, 2)),
    ],
    "AutoregressiveBernoulli": lambda i: [
        (ar := i.module(models.AutoregressiveBernoulli(5)))(i.binary(4, 5)),
        ar.sample(3, i.gen()),
    ],
    "reparameterize": lambda i: models.reparameterize(i.randn(4, 2), i.randn(4, 2), 3, i.gen()),
    "GaussianEncoder": lambda i: [
        *(enc := i.module(models.GaussianEncoder(6, [4], 2)))(i.binary(5, 6)),
        enc.rsample(i.binary(5, 6), 3, i.gen()),
        enc.log_prob(i.randn(5, 2), i.binary(5, 6)),
    ],
    "DLVM": lambda i: [*dlvm(i).sample(4, i.gen()), dlvm(i).log_joint(i.binary(4, 6), i.randn(3, 4, 2))],
    "gaussian_kl_standard_normal": lambda i: models.gaussian_kl_standard_normal(i.randn(4, 2), i.randn(4, 2)),
    "elbo and VAE": vae_elbo,
    "train": trained,
    # classifiers and calibration
    "GaussianClassifier and LogisticRegression": classifiers_fitted,
    "learning_curve": curve,
    "reliability": lambda i: calibration.reliability(i.probs(20, 3), i.labels(20, 3), n_bins=5),
    # graphical models
    "DirectedGraphicalModel (tables)": lambda i: [
        (g := i.graph("table")).enumerate(),
        g.probability_table("b"),
        g.state_index(g.sample(5, i.gen())),
        g.eta("b", {"a": i.binary(2), "c": i.labels(2, 3)}),
    ],
    "DirectedGraphicalModel (networks)": lambda i: [
        (g := i.graph("mlp")).sample(5, i.gen()),
        g.log_joint(g.sample(5, i.gen())),
        g.node_log_prob("g", {"b": i.binary(3), "g": i.randn(3, 2)}),
    ],
    # latent-variable models
    "MixtureOfGaussians": lambda i: [
        (m := i.mixture()).log_joint(i.randn(4, 3)),
        m.log_marginal(i.randn(4, 3)),
        m.posterior(i.randn(4, 3)),
        m.sample(5, i.gen()),
    ],
    "MixtureOfGaussians.fit": lambda i: fitted_parameters(
        MixtureOfGaussians(n_components=2, n_iter=5, generator=i.gen()).fit(i.randn(40, 3))
    ),
    "MixtureOfGaussians.fit (warm start)": lambda i: fitted_parameters(i.mixture().fit(i.randn(40, 3))),
    "LinearGaussian": lambda i: [
        (m := i.linear_gaussian()).log_marginal(i.randn(5, 4)),
        m.log_joint(i.randn(5, 4), i.randn(3, 5, 2)),
        m.posterior(i.randn(5, 4)),
        m.sample(5, i.gen()),
        m.marginal_covariance(),
    ],
    "LinearGaussian.fit (PPCA)": lambda i: fitted_parameters(LinearGaussian(n_latent=2).fit(i.randn(30, 4))),
    "LinearGaussian.fit (factor analysis)": lambda i: fitted_parameters(
        LinearGaussian(n_latent=1, noise="diagonal", n_iter=5).fit(i.randn(30, 4))
    ),
    # estimators
    "log_mean_exp and effective_sample_size": lambda i: [
        estimators.log_mean_exp(i.randn(5, 3)),
        estimators.effective_sample_size(i.randn(5, 3)),
    ],
    "running_mean and running_log_mean_exp": lambda i: [
        estimators.running_mean(i.randn(5, 3)),
        estimators.running_log_mean_exp(i.randn(2, 5), dim=1),
    ],
    "prior_proposal and log_importance_weights": lambda i: [
        *estimators.prior_proposal(2, i.gen())(i.binary(3, 6), 4),
        estimators.log_importance_weights(dlvm(i).log_joint, i.binary(3, 6), estimators.prior_proposal(2), 4),
    ],
    "encoder_proposal": lambda i: estimators.encoder_proposal(i.module(models.GaussianEncoder(6, [4], 2)), i.gen())(
        i.binary(3, 6), 4
    ),
    "gaussian_proposal": lambda i: estimators.gaussian_proposal(i.randn(3, 2), i.spd(2), i.gen())(i.randn(3, 4), 5),
    "naive_log_marginal": lambda i: estimators.naive_log_marginal(dlvm(i), i.binary(3, 6), 50, i.gen(), 20),
    "importance_log_marginal": lambda i: estimators.importance_log_marginal(
        dlvm(i).log_joint, i.binary(3, 6), estimators.prior_proposal(2, i.gen()), 50, chunk_size=20
    ),
    "grid_log_marginal (default float64 grid)": lambda i: estimators.grid_log_marginal(
        dlvm(i, z_dim=1).log_joint, i.binary(3, 6), estimators.latent_grid(1)
    ),
    "grid posterior, moments and KL to a Gaussian": grid_moments,
    # divergences
    "kl_normal": lambda i: divergence.kl_normal(i.randn(3), i.randn(3), 0.0, 0.0),
    "kl_categorical": lambda i: divergence.kl_categorical(i.randn(2, 4), i.randn(2, 4)),
    "monte_carlo_kl": lambda i: divergence.monte_carlo_kl(i.randn(10, 2), i.randn(10, 2)),
    # Bayesian helpers
    "beta_bernoulli_posterior and credible_interval": beta_interval,
    "gaussian_mean_posterior and credible_interval": normal_interval,
    "gaussian_log_prior": lambda i: bayes.gaussian_log_prior([i.randn(3, 2), i.randn(4)], 1.0),
    "all_minibatch_means and minibatch_variance": lambda i: [
        bayes.all_minibatch_means(i.randn(6, 2), 3),
        bayes.minibatch_variance(i.randn(6, 2), 3),
    ],
    # toy distributions
    "GaussianMixture1D": lambda i: [
        (p := toy_mixture(i)).log_prob(i.randn(5)),
        p.sample(5, i.gen()),
    ],
    "Banana2D and HeteroscedasticRegression": lambda i: [
        toy.Banana2D().log_prob(i.randn(5, 2)),
        toy.HeteroscedasticRegression().log_prob(i.randn(5), i.randn(5)),
        toy.HeteroscedasticRegression().std(i.randn(5)),
    ],
}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", list(CASES))
def test_every_result_has_the_inputs_dtype_and_device(case, dtype, device):
    tensors = flatten(CASES[case](Inputs(dtype, device)))
    assert tensors, "the case returned no tensor to check"
    for tensor in tensors:
        assert tensor.device.type == device, (case, tensor.device)
        if tensor.is_floating_point():
            assert tensor.dtype == dtype, (case, tensor.dtype)


F32, F64 = Inputs(torch.float32, "cpu"), Inputs(torch.float64, "cpu")

MIXED: dict[str, Callable[[], object]] = {
    "bernoulli_log_prob": lambda: likelihood.bernoulli_log_prob(F32.binary(3, 2), F64.randn(3, 2)),
    "gaussian_diag_log_prob": lambda: likelihood.gaussian_diag_log_prob(F64.randn(3), F32.randn(3), F32.randn(3)),
    "gaussian_log_prob": lambda: likelihood.gaussian_log_prob(F32.randn(2), F32.randn(2), F64.spd(2)),
    "categorical_log_prob (logits float32, through a float64 classifier)": lambda: F64.module(
        models.CategoricalClassifier(3, [4], 2)
    ).log_prob(F32.labels(2, 2), F32.randn(2, 3)),
    "kl_normal": lambda: divergence.kl_normal(F32.randn(2), F64.randn(2), 0.0, 0.0),
    "kl_categorical": lambda: divergence.kl_categorical(F32.randn(2, 3), F64.randn(2, 3)),
    "monte_carlo_kl": lambda: divergence.monte_carlo_kl(F64.randn(5), F32.randn(5)),
    "MLP (float32) on float64 x": lambda: F32.module(models.MLP([3, 2]))(F64.randn(4, 3)),
    "GaussianEncoder (float32) on float64 x": lambda: F32.module(models.GaussianEncoder(6, [4], 2))(F64.binary(2, 6)),
    "DLVM.log_joint (float64) with float32 z": lambda: dlvm(F64).log_joint(F64.binary(2, 6), F32.randn(2, 2)),
    "reparameterize": lambda: models.reparameterize(F32.randn(3), F64.randn(3)),
    "naive_log_marginal (float32 model, float64 x)": lambda: estimators.naive_log_marginal(
        dlvm(F32), F64.binary(3, 6), 10
    ),
    "grid_log_marginal (float32 model, float64 x)": lambda: estimators.grid_log_marginal(
        dlvm(F32, z_dim=1).log_joint, F64.binary(3, 6), estimators.latent_grid(1)
    ),
    "gaussian_proposal": lambda: estimators.gaussian_proposal(F32.randn(2, 2), F64.spd(2)),
    "MixtureOfGaussians (float64) on float32 x": lambda: F64.mixture().log_marginal(F32.randn(2, 3)),
    "MixtureOfGaussians parameters": lambda: MixtureOfGaussians(torch.tensor([1.0]), F64.randn(1, 2), F32.spd(2)[None]),
    "MixtureOfGaussians.fit (float64 parameters, float32 x)": lambda: F64.mixture().fit(F32.randn(10, 3)),
    "LinearGaussian (float32) posterior of float64 x": lambda: F32.linear_gaussian().posterior(F64.randn(2, 4)),
    "LinearGaussian parameters": lambda: LinearGaussian(F32.randn(4, 1), F64.randn(4), 1.0),
    "GaussianClassifier (fitted on float64) on float32 x": lambda: (
        GaussianClassifier().fit(F64.randn(6, 2), F64.labels(6, 2)).predict(F32.randn(3, 2))
    ),
    "graph values": lambda: F32.graph("mlp").log_joint(
        {"a": F32.binary(2), "c": F32.labels(2, 3), "b": F32.binary(2), "g": F64.randn(2, 2)}
    ),
    "gaussian_log_prior": lambda: bayes.gaussian_log_prior([F32.randn(2), F64.randn(2)], 1.0),
    "GaussianMixture1D (float64) on float32 x": lambda: toy.GaussianMixture1D([1.0], [0.0], [1.0]).log_prob(
        F32.randn(3)
    ),
}


@pytest.mark.parametrize("case", list(MIXED))
def test_mixed_dtypes_raise_a_value_error_naming_both(case):
    with pytest.raises(ValueError, match=r"torch\.float(32|64)") as error:
        MIXED[case]()
    assert "torch.float32" in str(error.value) and "torch.float64" in str(error.value), str(error.value)


META = torch.device("meta")  # a device every PyTorch build has, so device mismatches are testable without a GPU

MISMATCHED_DEVICES: dict[str, Callable[[], object]] = {
    "bernoulli_log_prob": lambda: likelihood.bernoulli_log_prob(F32.binary(3, 2), torch.zeros(3, 2, device=META)),
    "categorical_log_prob labels": lambda: likelihood.categorical_log_prob(
        torch.zeros(2, dtype=torch.long, device=META), F32.randn(2, 3)
    ),
    "module input": lambda: F32.module(models.MLP([3, 2]))(torch.zeros(4, 3, device=META)),
    "MixtureOfGaussians input": lambda: F32.mixture().log_marginal(torch.zeros(2, 3, device=META)),
    "classifier labels": lambda: GaussianClassifier().fit(
        F32.randn(4, 2), torch.zeros(4, dtype=torch.long, device=META)
    ),
}


@pytest.mark.parametrize("case", list(MISMATCHED_DEVICES))
def test_tensors_on_different_devices_raise_a_value_error_naming_both(case):
    with pytest.raises(ValueError, match=r"is on device meta but .* device cpu"):
        MISMATCHED_DEVICES[case]()


def test_array_likes_and_scalars_follow_the_model():
    """Lists, NumPy arrays (float64!), integer tensors and 0-dim tensors take the parameters' dtype, exactly."""
    encoder = F32.module(models.GaussianEncoder(6, [4], 2))
    mean, _ = encoder(np.ones((3, 6)))  # NumPy float64 data into a float32 network: converted, not an error
    assert mean.dtype == torch.float32
    mixture = F64.mixture()
    assert mixture.log_marginal([[0.3, 0.1, 0.2]]).dtype == torch.float64
    assert checks.as_float_tensor([0.3], "x", like=torch.zeros(1, dtype=torch.float64)).item() == 0.3  # not 0.30000001
    assert likelihood.gaussian_diag_log_prob(F64.randn(3), torch.tensor(0.0), torch.tensor(0.0)).dtype == torch.float64
    assert models.DLVM(models.BernoulliDecoder(2, [3], 4)).double().sample(2)[0].dtype == torch.float64


def test_wrong_types_are_value_errors_and_type_errors():
    for call in (
        lambda: models.GaussianEncoder(np.ones(3), [4], 2),
        lambda: likelihood.bernoulli_log_prob("abc", torch.zeros(2)),
        lambda: models.GaussianEncoder(6, [4], 2)("abc"),
    ):
        with pytest.raises(ValueError) as error:
            call()
        assert isinstance(error.value, TypeError) and "must be" in str(error.value)


def test_a_cpu_generator_gives_the_same_draws_on_every_device():
    """Drawn on the generator's device, then moved: the device changes where the numbers live, not what they are."""
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device on this machine")
    cpu = models.reparameterize(torch.zeros(5, 2), torch.zeros(5, 2), 3, torch.Generator().manual_seed(0))
    gpu = models.reparameterize(
        torch.zeros(5, 2, device="cuda"), torch.zeros(5, 2, device="cuda"), 3, torch.Generator().manual_seed(0)
    )
    torch.testing.assert_close(gpu.cpu(), cpu, rtol=0, atol=0)


def test_the_grid_follows_the_data_not_its_own_dtype():
    model = dlvm(F32, z_dim=1)
    x = F32.binary(3, 6)
    float64_grid = estimators.grid_log_marginal(model.log_joint, x, estimators.latent_grid(1, n_points=101))
    float32_grid = estimators.grid_log_marginal(
        model.log_joint, x, estimators.latent_grid(1, n_points=101, dtype=torch.float32)
    )
    assert float64_grid.dtype == torch.float32
    torch.testing.assert_close(float64_grid, float32_grid)
    assert math.isfinite(float64_grid.sum().item())
