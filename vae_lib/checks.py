"""Input validation shared by every public function of vae_lib.

Bad input gets a ``ValueError`` (or ``TypeError``) whose message names the
argument and says what was expected, never a silent NaN further down.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor


def as_tensor(value: object, name: str) -> Tensor:
    """Return ``value`` as a tensor (unchanged if it is one); ``TypeError`` naming ``name`` otherwise.

    Example:
        >>> as_tensor([1, 2], "y")
        tensor([1, 2])
    """
    if isinstance(value, Tensor):
        return value
    try:
        return torch.as_tensor(value)
    except (TypeError, ValueError, RuntimeError) as err:
        raise TypeError(f"{name} must be a tensor or array-like of numbers, got {type(value).__name__}") from err


def as_float_tensor(value: object, name: str) -> Tensor:
    """Return ``value`` as a floating-point tensor (float32 unless already float64).

    Raises ``TypeError`` for values that cannot become a tensor.

    Example:
        >>> as_float_tensor([1, 0], "x")
        tensor([1., 0.])
    """
    tensor = as_tensor(value, name)
    if not tensor.is_floating_point():
        tensor = tensor.to(torch.get_default_dtype())
    return tensor


def check_finite(tensor: Tensor, name: str) -> None:
    """Raise ``ValueError`` if ``tensor`` holds NaN or ±inf.

    Fast path: a finite sum (one pass, no temporary mask) means every entry is
    finite; only a non-finite sum (which overflow can also cause) pays for the full check.

    Example:
        >>> check_finite(torch.tensor([1.0, float("nan")]), "logits")
        Traceback (most recent call last):
        ...
        ValueError: logits contains NaN; expected finite values
    """
    if not tensor.is_floating_point() or torch.isfinite(tensor.detach().sum()):
        return
    if not torch.isfinite(tensor).all():
        bad = "NaN" if torch.isnan(tensor).any() else "inf"
        raise ValueError(f"{name} contains {bad}; expected finite values")


def check_nonempty(tensor: Tensor, name: str) -> None:
    """Raise ``ValueError`` if ``tensor`` has no elements.

    Example:
        >>> check_nonempty(torch.zeros(0, 3), "data")
        Traceback (most recent call last):
        ...
        ValueError: data is empty (shape (0, 3)); expected at least one value
    """
    if tensor.numel() == 0:
        raise ValueError(f"{name} is empty (shape {tuple(tensor.shape)}); expected at least one value")


def check_binary(x: Tensor, name: str = "x") -> None:
    """Raise ``ValueError`` unless every entry of ``x`` is exactly 0 or 1.

    Example:
        >>> check_binary(torch.tensor([0.0, 0.5]))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: x must be binary (every entry 0 or 1) for a Bernoulli model, found 0.5; ...
    """
    if not ((x == 0) | (x == 1)).all():
        bad = x[(x != 0) & (x != 1)].flatten()[0].item()
        raise ValueError(
            f"{name} must be binary (every entry 0 or 1) for a Bernoulli model, found {bad!r}; "
            "binarise the data first, e.g. vae_lib.data.load_digits(binarize=True)"
        )


def check_probabilities(p: Tensor, name: str = "probs") -> None:
    """Raise ``ValueError`` unless every entry of ``p`` lies in [0, 1].

    Example:
        >>> check_probabilities(torch.tensor([0.2, 1.5]))
        Traceback (most recent call last):
        ...
        ValueError: probs must lie in [0, 1], found 1.5
    """
    if torch.isnan(p).any():
        raise ValueError(f"{name} contains NaN; expected probabilities in [0, 1]")
    if (p < 0).any() or (p > 1).any():
        bad = p[(p < 0) | (p > 1)].flatten()[0].item()
        raise ValueError(f"{name} must lie in [0, 1], found {bad!r}")


def broadcast_shape(**tensors: Tensor) -> torch.Size:
    """Return the broadcast shape of the named tensors or raise ``ValueError`` naming them.

    Example:
        >>> broadcast_shape(x=torch.zeros(5, 3), logits=torch.zeros(3))
        torch.Size([5, 3])
        >>> broadcast_shape(x=torch.zeros(5, 3), logits=torch.zeros(2))
        Traceback (most recent call last):
        ...
        ValueError: shape mismatch: x has shape (5, 3), logits has shape (2,), which do not broadcast
    """
    try:
        return torch.broadcast_shapes(*(t.shape for t in tensors.values()))
    except RuntimeError as err:
        shapes = ", ".join(f"{name} has shape {tuple(t.shape)}" for name, t in tensors.items())
        raise ValueError(f"shape mismatch: {shapes}, which do not broadcast") from err


def check_aligned_rows(tensors: Sequence[Tensor]) -> int:
    """Number of rows ``n`` shared by ``tensors`` (data points first); ``ValueError`` if empty or misaligned.

    Example:
        >>> check_aligned_rows([torch.zeros(4, 2), torch.zeros(4)])
        4
        >>> check_aligned_rows([torch.zeros(4, 2), torch.zeros(3)])
        Traceback (most recent call last):
        ...
        ValueError: tensor 1 has 3 rows, expected 4 like tensor 0
    """
    n = tensors[0].shape[0] if tensors[0].dim() else 0
    check_nonempty(tensors[0], "data")
    for i, t in enumerate(tensors[1:], start=1):
        if t.dim() == 0 or t.shape[0] != n:
            raise ValueError(f"tensor {i} has {t.shape[0] if t.dim() else 0} rows, expected {n} like tensor 0")
    return n


def check_positive_int(value: int, name: str, upper: int | None = None) -> None:
    """Raise ``ValueError`` unless ``value`` is an int with 1 <= value (<= upper).

    Example:
        >>> check_positive_int(0, "batch_size")
        Traceback (most recent call last):
        ...
        ValueError: batch_size must be >= 1, got 0
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    if upper is not None and value > upper:
        raise ValueError(f"{name} must be <= {upper}, got {value}")
