"""Log-likelihoods in log space: Bernoulli, categorical and Gaussian, and the
dataset objective with its minibatch estimator.

Every function returns log-probabilities (never raw probabilities, which
underflow) and validates its input: binary ``x`` for a Bernoulli, probabilities
in [0, 1], broadcastable shapes, finite values.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from vae_lib.checks import (
    InputTypeError,
    as_float_tensor,
    as_tensor,
    broadcast_shape,
    check_binary,
    check_finite,
    check_nonempty,
    check_positive_int,
    check_probabilities,
    common_float,
    generator_device,
)

LOG_2PI = math.log(2 * math.pi)


def _sum_event(values: Tensor, event_dims: int) -> Tensor:
    if event_dims < 0 or event_dims > values.dim():
        raise ValueError(f"event_dims must be between 0 and {values.dim()}, got {event_dims}")
    return values.sum(dim=tuple(range(-event_dims, 0))) if event_dims else values


def bernoulli_log_prob(x: Tensor, logits: Tensor, event_dims: int = 1) -> Tensor:
    r"""Bernoulli log-likelihood from logits, summed over the last ``event_dims`` dims.

    Implements (1.17)–(1.18) in the numerically stable logits form:
    with :math:`p_j = \sigma(l_j)`,

    .. math::
        \sum_j x_j \log p_j + (1 - x_j)\log(1 - p_j) = \sum_j x_j l_j - \operatorname{softplus}(l_j),

    which stays finite for logits of any size (e.g. ±100 in float32), where
    ``log(sigmoid(l))`` would return ``-inf``.

    Args:
        x: binary data (0 or 1), any shape broadcastable with ``logits``.
        logits: unnormalised log-odds :math:`l = \log p - \log(1-p)`.
        event_dims: how many trailing dimensions form one data point
            (1 for a vector x as in (1.17); 0 for element-wise values).

    Returns:
        Tensor of log-probabilities with the trailing ``event_dims`` dims summed out.

    Example:
        >>> bernoulli_log_prob(torch.tensor([1.0, 0.0]), torch.tensor([0.0, 0.0]))
        tensor(-1.3863)
    """
    x, logits = common_float(x=x, logits=logits)
    broadcast_shape(x=x, logits=logits)
    check_finite(logits, "logits")
    check_binary(x, "x")
    return _sum_event((x * logits).sub_(F.softplus(logits)), event_dims)


def bernoulli_log_prob_from_probs(x: Tensor, probs: Tensor, event_dims: int = 1) -> Tensor:
    r"""Bernoulli log-likelihood from probabilities, summed over the last ``event_dims`` dims.

    Implements (1.18) literally,
    :math:`\sum_j x_j \log p_j + (1 - x_j)\log(1 - p_j)`, with the convention
    :math:`0 \log 0 = 0` (``torch.xlogy``), so ``p_j = 0`` with ``x_j = 0`` costs
    nothing and ``p_j = 0`` with ``x_j = 1`` gives ``-inf`` (the exact answer),
    never NaN. Prefer :func:`bernoulli_log_prob` (logits) inside models: a
    sigmoid that saturates to exactly 0 or 1 makes this form return ``-inf``.

    Example:
        >>> bernoulli_log_prob_from_probs(torch.tensor([1.0, 0.0]), torch.tensor([0.5, 0.5]))
        tensor(-1.3863)
    """
    x, probs = common_float(x=x, probs=probs)
    broadcast_shape(x=x, probs=probs)
    check_probabilities(probs, "probs")
    check_binary(x, "x")
    return _sum_event(torch.xlogy(x, probs) + torch.xlogy(1 - x, 1 - probs), event_dims)


def categorical_log_prob(y: Tensor, logits: Tensor) -> Tensor:
    r"""Categorical log-likelihood :math:`\log \mathrm{Categorical}(y; \mathbf{p})`.

    Implements (1.5) with :math:`\mathbf{p} = \operatorname{softmax}(\text{logits})`
    (the last layer of (1.4)), computed as ``log_softmax`` so that large logits
    never produce ``log(0)``.

    Args:
        y: integer class labels, shape ``(...)``, values in ``0 … K-1``.
        logits: shape ``(..., K)``, broadcastable with ``y`` over the batch dims.

    Returns:
        Tensor of shape ``(...)``: one log-probability per label.

    Example:
        >>> categorical_log_prob(torch.tensor(2), torch.zeros(4))
        tensor(-1.3863)
    """
    logits = as_float_tensor(logits, "logits")
    y = as_tensor(y, "y", like=logits, owner="logits has")
    if y.dtype == torch.bool:
        raise InputTypeError("y must hold integer class labels, got a bool tensor")
    if y.is_floating_point():
        if not torch.equal(y, y.round()):
            raise ValueError("y must hold integer class labels, found a non-integer value")
        y = y.long()
    if logits.dim() == 0:
        raise ValueError("logits must have a class dimension (shape (..., K)), got a scalar")
    n_classes = logits.shape[-1]
    check_nonempty(logits, "logits")
    check_finite(logits, "logits")
    if y.numel() and ((y < 0).any() or (y >= n_classes).any()):
        bad = y[(y < 0) | (y >= n_classes)].flatten()[0].item()
        raise ValueError(f"y must be a class label in 0..{n_classes - 1}, found {bad}")
    batch = broadcast_shape(y=y, logits_batch=logits[..., 0])
    log_p = torch.log_softmax(logits, dim=-1).expand(*batch, n_classes)
    return log_p.gather(-1, y.expand(batch).unsqueeze(-1)).squeeze(-1)


def gaussian_diag_log_prob(x: Tensor, mean: Tensor, log_var: Tensor, event_dims: int = 1) -> Tensor:
    r"""Diagonal Gaussian log-density :math:`\log \mathcal{N}(x; \mu, \operatorname{diag}(\sigma^2))`.

    .. math::
        -\tfrac12 \sum_j \left[\log 2\pi + \log\sigma_j^2 + (x_j-\mu_j)^2/\sigma_j^2\right]

    Parameterised by the log-variance (what an encoder network outputs), so any
    real ``log_var`` is a valid variance. With ``mean = 0`` and ``log_var = 0``
    this is the prior of (1.15).

    Example:
        >>> gaussian_diag_log_prob(torch.zeros(2), torch.zeros(2), torch.zeros(2))
        tensor(-1.8379)
    """
    x, mean, log_var = common_float(x=x, mean=mean, log_var=log_var)
    broadcast_shape(x=x, mean=mean, log_var=log_var)
    for value, name in ((x, "x"), (mean, "mean"), (log_var, "log_var")):
        check_finite(value, name)
    values = -0.5 * (LOG_2PI + log_var + (x - mean) ** 2 * torch.exp(-log_var))
    return _sum_event(values, event_dims)


def standard_normal_log_prob(z: Tensor) -> Tensor:
    r"""Log-density of the prior :math:`p(\mathbf{z}) = \mathcal{N}(\mathbf{z}; 0, \mathbf{I})`.

    Implements (1.15); sums over the last dimension of ``z``.

    Example:
        >>> standard_normal_log_prob(torch.zeros(3))
        tensor(-2.7568)
    """
    z = as_float_tensor(z, "z")
    check_finite(z, "z")
    if z.dim() == 0:
        raise ValueError("z must have a latent dimension (shape (..., d)), got a scalar")
    return -0.5 * (LOG_2PI * z.shape[-1] + (z**2).sum(-1))


def gaussian_log_prob(x: Tensor, mean: Tensor, cov: Tensor) -> Tensor:
    r"""Full-covariance Gaussian log-density :math:`\log \mathcal{N}(x; \mu, \Sigma)`.

    Uses a Cholesky factor :math:`\Sigma = LL^\top`:
    :math:`-\tfrac12[D\log 2\pi + 2\sum_i \log L_{ii} + \lVert L^{-1}(x-\mu)\rVert^2]`.

    Args:
        x: shape ``(..., D)``.
        mean: shape ``(D,)`` or broadcastable with ``x``.
        cov: shape ``(D, D)``, symmetric positive definite.

    Raises:
        ValueError: if ``cov`` is not square, not symmetric or not positive definite.

    Example:
        >>> gaussian_log_prob(torch.zeros(2), torch.zeros(2), torch.eye(2))
        tensor(-1.8379)
    """
    x, mean, cov = common_float(x=x, mean=mean, cov=cov)
    for value, name in ((x, "x"), (mean, "mean"), (cov, "cov")):
        check_finite(value, name)
    chol = cholesky(cov, "cov")
    dim = chol.shape[-1]
    if x.dim() == 0 or x.shape[-1] != dim or mean.dim() == 0 or mean.shape[-1] != dim:
        raise ValueError(
            f"shape mismatch: x {tuple(x.shape)} and mean {tuple(mean.shape)} must end in D = {dim} (cov is {dim}×{dim})"
        )
    # One triangular solve per distinct covariance, with every point that shares it as a right-hand
    # side: a solve per point costs a LAPACK call each (30x slower for 10 000 points).
    broadcast_shape(x=x, mean=mean)
    resid = x - mean
    batch = broadcast_shape(batch_of_x=resid[..., 0], batch_of_cov=chol[..., 0, 0])
    cov_batch = (1,) * (len(batch) - chol.dim() + 2) + tuple(chol.shape[:-2])
    own = [i for i, n in enumerate(cov_batch) if n != 1]  # dims along which the covariance changes
    order = own + [i for i in range(len(batch)) if i not in own]  # ... and the dims that share it last
    sizes = [batch[i] for i in order]
    columns = resid.expand(*batch, dim).permute([*order, -1]).reshape(*sizes[: len(own)], -1, dim).transpose(-1, -2)
    sol = torch.linalg.solve_triangular(chol.reshape(*sizes[: len(own)], dim, dim), columns, upper=False)
    maha = (sol**2).sum(-2).reshape(sizes).permute(sorted(range(len(order)), key=order.__getitem__))
    half_log_det = torch.log(torch.diagonal(chol, dim1=-2, dim2=-1)).sum(-1)
    return -0.5 * (dim * LOG_2PI + maha) - half_log_det


def cholesky(cov: Tensor, name: str = "cov") -> Tensor:
    """Lower Cholesky factor of a symmetric positive-definite matrix, with a clear error otherwise.

    Example:
        >>> cholesky(torch.tensor([[4.0, 2.0], [2.0, 2.0]]))
        tensor([[2., 0.],
                [1., 1.]])
    """
    if cov.dim() < 2 or cov.shape[-1] != cov.shape[-2]:
        raise ValueError(f"{name} must be a square matrix (..., D, D), got shape {tuple(cov.shape)}")
    scale = cov.abs().amax().clamp_min(1.0)
    if not torch.allclose(cov, cov.transpose(-1, -2), atol=1e-6 * scale.item(), rtol=0):
        raise ValueError(f"{name} must be symmetric")
    chol, info = torch.linalg.cholesky_ex(cov)
    if (info != 0).any():
        raise ValueError(f"{name} is not positive definite (Cholesky failed); check for zero or negative variances")
    return chol


def dataset_log_likelihood(log_prob: Callable[[Tensor], Tensor], data: Tensor, batch_size: int | None = None) -> Tensor:
    r"""Log-likelihood of an i.i.d. dataset, :math:`\log p_\theta(\mathcal{D}) = \sum_{x\in\mathcal{D}} \log p_\theta(x)`.

    Implements (1.10). The product of per-example probabilities of (1.9)
    underflows to 0 after a few examples; the sum of logs does not.

    Args:
        log_prob: maps a batch of data points ``(B, ...)`` to their log-probabilities ``(B,)``.
        data: the dataset :math:`\mathcal{D}`, one data point per row.
        batch_size: evaluate in chunks of this many rows (all at once if ``None``);
            the sum is the same, only peak memory changes.

    Example:
        >>> x = torch.tensor([[1.0, 0.0], [1.0, 1.0]])
        >>> dataset_log_likelihood(lambda b: bernoulli_log_prob(b, torch.zeros(2)), x)
        tensor(-2.7726)
    """
    data = as_tensor(data, "data")
    if data.dim() == 0:
        raise ValueError("data must have a leading data-point dimension, got a scalar")
    check_nonempty(data, "data")
    n = data.shape[0]
    batch_size = n if batch_size is None else batch_size
    check_positive_int(batch_size, "batch_size")
    total = sum(_checked_log_prob(log_prob, data[i : i + batch_size]).sum() for i in range(0, n, batch_size))
    return total


def minibatch_estimate(
    log_prob: Callable[[Tensor], Tensor], data: Tensor, batch_size: int, generator: torch.Generator | None = None
) -> Tensor:
    r"""One draw of the minibatch estimator of the per-example log-likelihood.

    Implements (1.11):
    :math:`\frac{1}{N_\mathcal{D}}\log p_\theta(\mathcal{D}) \simeq \frac{1}{N_\mathcal{M}} \sum_{x\in\mathcal{M}} \log p_\theta(x)`,
    with :math:`\mathcal{M}` a uniformly random subset of size ``batch_size``
    drawn without replacement. Its expectation over :math:`\mathcal{M}` is exactly
    the left-hand side (unbiased), and so is the expectation of its gradient (1.12).

    Raises:
        ValueError: if ``data`` is empty or ``batch_size`` is not in ``1..N``.

    Example:
        >>> x = torch.tensor([[1.0], [0.0]])
        >>> minibatch_estimate(lambda b: bernoulli_log_prob(b, torch.zeros(1)), x, batch_size=2)
        tensor(-0.6931)
    """
    data = as_tensor(data, "data")
    if data.dim() == 0:
        raise ValueError("data must have a leading data-point dimension, got a scalar")
    check_nonempty(data, "data")
    check_positive_int(batch_size, "batch_size", upper=data.shape[0])
    order = torch.randperm(data.shape[0], generator=generator, device=generator_device(generator, data.device))
    return _checked_log_prob(log_prob, data[order[:batch_size].to(data.device)]).mean()


def _checked_log_prob(log_prob: Callable[[Tensor], Tensor], batch: Tensor) -> Tensor:
    values = log_prob(batch)
    if values.shape != batch.shape[:1]:
        raise ValueError(
            f"log_prob must return one value per data point, shape ({batch.shape[0]},), got {tuple(values.shape)}"
        )
    return values
