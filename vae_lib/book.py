"""Tie the book's prose to the numbers its cells compute.

A number the prose states is *glued* from the cell that computes it
(MyST-NB's ``{glue:text}`name:.3g``` role), never typed by hand; this module
holds the one helper the chapters use for that.
"""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


def glue(name: str, value: T) -> T:
    """Record ``value`` under ``name`` for the book's prose, and return it unchanged.

    Inside a Jupyter Book build (an IPython kernel with ``myst_nb`` installed) the
    value is stored as a hidden output of the cell, and the page's Markdown shows
    it with ``{glue:text}`name:.3g``` (any format spec). Tensors and NumPy
    scalars with one element are stored as plain Python numbers, so the format
    spec applies to them. Anywhere else (a plain Python session, Colab without
    ``myst_nb``) nothing is recorded.

    Args:
        name: the key the prose refers to; unique within a notebook.
        value: a number (int, float, one-element tensor or array) or a string.

    Returns:
        ``value``, so a line can glue and assign at once.

    Example:
        >>> import torch
        >>> gap = glue("gap", torch.tensor(0.1234))
        >>> round(gap.item(), 4)
        0.1234
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"glue name must be an identifier-like string, got {name!r}")
    stored = value
    if hasattr(value, "item"):  # a torch or NumPy scalar
        try:
            stored = value.item()
        except (ValueError, RuntimeError) as error:
            raise ValueError(f"glue {name!r}: expected one number, got {type(value).__name__} ({error})") from None
    if isinstance(stored, bool) or not isinstance(stored, int | float | str):
        raise ValueError(f"glue {name!r}: expected a number or a string, got {type(value).__name__}")
    try:
        from IPython import get_ipython
        from myst_nb import glue as myst_glue
    except ImportError:
        return value
    if get_ipython() is not None:
        myst_glue(name, stored, display=False)
    return value
