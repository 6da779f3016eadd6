"""The PDF's LaTeX writer (_ext/pdf_edition.py) on tiny books: no TeX needed, a few seconds.

tools/build_pdf.sh checks the real PDF (.ci/run); these tests pin what the extension
promises: the book's own equation numbers in LaTeX, the website's math untouched, the
landing page gathered into a chapter, left-out pages gone, the PDF found beside its site.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.util.docutils import docutils_namespace

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("pdf_edition", ROOT / "_ext" / "pdf_edition.py")
pdf_edition = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pdf_edition)

TAGGED = "$$\nx \\sim p_\\theta(x)\n\\tag{1.1}\n$$"
PAGES = {
    "index": "# The book\n\nIts own text.\n\n## How to read it\n\nRead it.\n",
    "ch": f"# 1.1 A chapter\n\n(eq-1-1)=\n{TAGGED}\n\nSee {{ref}}`(1.1) <eq-1-1>`, {{doc}}`api`, and\n\n$$\na = b\n$$\n",
    "api": "# API\n\nDocstrings.\n",
}


def build(tmp_path: Path, builder: str) -> Path:
    """Build the tiny book with ``builder``; its output folder."""
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    for name, text in PAGES.items():
        (src / f"{name}.md").write_text(text)
    (src / "_toc.yml").write_text(
        "format: jb-book\nroot: index\nparts:\n  - caption: Part one\n    chapters:\n      - file: ch\n      - file: api\n"
    )
    (src / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / '_ext')!r})\n"
        "extensions = ['myst_parser', 'sphinx_external_toc', 'pdf_edition']  # the toctree as Jupyter Book makes it\n"
        "myst_enable_extensions = ['dollarmath', 'amsmath']\n"
        "pdf_leave_out = ['api']\n"
        "latex_documents = [('index', 'book.tex', 'The book', 'us', 'manual')]\n"
    )
    out = tmp_path / "_build" / builder
    with docutils_namespace():  # a fresh docutils registry per build, as sphinx-build has
        Sphinx(src, src, out, tmp_path / f"doctrees-{builder}", builder, status=None, warningiserror=True).build()
    return out


@pytest.fixture(scope="module")
def latex(tmp_path_factory) -> str:
    return (build(tmp_path_factory.mktemp("latex"), "latex") / "book.tex").read_text()


def test_a_tagged_display_is_an_equation_star_without_split_and_keeps_its_number(latex):
    display = re.search(r"\\begin\{equation\*\}\n(.*?)\\end\{equation\*\}", latex, re.S).group(1)
    assert "\\tag{1.1}" in display and "split" not in display
    assert latex.count("\\tag{1.1}") == 1


def test_an_untagged_display_is_left_to_sphinx(latex):
    assert re.search(r"\\begin\{split\}\s*a = b", latex)


def test_the_landing_page_is_a_chapter_and_the_contents_keep_their_name(latex):
    body = latex[latex.index("\\begin{document}") :]
    assert (
        body.index("\\chapter{About this book}") < body.index("Its own text.") < body.index("\\chapter{1.1 A chapter}")
    )
    assert "\\section{How to read it}" in body
    assert "\\contentsname" not in latex[: latex.index("\\begin{document}")]  # no toctree caption as the name


def test_a_left_out_page_is_gone_and_a_link_to_it_keeps_its_text(latex):
    assert "Docstrings" not in latex and "api::doc" not in latex
    assert re.search(r"\{API\}", latex)


def test_the_website_math_is_untouched(tmp_path):
    page = (build(tmp_path, "html") / "ch.html").read_text()
    assert page.count("\\tag{1.1}") == 1
    assert 'class="eqno"' not in page  # no Sphinx number beside the book's own


def test_is_self_tagged():
    assert pdf_edition.is_self_tagged(nodes.math_block("", "x \\tag{1.1}"))
    assert not pdf_edition.is_self_tagged(nodes.math_block("", "x"))
    assert not pdf_edition.is_self_tagged(nodes.math_block("", "x \\tag{1.1}", nowrap=True))
    assert not pdf_edition.is_self_tagged(nodes.math_block("", "x \\tag{1.1}", label="x"))
    assert not pdf_edition.is_self_tagged(nodes.math_block("", "x \\tag{1.1}\n\ny"))


def test_nothing_before_the_first_chapter_means_no_front_matter():
    doctree = nodes.document(None, None)
    root = nodes.section("", nodes.title("Book", "Book"), addnodes.start_of_file(docname="ch"))
    doctree += root
    pdf_edition.front_matter_chapter(doctree, "About this book")
    assert [type(child) for child in root.children] == [nodes.title, addnodes.start_of_file]


@pytest.mark.parametrize(
    ("site", "pdf", "found"),
    [
        ("_build/html", "_build/pdf/book.pdf", True),
        ("_build/html/ko", "_build/pdf/ko/book.pdf", True),
        ("_build/html/ko", "_build/pdf/book.pdf", False),  # the English PDF is not the Korean site's
        ("_build/html", "_build/pdf/latex/book.pdf", False),  # LaTeX's working copy is not the edition's PDF
        ("_build/latex", "_build/pdf/book.pdf", False),  # not a website
    ],
)
def test_the_pdf_beside_a_site_is_its_editions(tmp_path, site, pdf, found):
    (tmp_path / pdf).parent.mkdir(parents=True)
    (tmp_path / pdf).write_bytes(b"%PDF")
    assert (pdf_edition.edition_pdf(tmp_path / site) == tmp_path / pdf) is found
