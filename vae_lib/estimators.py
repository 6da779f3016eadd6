"""Estimates of the marginal likelihood :math:`\\log p_\\theta(\\mathbf{x})` of (1.13) and of the posterior (1.19).

* Monte Carlo: :func:`importance_log_marginal` with a proposal —
  :func:`prior_proposal` (naive Monte Carlo), :func:`encoder_proposal` (a VAE's
  recognition model) or :func:`gaussian_proposal` (explicit mean and covariance) —
  and the diagnostics :func:`log_mean_exp`, :func:`effective_sample_size`;
  :func:`naive_log_marginal`, naive Monte Carlo for a Bernoulli DLVM with one
  set of prior samples shared by all data points (one matrix product).
* Running estimates — the estimate after each of the first :math:`1, 2, \\dots, K`
  samples, from one run: :func:`running_mean`, :func:`running_log_mean_exp`.
* Quadrature for a 1-D or 2-D latent space: :func:`latent_grid`,
  :func:`grid_log_marginal` and :func:`grid_log_posterior`, exact up to the grid's
  resolution, and the posterior's moments and distance from a Gaussian:
  :func:`grid_posterior_moments`, :func:`grid_kl_to_gaussian`.

All functions are batched over data points *and* samples (no Python loops
over either). A *proposal* is a callable ``proposal(x, n_samples)`` returning
``(z, log_q)``: samples of shape ``(n_samples, N, d)`` and their log-density
``(n_samples, N)``. Importance sampling with the prior as proposal is the naive
Monte Carlo estimator; with the exact posterior (1.19) it has zero variance.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.distributions import MultivariateNormal

from vae_lib.checks import as_float_tensor, check_binary, check_finite, check_positive_int, common_float, randn
from vae_lib.likelihood import cholesky, gaussian_diag_log_prob, standard_normal_log_prob
from vae_lib.models import DLVM, GaussianEncoder, reparameterize

Proposal = Callable[[Tensor, int], tuple[Tensor, Tensor]]
LogJoint = Callable[[Tensor, Tensor], Tensor]


def _check_log_weights(values: Tensor, dim: int, name: str) -> Tensor:
    """``values`` as a floating tensor with at least one entry along ``dim`` and no NaN or +inf."""
    values = as_float_tensor(values, name)
    if values.dim() and not -values.dim() <= dim < values.dim():
        raise ValueError(
            f"dim must be in [-{values.dim()}, {values.dim()}) for {name} of shape {tuple(values.shape)}, got {dim}"
        )
    if values.dim() == 0 or values.shape[dim] == 0:
        raise ValueError(f"{name} must have at least one entry along dim {dim}, got shape {tuple(values.shape)}")
    for bad, found in (("NaN", torch.isnan(values)), ("+inf", values == math.inf)):
        if found.any():
            raise ValueError(f"{name} contains {bad}; expected log-weights (finite, or -inf for a zero weight)")
    return values


def log_mean_exp(values: Tensor, dim: int = 0) -> Tensor:
    r""":math:`\log \frac1K \sum_k e^{v_k}`, computed stably with ``logsumexp``.

    Example:
        >>> log_mean_exp(torch.tensor([0.0, 0.0, 0.0]))
        tensor(0.)
    """
    values = _check_log_weights(values, dim, "values")
    return torch.logsumexp(values, dim=dim) - math.log(values.shape[dim])


def effective_sample_size(log_weights: Tensor, dim: int = 0) -> Tensor:
    r"""Kish's effective sample size :math:`(\sum_k w_k)^2 / \sum_k w_k^2` from log-weights.

    Between 1 (one sample carries all the weight) and K (all weights equal).

    Example:
        >>> effective_sample_size(torch.zeros(10))
        tensor(10.)
    """
    log_weights = _check_log_weights(log_weights, dim, "log_weights")
    # Shift by the largest log-weight first (the ratio is unchanged): the two logsumexps are then
    # near 0, not near 2·max, where float32 spacing would cost digits.
    peak = log_weights.amax(dim, keepdim=True)
    shifted = log_weights - torch.where(torch.isfinite(peak), peak, torch.zeros_like(peak))
    return torch.exp(2 * torch.logsumexp(shifted, dim=dim) - torch.logsumexp(2 * shifted, dim=dim))


def _along(values: Tensor, dim: int, name: str) -> Tensor:
    """1, 2, …, K (K = ``values.shape[dim]``) shaped to broadcast against ``values`` along ``dim``."""
    if values.dim() == 0 or not -values.dim() <= dim < values.dim():
        raise ValueError(f"dim must index a dimension of {name} (shape {tuple(values.shape)}), got {dim}")
    dim = dim % values.dim()
    counts = torch.arange(1, values.shape[dim] + 1, dtype=values.dtype, device=values.device)
    return counts.reshape(-1, *([1] * (values.dim() - dim - 1)))


def running_mean(values: Tensor, dim: int = 0) -> Tensor:
    r"""The mean of the first :math:`k` entries along ``dim``, for every :math:`k = 1, \dots, K`; same shape as ``values``.

    :math:`\bar v_k = \frac1k \sum_{i \le k} v_i`: how a Monte Carlo average, or
    the maximum-likelihood estimate of a mean (1.10), moves as the samples or
    data points arrive one by one.

    Example:
        >>> running_mean(torch.tensor([1.0, 3.0, 2.0]))
        tensor([1., 2., 2.])
    """
    values = as_float_tensor(values, "values")
    counts = _along(values, dim, "values")
    return values.cumsum(dim) / counts


def running_log_mean_exp(log_weights: Tensor, dim: int = 0) -> Tensor:
    r"""The estimate :math:`\log\hat p_k = \log\frac1k\sum_{i\le k} w_i` after each of the first :math:`k = 1, \dots, K` samples.

    :func:`log_mean_exp` of every prefix along ``dim`` (``torch.logcumsumexp``),
    so one run of :math:`K` importance weights gives the estimate of (1.13) for
    every smaller :math:`K` as well. Same shape as ``log_weights``.

    Example:
        >>> running_log_mean_exp(torch.log(torch.tensor([1.0, 3.0, 2.0]))).exp()
        tensor([1., 2., 2.])
    """
    log_weights = _check_log_weights(log_weights, dim, "log_weights")
    return torch.logcumsumexp(log_weights, dim=dim) - _along(log_weights, dim, "log_weights").log()


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
        z = randn((n_samples, x.shape[0], z_dim), x, generator)
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

    Example:
        >>> from vae_lib.models import BernoulliDecoder
        >>> model = DLVM(BernoulliDecoder(2, [8], 4))
        >>> log_importance_weights(model.log_joint, torch.ones(3, 4), prior_proposal(2), 10).shape
        torch.Size([10, 3])
    """
    check_positive_int(n_samples, "n_samples")
    x = as_float_tensor(x, "x")
    if x.dim() != 2 or x.shape[0] == 0:
        raise ValueError(f"x must have shape (N, D) with N >= 1, got {tuple(x.shape)}")
    z, log_q = proposal(x, n_samples)
    log_w = log_joint(x, z) - log_q
    if log_w.shape != (n_samples, x.shape[0]):
        raise ValueError(
            f"log_joint(x, z) - log_q must have shape ({n_samples}, {x.shape[0]}), got {tuple(log_w.shape)}"
        )
    return log_w


