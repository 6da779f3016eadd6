"""Bad input to every public function of vae_lib gets a clear error (issue 9).

One parametrised case per (function, kind of bad input): wrong shape or
dimension, probabilities outside [0, 1], non-binary data for a Bernoulli model,
zero or negative variances, non-positive-definite covariances, empty data,
batch size 0 or > N, K = 0 samples, NaN/inf, cyclic graphs. Each case asserts
the error type *and* a fragment of the message that names the argument.

Cases marked ``xfail(strict=True)`` are known gaps (a silent NaN, a raw torch or
Python error, a message naming the wrong argument); each reason says what the
function does today. Once the module is fixed the case passes, strict xfail
turns that into a failure, and the mark must be removed.
"""

from __future__ import annotations

import struct

import pytest
import torch
from torch import nn

from vae_lib import (
    bayes,
    checks,
    classifiers,
    data,
    divergence,
    estimators,
    graphical,
    latent,
    likelihood,
    models,
    plotting,
    progress,
    seeding,
    toy,
    training,
)
from vae_lib.graphical import DirectedGraphicalModel, LookupTable, NeuralConditional, Node

NAN, INF = float("nan"), float("inf")


def case(case_id: str, call, error: type[Exception], match: str, gap: str | None = None):
    """One bad-input case: ``call()`` must raise ``error`` with a message matching ``match``."""
    marks = [pytest.mark.xfail(strict=True, reason=gap)] if gap else []
    return pytest.param(call, error, match, id=case_id, marks=marks)


def t(*values, dtype=torch.float32) -> torch.Tensor:
    return torch.tensor(values, dtype=dtype)


def eye(d: int = 2) -> torch.Tensor:
    return torch.eye(d)


def zeros(*shape) -> torch.Tensor:
    return torch.zeros(*shape)


def ones(*shape) -> torch.Tensor:
    return torch.ones(*shape)


def dlvm() -> models.DLVM:
    return models.DLVM(models.BernoulliDecoder(2, [4], 3))


def encoder() -> models.GaussianEncoder:
    return models.GaussianEncoder(3, [4], 2)


def binary_rows(n: int = 4, d: int = 3) -> torch.Tensor:
    return (torch.arange(n * d).reshape(n, d) % 2).float()


def rain_graph(conditional: str = "table") -> DirectedGraphicalModel:
    nodes = {
        "rain": Node("bernoulli"),
        "season": Node("categorical", n_classes=3),
        "wet": Node("bernoulli", parents=("rain", "season")),
    }
    return DirectedGraphicalModel(nodes, conditional=conditional)


def gaussian_graph() -> DirectedGraphicalModel:
    return DirectedGraphicalModel({"h": Node("gaussian", dim=2), "y": Node("bernoulli", parents=("h",))})


def graph_values(**overrides) -> dict[str, torch.Tensor]:
    values = {"rain": t(0.0, 1.0), "season": torch.tensor([0, 2]), "wet": t(1.0, 0.0)}
    return {**values, **overrides}


def mog(**overrides) -> latent.MixtureOfGaussians:
    args = {"weights": [0.5, 0.5], "means": [[0.0, 0.0], [1.0, 1.0]], "covariances": torch.eye(2).expand(2, 2, 2)}
    return latent.MixtureOfGaussians(**{**args, **overrides})


def linear_gaussian(**overrides) -> latent.LinearGaussian:
    args = {"weight": [[1.0], [0.5], [0.0]], "mean": [0.0, 0.0, 0.0], "noise_variance": 0.5}
    return latent.LinearGaussian(**{**args, **overrides})


def two_class_data() -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.tensor([[0.0, 1.0], [0.5, 1.5], [3.0, 0.0], [4.0, 0.5]])
    return x, torch.tensor([0, 0, 1, 1])


def nearest_mean(x_train, y_train, x_test):
    return classifiers.GaussianClassifier(2, shared=True).fit(x_train, y_train).predict(x_test)


def train_misaligned() -> training.History:
    w = nn.Parameter(torch.zeros(1))
    return training.train(
        lambda x, y: ((x - w) ** 2).mean() + 0 * y.sum(), [w], (ones(8, 1), ones(5)), steps=2, progress=False
    )


def train(**overrides) -> training.History:
    w = nn.Parameter(torch.zeros(1))
    args = {
        "loss_fn": lambda x: ((x - w) ** 2).mean(),
        "params": [w],
        "data": torch.ones(8, 1),
        "steps": 2,
        "progress": False,
    }
    return training.train(**{**args, **overrides})


CHECKS = [
    case("as_float_tensor-not-numbers", lambda: checks.as_float_tensor("abc", "x"), TypeError, "x must be a tensor"),
    case("check_finite-nan", lambda: checks.check_finite(t(1.0, NAN), "v"), ValueError, "v contains NaN"),
    case("check_finite-inf", lambda: checks.check_finite(t(-INF), "v"), ValueError, "v contains inf"),
    case("check_nonempty-empty", lambda: checks.check_nonempty(zeros(0, 3), "data"), ValueError, "data is empty"),
    case("check_binary-half", lambda: checks.check_binary(t(0.5), "x"), ValueError, "x must be binary"),
    case(
        "check_probabilities-above-1",
        lambda: checks.check_probabilities(t(1.5)),
        ValueError,
        r"probs must lie in \[0, 1\]",
    ),
    case("check_probabilities-nan", lambda: checks.check_probabilities(t(NAN)), ValueError, "probs contains NaN"),
    case(
        "broadcast_shape-mismatch",
        lambda: checks.broadcast_shape(x=zeros(3, 4), logits=zeros(3, 5)),
        ValueError,
        r"x has shape \(3, 4\), logits has shape \(3, 5\)",
    ),
    case("check_positive_int-zero", lambda: checks.check_positive_int(0, "K"), ValueError, "K must be >= 1"),
    case(
        "check_positive_int-above-upper",
        lambda: checks.check_positive_int(5, "b", upper=4),
        ValueError,
        "b must be <= 4",
    ),
    case("check_positive_int-bool", lambda: checks.check_positive_int(True, "K"), TypeError, "K must be an int"),
    case("check_positive_int-float", lambda: checks.check_positive_int(2.0, "K"), TypeError, "K must be an int"),
]

