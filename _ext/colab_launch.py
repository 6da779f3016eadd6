"""The Colab button of a chapter page opens the chapter's Colab edition, not its MyST source.

sphinx-book-theme builds the Colab URL from ``repository.url`` and the page's source,
``…/blob/<branch>/chapters/<page>.ipynb``; that notebook shows raw MyST in Colab. This
extension runs after the theme has added its buttons (``html-page-context``, priority 501)
and points the Colab button at ``<colab_edition_dir>/<page>.ipynb``, the notebook
``python -m tools.colab_edition --write`` generates into the repository. A page whose
Colab notebook is missing is a build warning (an error under ``-W``).

``colab_edition_dir`` (default ``colab``) lets a translated edition point its pages at
its own notebooks, e.g. ``-D colab_edition_dir=colab/ko``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)


def colab_buttons(context: dict[str, Any], colab_url: str) -> list[dict[str, Any]]:
    """The theme's Colab launch buttons on this page (none on pages that are not notebooks)."""
    groups = [b for b in context.get("header_buttons", []) if b.get("label") == "launch-buttons"]
    return [b for g in groups for b in g.get("buttons", []) if b.get("url", "").startswith(f"{colab_url}/github/")]


def point_at_colab_edition(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree) -> None:
    colab_url = app.config.html_theme_options.get("launch_buttons", {}).get("colab_url", "").rstrip("/")
    for button in colab_buttons(context, colab_url) if colab_url else []:
        repo, _, rest = button["url"].partition("/blob/")
        branch, _, _source = rest.partition("/")
        edition = f"{app.config.colab_edition_dir.strip('/')}/{Path(pagename).name}.ipynb"
        if not (Path(app.confdir) / edition).is_file():
            logger.warning(
                f"no Colab edition {edition} for {pagename}: run `python -m tools.colab_edition --write`",
                location=pagename,
            )
        button["url"] = f"{repo}/blob/{branch}/{edition}"


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("colab_edition_dir", "colab", "html")
    app.connect("html-page-context", point_at_colab_edition, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
