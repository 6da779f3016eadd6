r"""Kullback–Leibler divergences: how far a model :math:`p_\theta` is from the truth :math:`p^*`.

The approximation :math:`p_\theta(\mathbf{x}) \approx p^*(\mathbf{x})` of (1.2)
(and :math:`p_\theta(\mathbf{y}\mid\mathbf{x}) \approx p^*(\mathbf{y}\mid\mathbf{x})` of (1.3))
is made quantitative by

.. math::
    D_{KL}(p^* \,\|\, p_\theta) = \mathbb{E}_{p^*(\mathbf{x})}\left[\log p^*(\mathbf{x}) - \log p_\theta(\mathbf{x})\right] \ge 0,

zero exactly when the two distributions agree.

* :func:`kl_normal` — closed form between (diagonal) Gaussians.
* :func:`kl_categorical` — exact sum over the classes of two categorical
  distributions (e.g. two joints enumerated over every state of a small graph).
* :func:`monte_carlo_kl` — the general case: an average of log-density
  differences over samples of :math:`p^*`, with its standard error.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

from vae_lib.checks import broadcast_shape, check_finite, check_nonempty, common_float


def kl_normal(mean_p: Tensor, log_var_p: Tensor, mean_q: Tensor, log_var_q: Tensor, event_dims: int = 0) -> Tensor:
    r"""Closed-form :math:`D_{KL}(\mathcal{N}(\mu_p, \sigma_p^2)\,\|\,\mathcal{N}(\mu_q, \sigma_q^2))`, elementwise.

    Measures the gap in (1.2)–(1.3) when both distributions are Gaussian:

    .. math::
        \tfrac12\left[\log\frac{\sigma_q^2}{\sigma_p^2} + \frac{\sigma_p^2 + (\mu_p-\mu_q)^2}{\sigma_q^2} - 1\right]

    Args:
        mean_p, log_var_p: mean and log-variance of :math:`p` (the truth).
        mean_q, log_var_q: mean and log-variance of :math:`q` (the model); all four broadcast.
        event_dims: how many trailing dimensions form one (diagonal-Gaussian) random
            vector, summed over; 0 for independent scalar Gaussians.

    Example:
        >>> round(kl_normal(torch.tensor(0.0), torch.tensor(0.0), torch.tensor(1.0), torch.tensor(0.0)).item(), 4)
        0.5
    """
    args = {"mean_p": mean_p, "log_var_p": log_var_p, "mean_q": mean_q, "log_var_q": log_var_q}
    tensors = dict(zip(args, common_float(**args), strict=True))
    shape = broadcast_shape(**tensors)
    for name, value in tensors.items():
        check_finite(value, name)
    if not 0 <= event_dims <= len(shape):
        raise ValueError(f"event_dims must be between 0 and {len(shape)}, got {event_dims}")
    mp, lvp, mq, lvq = tensors.values()
    kl = 0.5 * (lvq - lvp + (torch.exp(lvp) + (mp - mq) ** 2) * torch.exp(-lvq) - 1)
    return kl.sum(dim=tuple(range(-event_dims, 0))) if event_dims else kl


def kl_categorical(logits_p: Tensor, logits_q: Tensor) -> Tensor:
    r"""Exact :math:`D_{KL}(p\,\|\,q) = \sum_k p_k(\log p_k - \log q_k)` between categoricals given by logits.

    Measures the gap in (1.2) for discrete variables. Both arguments are
    unnormalised log-probabilities over the last dimension (``log_softmax`` is
    applied), so an enumerated log-joint such as a graphical model's can be passed
    directly. Classes with :math:`p_k` underflowing to 0 contribute 0.

    Example:
        >>> p, q = torch.log(torch.tensor([0.5, 0.5])), torch.log(torch.tensor([0.9, 0.1]))
        >>> round(kl_categorical(p, q).item(), 4)
        0.5108
    """
    logits_p, logits_q = common_float(logits_p=logits_p, logits_q=logits_q)
    for value, name in ((logits_p, "logits_p"), (logits_q, "logits_q")):
        if value.dim() == 0:
            raise ValueError(f"{name} must have a class dimension (shape (..., K)), got a scalar")
        check_nonempty(value, name)
        check_finite(value, name)
    if logits_p.shape[-1] != logits_q.shape[-1]:
        raise ValueError(
            f"logits_p and logits_q must have the same number of classes, got {logits_p.shape[-1]} and {logits_q.shape[-1]}"
        )
    broadcast_shape(logits_p=logits_p, logits_q=logits_q)
    log_p = torch.log_softmax(logits_p, dim=-1)
    log_q = torch.log_softmax(logits_q, dim=-1)
    return (torch.exp(log_p) * (log_p - log_q)).sum(-1)


class KLEstimate(NamedTuple):
    """A Monte Carlo estimate and its standard error (same shape), as returned by :func:`monte_carlo_kl`.

    Example:
        >>> est = KLEstimate(torch.tensor(0.5), torch.tensor(0.01))
        >>> f"{est.estimate.item():.2f} ± {2 * est.stderr.item():.2f}"
        '0.50 ± 0.02'
    """

    estimate: Tensor
    stderr: Tensor


def monte_carlo_kl(log_p: Tensor, log_q: Tensor) -> KLEstimate:
    r"""Monte Carlo estimate of :math:`D_{KL}(p\,\|\,q)` from log-densities at samples :math:`\mathbf{x}_i \sim p`.

    Measures the gap in (1.2) when no closed form exists:

    .. math::
        \hat D = \frac1S \sum_{i=1}^S \left[\log p(\mathbf{x}_i) - \log q(\mathbf{x}_i)\right],
        \qquad \mathrm{se}(\hat D) = \frac{\mathrm{sd}_i\left[\log p(\mathbf{x}_i) - \log q(\mathbf{x}_i)\right]}{\sqrt S}.

    :math:`\hat D` is unbiased; the standard error says how far it typically is
    from the true KL (report :math:`\hat D \pm 2\,\mathrm{se}`). With few samples
    or a nearly perfect :math:`q` it can come out slightly negative.

    Args:
        log_p: :math:`\log p(\mathbf{x}_i)` for the samples, shape ``(S, ...)``
            (samples first; further dimensions, e.g. several models, are kept).
        log_q: :math:`\log q(\mathbf{x}_i)` at the *same* samples, broadcastable with ``log_p``.

    Returns:
        :class:`KLEstimate` ``(estimate, stderr)``, each of shape ``(...)``.

    Example:
        >>> est = monte_carlo_kl(torch.tensor([-1.0, -2.0, -1.5]), torch.tensor([-2.0, -2.5, -2.5]))
        >>> round(est.estimate.item(), 4), round(est.stderr.item(), 4)
        (0.8333, 0.1667)
    """
    log_p, log_q = common_float(log_p=log_p, log_q=log_q)
    shape = broadcast_shape(log_p=log_p, log_q=log_q)
    if len(shape) == 0 or shape[0] < 2:
        raise ValueError(f"need at least 2 samples along dim 0 to estimate a standard error, got shape {tuple(shape)}")
    for value, name in ((log_p, "log_p"), (log_q, "log_q")):
        check_finite(value, name)
    diff = log_p - log_q
    n = shape[0]
    return KLEstimate(diff.mean(0), diff.std(0) / n**0.5)