LIKELIHOOD = [
    # Bernoulli from logits, (1.17)-(1.18)
    case(
        "bernoulli-x-half", lambda: likelihood.bernoulli_log_prob(t(0.5, 1.0), zeros(2)), ValueError, "x must be binary"
    ),
    case(
        "bernoulli-x-two", lambda: likelihood.bernoulli_log_prob(t(2.0, 1.0), zeros(2)), ValueError, "x must be binary"
    ),
    case(
        "bernoulli-x-negative", lambda: likelihood.bernoulli_log_prob(t(-1.0), zeros(1)), ValueError, "x must be binary"
    ),
    case("bernoulli-x-nan", lambda: likelihood.bernoulli_log_prob(t(NAN), zeros(1)), ValueError, "x must be binary"),
    case(
        "bernoulli-logits-nan",
        lambda: likelihood.bernoulli_log_prob(ones(2), t(0.0, NAN)),
        ValueError,
        "logits contains NaN",
    ),
    case(
        "bernoulli-logits-inf",
        lambda: likelihood.bernoulli_log_prob(ones(2), t(INF, 0.0)),
        ValueError,
        "logits contains inf",
    ),
    case(
        "bernoulli-shape", lambda: likelihood.bernoulli_log_prob(ones(3, 4), zeros(3, 5)), ValueError, "shape mismatch"
    ),
    case(
        "bernoulli-event-dims-too-large",
        lambda: likelihood.bernoulli_log_prob(ones(3), zeros(3), event_dims=2),
        ValueError,
        "event_dims must be between 0 and 1",
    ),
    case(
        "bernoulli-event-dims-negative",
        lambda: likelihood.bernoulli_log_prob(ones(3), zeros(3), event_dims=-1),
        ValueError,
        "event_dims must be between",
    ),
    case("bernoulli-x-string", lambda: likelihood.bernoulli_log_prob("abc", zeros(3)), TypeError, "x must be a tensor"),
    # Bernoulli from probabilities, (1.18)
    case(
        "bernoulli-probs-above-1",
        lambda: likelihood.bernoulli_log_prob_from_probs(ones(2), t(0.5, 1.5)),
        ValueError,
        r"probs must lie in \[0, 1\], found 1.5",
    ),
    case(
        "bernoulli-probs-negative",
        lambda: likelihood.bernoulli_log_prob_from_probs(ones(2), t(-0.1, 0.5)),
        ValueError,
        r"probs must lie in \[0, 1\]",
    ),
    case(
        "bernoulli-probs-nan",
        lambda: likelihood.bernoulli_log_prob_from_probs(ones(2), t(NAN, 0.5)),
        ValueError,
        "probs contains NaN",
    ),
    case(
        "bernoulli-probs-inf",
        lambda: likelihood.bernoulli_log_prob_from_probs(ones(1), t(INF)),
        ValueError,
        r"probs must lie in \[0, 1\]",
    ),
    case(
        "bernoulli-probs-x-nonbinary",
        lambda: likelihood.bernoulli_log_prob_from_probs(t(0.3), t(0.5)),
        ValueError,
        "x must be binary",
    ),
    case(
        "bernoulli-probs-shape",
        lambda: likelihood.bernoulli_log_prob_from_probs(ones(2, 3), zeros(4)),
        ValueError,
        "shape mismatch",
    ),
    # categorical, (1.5)
    case(
        "categorical-y-fractional",
        lambda: likelihood.categorical_log_prob(t(1.5), zeros(4)),
        ValueError,
        "integer class labels",
    ),
    case(
        "categorical-y-nan",
        lambda: likelihood.categorical_log_prob(t(NAN), zeros(4)),
        ValueError,
        "integer class labels",
    ),
    case(
        "categorical-y-too-large",
        lambda: likelihood.categorical_log_prob(torch.tensor(4), zeros(4)),
        ValueError,
        r"y must be a class label in 0..3, found 4",
    ),
    case(
        "categorical-y-negative",
        lambda: likelihood.categorical_log_prob(torch.tensor([-1]), zeros(1, 4)),
        ValueError,
        "y must be a class label in 0..3",
    ),
    case(
        "categorical-logits-scalar",
        lambda: likelihood.categorical_log_prob(torch.tensor(0), t(0.0)[0]),
        ValueError,
        "class dimension",
    ),
    case(
        "categorical-logits-empty",
        lambda: likelihood.categorical_log_prob(torch.tensor([0]), zeros(1, 0)),
        ValueError,
        "logits is empty",
    ),
    case(
        "categorical-logits-nan",
        lambda: likelihood.categorical_log_prob(torch.tensor(0), t(0.0, NAN)),
        ValueError,
        "logits contains NaN",
    ),
    case(
        "categorical-logits-inf",
        lambda: likelihood.categorical_log_prob(torch.tensor(0), t(0.0, -INF)),
        ValueError,
        "logits contains inf",
    ),
    case(
        "categorical-batch-shape",
        lambda: likelihood.categorical_log_prob(torch.tensor([0, 1, 2]), zeros(2, 4)),
        ValueError,
        "shape mismatch",
    ),
    # Gaussians
    case(
        "gaussian-diag-zero-variance",
        lambda: likelihood.gaussian_diag_log_prob(zeros(2), zeros(2), t(0.0, -INF)),
        ValueError,
        "log_var contains inf",
    ),
    case(
        "gaussian-diag-log-var-nan",
        lambda: likelihood.gaussian_diag_log_prob(zeros(2), zeros(2), t(NAN, 0.0)),
        ValueError,
        "log_var contains NaN",
    ),
    case(
        "gaussian-diag-x-inf",
        lambda: likelihood.gaussian_diag_log_prob(t(INF), zeros(1), zeros(1)),
        ValueError,
        "x contains inf",
    ),
    case(
        "gaussian-diag-mean-nan",
        lambda: likelihood.gaussian_diag_log_prob(zeros(1), t(NAN), zeros(1)),
        ValueError,
        "mean contains NaN",
    ),
    case(
        "gaussian-diag-shape",
        lambda: likelihood.gaussian_diag_log_prob(zeros(3, 2), zeros(3), zeros(2)),
        ValueError,
        "shape mismatch",
    ),
    case(
        "standard-normal-scalar", lambda: likelihood.standard_normal_log_prob(t(0.0)[0]), ValueError, "latent dimension"
    ),
    case("standard-normal-nan", lambda: likelihood.standard_normal_log_prob(t(NAN)), ValueError, "z contains NaN"),
    case(
        "gaussian-full-not-pd",
        lambda: likelihood.gaussian_log_prob(zeros(2), zeros(2), t(1.0, 2.0, 2.0, 1.0).reshape(2, 2)),
        ValueError,
        "cov is not positive definite",
    ),
    case(
        "gaussian-full-zero-variance",
        lambda: likelihood.gaussian_log_prob(zeros(2), zeros(2), torch.diag(t(1.0, 0.0))),
        ValueError,
        "cov is not positive definite",
    ),
    case(
        "gaussian-full-negative-variance",
        lambda: likelihood.gaussian_log_prob(zeros(2), zeros(2), torch.diag(t(1.0, -1.0))),
        ValueError,
        "cov is not positive definite",
    ),
    case(
        "gaussian-full-not-symmetric",
        lambda: likelihood.gaussian_log_prob(zeros(2), zeros(2), t(1.0, 0.5, 0.0, 1.0).reshape(2, 2)),
        ValueError,
        "cov must be symmetric",
    ),
    case(
        "gaussian-full-not-square",
        lambda: likelihood.gaussian_log_prob(zeros(2), zeros(2), zeros(2, 3)),
        ValueError,
        "square matrix",
    ),
    case(
        "gaussian-full-cov-nan",
        lambda: likelihood.gaussian_log_prob(zeros(2), zeros(2), eye() * NAN),
        ValueError,
        "cov contains NaN",
    ),
    case(
        "gaussian-full-x-dim",
        lambda: likelihood.gaussian_log_prob(zeros(3), zeros(2), eye()),
        ValueError,
        "must end in D = 2",
    ),
    case("cholesky-vector", lambda: likelihood.cholesky(zeros(3)), ValueError, "cov must be a square matrix"),
    case("cholesky-not-pd", lambda: likelihood.cholesky(-eye(), "sigma"), ValueError, "sigma is not positive definite"),
    # dataset log-likelihood (1.10) and the minibatch estimator (1.11)
    case(
        "dataset-empty",
        lambda: likelihood.dataset_log_likelihood(lambda b: b.sum(-1), zeros(0, 3)),
        ValueError,
        "data is empty",
    ),
    case(
        "dataset-scalar",
        lambda: likelihood.dataset_log_likelihood(lambda b: b, t(1.0)[0]),
        ValueError,
        "leading data-point dimension",
    ),
    case(
        "dataset-batch-size-0",
        lambda: likelihood.dataset_log_likelihood(lambda b: b.sum(-1), ones(4, 3), batch_size=0),
        ValueError,
        "batch_size must be >= 1",
    ),
    case(
        "dataset-batch-size-float",
        lambda: likelihood.dataset_log_likelihood(lambda b: b.sum(-1), ones(4, 3), batch_size=2.5),
        TypeError,
        "batch_size must be an int",
    ),
    case(
        "dataset-log-prob-shape",
        lambda: likelihood.dataset_log_likelihood(lambda b: b, ones(4, 3)),
        ValueError,
        "log_prob must return one value per data point",
    ),
    case(
        "minibatch-batch-size-0",
        lambda: likelihood.minibatch_estimate(lambda b: b.sum(-1), ones(4, 3), batch_size=0),
        ValueError,
        "batch_size must be >= 1",
    ),
    case(
        "minibatch-batch-size-above-n",
        lambda: likelihood.minibatch_estimate(lambda b: b.sum(-1), ones(4, 3), batch_size=5),
        ValueError,
        "batch_size must be <= 4",
    ),
    case(
        "minibatch-empty",
        lambda: likelihood.minibatch_estimate(lambda b: b.sum(-1), zeros(0, 3), batch_size=1),
        ValueError,
        "data is empty",
    ),
]

DATA = [
    case(
        "load-digits-threshold-1", lambda: data.load_digits(threshold=1.0), ValueError, r"threshold must be in \[0, 1\)"
    ),
    case(
        "load-digits-threshold-negative", lambda: data.load_digits(threshold=-0.1), ValueError, "threshold must be in"
    ),
    case("load-digits-threshold-nan", lambda: data.load_digits(threshold=NAN), ValueError, "threshold must be in"),
    case("minibatches-no-tensor", lambda: list(data.minibatches(batch_size=2)), ValueError, "at least one tensor"),
    case("minibatches-empty", lambda: list(data.minibatches(zeros(0, 2), batch_size=1)), ValueError, "data is empty"),
    case(
        "minibatches-batch-size-0",
        lambda: list(data.minibatches(ones(4), batch_size=0)),
        ValueError,
        "batch_size must be >= 1",
    ),
    case(
        "minibatches-batch-size-above-n",
        lambda: list(data.minibatches(ones(4), batch_size=5)),
        ValueError,
        "batch_size must be <= 4",
    ),
    case(
        "minibatches-misaligned",
        lambda: list(data.minibatches(ones(4), ones(3), batch_size=2)),
        ValueError,
        "tensor 1 has 3 rows, expected 4",
    ),
    case(
        "minibatches-lazy-validation",
        lambda: data.minibatches(ones(4), batch_size=0),
        ValueError,
        "batch_size must be >= 1",
    ),
]

