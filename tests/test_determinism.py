"""Same seed, same bits: every stochastic public function of vae_lib repeats itself exactly.

Each case runs twice in this process with the same seed and must give
bit-identical outputs (``torch.equal``, not ``allclose``); this is what keeps the
stored outputs of the notebooks stable under strict nbval. Each case also runs
with a second seed, which must change the output, so a function that ignored
its seed (or returned a constant) could not pass.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from contextlib import redirect_stdout
from dataclasses import astuple, is_dataclass

import numpy as np
import pytest
import torch

from vae_lib import (
    classifiers,
    data,
    estimators,
    graphical,
    latent,
    likelihood,
    models,
    progress,
    seeding,
    toy,
    training,
)


@pytest.fixture(autouse=True)
def _restore_threads():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def flatten(value) -> list:
    """Tensors, arrays and numbers inside nested tuples/lists/dicts/dataclasses, in a fixed order."""
    if isinstance(value, torch.Tensor):
        return [value.detach()]
    if isinstance(value, str):
        return [torch.tensor(list(value.encode()), dtype=torch.uint8)]
    if isinstance(value, dict):
        return [v for key in sorted(value) for v in flatten(value[key])]
    if is_dataclass(value) and not isinstance(value, type):
        return flatten(astuple(value))
    if isinstance(value, (tuple, list)):
        return [v for item in value for v in flatten(item)]
    if isinstance(value, latent.MixtureOfGaussians):
        return flatten((value.weights, value.means, value.covariances))
    if isinstance(value, latent.LinearGaussian):
        return flatten((value.weight, value.mean, value.noise_variance))
    if isinstance(value, torch.nn.Module):
        return flatten(list(value.state_dict().values()))
    return [torch.as_tensor(value)]


def identical(a, b) -> bool:
    fa, fb = flatten(a), flatten(b)
    return len(fa) == len(fb) and all(
        x.shape == y.shape and x.dtype == y.dtype and torch.equal(x, y) for x, y in zip(fa, fb, strict=True)
    )


def g(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def seeded(seed: int, build: Callable[[], torch.nn.Module]) -> torch.nn.Module:
    """A module built right after seeding torch's global generator (PyTorch initialises weights from it)."""
    torch.manual_seed(seed)
    return build()


X = data.load_digits(binarize=True)[0][:40]


def dlvm(seed: int = 0) -> models.DLVM:
    return seeded(seed, lambda: models.DLVM(models.BernoulliDecoder(2, [8], 64)))


def fitted_vae(seed: int) -> models.VAE:
    vae = seeded(0, lambda: models.VAE(64, [8], 2))
    training.train(vae.loss, vae, X, steps=5, batch_size=10, seed=seed, progress=False)
    return vae


def trained_classifier(seed: int) -> tuple[training.History, torch.nn.Module]:
    clf = seeded(0, lambda: models.CategoricalClassifier(64, [8], 10))
    x, y = data.load_digits()
    history = training.train(
        lambda xb, yb: -clf.log_prob(yb, xb).mean(),
        clf,
        (x[:60], y[:60]),
        steps=6,
        batch_size=16,
        seed=seed,
        progress=False,
    )
    return history.loss, clf


def graph() -> graphical.DirectedGraphicalModel:
    nodes = {
        "a": graphical.Node("categorical", n_classes=3),
        "b": graphical.Node("bernoulli", parents=("a",)),
        "h": graphical.Node("gaussian", parents=("b",), dim=2),
    }
    return seeded(0, lambda: graphical.DirectedGraphicalModel(nodes))


MOG = latent.MixtureOfGaussians([0.3, 0.7], [[0.0, 0.0], [3.0, 3.0]], torch.eye(2).expand(2, 2, 2))
LINEAR = latent.LinearGaussian([[1.0], [0.5], [0.2]], [0.0, 1.0, 0.0], 0.3)
MOG_DATA = MOG.sample(60, generator=g(5))[0]
TWO_CLASS = (
    torch.cat([torch.randn(20, 2, generator=g(7)), torch.randn(20, 2, generator=g(8)) + 2]),
    torch.cat([torch.zeros(20, dtype=torch.long), torch.ones(20, dtype=torch.long)]),
)


def learning_curve(seed: int) -> torch.Tensor:
    def fit_predict(x_train, y_train, x_test):
        return classifiers.GaussianClassifier(2).fit(x_train, y_train).predict(x_test)

    return classifiers.learning_curve(fit_predict, *TWO_CLASS, *TWO_CLASS, [2, 6], n_seeds=3, generator=g(seed))


def global_rngs(seed: int) -> tuple:
    generator = seeding.seed_everything(seed)
    return torch.rand(3), torch.rand(3, generator=generator), np.random.rand(3), random.random()  # noqa: NPY002


