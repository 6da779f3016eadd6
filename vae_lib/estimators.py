"""Estimates of the marginal likelihood :math:`\\log p_\\theta(\\mathbf{x})` of (1.13).

All functions are batched over data points *and* samples (no Python loops
over either). A *proposal* is a callable ``proposal(x, n_samples)`` returning
``(z, log_q)``: samples of shape ``(n_samples, N, d)`` and their log-density
``(n_samples, N)``. Importance sampling with the prior as proposal is the naive
Monte Carlo estimator; with the exact posterior (1.19) it has zero variance.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

from vae_lib.checks import check_positive_int
from vae_lib.likelihood import gaussian_diag_log_prob, standard_normal_log_prob
from vae_lib.models import GaussianEncoder, reparameterize

Proposal = Callable[[Tensor, int], tuple[Tensor, Tensor]]
LogJoint = Callable[[Tensor, Tensor], Tensor]


def log_mean_exp(values: Tensor, dim: int = 0) -> Tensor:
    r""":math:`\log \frac1K \sum_k e^{v_k}`, computed stably with ``logsumexp``.

    Example:
        >>> log_mean_exp(torch.tensor([0.0, 0.0, 0.0]))
        tensor(0.)
    """
    if values.dim() == 0 or values.shape[dim] == 0:
        raise ValueError(f"values must have at least one entry along dim {dim}, got shape {tuple(values.shape)}")
    return torch.logsumexp(values, dim=dim) - math.log(values.shape[dim])


def effective_sample_size(log_weights: Tensor, dim: int = 0) -> Tensor:
    r"""Kish's effective sample size :math:`(\sum_k w_k)^2 / \sum_k w_k^2` from log-weights.

    Between 1 (one sample carries all the weight) and K (all weights equal).

    Example:
        >>> effective_sample_size(torch.zeros(10))
        tensor(10.)
    """
    if log_weights.dim() == 0 or log_weights.shape[dim] == 0:
        raise ValueError(f"log_weights must have at least one entry along dim {dim}")
    return torch.exp(2 * torch.logsumexp(log_weights, dim=dim) - torch.logsumexp(2 * log_weights, dim=dim))


def prior_proposal(z_dim: int, generator: torch.Generator | None = None) -> Proposal:
    r"""The prior :math:`p(\mathbf{z}) = \mathcal{N}(0, \mathbf{I})` (1.15) as a proposal: naive Monte Carlo.

    Example:
        >>> z, log_q = prior_proposal(2)(torch.zeros(5, 4), 3)
        >>> z.shape, log_q.shape
        (torch.Size([3, 5, 2]), torch.Size([3, 5]))
    """
    check_positive_int(z_dim, "z_dim")

    def proposal(x: Tensor, n_samples: int) -> tuple[Tensor, Tensor]:
        check_positive_int(n_samples, "n_samples")
        z = torch.randn(n_samples, x.shape[0], z_dim, generator=generator, dtype=x.dtype)
        return z, standard_normal_log_prob(z)

    return proposal


def encoder_proposal(encoder: GaussianEncoder, generator: torch.Generator | None = None) -> Proposal:
    r"""A recognition model :math:`q_\phi(\mathbf{z}\mid\mathbf{x})` as a proposal (the VAE's choice).

    Example:
        >>> z, log_q = encoder_proposal(GaussianEncoder(4, [8], 2))(torch.zeros(5, 4), 3)
        >>> z.shape, log_q.shape
        (torch.Size([3, 5, 2]), torch.Size([3, 5]))
    """

    def proposal(x: Tensor, n_samples: int) -> tuple[Tensor, Tensor]:
        mean, log_var = encoder(x)
        z = reparameterize(mean, log_var, n_samples, generator)
        return z, gaussian_diag_log_prob(z, mean, log_var)

    return proposal


def log_importance_weights(log_joint: LogJoint, x: Tensor, proposal: Proposal, n_samples: int) -> Tensor:
    r"""Log-weights :math:`\log p_\theta(\mathbf{x}, \mathbf{z}_k) - \log q(\mathbf{z}_k)`, shape ``(n_samples, N)``.

    ``log_joint(x, z)`` must accept ``x`` of shape ``(N, D)`` and ``z`` of shape
    ``(K, N, d)`` and return ``(K, N)`` (e.g. :meth:`vae_lib.models.DLVM.log_joint`).
    """
    check_positive_int(n_samples, "n_samples")
    if x.dim() != 2 or x.shape[0] == 0:
        raise ValueError(f"x must have shape (N, D) with N >= 1, got {tuple(x.shape)}")
    z, log_q = proposal(x, n_samples)
    log_w = log_joint(x, z) - log_q
    if log_w.shape != (n_samples, x.shape[0]):
        raise ValueError(
            f"log_joint(x, z) - log_q must have shape ({n_samples}, {x.shape[0]}), got {tuple(log_w.shape)}"
        )
    return log_w


@torch.no_grad()
def importance_log_marginal(
    log_joint: LogJoint, x: Tensor, proposal: Proposal, n_samples: int, chunk_size: int | None = None
) -> Tensor:
    r"""Importance-sampled :math:`\log p_\theta(\mathbf{x})` for every row of ``x``, shape ``(N,)``.

    .. math::
        \log \hat p(\mathbf{x}) = \log \frac1K \sum_{k=1}^K \frac{p_\theta(\mathbf{x}, \mathbf{z}_k)}{q(\mathbf{z}_k)},
        \qquad \mathbf{z}_k \sim q

    an estimate of the integral (1.13). Unbiased for :math:`p(\mathbf{x})`; its
    log is biased low (Jensen), less so as K grows. Samples are drawn in chunks
    of ``chunk_size`` (all at once if ``None``) to bound peak memory; the
    result combines the chunks' ``logsumexp`` exactly.

    Example:
        >>> from vae_lib.models import DLVM, BernoulliDecoder
        >>> model = DLVM(BernoulliDecoder(2, [8], 4))
        >>> importance_log_marginal(model.log_joint, torch.ones(3, 4), prior_proposal(2), 100).shape
        torch.Size([3])
    """
    check_positive_int(n_samples, "n_samples")
    chunk_size = n_samples if chunk_size is None else chunk_size
    check_positive_int(chunk_size, "chunk_size")
    parts = [
        torch.logsumexp(log_importance_weights(log_joint, x, proposal, min(chunk_size, n_samples - start)), dim=0)
        for start in range(0, n_samples, chunk_size)
    ]
    return torch.logsumexp(torch.stack(parts), dim=0) - math.log(n_samples)