MODELS = [
    case("mlp-one-size", lambda: models.MLP([3]), ValueError, "sizes needs at least an input and an output"),
    case("mlp-zero-width", lambda: models.MLP([3, 0]), ValueError, "every entry of sizes must be >= 1"),
    case(
        "classifier-x-dim",
        lambda: models.CategoricalClassifier(4, [8], 3)(zeros(2, 5)),
        ValueError,
        r"x must have shape \(\.\.\., 4\)",
    ),
    case(
        "classifier-x-nan", lambda: models.CategoricalClassifier(2, [4], 3)(t(0.0, NAN)), ValueError, "x contains NaN"
    ),
    case(
        "classifier-predict-proba-x-dim",
        lambda: models.CategoricalClassifier(2, [4], 3).predict_proba(zeros(5, 3)),
        ValueError,
        r"x must have shape \(\.\.\., 2\)",
    ),
    case(
        "classifier-y-out-of-range",
        lambda: models.CategoricalClassifier(2, [4], 3).log_prob(torch.tensor([3]), zeros(1, 2)),
        ValueError,
        r"y must be a class label in 0..2",
    ),
    case(
        "decoder-x-nonbinary",
        lambda: models.BernoulliDecoder(2, [4], 3).log_prob(torch.full((1, 3), 0.5), zeros(1, 2)),
        ValueError,
        "x must be binary",
    ),
    case(
        "decoder-z-dim",
        lambda: models.BernoulliDecoder(2, [4], 3).log_prob(ones(1, 3), zeros(1, 5)),
        ValueError,
        r"z must have shape \(\.\.\., 2\)",
    ),
    case(
        "decoder-x-dim",
        lambda: models.BernoulliDecoder(2, [4], 3).log_prob(ones(1, 4), zeros(1, 2)),
        ValueError,
        r"x must have shape \(\.\.\., 3\)",
    ),
    case("decoder-z-inf", lambda: models.BernoulliDecoder(2, [4], 3).probs(t(0.0, INF)), ValueError, "z contains inf"),
    case(
        "reparameterize-k-0",
        lambda: models.reparameterize(zeros(2), zeros(2), n_samples=0),
        ValueError,
        "n_samples must be >= 1",
    ),
    case(
        "reparameterize-shapes",
        lambda: models.reparameterize(zeros(3, 2), zeros(2)),
        ValueError,
        "mean and log_var must have the same shape",
    ),
    case(
        "reparameterize-mean-nan",
        lambda: models.reparameterize(t(NAN, 0.0), zeros(2)),
        ValueError,
        "mean contains NaN",
    ),
    case(
        "reparameterize-log-var-inf",
        lambda: models.reparameterize(zeros(2), t(INF, 0.0)),
        ValueError,
        "log_var contains inf",
    ),
    case("encoder-x-dim", lambda: encoder()(zeros(2, 4)), ValueError, r"x must have shape \(\.\.\., 3\)"),
    case(
        "encoder-rsample-k-0", lambda: encoder().rsample(zeros(2, 3), n_samples=0), ValueError, "n_samples must be >= 1"
    ),
    case(
        "encoder-log-prob-z-dim",
        lambda: encoder().log_prob(zeros(2, 3), zeros(2, 3)),
        ValueError,
        r"z must have shape \(\.\.\., 2\)",
    ),
    case("dlvm-sample-0", lambda: dlvm().sample(0), ValueError, "n must be >= 1"),
    case(
        "dlvm-log-joint-x-nonbinary",
        lambda: dlvm().log_joint(torch.full((2, 3), 0.5), zeros(2, 2)),
        ValueError,
        "x must be binary",
    ),
    case(
        "dlvm-log-joint-z-dim",
        lambda: dlvm().log_joint(ones(2, 3), zeros(2, 3)),
        ValueError,
        r"z must have shape \(\.\.\., 2\)",
    ),
    case("dlvm-log-prior-z-nan", lambda: dlvm().log_prior(t(NAN, 0.0)), ValueError, "z contains NaN"),
    case(
        "kl-standard-normal-nan",
        lambda: models.gaussian_kl_standard_normal(t(NAN), zeros(1)),
        ValueError,
        "mean contains NaN",
    ),
    case(
        "kl-standard-normal-shapes",
        lambda: models.gaussian_kl_standard_normal(zeros(3), zeros(2)),
        ValueError,
        "same shape",
    ),
    case(
        "elbo-k-0",
        lambda: models.elbo(ones(2, 3), encoder(), dlvm(), n_samples=0),
        ValueError,
        "n_samples must be >= 1",
    ),
    case(
        "elbo-x-nonbinary",
        lambda: models.elbo(torch.full((2, 3), 0.5), encoder(), dlvm()),
        ValueError,
        "x must be binary",
    ),
    case(
        "vae-loss-x-dim", lambda: models.VAE(3, [4], 2).loss(ones(2, 5)), ValueError, r"x must have shape \(\.\.\., 3\)"
    ),
]

ESTIMATORS = [
    case("log-mean-exp-empty", lambda: estimators.log_mean_exp(zeros(0)), ValueError, "at least one entry"),
    case("log-mean-exp-scalar", lambda: estimators.log_mean_exp(t(0.0)[0]), ValueError, "at least one entry"),
    case("log-mean-exp-nan", lambda: estimators.log_mean_exp(t(0.0, NAN)), ValueError, "values contains NaN"),
    case("log-mean-exp-plus-inf", lambda: estimators.log_mean_exp(t(0.0, INF)), ValueError, r"values contains \+?inf"),
    case(
        "ess-plus-inf",
        lambda: estimators.effective_sample_size(t(INF, 0.0)),
        ValueError,
        r"log_weights contains \+?inf",
    ),
    case("ess-empty", lambda: estimators.effective_sample_size(zeros(0)), ValueError, "at least one entry"),
    case("ess-nan", lambda: estimators.effective_sample_size(t(0.0, NAN)), ValueError, "log_weights contains NaN"),
    case("prior-proposal-z-dim-0", lambda: estimators.prior_proposal(0), ValueError, "z_dim must be >= 1"),
    case(
        "prior-proposal-k-0", lambda: estimators.prior_proposal(2)(zeros(3, 3), 0), ValueError, "n_samples must be >= 1"
    ),
    case(
        "encoder-proposal-k-0",
        lambda: estimators.encoder_proposal(encoder())(zeros(3, 3), 0),
        ValueError,
        "n_samples must be >= 1",
    ),
    case(
        "importance-weights-x-1d",
        lambda: estimators.log_importance_weights(dlvm().log_joint, ones(3), estimators.prior_proposal(2), 5),
        ValueError,
        r"x must have shape \(N, D\)",
    ),
    case(
        "importance-weights-x-empty",
        lambda: estimators.log_importance_weights(dlvm().log_joint, zeros(0, 3), estimators.prior_proposal(2), 5),
        ValueError,
        "N >= 1",
    ),
    case(
        "importance-k-0",
        lambda: estimators.importance_log_marginal(dlvm().log_joint, ones(2, 3), estimators.prior_proposal(2), 0),
        ValueError,
        "n_samples must be >= 1",
    ),
    case(
        "importance-k-float",
        lambda: estimators.importance_log_marginal(dlvm().log_joint, ones(2, 3), estimators.prior_proposal(2), 10.0),
        TypeError,
        "n_samples must be an int",
    ),
    case(
        "importance-chunk-0",
        lambda: estimators.importance_log_marginal(
            dlvm().log_joint, ones(2, 3), estimators.prior_proposal(2), 4, chunk_size=0
        ),
        ValueError,
        "chunk_size must be >= 1",
    ),
    case(
        "importance-x-nonbinary",
        lambda: estimators.importance_log_marginal(
            dlvm().log_joint, torch.full((2, 3), 0.5), estimators.prior_proposal(2), 4
        ),
        ValueError,
        "x must be binary",
    ),
    case(
        "importance-x-nan",
        lambda: estimators.importance_log_marginal(
            dlvm().log_joint, t(1.0, NAN, 0.0)[None], estimators.prior_proposal(2), 4
        ),
        ValueError,
        "x contains NaN",
    ),
    case(
        "importance-proposal-z-dim",
        lambda: estimators.importance_log_marginal(dlvm().log_joint, ones(2, 3), estimators.prior_proposal(3), 4),
        ValueError,
        r"z must have shape \(\.\.\., 2\)",
    ),
    case(
        "gaussian-proposal-not-pd",
        lambda: estimators.gaussian_proposal(zeros(3, 2), -eye()),
        ValueError,
        "cov is not positive definite",
    ),
    case(
        "gaussian-proposal-zero-variance",
        lambda: estimators.gaussian_proposal(zeros(3, 2), torch.diag(t(1.0, 0.0))),
        ValueError,
        "cov is not positive definite",
    ),
    case(
        "gaussian-proposal-mean-1d",
        lambda: estimators.gaussian_proposal(zeros(2), eye()),
        ValueError,
        r"mean must have shape \(N, d\)",
    ),
    case(
        "gaussian-proposal-cov-shape",
        lambda: estimators.gaussian_proposal(zeros(3, 2), eye(3)),
        ValueError,
        r"cov must have shape \(2, 2\)",
    ),
    case(
        "gaussian-proposal-mean-nan",
        lambda: estimators.gaussian_proposal(t(NAN, 0.0)[None], eye()),
        ValueError,
        "mean contains NaN",
    ),
    case(
        "gaussian-proposal-rows",
        lambda: estimators.gaussian_proposal(zeros(3, 2), eye())(zeros(4, 3), 2),
        ValueError,
        "built for 3 data points",
    ),
    case(
        "gaussian-proposal-k-0",
        lambda: estimators.gaussian_proposal(zeros(3, 2), eye())(zeros(3, 3), 0),
        ValueError,
        "n_samples must be >= 1",
    ),
    case("latent-grid-z-dim-0", lambda: estimators.latent_grid(0), ValueError, "z_dim must be >= 1"),
    case("latent-grid-z-dim-4", lambda: estimators.latent_grid(4), ValueError, "z_dim must be <= 3"),
    case("latent-grid-points-0", lambda: estimators.latent_grid(1, n_points=0), ValueError, "n_points must be >= 1"),
    case(
        "latent-grid-limits-reversed", lambda: estimators.latent_grid(1, limits=(1.0, -1.0)), ValueError, "low < high"
    ),
    case("latent-grid-limits-nan", lambda: estimators.latent_grid(1, limits=(NAN, 1.0)), ValueError, "low < high"),
    case(
        "latent-grid-limits-inf",
        lambda: estimators.latent_grid(1, limits=(-INF, 1.0)),
        ValueError,
        "limits must be finite",
    ),
    case(
        "grid-log-joint-x-1d",
        lambda: estimators.grid_log_joint(
            dlvm().log_joint, ones(3), estimators.latent_grid(2, n_points=3, dtype=torch.float32)
        ),
        ValueError,
        r"x must have shape \(N, D\)",
    ),
    case(
        "grid-log-marginal-chunk-0",
        lambda: estimators.grid_log_marginal(
            dlvm().log_joint, ones(2, 3), estimators.latent_grid(2, n_points=3, dtype=torch.float32), chunk_size=0
        ),
        ValueError,
        "chunk_size must be >= 1",
    ),
    case(
        "grid-log-posterior-x-empty",
        lambda: estimators.grid_log_posterior(
            dlvm().log_joint, zeros(0, 3), estimators.latent_grid(2, n_points=3, dtype=torch.float32)
        ),
        ValueError,
        "N >= 1",
    ),
    case(
        "grid-log-marginal-grid-dim",
        lambda: estimators.grid_log_marginal(
            dlvm().log_joint, ones(2, 3), estimators.latent_grid(1, n_points=3, dtype=torch.float32)
        ),
        ValueError,
        r"z must have shape \(\.\.\., 2\)",
    ),
]

