"""Language editions of the book: one source, one set of stored outputs, a site per language.

The English edition is built at the site's root (``jupyter-book build .``); each
translation is built by ``tools/i18n.py build`` from the same sources and the
catalogs in ``locales/<language>/LC_MESSAGES`` into a folder named after its
language (``_build/html/ko``). ``book_editions`` in ``_config.yml`` lists them,
the source language first. This extension, active in every edition:

- links every page to the same page in each other edition (a sidebar entry,
  ``language-switch.html``): ``chapters/x.html`` ↔ ``ko/chapters/x.html``;
- in a translated edition, points "Suggest edit" at the page's catalog (the
  translation is what a reader of that edition can correct), shows a notice on a
  page that is not fully translated yet, lists the glossary in the order of its
  language with the source-language term beside each translated headword, and
  translates the captions of the table of contents (``_toc.yml``);
- keeps the library's docstrings (the API page) out of the catalogs: they stay in
  the source language, are never translated, and are not even generated while
  messages are extracted; makes exercise titles messages (sphinx-exercise leaves
  them out); and lets a translated message use the page's glued values (below).

Sphinx itself writes ``<html lang="…">`` from ``language``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from myst_nb import sphinx_ as myst_nb_sphinx
from myst_nb.sphinx_ import Parser as NotebookParser
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.locale import init as init_locale
from sphinx.transforms import SphinxTransform
from sphinx.util.docutils import SphinxDirective
from sphinx.util.i18n import docname_to_domain

TEMPLATES = Path(__file__).parent / "templates"
SWITCH_TEMPLATE = "language-switch.html"
# How each edition names itself in the switch, and the notice on a page not yet fully translated.
NAMES = {"en": "English", "ko": "한국어"}
NOTICE = {
    "ko": "이 페이지는 아직 번역 중이다: 문단 {total}개 중 {translated}개가 번역되었고, 나머지는 영어 원문으로 보인다.",
}


def source_language(config: Config) -> str:
    """The language the book is written in: the first of ``book_editions``."""
    return config.book_editions[0]


def is_translation(config: Config) -> bool:
    """Whether this build is a translated edition (not the source language)."""
    return (config.language or "en") != source_language(config)


def edition_folder(config: Config, language: str) -> str:
    """Where an edition lives relative to the site's root: ``""`` for the source, else its language."""
    return "" if language == source_language(config) else f"{language}/"


def edition_links(app: Sphinx, pagename: str) -> list[dict[str, str]]:
    """Relative links from ``pagename`` to the same page in every other edition."""
    config, current = app.config, app.config.language or "en"
    # from this page up to its edition's root, then up to the site's root
    to_site_root = "../" * pagename.count("/") + ("../" if is_translation(config) else "")
    target = app.builder.get_target_uri(pagename)
    return [
        {
            "language": language,
            "name": NAMES.get(language, language),
            "url": to_site_root + edition_folder(config, language) + target,
        }
        for language in config.book_editions
        if language != current
    ]


class KeepDocstringsInSourceLanguage(SphinxTransform):
    """The library's docstrings are code documentation: never extracted, never translated."""

    default_priority = 15  # before Sphinx's Locale transform (20)

    def apply(self, **kwargs: Any) -> None:
        for node in self.document.findall(nodes.TextElement):
            if ":docstring of " in (node.source or "") or any(isinstance(a, addnodes.desc) for a in _ancestors(node)):
                node["translatable"] = False


class _AnyOptions(dict):
    """Accepts every option (as text): the directive it stands in for has many."""

    def __missing__(self, key: str):
        return directives.unchanged


class DocstringsNotExtracted(SphinxDirective):
    """Stands in for autodoc's directives while messages are extracted (gettext builder).

    Docstrings are never translated, so extraction need not import the library (half its time).
    """

    has_content = True
    optional_arguments = 1
    final_argument_whitespace = True
    option_spec = _AnyOptions()  # whatever autodoc's options were

    def run(self) -> list[nodes.Node]:
        return []


def skip_autodoc_when_extracting(app: Sphinx) -> None:
    if app.builder.name == "gettext":
        for name in ("automodule", "autoclass", "autofunction", "autodata", "automethod", "autoattribute"):
            app.add_directive(name, DocstringsNotExtracted, override=True)


class TranslatableExerciseTitles(SphinxTransform):
    """Exercise titles (``{exercise} Title``) become messages: sphinx-exercise gives them no source.

    The title's text goes into a translatable inline node (as Sphinx's own placeholders do), which
    survives sphinx-exercise's rewriting of the title, so the gettext builder still finds it.
    Only a title of plain text (the book's are): its text is then exactly the markdown it came from.
    The title nodes around it ("Exercise 1.4.2", "Solution") are no messages: sphinx-exercise
    translates their words itself, and Sphinx would count them as untranslated paragraphs.
    """

    default_priority = 15  # before Sphinx's Locale transform (20)

    def apply(self, **kwargs: Any) -> None:
        for node in self.document.findall(nodes.title):
            if type(node).__name__ in {"exercise_title", "solution_title"}:
                node["translatable"] = False
        for node in list(self.document.findall(nodes.subtitle)):
            exercise = node.parent.parent if node.parent is not None else None
            if type(node).__name__ != "exercise_subtitle" or exercise is None:
                continue
            if node.children and all(isinstance(child, nodes.Text) for child in node.children):
                text = node.astext()
                wrapper = nodes.inline(text, "", *node.children, translatable=True)
                wrapper.source, wrapper.line = exercise.source or self.document["source"], exercise.line
                node.children = []
                node += wrapper


