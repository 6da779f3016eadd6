"""One seeded optimisation loop for every model in the book.

Full-batch gradient descent and minibatch SGD are the same loop with a
different ``batch_size`` (``None`` = the whole dataset), so comparisons between
them measure the method, not two implementations.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from vae_lib.checks import check_aligned_rows, check_positive_int
from vae_lib.data import minibatches
from vae_lib.progress import progress_bar


@dataclass
class History:
    """What happened during :func:`train`, one entry per step (``eval`` per evaluation).

    Attributes:
        loss: minibatch loss after each step's forward pass.
        examples: cumulative number of data points processed.
        seconds: cumulative wall time (excluding evaluations).
        eval_step: steps at which ``eval_fn`` ran; ``eval``: its values.

    Example:
        >>> w = nn.Parameter(torch.zeros(1))
        >>> h = train(lambda x: ((x - w) ** 2).mean(), [w], torch.ones(4, 1), steps=3, progress=False)
        >>> len(h.loss), h.examples
        (3, [4, 8, 12])
    """

    loss: list[float] = field(default_factory=list)
    examples: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    eval_step: list[int] = field(default_factory=list)
    eval: list[float] = field(default_factory=list)


def _batches(data: tuple[Tensor, ...], batch_size: int, generator: torch.Generator) -> Iterator[tuple[Tensor, ...]]:
    if batch_size == data[0].shape[0]:
        while True:
            yield data
    while True:
        yield from minibatches(*data, batch_size=batch_size, generator=generator)


def train(
    loss_fn: Callable[..., Tensor],
    params: nn.Module | Iterable[nn.Parameter],
    data: Tensor | tuple[Tensor, ...],
    *,
    steps: int,
    batch_size: int | None = None,
    optimizer: str = "adam",
    lr: float = 1e-2,
    weight_decay: float = 0.0,
    seed: int = 0,
    eval_fn: Callable[[], float] | None = None,
    eval_every: int = 0,
    progress: bool = True,
    desc: str = "train",
) -> History:
    r"""Minimise ``loss_fn`` over minibatches of ``data`` for ``steps`` steps.

    With ``batch_size=None`` every step uses the full dataset (batch gradient
    descent on (1.10)); otherwise each step uses a fresh minibatch
    :math:`\mathcal{M}` of an epoch-wise shuffle, whose average loss is the unbiased
    estimate (1.11) and whose gradient is (1.12).

    Args:
        loss_fn: called as ``loss_fn(*batch)`` with the batch's tensors (in the
            order of ``data``); returns a scalar to minimise, e.g. the negative
            mean log-likelihood.
        params: a module or its parameters.
        data: a tensor or tuple of aligned tensors (same number of rows).
        steps: number of optimiser steps.
        batch_size: rows per step; ``None`` for full batch.
        optimizer: ``"adam"`` or ``"sgd"``.
        lr: learning rate.
        weight_decay: L2 penalty coefficient passed to the optimiser (a Gaussian
            prior on the weights: MAP, section 1.6.3).
        seed: seeds the minibatch order (the model's own initialisation is the caller's).
        eval_fn: optional callable returning a float (e.g. held-out log-likelihood),
            run every ``eval_every`` steps and after the last step.
        progress: show a progress bar with the running loss.
        desc: the progress bar's label.

    Returns:
        A :class:`History`.

    Example:
        >>> w = nn.Parameter(torch.zeros(1))
        >>> h = train(lambda x: ((x - w) ** 2).mean(), [w], torch.ones(8, 1), steps=200, lr=0.1, progress=False)
        >>> round(w.item(), 3)
        1.0
    """
    data = (data,) if isinstance(data, Tensor) else tuple(data)
    if not data:
        raise ValueError("data must hold at least one tensor")
    n = check_aligned_rows(data)
    batch_size = n if batch_size is None else batch_size
    check_positive_int(batch_size, "batch_size", upper=n)
    check_positive_int(steps, "steps")
    if not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a finite number > 0, got {lr}")
    params = list(params.parameters() if isinstance(params, nn.Module) else params)
    if not params:
        raise ValueError("params is empty: nothing to optimise")
    optimizers = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}
    if optimizer not in optimizers:
        raise ValueError(f"optimizer must be one of {sorted(optimizers)}, got {optimizer!r}")
    opt = optimizers[optimizer](params, lr=lr, weight_decay=weight_decay)
    batches = _batches(data, batch_size, torch.Generator().manual_seed(seed))
    history = History()
    elapsed, seen = 0.0, 0
    with progress_bar(steps, desc, enabled=progress) as bar:
        for step in range(1, steps + 1):
            start = time.perf_counter()
            batch = next(batches)
            loss = loss_fn(*batch)
            if loss.dim() != 0:
                raise ValueError(f"loss_fn must return a scalar, got shape {tuple(loss.shape)}")
            if not torch.isfinite(loss):
                raise ValueError(f"loss became {loss.item()} at step {step}; lower lr or check the model")
            opt.zero_grad()
            loss.backward()
            opt.step()
            elapsed += time.perf_counter() - start
            seen += batch[0].shape[0]
            history.loss.append(loss.item())
            history.examples.append(seen)
            history.seconds.append(elapsed)
            if eval_fn is not None and ((eval_every and step % eval_every == 0) or step == steps):
                history.eval_step.append(step)
                history.eval.append(float(eval_fn()))
            bar.set_postfix_str(f"loss={history.loss[-1]:.4g}", refresh=False)
            bar.update()
    return history