TRAINING = [
    case("train-steps-0", lambda: train(steps=0), ValueError, "steps must be >= 1"),
    case("train-batch-size-0", lambda: train(batch_size=0), ValueError, "batch_size must be >= 1"),
    case("train-batch-size-above-n", lambda: train(batch_size=9), ValueError, "batch_size must be <= 8"),
    case("train-lr-0", lambda: train(lr=0.0), ValueError, "lr must be a finite number > 0"),
    case("train-lr-negative", lambda: train(lr=-1.0), ValueError, "lr must be a finite number > 0"),
    case(
        "train-lr-nan-adam",
        lambda: train(lr=NAN),
        ValueError,
        "lr must be a finite number > 0, got nan",
    ),
    case(
        "train-lr-nan-sgd",
        lambda: train(lr=NAN, optimizer="sgd"),
        ValueError,
        "lr must be",
    ),
    case("train-weight-decay-negative", lambda: train(weight_decay=-1.0), ValueError, "weight_decay"),
    case("train-optimizer", lambda: train(optimizer="rmsprop"), ValueError, "optimizer must be one of"),
    case("train-params-empty", lambda: train(params=[]), ValueError, "params is empty"),
    case("train-data-empty", lambda: train(data=zeros(0, 1)), ValueError, "data is empty"),
    case("train-data-none", lambda: train(data=()), ValueError, "data must hold at least one tensor"),
    case(
        "train-loss-not-scalar", lambda: train(loss_fn=lambda x: x.sum(-1)), ValueError, "loss_fn must return a scalar"
    ),
    case("train-loss-nan", lambda: train(data=torch.full((8, 1), NAN)), ValueError, "loss became nan at step 1"),
    case(
        "train-data-misaligned-full-batch",
        lambda: train_misaligned(),
        ValueError,
        "rows",
    ),
]

SEEDING_PLOTTING = [
    case("seed-negative", lambda: seeding.seed_everything(-1), ValueError, "seed must be a non-negative int"),
    case("seed-float", lambda: seeding.seed_everything(1.5), ValueError, "seed must be a non-negative int"),
    case(
        "seed-threads-0",
        lambda: seeding.seed_everything(0, num_threads=0),
        ValueError,
        "num_threads must be >= 1",
    ),
    case(
        "progress-total-0",
        lambda: progress.progress_bar(0, "train").update(),
        ValueError,
        "total must be >= 1",
    ),
    case(
        "progress-total-negative",
        lambda: progress.progress_bar(-4, "train"),
        ValueError,
        "total must be >= 1",
    ),
    case(
        "progress-checkpoints-0",
        lambda: progress.CheckpointProgress(8, "fit", checkpoints=0),
        ValueError,
        "checkpoints must be >= 1",
    ),
    case(
        "image-grid-shape",
        lambda: plotting.image_grid(torch.rand(4, 63), None),
        ValueError,
        r"images must have shape \(N, 64\)",
    ),
    case(
        "image-grid-n-cols-0",
        lambda: plotting.image_grid(torch.rand(4, 64), None, n_cols=0),
        ValueError,
        "n_cols must be >= 1",
    ),
]

BAYES = [
    case("beta-x-nonbinary", lambda: bayes.beta_bernoulli_posterior(t(0.0, 0.5)), ValueError, "x must be binary"),
    case("beta-x-empty", lambda: bayes.beta_bernoulli_posterior(zeros(0)), ValueError, "x is empty"),
    case(
        "beta-x-scalar", lambda: bayes.beta_bernoulli_posterior(t(1.0)[0]), ValueError, "leading data-point dimension"
    ),
    case("beta-x-nan", lambda: bayes.beta_bernoulli_posterior(t(NAN)), ValueError, "x contains NaN"),
    case(
        "beta-prior-a-0",
        lambda: bayes.beta_bernoulli_posterior(ones(2), prior_a=0.0),
        ValueError,
        "prior_a must be a finite number > 0",
    ),
    case(
        "beta-prior-b-negative",
        lambda: bayes.beta_bernoulli_posterior(ones(2), prior_b=-1.0),
        ValueError,
        "prior_b must be",
    ),
    case(
        "beta-prior-a-nan", lambda: bayes.beta_bernoulli_posterior(ones(2), prior_a=NAN), ValueError, "prior_a must be"
    ),
    case(
        "beta-prior-a-inf", lambda: bayes.beta_bernoulli_posterior(ones(2), prior_a=INF), ValueError, "prior_a must be"
    ),
    case(
        "credible-interval-not-a-distribution",
        lambda: bayes.credible_interval([0.0, 1.0]),
        ValueError,
        "posterior must be a torch.distributions.Distribution",
    ),
    case(
        "beta-interval-mass",
        lambda: bayes.credible_interval(bayes.beta_bernoulli_posterior(ones(2)), 1.5),
        ValueError,
        r"mass must be in \(0, 1\)",
    ),
    case(
        "gauss-post-noise-0",
        lambda: bayes.gaussian_mean_posterior(ones(2), noise_std=0.0),
        ValueError,
        "noise_std must be",
    ),
    case(
        "gauss-post-noise-negative",
        lambda: bayes.gaussian_mean_posterior(ones(2), noise_std=-1.0),
        ValueError,
        "noise_std must be",
    ),
    case(
        "gauss-post-prior-std-0",
        lambda: bayes.gaussian_mean_posterior(ones(2), 1.0, prior_std=0.0),
        ValueError,
        "prior_std must be",
    ),
    case(
        "gauss-post-prior-mean-inf",
        lambda: bayes.gaussian_mean_posterior(ones(2), 1.0, prior_mean=INF),
        ValueError,
        "prior_mean must be finite",
    ),
    case("gauss-post-x-nan", lambda: bayes.gaussian_mean_posterior(t(NAN), 1.0), ValueError, "x contains NaN"),
    case("gauss-post-x-empty", lambda: bayes.gaussian_mean_posterior(zeros(0), 1.0), ValueError, "x is empty"),
    case(
        "gauss-post-interval-mass",
        lambda: bayes.credible_interval(bayes.gaussian_mean_posterior(ones(2), 1.0), 0.0),
        ValueError,
        "mass must be in",
    ),
    case(
        "log-prior-std-0", lambda: bayes.gaussian_log_prior([zeros(2)], prior_std=0.0), ValueError, "prior_std must be"
    ),
    case("log-prior-empty", lambda: bayes.gaussian_log_prior([], prior_std=1.0), ValueError, "params is empty"),
    case(
        "log-prior-param-nan",
        lambda: bayes.gaussian_log_prior([t(NAN)], prior_std=1.0),
        ValueError,
        "params contains NaN",
    ),
    case("weight-decay-prior-std-0", lambda: bayes.weight_decay_from_prior(0.0, 10), ValueError, "prior_std must be"),
    case("weight-decay-n-data-0", lambda: bayes.weight_decay_from_prior(1.0, 0), ValueError, "n_data must be >= 1"),
    case("all-minibatch-batch-0", lambda: bayes.all_minibatch_means(ones(4), 0), ValueError, "batch_size must be >= 1"),
    case(
        "all-minibatch-batch-above-n",
        lambda: bayes.all_minibatch_means(ones(4), 5),
        ValueError,
        "batch_size must be <= 4",
    ),
    case("all-minibatch-empty", lambda: bayes.all_minibatch_means(zeros(0), 1), ValueError, "values is empty"),
    case(
        "all-minibatch-too-many",
        lambda: bayes.all_minibatch_means(ones(40), 20),
        ValueError,
        "minibatches is more than",
    ),
    case(
        "minibatch-variance-batch-0",
        lambda: bayes.minibatch_variance(ones(4), 0),
        ValueError,
        "batch_size must be >= 1",
    ),
    case(
        "minibatch-variance-batch-above-n",
        lambda: bayes.minibatch_variance(ones(4), 5),
        ValueError,
        "batch_size must be <= 4",
    ),
    case("minibatch-variance-nan", lambda: bayes.minibatch_variance(t(1.0, NAN), 1), ValueError, "values contains NaN"),
]

