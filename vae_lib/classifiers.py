r"""A generative and a discriminative classifier, and learning curves over training-set size (section 1.1).

* :class:`GaussianClassifier` — a *generative* classifier: it models the
  joint :math:`p(\mathbf{x}, y) = p(y)\,p(\mathbf{x}\mid y)` with a Gaussian per
  class (naive Bayes when the covariance is diagonal) and turns it into a
  classifier with Bayes' rule.
* :class:`LogisticRegression` — a *discriminative* classifier: it models
  only :math:`p(y\mid\mathbf{x}) = \mathrm{Bernoulli}(y; \sigma(\mathbf{w}^\top\mathbf{x} + b))`.
* :func:`learning_curve` — test error of either against the number of
  training examples, over several random training sets at once.

Both follow scikit-learn's convention (shared with :mod:`vae_lib.latent`): the
constructor takes the settings, ``fit(x, y)`` estimates the parameters and
returns the classifier, and what the fit estimates ends in ``_``. Every fit
accepts leading batch dimensions: ``x`` of shape ``(..., n, D)`` fits one
independent model per batch index (e.g. one per random seed), with no Python
loop over models or data points. Predictions follow the dtype and device of the
fitted parameters, which follow the training data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from vae_lib.checks import (
    as_float_tensor,
    as_tensor,
    check_binary,
    check_finite,
    check_nonempty,
    check_positive_int,
    generator_device,
)
from vae_lib.likelihood import bernoulli_log_prob, gaussian_diag_log_prob, gaussian_log_prob


def _check_design(x: object, y: object) -> tuple[Tensor, Tensor]:
    """Validate a training set: ``x`` of shape ``(..., n, D)`` and ``y`` of shape ``(..., n)`` on ``x``'s device."""
    x = as_float_tensor(x, "x")
    if x.dim() < 2:
        raise ValueError(f"x must have shape (..., n, D), got {tuple(x.shape)}")
    check_nonempty(x, "x")
    check_finite(x, "x")
    y = as_tensor(y, "y", like=x, owner="x has")
    if y.shape != x.shape[:-1]:
        raise ValueError(f"y must have shape {tuple(x.shape[:-1])} (one label per row of x), got {tuple(y.shape)}")
    return x, y


def _check_features(x: object, n_features: int, like: Tensor) -> Tensor:
    x = as_float_tensor(x, "x", like=like, owner="the fitted parameters have")
    if x.dim() == 0 or x.shape[-1] != n_features:
        raise ValueError(f"x must have shape (..., {n_features}) like the training data, got {tuple(x.shape)}")
    check_finite(x, "x")
    return x


def _fitted(estimator: object, attribute: str) -> Tensor:
    value = getattr(estimator, attribute, None)
    if value is None:
        raise ValueError(f"this {type(estimator).__name__} is not fitted yet: call fit(x, y) first")
    return value