def _chunked_log_mean_exp(log_weights: Callable[[int], Tensor], n_samples: int, chunk_size: int | None) -> Tensor:
    """log (1/K) Σ_k exp(w_k) over K = ``n_samples`` rows of ``log_weights(k)`` (shape ``(k, N)``), drawn in chunks.

    Each chunk is reduced by ``logsumexp`` before the next is drawn, so peak
    memory follows ``chunk_size``; combining the chunks' results is exact.
    """
    check_positive_int(n_samples, "n_samples")
    chunk_size = n_samples if chunk_size is None else chunk_size
    check_positive_int(chunk_size, "chunk_size")
    parts = [
        torch.logsumexp(log_weights(min(chunk_size, n_samples - start)), dim=0)
        for start in range(0, n_samples, chunk_size)
    ]
    return torch.logsumexp(torch.stack(parts), dim=0) - math.log(n_samples)


@torch.no_grad()
def naive_log_marginal(
    model: DLVM,
    x: Tensor,
    n_samples: int,
    generator: torch.Generator | None = None,
    chunk_size: int | None = None,
) -> Tensor:
    r"""Naive Monte Carlo :math:`\log p_\theta(\mathbf{x})` for a Bernoulli DLVM, one set of prior samples for all rows.

    .. math::
        \log \hat p(\mathbf{x}) = \log \frac1K \sum_{k=1}^K p_\theta(\mathbf{x}\mid\mathbf{z}_k),
        \qquad \mathbf{z}_k \sim p(\mathbf{z})

    an estimate of (1.13). Because the prior does not depend on
    :math:`\mathbf{x}`, the same K samples serve every data point: the decoder
    runs K times instead of N·K, and (1.17)–(1.18) in logits form,
    :math:`\log p(\mathbf{x}\mid\mathbf{z}_k) = \mathbf{x}\cdot\mathbf{l}_k - \sum_j \operatorname{softplus}(l_{kj})`,
    is one ``(N, D) @ (D, K)`` matrix product. Each row's estimate has the
    distribution of ``importance_log_marginal(model.log_joint, x, prior_proposal(d), K)``;
    estimates of different rows are correlated (they share samples).

    Args:
        model: a :class:`~vae_lib.models.DLVM` with a Bernoulli decoder.
        x: binary data, shape ``(N, D)``.
        n_samples: K.
        generator: seeds the prior samples.
        chunk_size: decode this many samples at a time (all K if ``None``), to bound memory.

    Example:
        >>> from vae_lib.models import BernoulliDecoder
        >>> naive_log_marginal(DLVM(BernoulliDecoder(2, [8], 4)), torch.ones(3, 4), 100).shape
        torch.Size([3])
    """
    x = as_float_tensor(x, "x", like=next(model.parameters()))
    if x.dim() != 2 or x.shape[0] == 0 or x.shape[1] != model.x_dim:
        raise ValueError(f"x must have shape (N, {model.x_dim}) with N >= 1, got {tuple(x.shape)}")
    check_binary(x, "x")

    def log_likelihoods(k: int) -> Tensor:  # log p(x | z_k) for k fresh prior samples, shape (k, N)
        logits = model.decoder(randn((k, model.z_dim), x, generator))
        return torch.addmm(-F.softplus(logits).sum(-1, keepdim=True), logits, x.T)

    return _chunked_log_mean_exp(log_likelihoods, n_samples, chunk_size)


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
    return _chunked_log_mean_exp(lambda k: log_importance_weights(log_joint, x, proposal, k), n_samples, chunk_size)