DIVERGENCE = [
    case(
        "kl-normal-mean-nan",
        lambda: divergence.kl_normal(t(NAN), zeros(1), zeros(1), zeros(1)),
        ValueError,
        "mean_p contains NaN",
    ),
    case(
        "kl-normal-zero-variance",
        lambda: divergence.kl_normal(zeros(1), zeros(1), zeros(1), t(-INF)),
        ValueError,
        "log_var_q contains inf",
    ),
    case(
        "kl-normal-shape",
        lambda: divergence.kl_normal(zeros(3), zeros(2), zeros(1), zeros(1)),
        ValueError,
        "shape mismatch",
    ),
    case(
        "kl-normal-event-dims",
        lambda: divergence.kl_normal(zeros(3), zeros(3), zeros(3), zeros(3), event_dims=2),
        ValueError,
        "event_dims must be between 0 and 1",
    ),
    case(
        "kl-categorical-scalar",
        lambda: divergence.kl_categorical(t(0.0)[0], zeros(2)),
        ValueError,
        "logits_p must have a class dimension",
    ),
    case(
        "kl-categorical-classes",
        lambda: divergence.kl_categorical(zeros(3), zeros(2)),
        ValueError,
        "same number of classes",
    ),
    case(
        "kl-categorical-nan",
        lambda: divergence.kl_categorical(zeros(2), t(0.0, NAN)),
        ValueError,
        "logits_q contains NaN",
    ),
    case(
        "kl-categorical-empty", lambda: divergence.kl_categorical(zeros(0), zeros(0)), ValueError, "logits_p is empty"
    ),
    case("mc-kl-one-sample", lambda: divergence.monte_carlo_kl(zeros(1), zeros(1)), ValueError, "at least 2 samples"),
    case("mc-kl-nan", lambda: divergence.monte_carlo_kl(t(0.0, NAN), zeros(2)), ValueError, "log_p contains NaN"),
    case("mc-kl-shape", lambda: divergence.monte_carlo_kl(zeros(3), zeros(2)), ValueError, "shape mismatch"),
]

GRAPHICAL = [
    case("node-family", lambda: Node("poisson"), ValueError, "family must be one of"),
    case("node-categorical-no-classes", lambda: Node("categorical"), ValueError, "needs n_classes"),
    case("node-one-class", lambda: Node("categorical", n_classes=1), ValueError, "n_classes must be >= 2"),
    case(
        "node-parents-string",
        lambda: Node("bernoulli", parents="ab"),
        ValueError,
        "parents must be a sequence of names",
    ),
    case("node-parents-duplicate", lambda: Node("bernoulli", parents=("a", "a")), ValueError, "lists a name twice"),
    case("node-dim-0", lambda: Node("gaussian", dim=0), ValueError, "dim must be >= 1"),
    case(
        "node-classes-on-bernoulli",
        lambda: Node("bernoulli", n_classes=3),
        ValueError,
        "n_classes applies to categorical",
    ),
    case("node-dim-on-bernoulli", lambda: Node("bernoulli", dim=2), ValueError, "dim applies to gaussian"),
    case(
        "toposort-cycle",
        lambda: graphical.topological_order({"a": ["b"], "b": ["a"]}),
        ValueError,
        "the graph has a cycle",
    ),
    case("toposort-self-loop", lambda: graphical.topological_order({"a": ["a"]}), ValueError, "the graph has a cycle"),
    case(
        "toposort-three-cycle",
        lambda: graphical.topological_order({"a": ["c"], "b": ["a"], "c": ["b"], "d": []}),
        ValueError,
        r"the graph has a cycle: nodes \[.a., .b., .c.\]",
    ),
    case(
        "toposort-unknown-parent",
        lambda: graphical.topological_order({"a": ["z"]}),
        ValueError,
        "parent 'z', which is not a node",
    ),
    case("table-cardinality-0", lambda: LookupTable([0], 1), ValueError, "every parent cardinality must be >= 1"),
    case("table-eta-dim-0", lambda: LookupTable([2], 0), ValueError, "eta_dim must be >= 1"),
    case(
        "table-parent-value-out-of-range",
        lambda: LookupTable([2, 2], 1)([torch.tensor([0]), torch.tensor([3])], 1),
        ValueError,
        "parent",
    ),
    case("neural-eta-dim-0", lambda: NeuralConditional([Node("bernoulli")], 0), ValueError, "eta_dim must be >= 1"),
    case(
        "neural-wrong-parent-count",
        lambda: NeuralConditional([Node("bernoulli"), Node("bernoulli")], 1)([ones(3)], 3),
        ValueError,
        "parents",
    ),
    case("graph-empty", lambda: DirectedGraphicalModel({}), ValueError, "nodes is empty"),
    case(
        "graph-cycle",
        lambda: DirectedGraphicalModel(
            {"a": Node("bernoulli", parents=("b",)), "b": Node("bernoulli", parents=("a",))}
        ),
        ValueError,
        "the graph has a cycle",
    ),
    case("graph-dotted-name", lambda: DirectedGraphicalModel({"a.b": Node("bernoulli")}), ValueError, "without '.'"),
    case(
        "graph-not-node", lambda: DirectedGraphicalModel({"a": "bernoulli"}), ValueError, r"nodes\['a'\] must be a Node"
    ),
    case(
        "graph-conditional",
        lambda: DirectedGraphicalModel({"a": Node("bernoulli")}, conditional="lstm"),
        ValueError,
        "conditional must be",
    ),
    case(
        "graph-table-gaussian-parent",
        lambda: DirectedGraphicalModel(
            {"h": Node("gaussian"), "y": Node("bernoulli", parents=("h",))}, conditional="table"
        ),
        ValueError,
        "needs discrete parents",
    ),
    case(
        "graph-missing-value",
        lambda: rain_graph().log_joint({"rain": t(1.0), "season": torch.tensor([0])}),
        ValueError,
        "missing a value for node 'wet'",
    ),
    case(
        "graph-nonbinary",
        lambda: rain_graph().log_joint(graph_values(rain=t(0.5, 1.0))),
        ValueError,
        r"x\['rain'\] must be binary",
    ),
    case(
        "graph-class-out-of-range",
        lambda: rain_graph().log_joint(graph_values(season=torch.tensor([0, 3]))),
        ValueError,
        r"x\['season'\] must hold integer class labels in 0..2",
    ),
    case(
        "graph-class-negative",
        lambda: rain_graph().log_joint(graph_values(season=torch.tensor([-1, 0]))),
        ValueError,
        "integer class labels",
    ),
    case(
        "graph-value-shape",
        lambda: rain_graph().log_joint(graph_values(wet=ones(2, 1))),
        ValueError,
        r"x\['wet'\] must have shape \(2,\)",
    ),
    case(
        "graph-rows-differ",
        lambda: rain_graph().log_joint(graph_values(wet=ones(3))),
        ValueError,
        "same number of rows",
    ),
    case(
        "graph-gaussian-value-nan",
        lambda: gaussian_graph().log_joint({"h": t(NAN, 0.0)[None], "y": t(1.0)}),
        ValueError,
        "x contains NaN",
    ),
    case("graph-sample-0", lambda: rain_graph().sample(0), ValueError, "n must be >= 1"),
    case("graph-enumerate-gaussian", lambda: gaussian_graph().enumerate(), ValueError, "only all-discrete graphs"),
    case(
        "graph-enumerate-too-many", lambda: rain_graph().enumerate(max_states=5), ValueError, "more than max_states=5"
    ),
    case(
        "graph-probability-table-unknown",
        lambda: rain_graph().probability_table("snow"),
        ValueError,
        "'snow' is not a node",
    ),
    case(
        "graph-probability-table-gaussian",
        lambda: gaussian_graph().probability_table("h"),
        ValueError,
        "needs a discrete node",
    ),
    case(
        "graph-set-table-on-mlp",
        lambda: rain_graph("mlp").set_table("rain", zeros(1)),
        ValueError,
        "parameterised by a network",
    ),
    case(
        "graph-set-table-shape",
        lambda: rain_graph().set_table("wet", zeros(5)),
        ValueError,
        r"must have shape \(6, 1\)",
    ),
    case("graph-set-table-inf", lambda: rain_graph().set_table("rain", t(INF)), ValueError, "must be finite"),
    case(
        "graph-node-log-prob-unknown",
        lambda: rain_graph().node_log_prob("snow", graph_values()),
        ValueError,
        "'snow' is not a node",
    ),
    case(
        "graph-node-log-prob-nonbinary",
        lambda: rain_graph().node_log_prob("wet", graph_values(wet=t(0.5, 1.0))),
        ValueError,
        r"x\['wet'\] must be binary",
    ),
    case("graph-eta-unknown", lambda: rain_graph().eta("snow", {}), ValueError, "'snow' is not a node"),
    case(
        "graph-state-index-nonbinary",
        lambda: rain_graph().state_index(graph_values(wet=t(2.0, 0.0))),
        ValueError,
        r"x\['wet'\] must be binary",
    ),
]

