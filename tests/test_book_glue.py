"""vae_lib.book.glue: what a chapter stores for its prose."""

import numpy as np
import pytest
import torch

from vae_lib.book import glue


def test_glue_returns_its_value_outside_a_kernel():
    t = torch.tensor(0.25)
    assert glue("t", t) is t
    assert glue("n", 3) == 3
    assert glue("s", "text") == "text"


@pytest.mark.parametrize("bad", [torch.ones(2), np.ones(3), [1.0], None, True])
def test_glue_rejects_what_the_prose_cannot_format(bad):
    with pytest.raises(ValueError, match="glue 'x'"):
        glue("x", bad)


@pytest.mark.parametrize("name", ["", "a b", "1x", 3])
def test_glue_rejects_bad_names(name):
    with pytest.raises(ValueError, match="glue name"):
        glue(name, 1.0)


def test_glue_stores_a_plain_number_in_a_kernel(monkeypatch):
    """In a kernel, tensors and NumPy scalars reach myst_nb as Python numbers."""
    import IPython
    import myst_nb

    recorded = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display: recorded.append((name, value, display)))
    glue("a", torch.tensor(1.5, dtype=torch.float64))
    glue("b", np.float32(2.0))
    glue("c", 7)
    assert recorded == [("a", 1.5, False), ("b", 2.0, False), ("c", 7, False)]
    assert all(type(v) in (float, int) for _, v, _ in recorded)