def gaussian_proposal(mean: Tensor, cov: Tensor, generator: torch.Generator | None = None) -> Proposal:
    r"""A Gaussian proposal :math:`q(\mathbf{z}\mid\mathbf{x}_n) = \mathcal{N}(\mathbf{m}_n, \mathbf{S})` with explicit parameters.

    For instance the exact posterior (1.19) of a linear-Gaussian model
    (:meth:`vae_lib.latent.LinearGaussian.posterior`), which makes every
    importance weight equal :math:`p(\mathbf{x})`: zero variance.

    Args:
        mean: one proposal mean per data point, shape ``(N, d)``.
        cov: covariance shared by all points ``(d, d)``, or one per point ``(N, d, d)``;
            symmetric positive definite.
        generator: random source of the samples.

    Example:
        >>> z, log_q = gaussian_proposal(torch.zeros(5, 2), torch.eye(2))(torch.zeros(5, 4), 3)
        >>> z.shape, log_q.shape
        (torch.Size([3, 5, 2]), torch.Size([3, 5]))
    """
    mean, cov = common_float(mean=mean, cov=cov)
    check_finite(mean, "mean")
    check_finite(cov, "cov")
    if mean.dim() != 2 or mean.shape[0] == 0:
        raise ValueError(f"mean must have shape (N, d), one row per data point, got {tuple(mean.shape)}")
    n_points, z_dim = mean.shape
    if cov.shape not in ((z_dim, z_dim), (n_points, z_dim, z_dim)):
        raise ValueError(
            f"cov must have shape ({z_dim}, {z_dim}) or ({n_points}, {z_dim}, {z_dim}), got {tuple(cov.shape)}"
        )
    chol = cholesky(cov, "cov")
    half_log_det = torch.log(torch.diagonal(chol, dim1=-2, dim2=-1)).sum(-1)  # () or (N,)

    def proposal(x: Tensor, n_samples: int) -> tuple[Tensor, Tensor]:
        check_positive_int(n_samples, "n_samples")
        if x.shape[0] != n_points:
            raise ValueError(f"this proposal was built for {n_points} data points, got x with {x.shape[0]} rows")
        eps = randn((n_samples, n_points, z_dim), mean, generator)
        shift = eps @ chol.T if chol.dim() == 2 else (chol @ eps.unsqueeze(-1)).squeeze(-1)
        # z = m + L ε, so L⁻¹(z - m) = ε exactly: log q(z) = log N(ε; 0, I) - log|L|.
        return mean + shift, standard_normal_log_prob(eps) - half_log_det

    return proposal


@dataclass(frozen=True)
class LatentGrid:
    r"""A regular grid over a 1-, 2- or 3-dimensional latent space, for quadrature.

    The grid functions convert ``points`` to the dtype and device of the data
    ``x`` they are given, so one grid serves a model in any precision on any device.

    Attributes:
        points: cell centres, shape ``(G, d)`` with :math:`G` = ``n_points ** d``
            (row-major: the last coordinate varies fastest).
        axis: the 1-D coordinates shared by every dimension, shape ``(n_points,)``.
        log_cell_volume: :math:`\log \Delta z^d`, the log-volume of one cell.

    Example:
        >>> latent_grid(2, limits=(-1.0, 1.0), n_points=4).shape
        (4, 4)
    """

    points: Tensor
    axis: Tensor
    log_cell_volume: float

    @property
    def shape(self) -> tuple[int, ...]:
        """``(n_points,) * d``: reshape a ``(G, ...)`` result to this to plot it over the grid."""
        return (self.axis.numel(),) * self.points.shape[1]


def latent_grid(
    z_dim: int, limits: tuple[float, float] = (-4.0, 4.0), n_points: int = 201, dtype: torch.dtype = torch.float64
) -> LatentGrid:
    r"""Cell centres of ``n_points`` equal cells per dimension over ``limits`` (the midpoint rule).

    The cost of grid quadrature grows as ``n_points ** z_dim``, which is why it
    stops at :math:`d = 3` (and is practical for :math:`d \le 2`). ``dtype`` is the
    precision the coordinates are computed in; the grid functions convert them to
    the data's dtype and device.

    Example:
        >>> grid = latent_grid(2, limits=(-1.0, 1.0), n_points=2)
        >>> grid.points.tolist(), round(grid.log_cell_volume, 4)
        ([[-0.5, -0.5], [-0.5, 0.5], [0.5, -0.5], [0.5, 0.5]], 0.0)
    """
    check_positive_int(z_dim, "z_dim", upper=3)
    check_positive_int(n_points, "n_points")
    low, high = limits
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"limits must be finite (low, high) with low < high, got {limits}")
    step = (high - low) / n_points
    axis = torch.linspace(low + step / 2, high - step / 2, n_points, dtype=dtype)
    points = torch.cartesian_prod(*[axis] * z_dim).reshape(-1, z_dim)
    return LatentGrid(points, axis, z_dim * math.log(step))


