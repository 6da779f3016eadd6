"""Checks of the built site, every edition that is built: English in _build/html (`jupyter-book build .`),
each translation in _build/html/<language> (`python tools/i18n.py build`). CI builds both.

Skipped, with the reason, when no edition has been built.
"""

import html
import importlib.util
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
_spec = importlib.util.spec_from_file_location("i18n", ROOT / "tools" / "i18n.py")
i18n = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(i18n)
EDITIONS = i18n.editions()  # the source language first; its edition is at the root


def edition_root(language: str) -> Path:
    return HTML if language == EDITIONS[0] else HTML / language


BUILT = [language for language in EDITIONS if (edition_root(language) / "index.html").exists()]
pytestmark = pytest.mark.skipif(
    not BUILT, reason="book not built: run `jupyter-book build .` (and `python tools/i18n.py build`)"
)

TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
TOC_FILES = [TOC["root"]] + [c["file"] for part in TOC["parts"] for c in part["chapters"]]
SECTION_FILES = [f for f in TOC_FILES if re.match(r"chapters/1_\d_", f)]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
REPO, BRANCH = CONFIG["repository"]["url"].rstrip("/"), CONFIG["repository"]["branch"]


@pytest.fixture(params=BUILT or ["none"])
def edition(request) -> str:
    """Each built edition's language in turn: every site check runs on every edition."""
    return request.param


def page(file: str, edition: str) -> str:
    return (edition_root(edition) / f"{file}.html").read_text()


def text_of(message: str, file: str, edition: str) -> str:
    """A message of a page as the edition shows it: its translation if it has one."""
    return message if edition == EDITIONS[0] else i18n.translations(file, edition).get(message, message)


def main_content(text: str) -> str:
    """The article body: what the reader reads, without navigation and header buttons."""
    start = text.find('<article class="bd-article">')
    return text[start : text.find("</article>", start)] if start >= 0 else text


def all_pages(edition: str) -> dict[str, str]:
    return {f: page(f, edition) for f in TOC_FILES}


def test_every_toc_file_has_a_page_and_nav_titles_match_page_titles(edition):
    pages = all_pages(edition)
    nav = re.findall(
        r'class="toctree-l1[^"]*"><a class="reference internal" href="([^"#]+)\.html">([^<]+)', pages[TOC["root"]]
    )
    assert [f"chapters/{href}" for href, _ in nav] == TOC_FILES[1:], "sidebar order differs from _toc.yml"
    for href, title in nav:
        h1 = re.search(r"<h1>(.*?)<a class=\"headerlink\"", pages[f"chapters/{href}"], re.S)
        assert h1, href
        heading = re.sub(r"<[^>]+>", "", h1.group(1)).strip()
        assert html.unescape(heading).startswith(html.unescape(title).strip()), (href, heading, title)


def test_sidebar_captions_are_in_the_editions_language(edition):
    captions = re.findall(r'class="caption-text">([^<]+)<', page(TOC["root"], edition))
    expected = [text_of(part["caption"], TOC["root"], edition) for part in TOC["parts"]]
    assert [html.unescape(c) for c in captions] == expected


@pytest.mark.parametrize("number", range(1, 20))
def test_each_book_equation_is_labelled_exactly_once(number, edition):
    pages = all_pages(edition)
    anchors = sum(text.count(f'id="eq-1-{number}"') for text in pages.values())
    tags = sum(len(re.findall(rf"\\tag\{{1\.{number}\}}", main_content(text))) for text in pages.values())
    assert anchors == 1, f"(1.{number}) has {anchors} labels"
    assert tags == 1, f"(1.{number}) is tagged {tags} times"


@pytest.mark.parametrize("file", SECTION_FILES)
def test_section_page_has_rendered_outputs_and_no_errors(file, edition):
    text = main_content(page(file, edition))
    assert re.search(r'<img[^>]+src="\.\./_images/', text), "no figure rendered"
    assert 'class="cell_output' in text
    for bad in ("Traceback (most recent call last)", "could not be executed", "output stderr", "ipykernel_"):
        assert bad not in text, bad


@pytest.mark.parametrize("file", SECTION_FILES)
def test_section_page_has_exercises_with_hidden_solutions_and_glossary_links(file, edition):
    text = main_content(page(file, edition))
    exercises = len(re.findall(r'class="[^"]*\bexercise\b[^"]*"', text))
    solutions = re.findall(r'class="([^"]*\bsolution\b[^"]*)"', text)
    assert 2 <= exercises <= 4 * 2, f"{exercises} exercise blocks"
    assert solutions and all("dropdown" in s for s in solutions), "solutions must be hidden (dropdown)"
    assert "glossary.html#term-" in text, "no glossary term linked"
    assert html.escape(text_of("Key takeaways", file, edition), quote=False) in text


@pytest.mark.parametrize("file", SECTION_FILES)
def test_launch_edit_and_issue_buttons_point_at_real_files(file, edition):
    text = page(file, edition)
    colab = re.findall(r"https://colab\.research\.google\.com/github/([^\"'<> ]+)", text)
    assert colab, "no Colab launch URL"
    for url in set(colab):
        prefix = f"{REPO.removeprefix('https://github.com/')}/blob/{BRANCH}/"
        assert url.startswith(prefix), url
        # the Colab edition (tools/colab_edition.py; a translation's in colab/<language>/), not the MyST source
        assert re.fullmatch(rf"colab/(?:[\w-]+/)?{Path(file).name}\.ipynb", url.removeprefix(prefix)), url
        assert (ROOT / url.removeprefix(prefix)).is_file(), url
    edit = re.findall(re.escape(f"{REPO}/edit/{BRANCH}/") + r"([^\"'<> ]+)", text)
    assert edit and all((ROOT / e).is_file() for e in edit), edit
    if edition != EDITIONS[0]:  # a reader of a translation corrects the translation
        assert edit == [f"locales/{edition}/LC_MESSAGES/{file}.po"] * len(edit), edit
    assert f"{REPO}/issues/new" in text


