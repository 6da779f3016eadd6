"""The PDF of each edition: Sphinx's LaTeX writer shaped like the website, and a link to it.

``tools/build_pdf.sh`` builds the PDF; this extension is active in every build. For the
LaTeX builder only (the website's pages are not touched):

* Tagged equations. The chapters number their equations with the book's own
  numbers, ``$$ … \\tag{1.11} $$`` (MathJax shows exactly "(1.11)"). Sphinx wraps
  every display in ``equation*`` + ``split``, and amsmath forbids ``\\tag`` inside
  ``split`` ("\\tag not allowed here"). A single display that carries its own
  ``\\tag`` is written as ``equation*`` without ``split``, where amsmath allows it,
  so the PDF prints "(1.11)" and nothing else.
* Table of contents. Sphinx names the contents after the first toctree caption
  ("Chapter 1 — Introduction"); the PDF calls it "Contents" in its language.
* Front matter. The landing page's title is the book's title (the title page);
  its text, above the chapters on the website, becomes the first chapter, named in
  the edition's language (``FRONT_MATTER``), instead of loose text whose sections
  would pose as chapters.
* Pages left out. ``pdf_leave_out`` lists pages that stay on the website only;
  a link to one of them prints as its title.
* Editions. The title page carries the edition's own title (``html_title``, which a
  translation sets in ``locales/<language>/edition.yml``). Hangul is typeset by
  xetexko (``_config.yml``) in every edition, so a Korean edition keeps LaTeX's
  English settings (polyglossia's ``korean`` would replace the Latin fonts) with its
  own words from ``CONTENTS`` and ``FRONT_MATTER``; Sphinx, which has no LaTeX name
  for Korean, would otherwise warn.

For the HTML builder: when a PDF was built for the edition (``_build/pdf/*.pdf``
for the site in ``_build/html``, ``_build/pdf/ko/*.pdf`` for ``_build/html/ko``),
it is copied beside the edition's pages and every page's sidebar links to it.
Without a PDF the site has no link, and nothing else changes.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.builders.latex import LaTeXBuilder
from sphinx.builders.latex.util import ExtBabel
from sphinx.config import Config
from sphinx.environment import BuildEnvironment
from sphinx.util import texescape
from sphinx.writers.latex import LaTeXTranslator

TEMPLATES = Path(__file__).parent / "templates"
LINK_TEMPLATE = "pdf-link.html"
FRONT_MATTER = {"en": "About this book", "ko": "이 책에 대하여"}  # the landing page's chapter
CONTENTS = {"ko": "차례"}  # where LaTeX's English "Contents" would not do
HANGUL_BY_XETEXKO = {"ko"}  # languages typeset with LaTeX's English settings, their script by xetexko


# --- LaTeX -------------------------------------------------------------------------------------------------


def language(config: Config) -> str:
    """The edition's language without region: ``en``, ``ko``."""
    return (config.language or "en").split("_")[0]


class EditionBabel(ExtBabel):
    """Sphinx's LaTeX language names; Korean is set with English settings, its Hangul by xetexko."""

    def language_name(self, language_code: str) -> str:
        if language_code.split("_")[0] in HANGUL_BY_XETEXKO:
            return "english"
        return super().language_name(language_code)


class BookLaTeXBuilder(LaTeXBuilder):
    """Sphinx's LaTeX builder, knowing the LaTeX name of every edition's language."""

    def init_babel(self) -> None:
        self.babel = EditionBabel(self.config.language, not self.context["babel"])


def is_self_tagged(node: nodes.Element) -> bool:
    """Whether ``node`` is one unlabelled, unwrapped display that sets its own ``\\tag``."""
    text = node.astext()
    return (
        r"\tag{" in text
        and not node.get("nowrap")
        and not node.get("label")
        and len([part for part in text.split("\n\n") if part.strip()]) == 1
    )


class BookLaTeXTranslator(LaTeXTranslator):
    """Sphinx's LaTeX writer with the book's tagged equations and the edition's contents name."""

    def __init__(self, document: nodes.document, builder: LaTeXBuilder, *args: Any, **kwargs: Any) -> None:
        # a toctree caption is not the name of the contents
        document["contentsname"] = CONTENTS.get(language(builder.config), "")
        super().__init__(document, builder, *args, **kwargs)
        if language(builder.config) in HANGUL_BY_XETEXKO:  # one space after a full stop, as Korean is set
            self.elements["preamble"] += "\n\\AddToHook{begindocument/end}{\\frenchspacing}\n"

    def visit_math_block(self, node: nodes.Element) -> None:
        if not is_self_tagged(node):
            super().visit_math_block(node)  # writes Sphinx's display and raises SkipNode
        display = node.astext().strip()
        self.body.append(f"\n\\begin{{equation*}}\n{display}\n\\end{{equation*}}\n")
        raise nodes.SkipNode