def grid_log_joint(log_joint: LogJoint, x: Tensor, grid: LatentGrid, chunk_size: int | None = None) -> Tensor:
    r""":math:`\log p_\theta(\mathbf{x}_n, \mathbf{z}_g)` at every grid point and data point, shape ``(G, N)``.

    ``log_joint`` is called with ``z`` of shape ``(chunk, N, d)`` (all grid points
    at once if ``chunk_size`` is ``None``), as in :func:`log_importance_weights`,
    and the grid's points in the dtype and on the device of ``x``.

    Example:
        >>> from vae_lib.models import DLVM, BernoulliDecoder
        >>> model = DLVM(BernoulliDecoder(1, [8], 4))
        >>> grid_log_joint(model.log_joint, torch.ones(3, 4), latent_grid(1, n_points=50)).shape
        torch.Size([50, 3])
    """
    x = as_float_tensor(x, "x")
    if x.dim() != 2 or x.shape[0] == 0:
        raise ValueError(f"x must have shape (N, D) with N >= 1, got {tuple(x.shape)}")
    points = grid.points.to(dtype=x.dtype, device=x.device)
    n_grid, z_dim = points.shape
    chunk_size = n_grid if chunk_size is None else chunk_size
    check_positive_int(chunk_size, "chunk_size")
    parts = []
    for start in range(0, n_grid, chunk_size):
        z = points[start : start + chunk_size, None, :].expand(-1, x.shape[0], z_dim)
        values = log_joint(x, z)
        if values.shape != z.shape[:2]:
            raise ValueError(f"log_joint(x, z) must have shape {tuple(z.shape[:2])}, got {tuple(values.shape)}")
        parts.append(values)
    return torch.cat(parts)


@torch.no_grad()
def grid_log_marginal(log_joint: LogJoint, x: Tensor, grid: LatentGrid, chunk_size: int | None = None) -> Tensor:
    r"""Quadrature estimate of :math:`\log p_\theta(\mathbf{x}) = \log\int p_\theta(\mathbf{x}, \mathbf{z})\,d\mathbf{z}` (1.13), shape ``(N,)``.

    .. math:: \log p_\theta(\mathbf{x}) \approx \log \sum_g p_\theta(\mathbf{x}, \mathbf{z}_g)\,\Delta z^d

    computed with ``logsumexp``. Accurate when the grid covers the posterior's mass
    and its cells are small compared with the posterior's width.

    Example:
        >>> from vae_lib.likelihood import standard_normal_log_prob
        >>> log_joint = lambda x, z: standard_normal_log_prob(z) + standard_normal_log_prob(x - z)
        >>> x = torch.zeros(1, 1, dtype=torch.float64)  # p(x) = N(x; 0, 2): log p(0) = -0.5 log(4π) = -1.2655
        >>> round(grid_log_marginal(log_joint, x, latent_grid(1)).item(), 4)
        -1.2655
    """
    return torch.logsumexp(grid_log_joint(log_joint, x, grid, chunk_size), dim=0) + grid.log_cell_volume


@torch.no_grad()
def grid_log_posterior(log_joint: LogJoint, x: Tensor, grid: LatentGrid, chunk_size: int | None = None) -> Tensor:
    r"""Log-density of the posterior (1.19) on the grid, :math:`\log p_\theta(\mathbf{z}_g\mid\mathbf{x}_n)`, shape ``(G, N)``.

    .. math:: \log p_\theta(\mathbf{z}\mid\mathbf{x}) = \log p_\theta(\mathbf{x}, \mathbf{z}) - \log p_\theta(\mathbf{x})

    with :math:`\log p_\theta(\mathbf{x})` from the same grid, so
    :math:`\sum_g p_\theta(\mathbf{z}_g\mid\mathbf{x})\,\Delta z^d = 1` for every column.

    Example:
        >>> from vae_lib.likelihood import standard_normal_log_prob
        >>> log_joint = lambda x, z: standard_normal_log_prob(z) + standard_normal_log_prob(x - z)
        >>> grid = latent_grid(1)
        >>> log_post = grid_log_posterior(log_joint, torch.ones(1, 1, dtype=torch.float64), grid)
        >>> round((log_post.exp() * grid.points).sum().item() * math.exp(grid.log_cell_volume), 4)
        0.5
    """
    values = grid_log_joint(log_joint, x, grid, chunk_size)
    return values - torch.logsumexp(values, dim=0) - grid.log_cell_volume


