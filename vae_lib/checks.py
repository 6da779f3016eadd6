"""Input validation shared by every public function of vae_lib, and tensors that follow their inputs.

Bad input gets a ``ValueError`` whose message names the argument and says what
was expected, never a silent NaN further down (a value of the wrong Python type
gets an :class:`InputTypeError`, which is both a ``ValueError`` and a ``TypeError``).

Like ``torch.distributions``, vae_lib follows its inputs: every tensor it
creates takes its dtype and device from the parameters or inputs it was given.
The rule, applied by :func:`as_float_tensor` and :func:`common_float`:

* floating-point tensors used together (data and a model's parameters, or the
  arguments of one function) must share one dtype and one device: a mismatch is
  a ``ValueError`` naming both, never a silent up- or down-cast;
* everything else — Python numbers, lists, NumPy arrays, integer or bool
  tensors, 0-dimensional tensors (scalars, as in torch's own type promotion) —
  is converted to that dtype and device.

Random draws (:func:`randn`, :func:`generator_device`) honour an explicit
``torch.Generator`` on any device: they are drawn on the generator's device and
moved, so a CPU generator gives the same numbers whatever device the model is on.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor


class InputTypeError(TypeError, ValueError):
    """A value of the wrong Python type: a ``ValueError`` (the library's promise) and a ``TypeError`` (Python's custom).

    Example:
        >>> issubclass(InputTypeError, ValueError), issubclass(InputTypeError, TypeError)
        (True, True)
    """


def as_tensor(
    value: object, name: str, like: Tensor | None = None, owner: str = "the model's parameters have"
) -> Tensor:
    """Return ``value`` as a tensor (unchanged if it is one); :class:`InputTypeError` naming ``name`` otherwise.

    With ``like``, the result is on ``like``'s device and keeps its own dtype (for
    integer labels or indices): a tensor on another device is a ``ValueError``.

    Example:
        >>> as_tensor([1, 2], "y")
        tensor([1, 2])
    """
    if isinstance(value, Tensor):
        tensor = value
    else:
        try:
            tensor = torch.as_tensor(value)
        except (TypeError, ValueError, RuntimeError) as err:
            raise InputTypeError(
                f"{name} must be a tensor or array-like of numbers, got {type(value).__name__}"
            ) from err
    if like is None:
        return tensor
    return _conform(value, tensor, name, tensor.dtype, like.device, owner)


def _conform(value: object, tensor: Tensor, name: str, dtype: torch.dtype, device: torch.device, owner: str) -> Tensor:
    """``tensor`` (made from ``value``) in ``dtype`` on ``device``, or a ``ValueError`` if it is a tensor that disagrees.

    ``owner`` names what set the dtype and device, with its verb ("x has", "the model's parameters have").
    A value that is not a tensor is converted straight from its numbers (so 0.3 in a list becomes float64's 0.3).
    """
    if not isinstance(value, Tensor):
        if tensor.dtype == dtype and tensor.device == device:
            return tensor
        return torch.as_tensor(value, dtype=dtype, device=device)
    if tensor.dim() > 0:
        if tensor.device != device:
            raise ValueError(
                f"{name} is on device {tensor.device} but {owner} device {device}; "
                f"move one of them, e.g. {name}.to({str(device)!r})"
            )
        if tensor.is_floating_point() and tensor.dtype != dtype:
            raise ValueError(
                f"{name} has dtype {tensor.dtype} but {owner} dtype {dtype}; convert one of them, e.g. {name}.to({dtype})"
            )
    return tensor.to(dtype=dtype, device=device)


def as_float_tensor(
    value: object, name: str, like: Tensor | None = None, owner: str = "the model's parameters have"
) -> Tensor:
    """Return ``value`` as a floating-point tensor; with ``like``, in ``like``'s dtype and on its device.

    Without ``like``: a floating tensor is returned unchanged; anything else
    becomes a tensor of torch's default dtype (float32) — NumPy float64 arrays
    stay float64. With ``like`` (e.g. a model's first parameter) the rule of the
    module docstring applies: a floating tensor of another dtype, or any tensor on
    another device, is a ``ValueError`` naming both (``owner`` says what ``like``
    is, with its verb); lists, arrays, integer tensors and scalars are converted.
    Raises :class:`InputTypeError` for values that cannot become a tensor.

    Example:
        >>> as_float_tensor([1, 0], "x")
        tensor([1., 0.])
        >>> as_float_tensor([1, 0], "x", like=torch.zeros(2, dtype=torch.float64)).dtype
        torch.float64
        >>> as_float_tensor(torch.zeros(2), "x", like=torch.zeros(2, dtype=torch.float64))
        Traceback (most recent call last):
        ...
        ValueError: x has dtype torch.float32 but the model's parameters have dtype torch.float64; ...
    """
    tensor = as_tensor(value, name)
    if like is not None:
        return _conform(value, tensor, name, like.dtype, like.device, owner)
    if not tensor.is_floating_point():
        tensor = tensor.to(torch.get_default_dtype())
    return tensor


def common_float(**named: object) -> list[Tensor]:
    """The named values as floating-point tensors of one dtype on one device (the rule of the module docstring).

    The dtype and device are those of the floating tensors among the values
    (with at least one dimension); they must agree, or the ``ValueError`` names
    the first two that differ. Without such a tensor the values are promoted to
    a common floating dtype (torch's default dtype if none is floating).

    Example:
        >>> [t.dtype for t in common_float(x=[1, 0], logits=torch.zeros(2, dtype=torch.float64))]
        [torch.float64, torch.float64]
        >>> common_float(x=torch.zeros(2), logits=torch.zeros(2, dtype=torch.float64))
        Traceback (most recent call last):
        ...
        ValueError: logits has dtype torch.float64 but x has dtype torch.float32; ...
    """
    tensors = {name: as_tensor(value, name) for name, value in named.items()}
    leaders = [
        name
        for name, t in tensors.items()
        if isinstance(named[name], Tensor) and t.dim() > 0 and (t.is_floating_point() or t.device.type != "cpu")
    ]
    floats = [name for name in leaders if tensors[name].is_floating_point()]
    if floats:
        dtype, device = tensors[floats[0]].dtype, tensors[floats[0]].device
    else:
        candidates = [t.dtype for t in tensors.values() if t.is_floating_point()]
        dtype = functools.reduce(torch.promote_types, candidates) if candidates else torch.get_default_dtype()
        device = tensors[leaders[0]].device if leaders else torch.device("cpu")
    owner = f"{(floats or leaders or ['one value'])[0]} has"
    return [_conform(named[name], t, name, dtype, device, owner) for name, t in tensors.items()]


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
    try:  # NumPy's rule is torch's, without the 0.7 s torch.broadcast_shapes spends importing on first use
        return torch.Size(np.broadcast_shapes(*(tuple(t.shape) for t in tensors.values())))
    except ValueError as err:
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
        raise InputTypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    if upper is not None and value > upper:
        raise ValueError(f"{name} must be <= {upper}, got {value}")


def generator_device(generator: torch.Generator | None, device: torch.device) -> torch.device:
    """Where to draw random numbers for a result on ``device``: the generator's own device if one is given.

    torch refuses a CPU generator for a draw on a GPU; drawing on the generator's
    device and moving the result keeps an explicit generator reproducible on every device.

    Example:
        >>> generator_device(torch.Generator(), torch.device("cpu"))
        device(type='cpu')
    """
    return generator.device if generator is not None else device


def randn(shape: Sequence[int], like: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """Standard normal noise of ``shape`` in ``like``'s dtype and on its device (drawn on the generator's device).

    Example:
        >>> randn((2, 3), torch.zeros(1, dtype=torch.float64), torch.Generator().manual_seed(0)).dtype
        torch.float64
    """
    device = generator_device(generator, like.device)
    return torch.randn(tuple(shape), generator=generator, dtype=like.dtype, device=device).to(like.device)
