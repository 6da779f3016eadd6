"""Checks of the built site (_build/html): run after `jupyter-book build .` (CI does).

Skipped, with the reason, when the book has not been built.
"""

import html
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
pytestmark = pytest.mark.skipif(not (HTML / "index.html").exists(), reason="book not built: run `jupyter-book build .`")

TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
TOC_FILES = [TOC["root"]] + [c["file"] for part in TOC["parts"] for c in part["chapters"]]
SECTION_FILES = [f for f in TOC_FILES if re.match(r"chapters/1_\d_", f)]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
REPO, BRANCH = CONFIG["repository"]["url"].rstrip("/"), CONFIG["repository"]["branch"]


def page(file: str) -> str:
    return (HTML / f"{file}.html").read_text()


def main_content(text: str) -> str:
    """The article body: what the reader reads, without navigation and header buttons."""
    start = text.find('<article class="bd-article">')
    return text[start : text.find("</article>", start)] if start >= 0 else text


def all_pages() -> dict[str, str]:
    return {f: page(f) for f in TOC_FILES}


def test_every_toc_file_has_a_page_and_nav_titles_match_page_titles():
    pages = all_pages()
    nav = re.findall(
        r'class="toctree-l1[^"]*"><a class="reference internal" href="([^"#]+)\.html">([^<]+)', pages[TOC["root"]]
    )
    assert [f"chapters/{href}" for href, _ in nav] == TOC_FILES[1:], "sidebar order differs from _toc.yml"
    for href, title in nav:
        h1 = re.search(r"<h1>(.*?)<a class=\"headerlink\"", pages[f"chapters/{href}"], re.S)
        assert h1, href
        heading = re.sub(r"<[^>]+>", "", h1.group(1)).strip()
        assert html.unescape(heading).startswith(html.unescape(title).strip()), (href, heading, title)


@pytest.mark.parametrize("number", range(1, 20))
def test_each_book_equation_is_labelled_exactly_once(number):
    pages = all_pages()
    anchors = sum(text.count(f'id="eq-1-{number}"') for text in pages.values())
    tags = sum(len(re.findall(rf"\\tag\{{1\.{number}\}}", main_content(text))) for text in pages.values())
    assert anchors == 1, f"(1.{number}) has {anchors} labels"
    assert tags == 1, f"(1.{number}) is tagged {tags} times"


@pytest.mark.parametrize("file", SECTION_FILES)
def test_section_page_has_rendered_outputs_and_no_errors(file):
    text = main_content(page(file))
    assert re.search(r'<img[^>]+src="\.\./_images/', text), "no figure rendered"
    assert 'class="cell_output' in text
    for bad in ("Traceback (most recent call last)", "could not be executed", "output stderr", "ipykernel_"):
        assert bad not in text, bad


@pytest.mark.parametrize("file", SECTION_FILES)
def test_section_page_has_exercises_with_hidden_solutions_and_glossary_links(file):
    text = main_content(page(file))
    exercises = len(re.findall(r'class="[^"]*\bexercise\b[^"]*"', text))
    solutions = re.findall(r'class="([^"]*\bsolution\b[^"]*)"', text)
    assert 2 <= exercises <= 4 * 2, f"{exercises} exercise blocks"
    assert solutions and all("dropdown" in s for s in solutions), "solutions must be hidden (dropdown)"
    assert "glossary.html#term-" in text, "no glossary term linked"
    assert "Key takeaways" in text


@pytest.mark.parametrize("file", SECTION_FILES)
def test_launch_edit_and_issue_buttons_point_at_real_files(file):
    text = page(file)
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
    assert f"{REPO}/issues/new" in text


def test_internal_links_resolve():
    broken = []
    ids_cache: dict[Path, set[str]] = {}
    for source in HTML.rglob("*.html"):
        if {"_static", "_sources", "_modules"} & set(source.relative_to(HTML).parts):
            continue
        for href in re.findall(r'href="([^"]+)"', source.read_text()):
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


def test_glossary_and_bibliography_are_complete():
    glossary = page("chapters/glossary")
    assert len(re.findall(r'<dt id="term-', glossary)) >= 40
    assert len(re.findall(r"[\uac00-\ud7a3]", glossary)) > 200, "Korean terms missing"
    keys = re.findall(r"^@\w+\{([^,]+),", (ROOT / "references.bib").read_text(), re.M)
    entries = page("chapters/bibliography").count('role="doc-biblioentry"')
    assert entries == len(keys), f"bibliography page lists {entries} of the {len(keys)} works in references.bib"


def test_api_page_documents_every_vae_lib_module():
    api = page("chapters/api")
    modules = sorted(p.stem for p in (ROOT / "vae_lib").glob("*.py") if p.stem != "__init__")
    missing = [m for m in modules if f'id="module-vae_lib.{m}"' not in api]
    assert not missing, f"not in the API page: {missing}"
    assert "Implements" in api and "Example" in api