TOY = [
    case(
        "mixture1d-weights-sum",
        lambda: toy.GaussianMixture1D([0.5, 0.6], [0.0, 1.0], [1.0, 1.0]),
        ValueError,
        "sum to 1",
    ),
    case(
        "mixture1d-weight-negative",
        lambda: toy.GaussianMixture1D([-0.5, 1.5], [0.0, 1.0], [1.0, 1.0]),
        ValueError,
        "non-negative",
    ),
    case(
        "mixture1d-std-0",
        lambda: toy.GaussianMixture1D([0.5, 0.5], [0.0, 1.0], [1.0, 0.0]),
        ValueError,
        "stds must all be > 0",
    ),
    case(
        "mixture1d-std-negative",
        lambda: toy.GaussianMixture1D([1.0], [0.0], [-1.0]),
        ValueError,
        "stds must all be > 0",
    ),
    case("mixture1d-mean-nan", lambda: toy.GaussianMixture1D([1.0], [NAN], [1.0]), ValueError, "means contains NaN"),
    case(
        "mixture1d-lengths",
        lambda: toy.GaussianMixture1D([1.0], [0.0, 1.0], [1.0]),
        ValueError,
        "one entry per component",
    ),
    case(
        "mixture1d-2d",
        lambda: toy.GaussianMixture1D([[1.0]], [0.0], [1.0]),
        ValueError,
        "weights must be a 1-D sequence",
    ),
    case("mixture1d-empty", lambda: toy.GaussianMixture1D([], [], []), ValueError, "weights is empty"),
    case(
        "mixture1d-x-nan",
        lambda: toy.GaussianMixture1D([1.0], [0.0], [1.0]).log_prob(t(NAN, dtype=torch.float64)),
        ValueError,
        "x contains NaN",
    ),
    case(
        "mixture1d-sample-0", lambda: toy.GaussianMixture1D([1.0], [0.0], [1.0]).sample(0), ValueError, "n must be >= 1"
    ),
    case("banana-scale-0", lambda: toy.Banana2D(scale=0.0), ValueError, "scale must be a finite number > 0"),
    case("banana-noise-negative", lambda: toy.Banana2D(noise=-1.0), ValueError, "noise must be"),
    case("banana-curvature-inf", lambda: toy.Banana2D(curvature=INF), ValueError, "curvature must be finite"),
    case("banana-scale-nan", lambda: toy.Banana2D(scale=NAN), ValueError, "scale must be"),
    case("banana-x-dim", lambda: toy.Banana2D().log_prob(zeros(4, 3)), ValueError, r"x must have shape \(\.\.\., 2\)"),
    case("banana-x-inf", lambda: toy.Banana2D().log_prob(t(INF, 0.0)), ValueError, "x contains inf"),
    case("banana-sample-0", lambda: toy.Banana2D().sample(0), ValueError, "n must be >= 1"),
    case("regression-range-0", lambda: toy.HeteroscedasticRegression(x_range=0.0), ValueError, "x_range must be"),
    case("regression-noise-0", lambda: toy.HeteroscedasticRegression(noise=0.0), ValueError, "noise must be"),
    case(
        "regression-frequency-negative",
        lambda: toy.HeteroscedasticRegression(frequency=-1.0),
        ValueError,
        "frequency must be",
    ),
    case(
        "regression-slope-nan",
        lambda: toy.HeteroscedasticRegression(noise_slope=NAN),
        ValueError,
        "noise_slope must be",
    ),
    case(
        "regression-y-nan",
        lambda: toy.HeteroscedasticRegression().log_prob(t(NAN), zeros(1)),
        ValueError,
        "y contains NaN",
    ),
    case("regression-x-inf", lambda: toy.HeteroscedasticRegression().mean(t(INF)), ValueError, "x contains inf"),
    case("regression-sample-0", lambda: toy.HeteroscedasticRegression().sample(0), ValueError, "n must be >= 1"),
]