class GaussianClassifier:
    r"""A generative classifier :math:`p(y)\,\mathcal{N}(\mathbf{x}; \boldsymbol\mu_y, \Sigma_y)`, fitted by maximum likelihood.

    The generative route of section 1.1: model how each class generates its
    data, then classify by Bayes' rule
    :math:`p(y\mid\mathbf{x}) = p(\mathbf{x}\mid y)p(y) / \sum_{y'} p(\mathbf{x}\mid y')p(y')`
    (:meth:`log_proba`). The log-densities are vae_lib's
    :func:`~vae_lib.likelihood.gaussian_diag_log_prob` and
    :func:`~vae_lib.likelihood.gaussian_log_prob`. :meth:`fit` estimates the
    maximum-likelihood parameters: class frequencies, class means, and
    covariances with divisor :math:`n` (not :math:`n-1`).

    ``covariance="diag"`` is Gaussian *naive Bayes*: features independent given
    the class. ``shared=True`` pools the covariance over classes (weighted by
    class size), which makes the decision boundary linear: with ``"diag"`` it is
    the naive Bayes of Ng & Jordan (2002), the generative partner of logistic
    regression; with ``"full"`` it is linear discriminant analysis.
    ``var_smoothing`` adds ``var_smoothing`` × (largest per-feature variance of
    the training set) to every variance, as scikit-learn's ``GaussianNB`` does,
    so that a pixel that is constant in the training set does not get zero variance.

    Args:
        n_classes: number of classes K; by default the largest training label + 1.
        covariance: ``"diag"`` or ``"full"``.
        shared: one covariance for all classes instead of one per class.
        var_smoothing: non-negative variance floor, relative to the largest feature variance.

    :meth:`fit` sets, with ``B`` the batch shape of the training data: ``log_prior_``
    (:math:`\log p(y)`, shape ``(*B, K)``), ``means_`` (:math:`\boldsymbol\mu_y`, shape
    ``(*B, K, D)``) and ``covariances_`` (``(*B, K, D)``, the variances, if diagonal;
    ``(*B, K, D, D)`` if full).

    Example:
        >>> x = torch.tensor([[0.0], [1.0], [4.0], [5.0]])
        >>> clf = GaussianClassifier().fit(x, torch.tensor([0, 0, 1, 1]))
        >>> clf.means_.squeeze(-1).tolist(), clf.predict(torch.tensor([[0.5], [4.2]])).tolist()
        ([0.5, 4.5], [0, 1])
    """

    def __init__(
        self,
        n_classes: int | None = None,
        *,
        covariance: str = "diag",
        shared: bool = False,
        var_smoothing: float = 1e-9,
    ) -> None:
        if n_classes is not None:
            check_positive_int(n_classes, "n_classes")
        if covariance not in ("diag", "full"):
            raise ValueError(f"covariance must be 'diag' or 'full', got {covariance!r}")
        if not var_smoothing >= 0:
            raise ValueError(f"var_smoothing must be >= 0, got {var_smoothing}")
        self.n_classes, self.covariance, self.shared, self.var_smoothing = n_classes, covariance, shared, var_smoothing
        self.log_prior_ = self.means_ = self.covariances_ = None

    def fit(self, x: object, y: object) -> GaussianClassifier:
        r"""Maximum-likelihood estimates from ``x`` of shape ``(..., n, D)`` and integer labels ``y`` ``(..., n)``; returns ``self``.

        Leading dims of ``x`` and ``y`` index independent models. Every class
        ``0 … K-1`` must occur in every training set. The parameters take ``x``'s dtype and device.
        """
        x, y = _check_design(x, y)
        if y.is_floating_point() or y.dtype == torch.bool or (y < 0).any():
            raise ValueError("y must hold integer class labels 0, 1, 2, …")
        n_classes = int(y.max()) + 1 if self.n_classes is None else self.n_classes
        if (y >= n_classes).any():
            raise ValueError(f"y must hold integer class labels in 0..{n_classes - 1}")
        one_hot = F.one_hot(y.long(), n_classes).to(x.dtype)  # (..., n, K)
        counts = one_hot.sum(-2)  # (..., K)
        if (counts == 0).any():
            missing = int((counts == 0).nonzero()[0, -1])
            raise ValueError(f"class {missing} has no training examples; every class needs at least one")
        n = x.shape[-2]
        means = one_hot.transpose(-1, -2) @ x / counts[..., None]  # (..., K, D)
        centred = x[..., None, :, :] - means[..., :, None, :]  # (..., K, n, D): every row minus every class mean
        weights = one_hot.transpose(-1, -2)[..., None]  # (..., K, n, 1): keeps each row only in its own class
        if self.covariance == "diag":
            scatter = (weights * centred**2).sum(-2)  # (..., K, D)
        else:
            scatter = (weights * centred).transpose(-1, -2) @ centred  # (..., K, D, D)
        extra = scatter.dim() - counts.dim()
        if self.shared:
            cov = (scatter.sum(-1 - extra, keepdim=True) / n).expand_as(scatter)
        else:
            cov = scatter / counts.reshape(*counts.shape, *([1] * extra))
        epsilon = self.var_smoothing * x.var(dim=-2, correction=0).amax(-1)  # (...)
        if self.covariance == "diag":
            cov = cov + epsilon[..., None, None]
            if (cov <= 0).any():
                k, j = (int(i) for i in (cov <= 0).nonzero()[0, -2:])
                raise ValueError(f"feature {j} has zero variance in class {k}; use var_smoothing > 0")
        else:
            eye = torch.eye(x.shape[-1], dtype=x.dtype, device=x.device)
            cov = cov + epsilon[..., None, None, None] * eye
        self.log_prior_, self.means_, self.covariances_ = (counts / n).log(), means, cov
        return self

    def joint_log_prob(self, x: Tensor) -> Tensor:
        r""":math:`\log p(\mathbf{x}, y) = \log p(y) + \log p(\mathbf{x}\mid y)` for every class, shape ``(*B, M, K)``.

        ``x`` has shape ``(M, D)`` (or ``(*B, M, D)``, one set of rows per model).
        """
        means = _fitted(self, "means_")
        x = _check_features(x, means.shape[-1], means)[..., :, None, :]
        means = means[..., None, :, :]
        if self.covariance == "diag":
            log_lik = gaussian_diag_log_prob(x, means, self.covariances_.log()[..., None, :, :])
        else:
            log_lik = gaussian_log_prob(x, means, self.covariances_[..., None, :, :, :])
        return self.log_prior_[..., None, :] + log_lik

    def log_proba(self, x: Tensor) -> Tensor:
        r"""Bayes' rule, :math:`\log p(y\mid\mathbf{x}) = \log p(\mathbf{x}, y) - \log\sum_{y'} p(\mathbf{x}, y')`, shape ``(*B, M, K)``."""
        joint = self.joint_log_prob(x)
        return joint - torch.logsumexp(joint, dim=-1, keepdim=True)

    def predict(self, x: Tensor) -> Tensor:
        """The most probable class of each row of ``x``, shape ``(*B, M)``."""
        return self.joint_log_prob(x).argmax(dim=-1)


