r"""Bayesian estimates for fully observed models (section 1.6.3) and the exact
sampling statistics of the minibatch estimator (1.11)–(1.12).

* :func:`beta_bernoulli_posterior` — the conjugate posterior of a Bernoulli
  probability (one pixel of a binary image), a ``torch.distributions.Beta``.
* :func:`gaussian_mean_posterior` — the conjugate posterior of a Gaussian mean
  with known noise variance, a ``torch.distributions.Normal``.
* :func:`credible_interval` — the central interval holding a given posterior mass.
* :func:`gaussian_log_prior` and :func:`weight_decay_from_prior` — MAP with a
  Gaussian prior on the weights is maximum likelihood plus weight decay.
* :func:`all_minibatch_means` and :func:`minibatch_variance` — every minibatch
  objective of a small dataset, and the exact variance of a random one.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Iterable

import numpy as np
import torch
from scipy import special
from torch import Tensor
from torch.distributions import Beta, Distribution, Normal

from vae_lib.checks import as_float_tensor, check_binary, check_finite, check_nonempty, check_positive_int, common_float
from vae_lib.likelihood import gaussian_diag_log_prob

MAX_MINIBATCHES = 1_000_000


def _check_positive(value: float, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")


def _data_tensor(x: object, name: str) -> Tensor:
    x = as_float_tensor(x, name)
    if x.dim() == 0:
        raise ValueError(f"{name} must have a leading data-point dimension, got a scalar")
    check_nonempty(x, name)
    check_finite(x, name)
    return x


def _counts(x: Tensor, running: bool) -> tuple[Tensor, Tensor]:
    """Sums over data points and how many there are: after each point if ``running``, else in total."""
    n = torch.arange(1, x.shape[0] + 1, dtype=x.dtype, device=x.device).reshape(-1, *([1] * (x.dim() - 1)))
    if running:
        return x.cumsum(0), n.expand_as(x)
    return x.sum(0), n[-1].expand_as(x[0])


def credible_interval(posterior: Distribution, mass: float = 0.95) -> tuple[Tensor, Tensor]:
    r"""Central credible interval holding ``mass`` of a posterior (equal tails), one per batch entry.

    The quantiles :math:`\frac{1-m}{2}` and :math:`\frac{1+m}{2}`: from
    ``posterior.icdf`` where torch has it (``Normal``), and from SciPy's inverse
    regularised incomplete beta function for a ``Beta`` (which has no ``icdf`` in
    torch), back in the posterior's dtype and on its device.

    Example:
        >>> lo, hi = credible_interval(torch.distributions.Normal(torch.tensor(0.0), torch.tensor(1.0)))
        >>> round(lo.item(), 3), round(hi.item(), 3)
        (-1.96, 1.96)
    """
    if not 0.0 < mass < 1.0:
        raise ValueError(f"mass must be in (0, 1), got {mass!r}")
    tail = (1 - mass) / 2
    if isinstance(posterior, Beta):
        a, b = posterior.concentration1, posterior.concentration0
        quantiles = np.array([tail, 1 - tail]).reshape(2, *([1] * a.dim()))
        bounds = special.betaincinv(a.detach().cpu().numpy(), b.detach().cpu().numpy(), quantiles)
        lo, hi = (torch.as_tensor(v, dtype=a.dtype, device=a.device) for v in bounds)
        return lo, hi
    if not isinstance(posterior, Distribution):
        raise ValueError(f"posterior must be a torch.distributions.Distribution, got {type(posterior).__name__}")
    try:
        like = posterior.mean
        return tuple(posterior.icdf(torch.tensor(q, dtype=like.dtype, device=like.device)) for q in (tail, 1 - tail))
    except NotImplementedError as err:
        raise ValueError(f"{type(posterior).__name__} has no icdf; no credible interval for it") from err


def beta_bernoulli_posterior(x: Tensor, prior_a: float = 1.0, prior_b: float = 1.0, running: bool = False) -> Beta:
    r"""Exact posterior over Bernoulli probabilities θ from binary data, under a Beta prior.

    Implements Bayesian inference (section 1.6.3) for the i.i.d. likelihood (1.10) of
    :math:`x^{(i)} \sim \mathrm{Bernoulli}(\theta)`: with :math:`k` ones in
    :math:`n` observations, the prior :math:`\mathrm{Beta}(a_0, b_0)` is conjugate
    and the posterior is :math:`\mathrm{Beta}(a_0 + k,\ b_0 + n - k)`.

    Args:
        x: binary data, shape ``(N, ...)``; every trailing position (e.g. each
            pixel) gets its own θ.
        prior_a, prior_b: prior pseudo-counts of ones and zeros (1, 1 = uniform).
        running: if True, return the posterior after each of the first
            ``1 … N`` data points (a leading batch dimension of size ``N``)
            instead of only after all of them.

    Returns:
        A ``torch.distributions.Beta`` (``concentration1`` = :math:`a`,
        ``concentration0`` = :math:`b`) in ``x``'s dtype and on its device: ``mean``,
        ``mode`` (the MAP estimate :math:`(a-1)/(a+b-2)`), ``stddev``, ``log_prob``,
        ``sample``; :func:`credible_interval`. The maximum-likelihood estimate
        :math:`k/n` is the mean of ``x`` (:func:`vae_lib.estimators.running_mean` if running).

    Example:
        >>> post = beta_bernoulli_posterior(torch.tensor([1.0, 0.0, 0.0, 0.0]), prior_a=2.0, prior_b=2.0)
        >>> post.concentration1.item(), post.concentration0.item(), round(post.mode.item(), 4), post.mean.item()
        (3.0, 5.0, 0.3333, 0.375)
    """
    x = _data_tensor(x, "x")
    check_binary(x, "x")
    _check_positive(prior_a, "prior_a")
    _check_positive(prior_b, "prior_b")
    ones, n = _counts(x, running)
    return Beta(prior_a + ones, prior_b + n - ones)


def gaussian_mean_posterior(
    x: Tensor, noise_std: float, prior_mean: float = 0.0, prior_std: float = 1.0, running: bool = False
) -> Normal:
    r"""Exact posterior over the mean μ of Gaussian data with known noise standard deviation.

    Implements Bayesian inference (section 1.6.3) for the i.i.d. likelihood (1.10) of
    :math:`x^{(i)} \sim \mathcal{N}(\mu, \sigma^2)` with prior
    :math:`\mu \sim \mathcal{N}(m_0, s_0^2)`: precisions add,

    .. math::
        \frac{1}{v} = \frac{1}{s_0^2} + \frac{n}{\sigma^2}, \qquad
        m = v\left(\frac{m_0}{s_0^2} + \frac{\sum_i x^{(i)}}{\sigma^2}\right).

    Args:
        x: data, shape ``(N, ...)``; every trailing position gets its own μ.
        noise_std: the known σ of each observation.
        prior_mean, prior_std: :math:`m_0` and :math:`s_0` of the prior.
        running: if True, return the posterior after each of the first ``1 … N`` points.

    Returns:
        A ``torch.distributions.Normal`` in ``x``'s dtype and on its device, whose
        ``mean`` is also its ``mode`` (the MAP estimate); :func:`credible_interval`.
        The maximum-likelihood estimate is the sample mean of ``x``
        (:func:`vae_lib.estimators.running_mean` if running).

    Example:
        >>> post = gaussian_mean_posterior(torch.tensor([2.0, 4.0]), noise_std=1.0, prior_mean=0.0, prior_std=1.0)
        >>> post.mean.item(), round(post.variance.item(), 4)
        (2.0, 0.3333)
    """
    x = _data_tensor(x, "x")
    _check_positive(noise_std, "noise_std")
    _check_positive(prior_std, "prior_std")
    if not math.isfinite(prior_mean):
        raise ValueError(f"prior_mean must be finite, got {prior_mean!r}")
    total, n = _counts(x, running)
    precision = 1 / prior_std**2 + n / noise_std**2
    mean = (prior_mean / prior_std**2 + total / noise_std**2) / precision
    return Normal(mean, precision.rsqrt())


def gaussian_log_prior(params: Iterable[Tensor], prior_std: float) -> Tensor:
    r"""Log-density of an isotropic Gaussian prior :math:`\log \mathcal{N}(\theta; 0, \sigma_p^2 I)` over all parameters.

    Implements the log-prior term of MAP estimation (section 1.6.3), added to (1.10):
    :math:`\log p(\theta \mid \mathcal{D}) = \log p_\theta(\mathcal{D}) + \log p(\theta) + \text{const}`,
    with :math:`\log p(\theta) = -\lVert\theta\rVert^2 / (2\sigma_p^2) + \text{const}`.
    Differentiable, so it can be added to a training loss.

    Example:
        >>> gaussian_log_prior([torch.zeros(2), torch.zeros(1)], prior_std=1.0)
        tensor(-2.7568)
    """
    _check_positive(prior_std, "prior_std")
    params = list(params)
    if not params:
        raise ValueError("params is empty: the prior needs at least one parameter")
    flat = common_float(**{f"params[{i}]": p for i, p in enumerate(params)})
    theta = torch.cat([p.flatten() for p in flat])
    if theta.numel() == 0:
        raise ValueError("params is empty: the prior needs at least one parameter")
    check_finite(theta, "params")
    log_var = torch.full_like(theta, 2 * math.log(prior_std))
    return gaussian_diag_log_prob(theta, torch.zeros_like(theta), log_var)


def weight_decay_from_prior(prior_std: float, n_data: int) -> float:
    r"""The weight decay λ that turns ML training into MAP with a :math:`\mathcal{N}(0, \sigma_p^2 I)` prior.

    Implements MAP (section 1.6.3) as weight decay. Training minimises the
    per-example loss :math:`-\frac{1}{N}\log p_\theta(\mathcal{D})` (the (1.11)
    scaling); MAP adds :math:`-\frac{1}{N}\log p(\theta) = \frac{\lVert\theta\rVert^2}{2N\sigma_p^2}`,
    whose gradient :math:`\theta/(N\sigma_p^2)` is exactly the term ``weight_decay * θ``
    that ``torch.optim.SGD`` / ``Adam`` add. So :math:`\lambda = 1/(N\sigma_p^2)`
    (not for ``AdamW``, whose decoupled decay is not a gradient of a prior).

    Example:
        >>> weight_decay_from_prior(prior_std=0.5, n_data=100)
        0.04
    """
    _check_positive(prior_std, "prior_std")
    check_positive_int(n_data, "n_data")
    return 1.0 / (n_data * prior_std**2)


def all_minibatch_means(values: Tensor, batch_size: int) -> Tensor:
    r"""The minibatch average (1.11)/(1.12) for *every* minibatch of ``batch_size`` distinct rows.

    Implements the right-hand sides of (1.11) and (1.12) by exhaustive enumeration:
    for per-example values :math:`v_i` (log-likelihoods, or their gradients as
    rows), returns :math:`\frac{1}{N_\mathcal{M}}\sum_{i\in\mathcal{M}} v_i` for all
    :math:`\binom{N_\mathcal{D}}{N_\mathcal{M}}` subsets :math:`\mathcal{M}`, in
    lexicographic order: exact enumeration of the estimator's distribution.

    Args:
        values: shape ``(N, ...)``, one row per data point.
        batch_size: :math:`N_\mathcal{M}`, between 1 and ``N``.

    Returns:
        Tensor of shape ``(C, ...)`` with ``C = comb(N, batch_size)``.

    Raises:
        ValueError: for empty ``values``, a batch size outside ``1..N``, or more
            than ``MAX_MINIBATCHES`` subsets.

    Example:
        >>> all_minibatch_means(torch.tensor([1.0, 2.0, 6.0]), batch_size=2)
        tensor([1.5000, 3.5000, 4.0000])
    """
    values = _data_tensor(values, "values")
    n = values.shape[0]
    check_positive_int(batch_size, "batch_size", upper=n)
    count = math.comb(n, batch_size)
    if count > MAX_MINIBATCHES:
        raise ValueError(
            f"comb({n}, {batch_size}) = {count} minibatches is more than {MAX_MINIBATCHES}; use a smaller dataset"
        )
    index = torch.tensor(list(itertools.combinations(range(n), batch_size)), dtype=torch.long, device=values.device)
    return values[index].mean(1)


def minibatch_variance(values: Tensor, batch_size: int) -> Tensor:
    r"""Exact variance of the minibatch average of ``values`` over a random minibatch without replacement.

    Implements the variance of the estimator (1.11): with :math:`N_\mathcal{M}`
    rows drawn uniformly without replacement from :math:`N_\mathcal{D}`,

    .. math::
        \operatorname{Var} = \frac{\sigma^2}{N_\mathcal{M}} \cdot \frac{N_\mathcal{D} - N_\mathcal{M}}{N_\mathcal{D} - 1},

    where :math:`\sigma^2 = \frac{1}{N_\mathcal{D}}\sum_i (v_i - \bar v)^2` is the
    population variance of the per-example values. The second factor (the finite
    population correction) makes the variance 0 at :math:`N_\mathcal{M} = N_\mathcal{D}`.

    Args:
        values: per-example values, shape ``(N, ...)`` (one variance per trailing position).
        batch_size: :math:`N_\mathcal{M}`, between 1 and ``N``.

    Example:
        >>> minibatch_variance(torch.tensor([1.0, 2.0, 6.0]), batch_size=2)
        tensor(1.1667)
    """
    values = _data_tensor(values, "values")
    n = values.shape[0]
    check_positive_int(batch_size, "batch_size", upper=n)
    sigma2 = values.var(0, correction=0)
    correction = (n - batch_size) / (n - 1) if n > 1 else 0.0
    return sigma2 / batch_size * correction