def edition_title(app: Sphinx, env: BuildEnvironment) -> None:
    """The title page carries the edition's title (Jupyter Book sets the source's from ``title``)."""
    if app.builder.name == "latex" and app.config.html_title:
        start, target, _, *rest = app.config.latex_documents[0]
        title = texescape.escape(app.config.html_title, app.config.latex_engine)
        app.config.latex_documents = [(start, target, title, *rest)]


def shape_pdf(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """On the whole book (the LaTeX builder's one tree): leave pages out, gather the front matter."""
    if app.builder.name != "latex" or docname != app.config.root_doc:
        return
    leave_out(doctree, set(app.config.pdf_leave_out))
    front_matter_chapter(doctree, FRONT_MATTER.get(language(app.config), FRONT_MATTER["en"]))


def leave_out(doctree: nodes.document, docnames: set[str]) -> None:
    """Drop the pages ``docnames``; a link into one of them keeps its text, unlinked."""
    for page in list(doctree.findall(addnodes.start_of_file)):
        if page["docname"] in docnames:
            page.parent.remove(page)
    for reference in list(doctree.findall(nodes.reference)):
        target = reference.get("refuri", "")
        if target.startswith("%") and target[1:].split("#")[0] in docnames:
            reference.replace_self(nodes.inline("", "", *reference.children))


def front_matter_chapter(doctree: nodes.document, title: str) -> None:
    """Gather the root page's own text (everything before the first chapter) into a chapter ``title``."""
    root = doctree.next_node(nodes.section)
    if root is None:
        return
    body = root.children[1:]  # after the book's title
    starts = (i for i, child in enumerate(body) if child.next_node(addnodes.start_of_file, include_self=True))
    first = next(starts, len(body))
    if first == 0:
        return
    chapter = nodes.section("", nodes.title(title, title), ids=["front-matter"])
    for child in body[:first]:
        root.remove(child)
        chapter += child
    root.insert(1, chapter)


# --- HTML --------------------------------------------------------------------------------------------------


def edition_pdf(outdir: Path) -> Path | None:
    """The PDF built for the site in ``outdir``: ``<build>/pdf/<edition>/*.pdf`` for ``<build>/html/<edition>/``."""
    html = next((folder for folder in (outdir, *outdir.parents) if folder.name == "html"), None)
    if html is None:
        return None
    return next((html.parent / "pdf" / outdir.relative_to(html)).glob("*.pdf"), None)


def find_pdf(app: Sphinx, config: Config) -> None:
    """Record the edition's PDF, if built; as an 'html' setting, its coming or going rewrites every page."""
    pdf = edition_pdf(Path(app.outdir))
    config.pdf_file = pdf.name if pdf else ""
    config.templates_path = [*config.templates_path, str(TEMPLATES)]


def add_pdf_link(app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """Every page's sidebar links to the edition's PDF, when there is one."""
    sidebars = list(context.get("sidebars") or [])
    if not app.config.pdf_file or not sidebars or LINK_TEMPLATE in sidebars:
        return
    after_logo = sidebars.index("navbar-logo.html") + 1 if "navbar-logo.html" in sidebars else 0
    sidebars.insert(after_logo, LINK_TEMPLATE)
    context["sidebars"] = sidebars
    context["pdf_file"] = app.config.pdf_file


def copy_pdf(app: Sphinx, exception: Exception | None) -> None:
    """Put the edition's PDF beside its pages, where the sidebar link points."""
    pdf = edition_pdf(Path(app.outdir)) if exception is None and app.builder.format == "html" else None
    if pdf is not None:
        shutil.copy2(pdf, Path(app.outdir) / pdf.name)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("pdf_leave_out", [], "env", [list])
    app.add_config_value("pdf_file", "", "html", [str])  # set by find_pdf, not in _config.yml
    app.add_builder(BookLaTeXBuilder, override=True)
    app.set_translator("latex", BookLaTeXTranslator)
    app.connect("env-updated", edition_title)
    app.connect("config-inited", find_pdf)
    app.connect("doctree-resolved", shape_pdf)
    app.connect("html-page-context", add_pdf_link)
    app.connect("build-finished", copy_pdf)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