def _logistic_objective(logits: Tensor, y: Tensor, theta: Tensor, C: float) -> Tensor:
    """C × negative log-likelihood + ½‖w‖² (bias unpenalised), one value per model."""
    return -C * bernoulli_log_prob(y, logits) + 0.5 * (theta[..., :-1] ** 2).sum(-1)


class LogisticRegression:
    r"""A binary logistic regression :math:`p(y=1\mid\mathbf{x}) = \sigma(\mathbf{w}^\top\mathbf{x} + b)`, fitted by Newton's method.

    The discriminative route of section 1.1: model only
    :math:`p(y\mid\mathbf{x}) = \mathrm{Bernoulli}(y; \sigma(\mathbf{w}^\top\mathbf{x}+b))`,
    the Bernoulli of (1.18) with a linear "network" — (1.4) with two classes
    and no hidden layer. :meth:`fit` minimises scikit-learn's objective

    .. math:: C \sum_i -\log p(y_i\mid\mathbf{x}_i) + \tfrac12\lVert\mathbf{w}\rVert^2

    (the bias is not penalised), whose minimiser is unique. Each iteration
    solves the Newton system :math:`H\Delta = -\nabla` for every model in the
    batch at once and takes the largest step in :math:`1, \frac12, \frac14, \dots`
    that decreases the objective (backtracking, chosen per model), so it
    converges from zero even on separable data.

    Args:
        C: inverse regularisation strength (> 0), as in scikit-learn.
        max_iter: maximum number of Newton iterations.
        tol: stop once no Newton step :math:`\Delta` has an entry larger than ``tol``
            (or no step decreases any objective). The fit runs in float64 whatever
            the dtype of ``x``; the parameters come back in ``x``'s dtype.

    :meth:`fit` sets ``weight_`` of shape ``(*B, D)``, ``bias_`` ``(*B,)`` and
    ``n_iter_``, the number of Newton iterations run.

    Example:
        >>> x = torch.tensor([[-2.0], [-1.0], [1.0], [2.0]])
        >>> clf = LogisticRegression(C=1.0).fit(x, torch.tensor([0, 0, 1, 1]))
        >>> clf.predict(torch.tensor([[-0.5], [3.0]])).tolist()
        [0, 1]
    """

    def __init__(self, C: float = 1.0, *, max_iter: int = 100, tol: float = 1e-10) -> None:
        if not C > 0:
            raise ValueError(f"C must be > 0, got {C}")
        check_positive_int(max_iter, "max_iter")
        self.C, self.max_iter, self.tol = C, max_iter, tol
        self.weight_ = self.bias_ = self.n_iter_ = None

    def fit(self, x: object, y: object) -> LogisticRegression:
        """Fit to ``x`` of shape ``(..., n, D)`` and binary labels ``y`` (0 or 1) of shape ``(..., n)``; returns ``self``.

        Leading dims of ``x`` and ``y`` index independent models.
        """
        x, y = _check_design(x, y)
        y = as_float_tensor(y, "y").double()
        check_binary(y, "y")
        C = self.C
        ones = torch.ones_like(x[..., :1], dtype=torch.float64)
        design = torch.cat([x.double(), ones], dim=-1)  # bias column last
        penalty = torch.ones(design.shape[-1], dtype=torch.float64, device=x.device)
        penalty[-1] = 0.0
        # backtracking candidates, largest first; the final 0 (stay put) when none decreases the objective
        step_sizes = torch.cat([0.5 ** torch.arange(30, dtype=torch.float64, device=x.device), penalty.new_zeros(1)])
        theta = penalty.new_zeros(*x.shape[:-2], design.shape[-1])
        logits = torch.zeros_like(y)
        objective = _logistic_objective(logits, y, theta, C)
        self.n_iter_ = 0
        for _ in range(self.max_iter):
            p = torch.sigmoid(logits)
            grad = C * (design.transpose(-1, -2) @ (p - y)[..., None]).squeeze(-1) + penalty * theta
            hess = C * design.transpose(-1, -2) @ (design * (p * (1 - p))[..., None]) + torch.diag(penalty)
            step = -torch.linalg.solve(hess, grad)
            if step.abs().max() <= self.tol:
                break
            step_logits = (design @ step[..., None]).squeeze(-1)
            t = step_sizes.reshape(-1, *([1] * theta.dim()))  # (S, 1, ..., 1)
            values = _logistic_objective(logits + t * step_logits, y, theta + t * step, C)  # (S, ...)
            chosen = step_sizes[(values < objective).to(torch.int8).argmax(0)]  # largest step that decreases it
            if (chosen == 0).all():
                break
            theta = theta + chosen[..., None] * step
            logits = logits + chosen[..., None] * step_logits
            objective = _logistic_objective(logits, y, theta, C)
            self.n_iter_ += 1
        theta = theta.to(x.dtype)
        self.weight_, self.bias_ = theta[..., :-1], theta[..., -1]
        return self

    def logits(self, x: Tensor) -> Tensor:
        r"""Log-odds :math:`\mathbf{w}^\top\mathbf{x} + b`, shape ``(*B, M)`` for ``x`` of shape ``(M, D)`` or ``(*B, M, D)``."""
        weight = _fitted(self, "weight_")
        x = _check_features(x, weight.shape[-1], weight)
        return (x @ weight[..., :, None]).squeeze(-1) + self.bias_[..., None]

    def log_proba(self, x: Tensor) -> Tensor:
        r""":math:`\log p(y\mid\mathbf{x})` for :math:`y = 0, 1`, shape ``(*B, M, 2)``."""
        logits = self.logits(x)
        return torch.stack([F.logsigmoid(-logits), F.logsigmoid(logits)], dim=-1)

    def predict(self, x: Tensor) -> Tensor:
        """Predicted labels (1 where the log-odds are positive), shape ``(*B, M)``."""
        return (self.logits(x) > 0).long()