LATENT = [
    case("mog-weights-sum", lambda: mog(weights=[0.5, 0.6]), ValueError, "weights must sum to 1"),
    case("mog-weight-zero", lambda: mog(weights=[0.0, 1.0]), ValueError, "weights must all be > 0"),
    case("mog-weight-negative", lambda: mog(weights=[-0.5, 1.5]), ValueError, "weights must all be > 0"),
    case(
        "mog-weights-empty",
        lambda: mog(weights=[], means=zeros(0, 2), covariances=zeros(0, 2, 2)),
        ValueError,
        r"weights must have shape \(K,\)",
    ),
    case("mog-weights-nan", lambda: mog(weights=[NAN, 0.5]), ValueError, "weights contains NaN"),
    case("mog-means-shape", lambda: mog(means=zeros(3, 2)), ValueError, r"means must have shape \(2, D\)"),
    case("mog-means-inf", lambda: mog(means=[[INF, 0.0], [0.0, 0.0]]), ValueError, "means contains inf"),
    case("mog-cov-shape", lambda: mog(covariances=eye(2)), ValueError, r"covariances must have shape \(2, 2, 2\)"),
    case(
        "mog-cov-not-pd",
        lambda: mog(covariances=torch.stack([eye(), t(1.0, 2.0, 2.0, 1.0).reshape(2, 2)])),
        ValueError,
        "covariances is not positive definite",
    ),
    case(
        "mog-cov-zero-variance",
        lambda: mog(covariances=torch.diag(t(1.0, 0.0)).expand(2, 2, 2)),
        ValueError,
        "not positive definite",
    ),
    case(
        "mog-cov-negative-variance",
        lambda: mog(covariances=-eye().expand(2, 2, 2)),
        ValueError,
        "not positive definite",
    ),
    case(
        "mog-cov-not-symmetric",
        lambda: mog(covariances=t(1.0, 0.5, 0.0, 1.0).reshape(2, 2).expand(2, 2, 2)),
        ValueError,
        "covariances must be symmetric",
    ),
    case("mog-x-dim", lambda: mog().log_marginal(zeros(4, 3)), ValueError, r"x must have shape \(\.\.\., 2\)"),
    case("mog-x-nan", lambda: mog().posterior(t(NAN, 0.0)), ValueError, "x contains NaN"),
    case("mog-sample-0", lambda: mog().sample(0), ValueError, "n must be >= 1"),
    case(
        "mog-fit-components-0",
        lambda: latent.MixtureOfGaussians(n_components=0),
        ValueError,
        "n_components must be >= 1",
    ),
    case(
        "mog-fit-more-components-than-points",
        lambda: latent.MixtureOfGaussians(n_components=3).fit(torch.randn(2, 2)),
        ValueError,
        "x needs at least 3 rows",
    ),
    case(
        "mog-fit-x-1d",
        lambda: latent.MixtureOfGaussians(n_components=1).fit(zeros(5)),
        ValueError,
        r"x must be a data matrix of shape \(N, D\)",
    ),
    case(
        "mog-fit-x-empty",
        lambda: latent.MixtureOfGaussians(n_components=1).fit(zeros(0, 2)),
        ValueError,
        "x needs at least 1 rows",
    ),
    case(
        "mog-fit-x-nan",
        lambda: latent.MixtureOfGaussians(n_components=1).fit(t(0.0, NAN).reshape(1, 2)),
        ValueError,
        "x contains NaN",
    ),
    case(
        "mog-fit-reg-negative",
        lambda: latent.MixtureOfGaussians(n_components=1, reg_covar=-1.0),
        ValueError,
        "reg_covar must be >= 0",
    ),
    case(
        "mog-fit-iter-0",
        lambda: latent.MixtureOfGaussians(n_components=1, n_iter=0),
        ValueError,
        "n_iter must be >= 1",
    ),
    case(
        "mog-fit-dim-mismatch",
        lambda: mog().fit(torch.randn(5, 3)),
        ValueError,
        "x has 3 columns but the mixture is 2-dimensional",
    ),
    case("lg-noise-0", lambda: linear_gaussian(noise_variance=0.0), ValueError, "noise_variance must be > 0"),
    case(
        "lg-noise-negative",
        lambda: linear_gaussian(noise_variance=[0.5, -0.1, 0.5]),
        ValueError,
        "noise_variance must be > 0",
    ),
    case(
        "lg-noise-length",
        lambda: linear_gaussian(noise_variance=[0.5, 0.5]),
        ValueError,
        r"noise_variance must be one number or have shape \(3,\)",
    ),
    case("lg-noise-nan", lambda: linear_gaussian(noise_variance=NAN), ValueError, "noise_variance contains NaN"),
    case(
        "lg-weight-1d", lambda: linear_gaussian(weight=[1.0, 0.5, 0.0]), ValueError, r"weight must have shape \(D, k\)"
    ),
    case("lg-weight-inf", lambda: linear_gaussian(weight=[[INF], [0.0], [0.0]]), ValueError, "weight contains inf"),
    case("lg-mean-shape", lambda: linear_gaussian(mean=[0.0, 0.0]), ValueError, r"mean must have shape \(3,\)"),
    case(
        "lg-x-dim", lambda: linear_gaussian().log_marginal(zeros(4, 2)), ValueError, r"x must have shape \(\.\.\., 3\)"
    ),
    case(
        "lg-log-joint-z-dim",
        lambda: linear_gaussian().log_joint(zeros(4, 3), zeros(4, 2)),
        ValueError,
        r"z must have shape \(\.\.\., 1\)",
    ),
    case("lg-posterior-x-nan", lambda: linear_gaussian().posterior(t(NAN, 0.0, 0.0)), ValueError, "x contains NaN"),
    case("lg-sample-0", lambda: linear_gaussian().sample(0), ValueError, "n must be >= 1"),
    case(
        "ppca-components-0",
        lambda: latent.LinearGaussian(n_latent=0),
        ValueError,
        "n_latent must be >= 1",
    ),
    case(
        "ppca-components-d",
        lambda: latent.LinearGaussian(n_latent=3).fit(torch.randn(10, 3)),
        ValueError,
        "n_latent must be <= 2",
    ),
    case(
        "ppca-one-row",
        lambda: latent.LinearGaussian(n_latent=1).fit(torch.randn(1, 3)),
        ValueError,
        "x needs at least 2 rows",
    ),
    case(
        "ppca-x-inf",
        lambda: latent.LinearGaussian(n_latent=1).fit(t(0.0, INF, 0.0, 1.0).reshape(2, 2)),
        ValueError,
        "x contains inf",
    ),
    case(
        "fa-min-noise-0",
        lambda: latent.LinearGaussian(n_latent=1, noise="diagonal", min_noise_variance=0.0),
        ValueError,
        "min_noise_variance must be > 0",
    ),
    case(
        "fa-iter-0",
        lambda: latent.LinearGaussian(n_latent=1, noise="diagonal", n_iter=0),
        ValueError,
        "n_iter must be >= 1",
    ),
]

CLASSIFIERS = [
    case(
        "gauss-clf-x-1d",
        lambda: classifiers.GaussianClassifier(2).fit(zeros(4), torch.tensor([0, 0, 1, 1])),
        ValueError,
        r"x must have shape \(\.\.\., n, D\)",
    ),
    case(
        "gauss-clf-y-shape",
        lambda: classifiers.GaussianClassifier(2).fit(two_class_data()[0], torch.tensor([0, 1])),
        ValueError,
        r"y must have shape \(4,\)",
    ),
    case(
        "gauss-clf-x-empty",
        lambda: classifiers.GaussianClassifier(2).fit(zeros(0, 2), torch.zeros(0, dtype=torch.long)),
        ValueError,
        "x is empty",
    ),
    case(
        "gauss-clf-x-nan",
        lambda: classifiers.GaussianClassifier(2).fit(two_class_data()[0] * NAN, two_class_data()[1]),
        ValueError,
        "x contains NaN",
    ),
    case(
        "gauss-clf-classes-0",
        lambda: classifiers.GaussianClassifier(0),
        ValueError,
        "n_classes must be >= 1",
    ),
    case(
        "gauss-clf-covariance",
        lambda: classifiers.GaussianClassifier(2, covariance="spherical"),
        ValueError,
        "covariance must be 'diag' or 'full'",
    ),
    case(
        "gauss-clf-smoothing-negative",
        lambda: classifiers.GaussianClassifier(2, var_smoothing=-1.0),
        ValueError,
        "var_smoothing must be >= 0",
    ),
    case(
        "gauss-clf-smoothing-nan",
        lambda: classifiers.GaussianClassifier(2, var_smoothing=NAN),
        ValueError,
        "var_smoothing must be >= 0",
    ),
    case(
        "gauss-clf-y-float",
        lambda: classifiers.GaussianClassifier(2).fit(two_class_data()[0], t(0, 0, 1, 1)),
        ValueError,
        "integer class labels",
    ),
    case(
        "gauss-clf-y-out-of-range",
        lambda: classifiers.GaussianClassifier(2).fit(two_class_data()[0], torch.tensor([0, 0, 1, 2])),
        ValueError,
        r"integer class labels in 0..1",
    ),
    case(
        "gauss-clf-missing-class",
        lambda: classifiers.GaussianClassifier(3).fit(*two_class_data()),
        ValueError,
        "class 2 has no training examples",
    ),
    case(
        "gauss-clf-zero-variance",
        lambda: classifiers.GaussianClassifier(2, var_smoothing=0.0).fit(
            torch.tensor([[0.0, 1.0], [0.0, 2.0], [0.0, 3.0], [0.0, 4.0]]), torch.tensor([0, 0, 1, 1])
        ),
        ValueError,
        "feature 0 has zero variance in class 0; use var_smoothing > 0",
    ),
    case(
        "gauss-clf-log-proba-nan",
        lambda: classifiers.GaussianClassifier(2).fit(*two_class_data()).log_proba(t(0.0, NAN)[None]),
        ValueError,
        "x contains NaN",
    ),
    case(
        "gauss-clf-joint-features",
        lambda: classifiers.GaussianClassifier(2, covariance="full").fit(*two_class_data()).joint_log_prob(zeros(3, 1)),
        ValueError,
        r"x must have shape \(\.\.\., 2\)",
    ),
    case(
        "gauss-clf-predict-features",
        lambda: classifiers.GaussianClassifier(2).fit(*two_class_data()).predict(zeros(3, 3)),
        ValueError,
        r"x must have shape \(\.\.\., 2\)",
    ),
    case("logreg-c-0", lambda: classifiers.LogisticRegression(C=0.0), ValueError, "C must be > 0"),
    case(
        "logreg-c-nan",
        lambda: classifiers.LogisticRegression(C=NAN),
        ValueError,
        "C must be > 0",
    ),
    case(
        "logreg-y-nonbinary",
        lambda: classifiers.LogisticRegression().fit(two_class_data()[0], torch.tensor([0, 0, 2, 2])),
        ValueError,
        "y must be binary",
    ),
    case(
        "logreg-iter-0",
        lambda: classifiers.LogisticRegression(max_iter=0),
        ValueError,
        "max_iter must be >= 1",
    ),
    case(
        "logreg-x-inf",
        lambda: classifiers.LogisticRegression().fit(two_class_data()[0] * INF, two_class_data()[1]),
        ValueError,
        "x contains",
    ),
    case(
        "logreg-predict-features",
        lambda: classifiers.LogisticRegression().fit(*two_class_data()).predict(zeros(3, 1)),
        ValueError,
        r"x must have shape \(\.\.\., 2\)",
    ),
    case(
        "logreg-log-proba-inf",
        lambda: classifiers.LogisticRegression().fit(*two_class_data()).log_proba(t(INF, 0.0)[None]),
        ValueError,
        "x contains inf",
    ),
    case(
        "curve-size-not-multiple",
        lambda: classifiers.learning_curve(nearest_mean, *two_class_data(), *two_class_data(), [3], n_seeds=1),
        ValueError,
        "multiple of the number of classes 2",
    ),
    case(
        "curve-size-too-large",
        lambda: classifiers.learning_curve(nearest_mean, *two_class_data(), *two_class_data(), [6], n_seeds=1),
        ValueError,
        "every entry of sizes must be <= 4",
    ),
    case(
        "curve-size-0",
        lambda: classifiers.learning_curve(nearest_mean, *two_class_data(), *two_class_data(), [0], n_seeds=1),
        ValueError,
        "every entry of sizes must be >= 1",
    ),
    case(
        "curve-seeds-0",
        lambda: classifiers.learning_curve(nearest_mean, *two_class_data(), *two_class_data(), [2], n_seeds=0),
        ValueError,
        "n_seeds must be >= 1",
    ),
    case(
        "curve-labels-gap",
        lambda: classifiers.learning_curve(
            nearest_mean, two_class_data()[0], torch.tensor([0, 0, 2, 2]), *two_class_data(), [2], n_seeds=1
        ),
        ValueError,
        "labels 0..K-1",
    ),
    case(
        "curve-sizes-empty",
        lambda: classifiers.learning_curve(nearest_mean, *two_class_data(), *two_class_data(), [], n_seeds=1),
        ValueError,
        "sizes is empty",
    ),
]