def progress_text(seed: int) -> str:
    out = io.StringIO()
    with redirect_stdout(out):
        vae = seeded(0, lambda: models.VAE(64, [8], 2))
        training.train(vae.loss, vae, X, steps=8, batch_size=10, seed=seed, desc="vae")
    return out.getvalue()


CASES: dict[str, Callable[[int], object]] = {
    "seed_everything": global_rngs,
    "reparameterize": lambda s: models.reparameterize(torch.zeros(4, 2), torch.zeros(4, 2), 3, g(s)),
    "encoder.rsample": lambda s: seeded(0, lambda: models.GaussianEncoder(64, [8], 2)).rsample(X, 2, g(s)),
    "dlvm.sample": lambda s: dlvm().sample(7, generator=g(s)),
    "elbo": lambda s: models.elbo(X, seeded(0, lambda: models.GaussianEncoder(64, [8], 2)), dlvm(), 4, g(s)),
    "vae.elbo": lambda s: seeded(0, lambda: models.VAE(64, [8], 2)).elbo(X, 2, g(s)),
    "train(vae, minibatches)": fitted_vae,
    "train(classifier, loss history)": trained_classifier,
    "train(progress text)": progress_text,
    "minibatches": lambda s: list(data.minibatches(torch.arange(10.0), batch_size=3, generator=g(s))),
    "minibatch_estimate": lambda s: likelihood.minibatch_estimate(
        lambda b: likelihood.bernoulli_log_prob(b, torch.linspace(-2, 2, 64)), X, 5, g(s)
    ),
    "prior_proposal": lambda s: estimators.prior_proposal(2, g(s))(X, 5),
    "encoder_proposal": lambda s: estimators.encoder_proposal(
        seeded(0, lambda: models.GaussianEncoder(64, [8], 2)), g(s)
    )(X, 5),
    "gaussian_proposal": lambda s: estimators.gaussian_proposal(torch.zeros(40, 2), torch.eye(2), g(s))(X, 5),
    "importance_log_marginal": lambda s: estimators.importance_log_marginal(
        dlvm().log_joint, X, estimators.prior_proposal(2, g(s)), 64, chunk_size=16
    ),
    "graph.sample": lambda s: graph().sample(20, generator=g(s)),
    "mog.sample": lambda s: MOG.sample(10, generator=g(s)),
    "mog.fit": lambda s: latent.MixtureOfGaussians(n_components=2, n_iter=5, generator=g(s)).fit(MOG_DATA).means,
    "linear_gaussian.sample": lambda s: LINEAR.sample(10, generator=g(s)),
    "factor_analysis.fit": lambda s: (
        latent.LinearGaussian(n_latent=1, noise="diagonal", n_iter=20).fit(LINEAR.sample(50, generator=g(s))[0]).weight
    ),
    "toy.GaussianMixture1D.sample": lambda s: toy.GaussianMixture1D([0.5, 0.5], [-1.0, 1.0], [1.0, 0.5]).sample(
        9, g(s)
    ),
    "toy.Banana2D.sample": lambda s: toy.Banana2D().sample(9, g(s)),
    "toy.HeteroscedasticRegression.sample": lambda s: toy.HeteroscedasticRegression().sample(9, g(s)),
    "learning_curve": learning_curve,
}


@pytest.mark.parametrize("run", list(CASES.values()), ids=list(CASES))
def test_same_seed_gives_bit_identical_output_and_another_seed_does_not(run):
    first = run(0)
    assert identical(first, run(0)), "same seed, different output"
    assert not identical(first, run(1)), "a different seed gave the same output: the seed is ignored"


def test_progress_output_has_no_timings():
    text = progress_text(0)
    assert text.strip(), "the training log printed nothing"
    assert "it/s" not in text and "s/it" not in text and "<" not in text


def test_importance_estimate_repeats_in_float64_and_with_one_chunk():
    model = latent.LinearGaussian(LINEAR.weight.double(), LINEAR.mean.double(), 0.3)
    x = LINEAR.sample(6, generator=g(2))[0].double()

    def run() -> torch.Tensor:
        return estimators.importance_log_marginal(model.log_joint, x, estimators.prior_proposal(1, g(3)), 500)

    assert identical(run(), run())


def test_exact_functions_are_deterministic_too():
    logits = torch.randn(5, 64, generator=g(4))
    assert identical(likelihood.bernoulli_log_prob(X[:5], logits), likelihood.bernoulli_log_prob(X[:5], logits))
    assert identical(MOG.posterior(MOG_DATA).probs, MOG.posterior(MOG_DATA).probs)
    assert identical(progress.CheckpointProgress(4, "x").marks, progress.CheckpointProgress(4, "x").marks)