class TranslateTocCaptions(SphinxTransform):
    """Translate the table of contents' part captions ("Reference"), which reach a page too late for Sphinx.

    sphinx-external-toc inserts the toctrees of ``_toc.yml`` (priority 100) after Sphinx's Locale
    transform (20) has run: their captions are extracted as messages of the root page but would stay
    in the source language. This applies the page's catalog to them.
    """

    default_priority = 150  # after sphinx-external-toc's InsertToctrees (100), before the toctree collector

    def apply(self, **kwargs: Any) -> None:
        if not is_translation(self.config):
            return
        toctrees = [node for node in self.document.findall(addnodes.toctree) if node.get("caption")]
        if not toctrees:
            return
        dirs = [str(Path(self.env.srcdir) / d) for d in self.config.locale_dirs]
        domain = docname_to_domain(self.env.docname, self.config.gettext_compact)
        catalog, found = init_locale(dirs, self.config.language, domain)
        if found:
            for node in toctrees:
                node["caption"] = node["rawcaption"] = catalog.gettext(node["caption"])


class RememberGlossaryTerms(SphinxTransform):
    """Note each glossary term's source-language text before the Locale transform translates it."""

    default_priority = 16

    def apply(self, **kwargs: Any) -> None:
        for glossary in self.document.findall(addnodes.glossary):
            for term in glossary.findall(nodes.term):
                term["source_term"] = term.astext()


class GlossaryInEditionOrder(SphinxTransform):
    """A translated glossary: sorted by its headwords, each followed by the source-language term."""

    default_priority = 30  # after Locale (20)

    def apply(self, **kwargs: Any) -> None:
        if not is_translation(self.config):
            return
        for glossary in self.document.findall(addnodes.glossary):
            for items in glossary.findall(nodes.definition_list):
                items.children.sort(key=headword)
            for term in list(glossary.findall(nodes.term)):
                source = term.get("source_term", "")
                if source and term.astext() != source:
                    term += nodes.inline("", f" — {source}", classes=["glossary-source-term"])


def headword(item: nodes.Node) -> str:
    """Sort key of a glossary entry: its first term as its edition spells it (Hangul sorts in 가나다 order)."""
    term = next(iter(item.findall(nodes.term)), None)
    return unicodedata.normalize("NFC", term.astext() if term is not None else "").casefold()


def _ancestors(node: nodes.Node):
    while node.parent is not None:
        node = node.parent
        yield node


def add_edition_context(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Language links in the sidebar; in a translation, the edit button and the progress notice."""
    context["edition_links"] = edition_links(app, pagename)
    sidebars = list(context.get("sidebars") or [])
    if sidebars and SWITCH_TEMPLATE not in sidebars:
        after_logo = sidebars.index("navbar-logo.html") + 1 if "navbar-logo.html" in sidebars else 0
        sidebars.insert(after_logo, SWITCH_TEMPLATE)
        context["sidebars"] = sidebars
    if not is_translation(app.config) or doctree is None:
        return
    catalog = f"locales/{app.config.language}/LC_MESSAGES/{pagename}.po"
    for group in context.get("header_buttons", []):
        for button in group.get("buttons", [group]):
            if button.get("label") == "source-edit-button":
                repository, _, rest = button["url"].partition("/edit/")
                button["url"] = f"{repository}/edit/{rest.split('/')[0]}/{catalog}"
    progress = doctree.get("translation_progress")
    notice = NOTICE.get(app.config.language)
    if notice and progress and progress["translated"] < progress["total"]:
        text = notice.format(**progress)
        context["body"] = f'<div class="admonition note translation-progress"><p>{text}</p></div>\n' + context["body"]


def add_templates(app: Sphinx, config: Config) -> None:
    config.templates_path = [*config.templates_path, str(TEMPLATES)]


_parse_notebook, _load_renderer = NotebookParser.parse, myst_nb_sphinx.load_renderer
_page_renderer: list = []  # the renderer of the notebook being read (one page at a time per process)


def load_and_remember_renderer(name: str) -> Callable:
    """MyST-NB's notebook renderer class, whose new instance is noted in ``_page_renderer``."""
    renderer_class = _load_renderer(name)

    def create(*args: Any) -> Any:
        _page_renderer[:] = [renderer_class(*args)]
        return _page_renderer[0]

    return create


def parse_with_page_outputs(self: NotebookParser, inputstring: str, document: nodes.document) -> None:
    """MyST-NB's parser, except that a translated message sees its page's glued values.

    Sphinx's Locale transform parses each translated message (source ``…:<translated>``) as a
    document of its own, which MyST-NB leaves without the notebook's outputs: a
    ``{glue:text}`` role in a translation would find no value. The message gets the
    renderer (and with it the glued values) of the page it belongs to.
    """
    translated = document.current_source.endswith("<translated>")
    if not translated:
        _page_renderer.clear()
    elif _page_renderer:
        document["nb_renderer"] = _page_renderer[0]
    try:
        _parse_notebook(self, inputstring, document)
    finally:
        if translated:  # as MyST-NB does after a page: the doctree is pickled, the renderer cannot be
            document.attributes.pop("nb_renderer", None)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("book_editions", ["en"], "html", types=[list])
    app.connect("config-inited", add_templates)
    app.connect("builder-inited", skip_autodoc_when_extracting)
    app.add_transform(KeepDocstringsInSourceLanguage)
    app.add_transform(TranslatableExerciseTitles)
    app.add_transform(TranslateTocCaptions)
    app.add_transform(RememberGlossaryTerms)
    myst_nb_sphinx.load_renderer = load_and_remember_renderer
    NotebookParser.parse = parse_with_page_outputs
    app.add_transform(GlossaryInEditionOrder)
    # after sphinx-book-theme fills the header buttons (priority 501)
    app.connect("html-page-context", add_edition_context, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