# wrong types: a clear TypeError (or ValueError) naming the argument, never a raw torch error
TYPES = [
    case(
        "importance-k-string",
        lambda: estimators.importance_log_marginal(dlvm().log_joint, ones(2, 3), estimators.prior_proposal(2), "10"),
        TypeError,
        "n_samples must be an int, got str",
    ),
    case("prior-proposal-z-dim-float", lambda: estimators.prior_proposal(2.0), TypeError, "z_dim must be an int"),
    case(
        "latent-grid-points-float",
        lambda: estimators.latent_grid(1, n_points=1.5),
        TypeError,
        "n_points must be an int",
    ),
    case(
        "gaussian-proposal-k-string",
        lambda: estimators.gaussian_proposal(zeros(2, 2), eye())(zeros(2, 3), "3"),
        TypeError,
        "n_samples must be an int",
    ),
    case(
        "minibatches-batch-size-bool",
        lambda: list(data.minibatches(ones(4), batch_size=True)),
        TypeError,
        "batch_size must be an int, got bool",
    ),
    case("dlvm-sample-float", lambda: dlvm().sample(2.0), TypeError, "n must be an int"),
    case("banana-sample-float", lambda: toy.Banana2D().sample(1.5), TypeError, "n must be an int"),
    case("graph-sample-bool", lambda: rain_graph().sample(True), TypeError, "n must be an int, got bool"),
    case(
        "mog-fit-components-float",
        lambda: latent.MixtureOfGaussians(n_components=2.0),
        TypeError,
        "n_components must be an int",
    ),
    case(
        "ppca-components-float",
        lambda: latent.LinearGaussian(n_latent=1.0),
        TypeError,
        "n_latent must be an int",
    ),
    case(
        "weight-decay-n-data-float",
        lambda: bayes.weight_decay_from_prior(1.0, 10.0),
        TypeError,
        "n_data must be an int",
    ),
    case("train-steps-float", lambda: train(steps=1.5), TypeError, "steps must be an int"),
    case("mlp-size-float", lambda: models.MLP([3, 2.5]), TypeError, "every entry of sizes must be an int"),
    case(
        "bernoulli-logits-none",
        lambda: likelihood.bernoulli_log_prob(ones(2), None),
        TypeError,
        "logits must be a tensor",
    ),
    case(
        "gaussian-diag-mean-string",
        lambda: likelihood.gaussian_diag_log_prob(ones(2), "a", zeros(2)),
        TypeError,
        "mean must be a tensor",
    ),
    case("kl-normal-string", lambda: divergence.kl_normal("a", 0.0, 0.0, 0.0), TypeError, "mean_p must be a tensor"),
    case(
        "mc-kl-mixed-list",
        lambda: divergence.monte_carlo_kl([1.0, 2.0], [0.5, "x"]),
        TypeError,
        "log_q must be a tensor",
    ),
    case("encoder-x-string", lambda: encoder()("abc"), TypeError, "x must be a tensor"),
    case(
        "mog-weights-string",
        lambda: latent.MixtureOfGaussians("ab", [[0.0]], [[[1.0]]]),
        TypeError,
        "weights must be a tensor",
    ),
    case("beta-x-string", lambda: bayes.beta_bernoulli_posterior("abc"), TypeError, "x must be a tensor"),
    case(
        "logreg-y-half",
        lambda: classifiers.LogisticRegression().fit(torch.randn(4, 2), t(0.0, 0.5, 1.0, 1.0)),
        ValueError,
        "y must be binary",
    ),
    case(
        "image-grid-3d",
        lambda: plotting.image_grid(torch.rand(2, 8, 8), None),
        ValueError,
        r"images must have shape \(N, 64\)",
    ),
    case(
        "kl-categorical-batch-shape",
        lambda: divergence.kl_categorical(zeros(3, 2), zeros(2, 2)),
        ValueError,
        "shape mismatch",
    ),
    case(
        "minibatch-variance-scalar",
        lambda: bayes.minibatch_variance(t(1.0)[0], 1),
        ValueError,
        "leading data-point dimension",
    ),
    case(
        "read-idx-missing-file",
        lambda: data.read_idx("/nonexistent/images-idx3-ubyte"),
        FileNotFoundError,
        "No such file",
    ),
    case(
        "categorical-y-string",
        lambda: likelihood.categorical_log_prob("a", zeros(3)),
        TypeError,
        "y must be",
    ),
    case(
        "categorical-y-bool",
        lambda: likelihood.categorical_log_prob(torch.tensor([True]), zeros(1, 3)),
        TypeError,
        "y must",
    ),
    case(
        "dataset-data-string",
        lambda: likelihood.dataset_log_likelihood(lambda b: b, "abc"),
        TypeError,
        "data must be",
    ),
    case(
        "toy-mixture-x-string",
        lambda: toy.GaussianMixture1D([1.0], [0.0], [1.0]).log_prob("abc"),
        TypeError,
        "x must be a tensor",
    ),
    case(
        "load-digits-integer-dtype",
        lambda: data.load_digits(dtype=torch.int64),
        ValueError,
        "dtype must be a floating",
    ),
    case(
        "log-mean-exp-dim-out-of-range",
        lambda: estimators.log_mean_exp(zeros(3), dim=2),
        ValueError,
        "dim",
    ),
    case(
        "ess-dim-out-of-range",
        lambda: estimators.effective_sample_size(zeros(3), dim=1),
        ValueError,
        "dim",
    ),
]

CASES = (
    CHECKS
    + LIKELIHOOD
    + DATA
    + MODELS
    + ESTIMATORS
    + TRAINING
    + SEEDING_PLOTTING
    + BAYES
    + DIVERGENCE
    + GRAPHICAL
    + TOY
    + LATENT
    + CLASSIFIERS
    + TYPES
)


@pytest.mark.parametrize(("call", "error", "match"), CASES)
def test_bad_input_raises_a_clear_error(call, error, match):
    with pytest.raises(error, match=match):
        call()


def _idx_bytes(shape: tuple[int, ...], body: bytes, type_code: int = 0x08) -> bytes:
    return bytes([0, 0, type_code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape) + body


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        pytest.param(b"\x01\x02\x08\x01", "not an IDX file", id="bad-magic"),
        pytest.param(b"\x00", "not an IDX file", id="too-short"),
        pytest.param(_idx_bytes((2, 2), b"\x00" * 4, type_code=0x07), "unknown IDX type code 0x07", id="bad-type"),
        pytest.param(_idx_bytes((2, 2), b"\x00" * 3), "header promises 4 data bytes", id="truncated"),
    ],
)
def test_read_idx_rejects_malformed_files(tmp_path, raw, match):
    path = tmp_path / "images-idx3-ubyte"
    path.write_bytes(raw)
    with pytest.raises(ValueError, match=match):
        data.read_idx(path)


def test_every_case_id_is_unique():
    ids = [p.id for p in CASES]
    assert len(ids) == len(set(ids))