def learning_curve(
    fit_predict: Callable[[Tensor, Tensor, Tensor], Tensor],
    x_pool: Tensor,
    y_pool: Tensor,
    x_test: Tensor,
    y_test: Tensor,
    sizes: Sequence[int],
    n_seeds: int,
    generator: torch.Generator | None = None,
) -> Tensor:
    r"""Test error against training-set size, shape ``(n_seeds, len(sizes))``.

    For each of ``n_seeds`` random orders of the pool, the training set of size
    ``n`` holds the first ``n / K`` examples of every class in that order (balanced
    classes; the sets for growing ``n`` are nested, which smooths each curve).
    All seeds are trained at once: ``fit_predict(x_train, y_train, x_test)``
    receives ``x_train`` of shape ``(n_seeds, n, D)`` and ``y_train``
    ``(n_seeds, n)`` and returns predicted labels ``(n_seeds, M)`` for the ``M`` test rows.

    Args:
        fit_predict: trains one model per seed and predicts ``x_test``.
        x_pool, y_pool: the examples training sets are drawn from, ``(N, D)`` and ``(N,)``,
            with labels ``0 … K-1``.
        x_test, y_test: held-out examples, ``(M, D)`` and ``(M,)``.
        sizes: training-set sizes; each a multiple of the number of classes K, at
            most K × (size of the smallest class in the pool).
        n_seeds: number of random training sets per size.
        generator: makes the draws reproducible.

    Example:
        >>> x = torch.tensor([[0.0], [0.1], [0.2], [1.0], [1.1], [1.2]])
        >>> y = torch.tensor([0, 0, 0, 1, 1, 1])
        >>> def nearest_mean(xt, yt, xs):
        ...     return GaussianClassifier(shared=True, var_smoothing=1.0).fit(xt, yt).predict(xs)
        >>> learning_curve(nearest_mean, x, y, x, y, [2, 4], n_seeds=3)
        tensor([[0., 0.],
                [0., 0.],
                [0., 0.]])
    """
    x_pool, y_pool = _check_design(x_pool, y_pool)
    x_test, y_test = _check_design(x_test, y_test)
    check_positive_int(n_seeds, "n_seeds")
    if not sizes:
        raise ValueError("sizes is empty; give at least one training-set size")
    classes, class_sizes = torch.unique(y_pool, return_counts=True)
    n_classes = len(classes)
    if not torch.equal(classes, torch.arange(n_classes, device=classes.device)):
        raise ValueError(f"y_pool must hold the labels 0..K-1 (K = number of classes), found {classes.tolist()}")
    for n in sizes:
        check_positive_int(n, "every entry of sizes", upper=n_classes * int(class_sizes.min()))
        if n % n_classes:
            raise ValueError(f"every entry of sizes must be a multiple of the number of classes {n_classes}, got {n}")
    device = generator_device(generator, x_pool.device)  # one random order of the pool per seed:
    order = torch.rand(n_seeds, len(y_pool), generator=generator, device=device).argsort(dim=-1).to(x_pool.device)
    one_hot = (y_pool[order][..., None] == classes).long()  # (S, N, K), rows in each seed's order
    rank_in_class = ((one_hot.cumsum(-2) - 1) * one_hot).sum(-1)  # 0 for a class's first example in that order
    errors = []
    for n in sizes:
        chosen = order[rank_in_class < n // n_classes].reshape(n_seeds, n)
        predictions = fit_predict(x_pool[chosen], y_pool[chosen], x_test)
        errors.append((predictions != y_test).to(x_test.dtype).mean(-1))
    return torch.stack(errors, dim=-1)
