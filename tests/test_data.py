"""vae_lib.data: digits loader, minibatch iterator, IDX reader (on files the test writes)."""

import gzip
import struct

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits as sklearn_digits

from vae_lib.data import load_digits, minibatches, read_idx


def test_digits_scaled_to_unit_interval_and_match_sklearn():
    x, y = load_digits()
    ref = sklearn_digits()
    assert x.shape == (1797, 64) and y.shape == (1797,)
    assert x.min().item() == 0.0 and x.max().item() == 1.0
    np.testing.assert_allclose(x.numpy(), ref.data / 16.0, rtol=1e-6)
    assert torch.equal(y, torch.as_tensor(ref.target))


def test_digits_binarized_is_binary():
    x, _ = load_digits(binarize=True, dtype=torch.float64)
    assert x.dtype == torch.float64
    assert set(x.unique().tolist()) == {0.0, 1.0}
    assert torch.equal(x, (torch.as_tensor(sklearn_digits().data) / 16.0 > 0.5).double())


def test_digits_bad_threshold():
    with pytest.raises(ValueError, match=r"threshold must be in \[0, 1\)"):
        load_digits(binarize=True, threshold=1.5)


def test_minibatches_cover_each_row_once_and_are_reproducible():
    x = torch.arange(10.0)
    y = torch.arange(10) * 2
    batches = list(minibatches(x, y, batch_size=3, generator=torch.Generator().manual_seed(0)))
    assert [len(b[0]) for b in batches] == [3, 3, 3, 1]
    seen = torch.cat([b[0] for b in batches])
    assert sorted(seen.tolist()) == x.tolist()
    assert all(torch.equal(bx * 2, by.float()) for bx, by in batches)
    again = list(minibatches(x, y, batch_size=3, generator=torch.Generator().manual_seed(0)))
    assert all(torch.equal(a[0], b[0]) for a, b in zip(batches, again, strict=True))


def test_minibatches_drop_last():
    assert [len(b) for (b,) in minibatches(torch.arange(10.0), batch_size=3, drop_last=True)] == [3, 3, 3]


@pytest.mark.parametrize(
    ("tensors", "batch_size", "message"),
    [
        ((torch.zeros(0, 2),), 1, "data is empty"),
        ((torch.zeros(4, 2),), 0, "batch_size must be >= 1"),
        ((torch.zeros(4, 2),), 5, "batch_size must be <= 4"),
        ((torch.zeros(4, 2), torch.zeros(3)), 2, "tensor 1 has 3 rows, expected 4"),
    ],
)
def test_minibatches_bad_input(tensors, batch_size, message):
    with pytest.raises(ValueError, match=message):
        next(minibatches(*tensors, batch_size=batch_size))


def write_idx(path, array, type_code=0x08, compress=False):
    header = bytes([0, 0, type_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    with (gzip.open if compress else open)(path, "wb") as f:  # closed, so gzip flushes (Python 3.12 loses it otherwise)
        f.write(payload)


@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_roundtrip_images(tmp_path, compress):
    images = np.random.default_rng(0).integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    path = tmp_path / ("images.idx3-ubyte" + (".gz" if compress else ""))
    write_idx(path, images, compress=compress)
    got = read_idx(path)
    assert got.shape == (5, 28, 28) and got.dtype == np.uint8
    np.testing.assert_array_equal(got, images)


def test_read_idx_labels_and_float_types(tmp_path):
    labels = np.arange(10, dtype=np.uint8)
    write_idx(tmp_path / "labels", labels)
    np.testing.assert_array_equal(read_idx(tmp_path / "labels"), labels)
    floats = np.linspace(0, 1, 6, dtype=np.float32).reshape(2, 3)
    write_idx(tmp_path / "floats", floats, type_code=0x0D)
    np.testing.assert_array_equal(read_idx(tmp_path / "floats"), floats)


def test_read_idx_rejects_bad_files(tmp_path):
    (tmp_path / "bad").write_bytes(b"\x01\x02\x08\x01")
    with pytest.raises(ValueError, match="bad magic number"):
        read_idx(tmp_path / "bad")
    (tmp_path / "short").write_bytes(bytes([0, 0, 8, 1]) + struct.pack(">I", 10) + b"\x00" * 3)
    with pytest.raises(ValueError, match="promises 10 data bytes"):
        read_idx(tmp_path / "short")
    (tmp_path / "type").write_bytes(bytes([0, 0, 0x42, 1]) + struct.pack(">I", 1) + b"\x00")
    with pytest.raises(ValueError, match="unknown IDX type code 0x42"):
        read_idx(tmp_path / "type")
