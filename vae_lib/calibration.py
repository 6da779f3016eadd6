r"""Calibration of predicted probabilities: the reliability diagram and the expected calibration error (section 1.4).

A classifier :math:`p_\theta(y\mid\mathbf{x})` of (1.4)–(1.5) is *calibrated* when,
of the predictions it makes with confidence :math:`c`, a fraction :math:`c` is
right. :func:`reliability` sorts predictions into equal-width bins by their
confidence (the largest predicted probability) and compares, in each bin, the
mean confidence with the fraction correct (Guo et al., 2017).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

from vae_lib.checks import as_float_tensor, as_tensor, check_nonempty, check_positive_int, check_probabilities


class Reliability(NamedTuple):
    """Per-bin accuracy, mean confidence and count, and the expected calibration error, from :func:`reliability`.

    Bins without predictions have accuracy and confidence 0 (select them with ``count > 0``).

    Example:
        >>> r = Reliability(torch.tensor([1.0]), torch.tensor([0.75]), torch.tensor([4]), torch.tensor(0.25))
        >>> f"ECE = {r.ece:.2f}"
        'ECE = 0.25'
    """

    accuracy: Tensor
    confidence: Tensor
    count: Tensor
    ece: Tensor


def reliability(probs: Tensor, labels: Tensor, n_bins: int = 10) -> Reliability:
    r"""Reliability diagram and expected calibration error of class probabilities ``probs`` against true ``labels``.

    With confidence :math:`c_i = \max_k p_{ik}`, prediction :math:`\hat y_i = \arg\max_k p_{ik}`
    and bins :math:`B_b = \{i : \lfloor c_i M\rfloor = b\}` (:math:`M` = ``n_bins``; a
    confidence of exactly 1 falls in the last bin),

    .. math::
        \mathrm{acc}_b = \frac{1}{|B_b|}\sum_{i\in B_b} [\hat y_i = y_i], \qquad
        \mathrm{conf}_b = \frac{1}{|B_b|}\sum_{i\in B_b} c_i, \qquad
        \mathrm{ECE} = \sum_b \frac{|B_b|}{N}\,\lvert \mathrm{acc}_b - \mathrm{conf}_b\rvert .

    Args:
        probs: predicted probabilities :math:`\mathbf{p}` of (1.4), shape ``(N, K)``, each in [0, 1].
        labels: true classes ``0 … K-1``, shape ``(N,)``.
        n_bins: number of equal-width confidence bins :math:`M` over [0, 1].

    Returns:
        :class:`Reliability` ``(accuracy, confidence, count, ece)``: three tensors of
        shape ``(n_bins,)`` and a scalar, in the dtype and on the device of ``probs``
        (``count`` is integer).

    Example:
        >>> probs = torch.tensor([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
        >>> r = reliability(probs, torch.tensor([0, 1, 1, 0]))
        >>> r.count.tolist(), round(r.ece.item(), 4)  # (0.1 + 0.8 + 0.3 + 0.4) / 4
        ([0, 0, 0, 0, 0, 0, 1, 1, 1, 1], 0.4)
    """
    check_positive_int(n_bins, "n_bins")
    probs = as_float_tensor(probs, "probs")
    if probs.dim() != 2:
        raise ValueError(
            f"probs must have shape (N, K), one row of class probabilities per prediction, got {tuple(probs.shape)}"
        )
    check_nonempty(probs, "probs")
    check_probabilities(probs, "probs")
    labels = as_tensor(labels, "labels", like=probs, owner="probs has")
    if labels.shape != probs.shape[:1] or labels.is_floating_point() or labels.dtype == torch.bool:
        raise ValueError(
            f"labels must hold {probs.shape[0]} integer classes (shape ({probs.shape[0]},)), got {tuple(labels.shape)} {labels.dtype}"
        )
    confidence, predicted = probs.max(dim=-1)
    correct = (predicted == labels).to(probs.dtype)
    bins = (confidence * n_bins).long().clamp_(0, n_bins - 1)
    count = torch.bincount(bins, minlength=n_bins)
    per_bin = count.clamp_min(1).to(probs.dtype)
    accuracy = torch.bincount(bins, weights=correct, minlength=n_bins) / per_bin
    mean_confidence = torch.bincount(bins, weights=confidence, minlength=n_bins) / per_bin
    ece = (count * (accuracy - mean_confidence).abs()).sum() / probs.shape[0]
    return Reliability(accuracy, mean_confidence, count, ece)