def _grid_mass(log_posterior: Tensor, grid: LatentGrid) -> tuple[Tensor, Tensor]:
    """Posterior mass of every cell, ``(G, N)``, and the grid points in its dtype and on its device."""
    log_posterior = as_float_tensor(log_posterior, "log_posterior")
    if log_posterior.dim() != 2 or log_posterior.shape[0] != grid.points.shape[0]:
        raise ValueError(
            f"log_posterior must have shape ({grid.points.shape[0]}, N), one row per grid point "
            f"(as grid_log_posterior returns), got {tuple(log_posterior.shape)}"
        )
    _check_log_weights(log_posterior, 0, "log_posterior")
    points = grid.points.to(dtype=log_posterior.dtype, device=log_posterior.device)
    return log_posterior.exp() * math.exp(grid.log_cell_volume), points


def grid_posterior_moments(log_posterior: Tensor, grid: LatentGrid) -> tuple[Tensor, Tensor]:
    r"""Mean and covariance of every column of a grid posterior (1.19), shapes ``(N, d)`` and ``(N, d, d)``.

    With cell masses :math:`m_g = p_\theta(\mathbf{z}_g\mid\mathbf{x})\,\Delta z^d`
    (``log_posterior`` as :func:`grid_log_posterior` returns it),
    :math:`\boldsymbol\mu = \sum_g m_g \mathbf{z}_g` and
    :math:`\boldsymbol\Sigma = \sum_g m_g (\mathbf{z}_g - \boldsymbol\mu)(\mathbf{z}_g - \boldsymbol\mu)^\top`.

    Example:
        >>> from vae_lib.likelihood import standard_normal_log_prob
        >>> log_joint = lambda x, z: standard_normal_log_prob(z) + standard_normal_log_prob(x - z)
        >>> grid = latent_grid(1)
        >>> mean, cov = grid_posterior_moments(grid_log_posterior(log_joint, torch.ones(1, 1), grid), grid)
        >>> round(mean.item(), 4), round(cov.item(), 4)  # p(z | x=1) = N(0.5, 0.5)
        (0.5, 0.5)
    """
    mass, points = _grid_mass(log_posterior, grid)
    mean = mass.T @ points
    centred = points - mean[:, None]
    return mean, (mass.T[..., None] * centred).transpose(-1, -2) @ centred


def grid_kl_to_gaussian(log_posterior: Tensor, grid: LatentGrid) -> Tensor:
    r""":math:`D_{KL}(p_\theta(\mathbf{z}\mid\mathbf{x})\,\|\,\mathcal{N}(\boldsymbol\mu, \boldsymbol\Sigma))` for every column of a grid posterior, shape ``(N,)``.

    How far the posterior (1.19) is from the Gaussian with its own mean and
    covariance (:func:`grid_posterior_moments`): 0 exactly when it is Gaussian, so
    a Gaussian :math:`q(\mathbf{z}\mid\mathbf{x})` could match it. The sum
    :math:`\sum_g m_g [\log p_\theta(\mathbf{z}_g\mid\mathbf{x}) - \log\mathcal{N}(\mathbf{z}_g; \boldsymbol\mu, \boldsymbol\Sigma)]`
    over the grid cells.

    Raises:
        ValueError: if a posterior's covariance is singular (all its mass in one row
            of cells: refine the grid).

    Example:
        >>> from vae_lib.likelihood import standard_normal_log_prob
        >>> log_joint = lambda x, z: standard_normal_log_prob(z) + standard_normal_log_prob(x - z)
        >>> grid = latent_grid(1)
        >>> grid_kl_to_gaussian(grid_log_posterior(log_joint, torch.ones(1, 1), grid), grid).abs() < 1e-4
        tensor([True])
    """
    mass, points = _grid_mass(log_posterior, grid)
    mean, cov = grid_posterior_moments(log_posterior, grid)
    cholesky(cov, "the covariance of the grid posterior")
    gaussian = MultivariateNormal(mean, cov).log_prob(points[:, None])
    return (mass * (log_posterior - gaussian)).sum(0)
