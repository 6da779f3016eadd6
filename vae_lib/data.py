"""Offline datasets and minibatching.

The default real dataset is scikit-learn's bundled 8×8 handwritten digits
(1 797 images, no download). :func:`read_idx` reads MNIST-format IDX files a
reader already has on disk.
"""

from __future__ import annotations

import gzip
import struct
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits as _sklearn_digits
from torch import Tensor

from vae_lib.checks import check_aligned_rows, check_positive_int, generator_device


def load_digits(
    binarize: bool = False,
    threshold: float = 0.5,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> tuple[Tensor, Tensor]:
    """scikit-learn's 8×8 digits as tensors: images scaled to [0, 1], and labels.

    Each image is a data point :math:`\\mathbf{x}^{(i)}` of the dataset (1.9),
    flattened to 64 pixels.

    Args:
        binarize: if True, pixels become 0/1 (``x > threshold``), the binary data
            of the Bernoulli model (1.15)–(1.18).
        threshold: binarisation threshold on the [0, 1] scale.
        dtype: floating dtype of the images.
        device: where both tensors are created (the CPU by default).

    Returns:
        ``(x, y)``: images of shape ``(1797, 64)`` and integer labels ``(1797,)``.

    Example:
        >>> x, y = load_digits(binarize=True)
        >>> x.shape, y.shape, x.unique().tolist()
        (torch.Size([1797, 64]), torch.Size([1797]), [0.0, 1.0])
    """
    if not dtype.is_floating_point:
        raise ValueError(f"dtype must be a floating-point dtype, got {dtype}")
    if not 0.0 <= threshold < 1.0:
        raise ValueError(f"threshold must be in [0, 1), got {threshold}")
    bunch = _sklearn_digits()
    x = torch.as_tensor(bunch.data / 16.0, dtype=dtype, device=device)
    if binarize:
        x = (x > threshold).to(dtype)
    return x, torch.as_tensor(bunch.target, dtype=torch.long, device=device)


def minibatches(
    *tensors: Tensor,
    batch_size: int,
    generator: torch.Generator | None = None,
    shuffle: bool = True,
    drop_last: bool = False,
) -> Iterator[tuple[Tensor, ...]]:
    """One epoch of minibatches :math:`\\mathcal{M} \\subset \\mathcal{D}` (1.11) over aligned tensors.

    Rows are shuffled (reproducibly, with ``generator``) and cut into
    consecutive batches of ``batch_size`` rows, so each epoch visits every data
    point exactly once.

    Example:
        >>> x = torch.arange(5.0)
        >>> [b.tolist() for (b,) in minibatches(x, batch_size=2, shuffle=False)]
        [[0.0, 1.0], [2.0, 3.0], [4.0]]
    """
    if not tensors:
        raise ValueError("minibatches needs at least one tensor")
    n = check_aligned_rows(tensors)
    check_positive_int(batch_size, "batch_size", upper=n)
    device = tensors[0].device
    if shuffle:
        order = torch.randperm(n, generator=generator, device=generator_device(generator, device)).to(device)
    else:
        order = torch.arange(n, device=device)
    stop = n - n % batch_size if drop_last else n
    return (tuple(t[order[start : start + batch_size]] for t in tensors) for start in range(0, stop, batch_size))


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (the MNIST format), optionally gzip-compressed, into a NumPy array.

    For readers who already have ``train-images-idx3-ubyte(.gz)`` etc. on disk;
    nothing is downloaded. Header: two zero bytes, a type code, the number of
    dimensions, then one big-endian uint32 per dimension.

    Example:
        >>> images = read_idx("train-images-idx3-ubyte.gz")  # doctest: +SKIP
        >>> images.shape  # doctest: +SKIP
        (60000, 28, 28)
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path} is not an IDX file (bad magic number)")
    dtypes = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    if raw[2] not in dtypes:
        raise ValueError(f"{path}: unknown IDX type code 0x{raw[2]:02x}")
    ndim = raw[3]
    shape = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
    dtype = np.dtype(dtypes[raw[2]])
    body = raw[4 + 4 * ndim :]
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(body) != expected:
        raise ValueError(f"{path}: header promises {expected} data bytes for shape {shape}, found {len(body)}")
    return np.frombuffer(body, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))