def site_pages(edition: str) -> list[Path]:
    """The edition's HTML pages (not those of the editions in its subfolders, nor static files)."""
    root = edition_root(edition)
    skip = {"_static", "_sources", "_modules", *(EDITIONS if edition == EDITIONS[0] else [])}
    return [p for p in root.rglob("*.html") if not skip & set(p.relative_to(root).parts)]


def test_internal_links_resolve(edition):
    broken = []
    ids_cache: dict[Path, set[str]] = {}
    for source in site_pages(edition):
        for m in re.finditer(r'<[^>]*?\bhref="([^"]+)"[^>]*>', source.read_text()):
            tag, href = m.group(0), m.group(1)
            if "language-switch-link" in tag:  # checked below, whether or not the other edition is built
                continue
            if re.match(r"(https?:|mailto:|javascript:|data:)", href) or href.startswith("#"):
                continue
            target, _, anchor = html.unescape(href).partition("#")
            target = target.partition("?")[0]
            path = (source.parent / target).resolve()
            if not path.exists():
                broken.append(f"{source.name}: {href}")
                continue
            if anchor and path.suffix == ".html":
                ids = ids_cache.setdefault(path, set(re.findall(r'id="([^"]+)"', path.read_text())))
                if anchor not in ids:
                    broken.append(f"{source.name}: {href} (no such anchor)")
    assert not broken, broken[:10]


def test_glossary_and_bibliography_are_complete(edition):
    glossary = page("chapters/glossary", edition)
    assert len(re.findall(r'<dt id="term-', glossary)) >= 40
    assert len(re.findall(r"[\uac00-\ud7a3]", glossary)) > 200, "Korean terms missing"
    keys = re.findall(r"^@\w+\{([^,]+),", (ROOT / "references.bib").read_text(), re.M)
    entries = page("chapters/bibliography", edition).count('role="doc-biblioentry"')
    assert entries == len(keys), f"bibliography page lists {entries} of the {len(keys)} works in references.bib"


def test_api_page_documents_every_vae_lib_module(edition):
    api = page("chapters/api", edition)
    modules = sorted(p.stem for p in (ROOT / "vae_lib").glob("*.py") if p.stem != "__init__")
    missing = [m for m in modules if f'id="module-vae_lib.{m}"' not in api]
    assert not missing, f"not in the API page: {missing}"
    # the docstrings name their equations and show examples (in every edition: they are not translated)
    assert "Implements" in api and "&gt;&gt;&gt;" in api


def test_pages_declare_their_language_and_link_to_the_same_page_in_every_other_edition(edition):
    missing, broken = [], []
    for source in site_pages(edition):
        text = source.read_text()
        if "<html" not in text:  # the root's redirect to the first page
            continue
        assert re.search(rf'<html lang="{edition}"', text), f"{source}: not <html lang={edition!r}>"
        found = re.findall(r'<a class="language-switch-link" href="([^"]+)" hreflang="([^"]+)"', text)
        links = {language: href for href, language in found}
        page_path = source.relative_to(edition_root(edition))
        for other in EDITIONS:
            if other == edition:
                continue
            if other not in links:
                missing.append(f"{page_path} has no link to the {other} edition")
                continue
            target = (source.parent / links[other]).resolve()
            if target != (edition_root(other) / page_path).resolve():
                broken.append(f"{page_path} -> {links[other]} is not the same page of the {other} edition")
            elif other in BUILT and not target.is_file():
                broken.append(f"{page_path} -> {links[other]} does not exist")
    assert not missing and not broken, (missing + broken)[:10]


def test_translated_glossary_is_in_its_own_order_with_the_english_term_beside_each(edition):
    if edition == EDITIONS[0]:
        pytest.skip("the source edition's glossary is in the order its authors wrote")
    glossary = main_content(page("chapters/glossary", edition))
    entries = re.findall(r'<dt id="term-[^"]+">(.*?)<a class="headerlink"', glossary, re.S)
    english = i18n.source_glossary()
    headwords, beside = [], []
    for entry in entries:
        term = html.unescape(re.sub(r"<[^>]+>", "", entry)).strip()
        headword, _, source_term = term.partition(" — ")
        headwords.append(headword)
        beside.append(source_term)
    assert sorted(beside) == sorted(english), "every English term is shown beside its translated headword"
    assert headwords == sorted(headwords, key=str.casefold), "not in the order of the edition's language"


def test_a_page_says_it_is_partly_translated_exactly_when_its_catalog_is_unfinished(edition):
    """The progress notice counts what the reader sees in English: none on a page whose messages are all translated."""
    if edition == EDITIONS[0]:
        pytest.skip("the source edition has nothing to translate")
    stats = i18n.stats(edition)
    for file in TOC_FILES:
        unfinished = stats[file]["untranslated"] + stats[file]["fuzzy"] if file in stats else 0
        shows_notice = "translation-progress" in page(file, edition)
        assert shows_notice == (unfinished > 0), f"{file}: notice {shows_notice}, {unfinished} unfinished messages"
