"""One figure style for the whole book, and the image grid used by several chapters."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes

from vae_lib.checks import check_positive_int

BOOK_STYLE = {
    "figure.figsize": (6.4, 3.6),
    "figure.dpi": 100,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "font.size": 10,
    "legend.frameon": False,
    "image.cmap": "gray_r",
}


def use_book_style() -> None:
    """Apply the book's matplotlib style (call once in a notebook's setup cell).

    In a Jupyter kernel, figures are also stored at twice their pixel density
    ("retina" PNGs, shown at their normal size): sharp on high-resolution
    screens, and about 200 dpi or more in the book's PDF.

    Example:
        >>> use_book_style()
        >>> plt.rcParams["axes.spines.top"]
        False
    """
    plt.rcParams.update(BOOK_STYLE)
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # no IPython: plain scripts keep matplotlib's defaults
        return
    if get_ipython() is not None:
        set_matplotlib_formats("retina")


def image_grid(images: torch.Tensor | np.ndarray, ax: Axes, n_cols: int = 10, side: int = 8, title: str = "") -> Axes:
    """Draw flattened square images (``(N, side*side)``) as one tiled grid on ``ax``.

    Example:
        >>> fig, ax = plt.subplots()
        >>> image_grid(torch.rand(20, 64), ax, n_cols=10)  # doctest: +ELLIPSIS
        <Axes: ...>
    """
    check_positive_int(n_cols, "n_cols")
    check_positive_int(side, "side")
    imgs = np.asarray(images.detach().cpu() if isinstance(images, torch.Tensor) else images, dtype=float)
    if imgs.ndim != 2 or imgs.shape[1] != side * side:
        raise ValueError(f"images must have shape (N, {side * side}), got {imgs.shape}")
    n_rows = -(-len(imgs) // n_cols)
    canvas = np.full((n_rows * (side + 1) - 1, n_cols * (side + 1) - 1), np.nan)
    for k, img in enumerate(imgs):
        r, c = divmod(k, n_cols)
        canvas[r * (side + 1) : r * (side + 1) + side, c * (side + 1) : c * (side + 1) + side] = img.reshape(side, side)
    ax.imshow(canvas, cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax
