"""Toy data distributions whose density we know exactly: the :math:`p^*` of section 1.3.

In real problems the data distribution :math:`p^*(\\mathbf{x})` of (1.2) is
unknown. These toy versions can be *sampled* (to make a dataset) and *scored*
exactly (to measure how far a fitted :math:`p_\\theta` is from the truth), which
is what a book needs to make "learning is :math:`p_\\theta \\approx p^*`" concrete.

* :class:`GaussianMixture1D` — a 1-D mixture of Gaussians :math:`p^*(x)`.
* :class:`Banana2D` — a curved 2-D density :math:`p^*(\\mathbf{x})`.
* :class:`HeteroscedasticRegression` — a conditional :math:`p^*(y\\mid x)` (1.3)
  whose noise level depends on the input.

Parameters and samples are float64 (numbers given as lists or floats become
float64) so that differences of log-densities (KL estimates) are not swamped by
rounding. Parameters given as tensors keep their dtype and device, and
``log_prob`` follows its input, as everywhere in vae_lib; samples are drawn on
the generator's device.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor

from vae_lib.checks import (
    InputTypeError,
    as_float_tensor,
    check_finite,
    check_nonempty,
    check_positive_int,
    common_float,
    generator_device,
    randn,
)
from vae_lib.likelihood import gaussian_diag_log_prob

DTYPE = torch.float64


def _check_positive(value: float, name: str) -> None:
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value}")


def _as_float(value: object, name: str) -> Tensor | np.ndarray:
    """A tensor unchanged; anything else as a float64 array (through NumPy, so that 0.3 stays 0.3, not float32's 0.30000001)."""
    if isinstance(value, Tensor):
        return value if value.is_floating_point() else value.to(DTYPE)
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise InputTypeError(f"{name} must be a tensor or array-like of numbers, got {type(value).__name__}") from err


def _as_data(x: object, name: str = "x", like: Tensor | None = None) -> Tensor:
    """``x`` as a finite floating tensor: in ``like``'s dtype and device if given, else its own (float64 for non-tensors)."""
    x = as_float_tensor(_as_float(x, name), name, like=like, owner="the distribution's parameters have")
    check_finite(x, name)
    return x


class GaussianMixture1D:
    r"""A one-dimensional mixture of Gaussians :math:`p^*(x) = \sum_k \pi_k \mathcal{N}(x; \mu_k, \sigma_k^2)`.

    A known data distribution :math:`p^*(x)` for (1.2): :meth:`sample` draws a
    dataset, :meth:`log_prob` scores any point exactly (with ``logsumexp`` over
    components, so far tails give a large negative number, never ``log 0``).

    Args:
        weights: mixture weights :math:`\pi_k`, non-negative, summing to 1.
        means: component means :math:`\mu_k`.
        stds: component standard deviations :math:`\sigma_k > 0`.

    Example:
        >>> p = GaussianMixture1D([0.5, 0.5], [-2.0, 2.0], [1.0, 1.0])
        >>> round(p.log_prob([0.0]).item(), 4)
        -2.9189
        >>> p.sample(5, generator=torch.Generator().manual_seed(0)).shape
        torch.Size([5])
    """

    def __init__(
        self, weights: Sequence[float] | Tensor, means: Sequence[float] | Tensor, stds: Sequence[float] | Tensor
    ):
        self.weights, self.means, self.stds = common_float(
            weights=_as_float(weights, "weights"), means=_as_float(means, "means"), stds=_as_float(stds, "stds")
        )
        for value, name in ((self.weights, "weights"), (self.means, "means"), (self.stds, "stds")):
            if value.dim() != 1:
                raise ValueError(
                    f"{name} must be a 1-D sequence (one entry per component), got shape {tuple(value.shape)}"
                )
            check_nonempty(value, name)
            check_finite(value, name)
        if not self.weights.shape == self.means.shape == self.stds.shape:
            raise ValueError(
                f"weights, means and stds must have one entry per component, got lengths "
                f"{len(self.weights)}, {len(self.means)} and {len(self.stds)}"
            )
        if (self.weights < 0).any() or abs(self.weights.sum().item() - 1) > 1e-6:
            raise ValueError(f"weights must be non-negative and sum to 1, got {self.weights.tolist()}")
        if (self.stds <= 0).any():
            raise ValueError(f"stds must all be > 0, got {self.stds.tolist()}")

    def log_prob(self, x: Tensor) -> Tensor:
        r""":math:`\log p^*(x) = \log\sum_k \pi_k \mathcal{N}(x;\mu_k,\sigma_k^2)`, elementwise over ``x`` of any shape."""
        x = _as_data(x, like=self.means)
        log_components = gaussian_diag_log_prob(x.unsqueeze(-1), self.means, 2 * torch.log(self.stds), event_dims=0)
        return torch.logsumexp(torch.log(self.weights) + log_components, dim=-1)

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """``n`` independent draws :math:`x \\sim p^*(x)`: pick a component, then draw from it. Shape ``(n,)``."""
        check_positive_int(n, "n")
        device = generator_device(generator, self.weights.device)
        component = torch.multinomial(self.weights.to(device), n, replacement=True, generator=generator)
        component = component.to(self.weights.device)
        return self.means[component] + self.stds[component] * randn((n,), self.means, generator)


class Banana2D:
    r"""A curved ("banana") 2-D density: :math:`x_1 \sim \mathcal{N}(0, s^2)`, :math:`x_2\mid x_1 \sim \mathcal{N}(b(x_1^2 - s^2), \sigma^2)`.

    A known, non-Gaussian :math:`p^*(\mathbf{x})` for (1.2). Its exact
    log-density is the sum of the two Gaussian factors,
    :math:`\log p^*(\mathbf{x}) = \log\mathcal{N}(x_1; 0, s^2) + \log\mathcal{N}(x_2; b(x_1^2-s^2), \sigma^2)`;
    its mean is :math:`(0, 0)` but no Gaussian fits its bent shape.

    Args:
        scale: :math:`s`, the standard deviation of :math:`x_1`.
        curvature: :math:`b`, how strongly :math:`x_2` bends with :math:`x_1`.
        noise: :math:`\sigma`, the standard deviation of :math:`x_2` around the curve.

    Example:
        >>> p = Banana2D(scale=1.0, curvature=0.5, noise=0.5)
        >>> round(p.log_prob(torch.tensor([0.0, -0.5])).item(), 4)
        -1.1447
        >>> p.sample(3, generator=torch.Generator().manual_seed(0)).shape
        torch.Size([3, 2])
    """

    def __init__(self, scale: float = 1.5, curvature: float = 0.5, noise: float = 0.5) -> None:
        _check_positive(scale, "scale")
        _check_positive(noise, "noise")
        if not math.isfinite(curvature):
            raise ValueError(f"curvature must be finite, got {curvature}")
        self.scale, self.curvature, self.noise = scale, curvature, noise

    def _curve(self, x1: Tensor) -> Tensor:
        return self.curvature * (x1**2 - self.scale**2)

    def log_prob(self, x: Tensor) -> Tensor:
        r""":math:`\log p^*(\mathbf{x})` for ``x`` of shape ``(..., 2)``; returns shape ``(...)``."""
        x = _as_data(x)
        if x.dim() == 0 or x.shape[-1] != 2:
            raise ValueError(f"x must have shape (..., 2), got {tuple(x.shape)}")
        x1, x2 = x[..., 0], x[..., 1]
        log_p1 = gaussian_diag_log_prob(x1, 0.0, 2 * math.log(self.scale), 0)
        log_p2 = gaussian_diag_log_prob(x2, self._curve(x1), 2 * math.log(self.noise), 0)
        return log_p1 + log_p2

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """``n`` draws by ancestral sampling: :math:`x_1` first, then :math:`x_2` given :math:`x_1`. Shape ``(n, 2)``."""
        check_positive_int(n, "n")
        eps = torch.randn(
            n, 2, generator=generator, dtype=DTYPE, device=generator_device(generator, torch.device("cpu"))
        )
        x1 = self.scale * eps[:, 0]
        return torch.stack([x1, self._curve(x1) + self.noise * eps[:, 1]], dim=-1)


class HeteroscedasticRegression:
    r"""A regression problem :math:`p^*(x, y) = p^*(x)\,p^*(y\mid x)` whose noise grows with :math:`|x|`.

    The true conditional of (1.3) is
    :math:`p^*(y\mid x) = \mathcal{N}\big(y;\ \sin(\omega x),\ \sigma(x)^2\big)` with
    :math:`\sigma(x) = \sigma_0 + \sigma_1 |x|`, and inputs
    :math:`x \sim \mathrm{Uniform}(-a, a)`. A model with one fixed noise level
    cannot match it; one that predicts a variance per input can.

    Args:
        x_range: :math:`a`, inputs lie in :math:`(-a, a)`.
        frequency: :math:`\omega` of the mean curve.
        noise: :math:`\sigma_0`, the noise standard deviation at :math:`x = 0`.
        noise_slope: :math:`\sigma_1`, how fast the noise grows with :math:`|x|`.

    Example:
        >>> task = HeteroscedasticRegression(x_range=3.0, noise=0.1, noise_slope=0.2)
        >>> round(task.std(torch.tensor(2.0)).item(), 4)
        0.5
        >>> x, y = task.sample(4, generator=torch.Generator().manual_seed(0))
        >>> task.log_prob(y, x).shape
        torch.Size([4])
    """

    def __init__(
        self, x_range: float = 3.0, frequency: float = 1.0, noise: float = 0.1, noise_slope: float = 0.2
    ) -> None:
        _check_positive(x_range, "x_range")
        _check_positive(noise, "noise")
        for value, name in ((frequency, "frequency"), (noise_slope, "noise_slope")):
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {value}")
        self.x_range, self.frequency, self.noise, self.noise_slope = x_range, frequency, noise, noise_slope

    def mean(self, x: Tensor) -> Tensor:
        r"""The true regression function :math:`\mathbb{E}^*[y\mid x] = \sin(\omega x)`."""
        return torch.sin(self.frequency * _as_data(x))

    def std(self, x: Tensor) -> Tensor:
        r"""The true noise level :math:`\sigma(x) = \sigma_0 + \sigma_1|x|`."""
        return self.noise + self.noise_slope * _as_data(x).abs()

    def log_prob(self, y: Tensor, x: Tensor) -> Tensor:
        r""":math:`\log p^*(y\mid x)`, elementwise over broadcastable ``y`` and ``x``."""
        y, x = common_float(y=_as_data(y, "y"), x=_as_data(x))
        return gaussian_diag_log_prob(y, self.mean(x), 2 * torch.log(self.std(x)), event_dims=0)

    def sample(self, n: int, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        r"""``n`` pairs :math:`x \sim p^*(x)`, :math:`y \sim p^*(y\mid x)`; returns ``(x, y)``, each of shape ``(n,)``."""
        check_positive_int(n, "n")
        u = torch.rand(n, generator=generator, dtype=DTYPE, device=generator_device(generator, torch.device("cpu")))
        x = self.x_range * (2 * u - 1)
        y = self.mean(x) + self.std(x) * randn((n,), u, generator)
        return x, y
