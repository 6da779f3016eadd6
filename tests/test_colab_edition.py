"""The Colab edition (colab/, written by tools/colab_edition.py): current, valid, and right as a reader sees it.

"As a reader sees it" is nbconvert's classic HTML export, Jupyter's own Markdown rendering:
no MyST syntax may be left in the rendered text, every link into the site must exist in the
built site (that part is skipped when _build/html is missing, as in test_site.py), and every
solution must sit inside a collapsed <details>. The unit tests at the end feed small notebooks
through the converter, so each construct is checked before the chapters use it.
"""

from __future__ import annotations

import html
import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from nbconvert import HTMLExporter

from tools import colab_cell, colab_edition
from tools.colab_edition import ConversionError, Directive, blocks

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
BOOK = colab_edition.Book()
EDITION = colab_edition.Edition(BOOK)
EDITIONS = colab_edition.editions()  # {"colab": English, "colab/ko": Korean, ...}
CHAPTERS = colab_edition.chapters()
CASES = [pytest.param(out, chapter, id=f"{out}/{chapter.stem}") for out in EDITIONS for chapter in CHAPTERS]
DOC = "chapters/1_7_latent_variables"  # the page the unit tests' small notebooks pretend to be


def colab_path(out: str, chapter: Path) -> Path:
    return colab_edition.destination(chapter, out=out)


def site_folder(out: str) -> Path:
    """Where the built site of that edition lies (the Korean one under _build/html/ko)."""
    return HTML / EDITIONS[out].book.site.removeprefix(BOOK.site)


def test_every_chapter_has_a_current_colab_notebook_in_every_edition():
    assert CHAPTERS, "no chapters"
    assert len(EDITIONS) >= 2, "the English edition and at least one translation"
    for out, edition in EDITIONS.items():
        assert colab_edition.stale(edition, out) == [], "run `python -m tools.colab_edition --write`"


@pytest.mark.parametrize(("out", "chapter"), CASES)
def test_colab_notebook_is_valid_and_starts_with_the_pinned_install(out, chapter):
    nb = nbformat.read(colab_path(out, chapter), as_version=4)
    nbformat.validate(nb)
    assert all(c.get("id") for c in nb.cells) and len({c.id for c in nb.cells}) == len(nb.cells), "cell ids: unique"
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert first.source == colab_cell.cell_source()
    assert f"@v{colab_cell.version()}" in first.source and "@main" not in first.source
    assert "tags" not in first.metadata
    source = nbformat.read(chapter, as_version=4)
    removed = {c.id for c in source.cells if "remove-cell" in c.metadata.get("tags", [])}
    assert not removed & {c.id for c in nb.cells}, "a remove-cell cell reached the Colab edition"


# --------------------------------------------------------------------------- the reader's view


class RenderedNotebook(HTMLParser):
    """What a reader sees of the Markdown cells of an nbconvert HTML page."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []  # open tags inside a Markdown cell
        self.markdown_depth = 0  # > 0 inside a Markdown cell
        self.prose: list[str] = []  # text outside code, by cell
        self.inside_details: list[str] = []
        self.outside_details: list[str] = []
        self.summaries: list[str] = []
        self.hrefs: list[str] = []
        self.code_classes: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.markdown_depth:
            if tag not in ("br", "img", "hr", "input", "meta", "link"):
                self.stack.append(tag)
            if tag == "div":
                self.markdown_depth += 1
            if tag == "a" and "anchor-link" not in (attrs.get("class") or ""):
                self.hrefs.append(attrs.get("href") or "")
            if tag == "code":
                self.code_classes.append(attrs.get("class") or "")
        elif tag == "div" and "text_cell_render" in (attrs.get("class") or ""):
            self.markdown_depth = 1
            self.stack = ["div"]
            self.prose.append("")

    def handle_endtag(self, tag):
        if not self.markdown_depth:
            return
        while self.stack:
            if self.stack.pop() == tag:
                break
        if tag == "div":
            self.markdown_depth -= 1

    def handle_data(self, data):
        if not self.markdown_depth:
            return
        (self.inside_details if "details" in self.stack else self.outside_details).append(data)
        if "summary" in self.stack:
            self.summaries.append(data)
        if not {"pre", "code"} & set(self.stack):
            self.prose[-1] += data


@cache
def rendered(out: str, chapter: Path) -> RenderedNotebook:
    page, _ = HTMLExporter(template_name="classic").from_filename(str(colab_path(out, chapter)))
    return RenderedNotebook(page)


def without_math(text: str) -> str:
    text = re.sub(r"\$\$.+?\$\$", " ", text, flags=re.S)
    return re.sub(r"\$(?:\\.|[^$\\])+?\$", " ", text, flags=re.S)


MYST_LEFT = {
    "role": re.compile(r"\{[A-Za-z][\w:+-]*\}"),
    "target": re.compile(r"\([\w.:-]+\)="),
    "fence": re.compile(r"```|~~~|:::"),
    "directive option": re.compile(r"^:(class|label|name|nonumber|hidden):", re.M),
    "glue": re.compile(r"\{glue"),
}


@pytest.mark.parametrize(("out", "chapter"), CASES)
def test_reader_sees_no_myst_syntax(out, chapter):
    page = rendered(out, chapter)
    prose = "\n".join(without_math(p) for p in page.prose)
    left = {name: pattern.findall(prose)[:5] for name, pattern in MYST_LEFT.items() if pattern.search(prose)}
    labelled = re.findall(r"\$\$[ \t]*\([\w.:-]+\)", "".join(page.prose))  # $$ x $$ (label): seen with the math
    if labelled:
        left["labelled math"] = labelled
    assert not left, f"MyST left in the rendered Markdown: {left}"
    assert not [c for c in page.code_classes if "{" in c], "a directive fence rendered as a code block"


@pytest.mark.parametrize(("out", "chapter"), CASES)
def test_equations_keep_their_book_numbers(out, chapter):
    tags = lambda text: sorted(re.findall(r"\\tag\{([^}]+)\}", text))  # noqa: E731
    source = colab_edition.markdown_of(chapter)
    assert tags("\n".join(rendered(out, chapter).prose)) == tags(source)


def solution_fingerprints(chapter: Path, translate=str) -> list[str]:
    """For each solution of the chapter (directive or gated form): a line of it a reader could not miss.

    ``translate``: the edition's translation of a Markdown cell (its words are the edition's language).
    """
    nb = nbformat.read(chapter, as_version=4)
    prints, gated = [], False
    for cell in nb.cells:
        if cell.cell_type == "code":
            if gated == "open" and cell.source.strip() and "remove-cell" not in cell.metadata.get("tags", []):
                prints.append(cell.source.strip().split("\n")[0])
                gated = "seen"
            continue
        for block in blocks(translate(cell.source)):
            if isinstance(block, Directive) and block.name == "solution":
                code = re.search(r"^```python\n(.+)$", block.body, re.M)
                # four words or more in a row (letters of any script)
                words = re.search(r"[^\W\d_][^\W\d_',]*(?: [^\W\d_][^\W\d_',]*){3,}", without_math(block.body))
                prints.append(code[1] if code else words[0] if words else "")
            elif isinstance(block, Directive) and block.name == "solution-start":
                gated = "open"
            elif isinstance(block, Directive) and block.name == "solution-end":
                if gated == "open":  # a solution without code: count it anyway
                    prints.append("")
                gated = False
    return prints


@pytest.mark.parametrize(("out", "chapter"), CASES)
def test_every_solution_is_folded(out, chapter):
    page = rendered(out, chapter)
    prints = solution_fingerprints(chapter, EDITIONS[out].translate)
    summaries = [s for s in page.summaries if s.strip()]
    squash = lambda parts: " ".join("".join(parts).split())  # noqa: E731
    inside, outside = squash(page.inside_details), squash(page.outside_details)
    assert len(summaries) == len(prints), f"{len(prints)} solutions, {len(summaries)} folded"
    solution_to = EDITIONS[out].translate("Solution to")
    assert all(s.startswith(solution_to) for s in summaries), summaries
    assert solution_to not in outside
    for fingerprint in filter(None, prints):
        fingerprint = " ".join(fingerprint.split())
        assert fingerprint in inside, f"solution text not found: {fingerprint!r}"
        assert fingerprint not in outside, f"solution text outside <details>: {fingerprint!r}"


def site_ids(path: Path, cache: dict[Path, set[str]] = {}) -> set[str]:  # noqa: B006 (a cache on purpose)
    if path not in cache:
        cache[path] = set(re.findall(r'\bid="([^"]+)"', path.read_text(encoding="utf-8")))
    return cache[path]


@pytest.mark.parametrize(("out", "chapter"), CASES)
def test_links_are_absolute_and_exist_on_the_site(out, chapter):
    hrefs, site = rendered(out, chapter).hrefs, EDITIONS[out].book.site
    assert any(h.startswith(site) for h in hrefs), "no link into the edition's site"
    relative = [h for h in hrefs if not re.match(r"(https?:|mailto:)", h)]
    assert not relative, f"links that cannot work in Colab: {relative[:5]}"
    if not (site_folder(out) / "index.html").exists():
        pytest.skip("edition not built: run `jupyter-book build .` / `python tools/i18n.py build` to check the links")
    broken = []
    for href in {h for h in hrefs if h.startswith(site)}:
        page, _, anchor = html.unescape(href).removeprefix(site).partition("#")
        path = site_folder(out) / (page or "index.html")
        if not path.is_file():
            broken.append(f"{href} (no page)")
        elif anchor and anchor not in site_ids(path):
            broken.append(f"{href} (no anchor)")
    assert not broken, broken


@pytest.mark.skipif(not (HTML / "index.html").exists(), reason="book not built: run `jupyter-book build .`")
def test_exercise_numbers_and_citations_read_as_on_the_site():
    """Exercise numbers are the website's (sphinx-exercise numbers them across the book)."""
    for exercise in BOOK.exercises.values():
        page = (HTML / f"{exercise.doc}.html").read_text(encoding="utf-8")
        caption = re.search(rf'id="{re.escape(exercise.label)}">\s*<p class="admonition-title">(.*?)</p>', page, re.S)
        assert caption, exercise.label
        number = re.search(r"Exercise (\d+)", re.sub(r"<[^>]+>", "", caption[1]))
        assert (int(number[1]) if number else None) == exercise.number, exercise.label
    bibliography = (HTML / "chapters" / "bibliography.html").read_text(encoding="utf-8")
    for key, (_, year, target) in BOOK.works.items():
        entry = re.search(rf'id="{target.anchor}"[^>]*>.*?</div>', bibliography, re.S)
        assert entry and year in entry[0], key


# --------------------------------------------------------------------------- the converter, construct by construct


def notebook(*cells: nbformat.NotebookNode) -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(cells=list(cells))


def md(text: str, **metadata) -> nbformat.NotebookNode:
    return nbformat.v4.new_markdown_cell(text, metadata=metadata)


def code(source: str, *outputs, tags: tuple[str, ...] = ()) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source, outputs=list(outputs), execution_count=1)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def stdout(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("stream", name="stdout", text=text)


def glue_output(name: str, text_plain: str) -> nbformat.NotebookNode:
    """A value as MyST-NB's glue(name, value, display=False) stores it."""
    return nbformat.v4.new_output(
        "display_data",
        data={"application/papermill.record/text/plain": text_plain},
        metadata={"scrapbook": {"name": name, "mime_prefix": "application/papermill.record/"}},
    )


def convert(*cells: nbformat.NotebookNode, edition: colab_edition.Edition = EDITION) -> list[nbformat.NotebookNode]:
    """The converted cells, without the banner and install cell every notebook gets."""
    nb = edition.convert(notebook(*cells), DOC)
    nbformat.validate(nb)
    return [c for c in nb.cells if c.id not in ("colab-edition", colab_cell.CELL_ID)]


def test_glued_values_are_formatted_as_myst_nb_does():
    cells = convert(
        code("glue('gap', 0.123456)", glue_output("gap", "0.123456"), glue_output("name", "'moons'")),
        md("Gap {glue:text}`gap:.3g`, {glue:text}`gap:.1%`, raw {glue}`gap`, {glue:text}`name` / {glue}`name`."),
    )
    assert cells[0].outputs == [], "glue records are plumbing, not output"
    assert cells[1].source == "Gap 0.123, 12.3%, raw 0.123456, moons / 'moons'."
    with pytest.raises(ConversionError, match="nothing is glued as 'missing'"):
        convert(md("{glue:text}`missing:.2f`"))


def test_references_become_links_into_the_site():
    (cell,) = convert(
        md(
            "(sec-x)=\n"
            "A {term}`latent variable`, {term}`marginals <marginal likelihood>`, {ref}`(1.13) <eq-1-13>`, "
            "[(1.13)](eq-1-13), {doc}`1_8_intractabilities`, {numref}`ex-1-7-rotation`, "
            "{ref}`ex-1-7-rotation`, {cite:t}`kingma2014vae`, {cite}`ng2002,dempster1977`, "
            "[docs](https://pytorch.org) and `{term}` in code."
        )
    )
    site = BOOK.site
    assert cell.source == (
        f"A [latent variable]({site}chapters/glossary.html#term-latent-variable), "
        f"[marginals]({site}chapters/glossary.html#term-marginal-likelihood), "
        f"[(1.13)]({site}chapters/1_7_latent_variables.html#eq-1-13), "
        f"[(1.13)]({site}chapters/1_7_latent_variables.html#eq-1-13), "
        f"[{BOOK.titles['chapters/1_8_intractabilities']}]({site}chapters/1_8_intractabilities.html), "
        f"[Exercise 22]({site}chapters/1_7_latent_variables.html#ex-1-7-rotation), "
        f"[Rotating the latent space]({site}chapters/1_7_latent_variables.html#ex-1-7-rotation), "
        f"[Kingma and Welling (2014)]({site}chapters/bibliography.html#cite-kingma2014vae), "
        f"([Ng and Jordan, 2002]({site}chapters/bibliography.html#cite-ng2002); "
        f"[Dempster et al., 1977]({site}chapters/bibliography.html#cite-dempster1977)), "
        "[docs](https://pytorch.org) and `{term}` in code."
    )


def test_exercises_solutions_and_admonitions():
    cells = convert(
        md("## Exercises"),
        md(
            "```{exercise} Rotating the latent space\n:label: ex-1-7-rotation\n\nShow it.\n```\n\n"
            "````{solution} ex-1-7-rotation\n:class: dropdown\n\nBecause.\n\n```python\nprint(1)\n```\n````"
        ),
        md("```{admonition} Key takeaways\n- one $a$\n- two\n```"),
        md(":::{note}\nA colon fence.\n:::"),
        md("```{admonition} Peek\n:class: dropdown\n\nHidden.\n```"),
        md("```{note}\n$$\nx\n$$\n```"),
    )
    assert cells[1].source == (
        "### Exercise 22 (Rotating the latent space)\n\nShow it.\n\n"
        "<details>\n<summary><strong>Solution to Exercise 22 (Rotating the latent space)</strong></summary>\n\n"
        "Because.\n\n```python\nprint(1)\n```\n\n</details>"
    )
    assert cells[2].source == "> **Key takeaways**\n>\n> - one $a$\n> - two"
    assert cells[3].source == "> **Note**\n>\n> A colon fence."
    assert cells[4].source == "<details>\n<summary><strong>Peek</strong></summary>\n\nHidden.\n\n</details>"
    assert cells[5].source == "**Note**\n\n$$\nx\n$$", "display math is not quoted: Jupyter lifts math out first"


def test_gated_solution_is_one_details_with_its_code_and_output():
    png = "iVBORw0KGgo="
    image = nbformat.v4.new_output("display_data", data={"image/png": png, "text/plain": "<Figure>"})
    cells = convert(
        md("```{exercise} Rotating the latent space\n:label: ex-1-7-rotation\n\nShow it.\n```"),
        md("Before.\n\n````{solution-start} ex-1-7-rotation\n:class: dropdown\n````\nFirst the prose."),
        code("x = 2\nprint(x)", stdout("2\n"), glue_output("ex_x", "2")),
        code("assert x == 2", tags=("remove-cell",)),
        code("plot(x)", image),
        md("So {glue:text}`ex_x:d`.\n\n```{solution-end}\n```\n\nAfter."),
    )
    assert [c.cell_type for c in cells] == ["markdown", "markdown", "markdown", "markdown"]
    assert cells[1].source == "Before."
    assert cells[2].source == (
        "<details>\n<summary><strong>Solution to Exercise 22 (Rotating the latent space)</strong></summary>\n\n"
        "First the prose.\n\n```python\nx = 2\nprint(x)\n```\n\n```text\n2\n```\n\n"
        "```python\nplot(x)\n```\n\n![output](attachment:output-1.png)\n\nSo 2.\n\n</details>"
    )
    assert cells[2].attachments == {"output-1.png": {"image/png": png}}
    assert cells[3].source == "After."
    one_cell = convert(md("B.\n\n````{solution-start} ex-1-7-rotation\n````\nS.\n\n```{solution-end}\n```\n\nA."))
    assert [c.source.split("\n")[-1] for c in one_cell] == ["B.", "</details>", "A."]
    assert len({c.id for c in one_cell}) == 3
    with pytest.raises(ConversionError, match="without solution-end"):
        convert(md("````{solution-start} ex-1-7-rotation\n````"))


def test_cell_tags_and_test_plumbing():
    cells = convert(
        code("# NBVAL_IGNORE_OUTPUT\nt = time()", stdout("0.1 s\n")),
        code("assert claim", tags=("remove-cell",)),
        code("# Draw the figure\nplot()", stdout("shown\n"), tags=("remove-input",)),
        code("noisy()", stdout("kept\n"), tags=("remove-output",)),
        code("x = 1", nbformat.v4.new_output("execute_result", data={"text/plain": "1"}, execution_count=3)),
    )
    assert cells[0].source == "t = time()" and cells[0].outputs[0].text == "0.1 s\n"
    assert cells[1].source == "# @title Draw the figure\n# Draw the figure\nplot()"
    assert cells[1].metadata == {"cellView": "form", "jupyter": {"source_hidden": True}}
    assert cells[2].outputs == []
    assert cells[3].execution_count is None and cells[3].outputs[0].execution_count is None


def test_labels_comments_and_labelled_math_disappear():
    (cell,) = convert(md("(eq-x)=\n% a comment\n$$\nx\n\\tag{1.99}\n$$ (eq-x)\n\ntext $$ y $$ (eq-y)"))
    assert cell.source == "$$\nx\n\\tag{1.99}\n$$\n\ntext $$ y $$"


@pytest.mark.parametrize(
    "text, message",
    [
        ("{eq}`eq-1-13`", "the role {eq}"),
        ("{term}`no such term`", "not in the glossary"),
        ("{cite}`nobody2099`", "not in the bibliography"),
        ("{ref}`no-such-label`", "no such label"),
        ("```{figure} x.png\n```", "the directive {figure}"),
    ],
)
def test_what_has_no_colab_rendering_is_an_error(text, message):
    with pytest.raises(ConversionError, match=re.escape(message)):
        convert(md(text))


def test_a_translation_goes_through_the_same_converter():
    """The hook a translated edition uses: every Markdown cell and every added word is translated first."""
    words = {"Exercise": "연습문제", "Solution to": "풀이:", "Show it.": "보여라."}
    edition = colab_edition.Edition(colab_edition.Book(site=f"{BOOK.site}ko/"), translate=lambda t: words.get(t, t))
    cells = convert(
        md("```{exercise} Rotating the latent space\n:label: ex-1-7-rotation\n```"),
        md("Show it."),
        md("{term}`encoder`"),
        edition=edition,
    )
    assert cells[0].source.startswith("#") and "연습문제 22" in cells[0].source
    assert cells[1].source == "보여라."
    assert cells[2].source == f"[encoder]({BOOK.site}ko/chapters/glossary.html#term-encoder)"


@pytest.mark.parametrize("out", [out for out in EDITIONS if out != colab_edition.OUT])
def test_a_translated_edition_adds_no_english_words_of_its_own(out):
    """The banner and the words the tool writes come from locales/<language>/colab_edition.po."""
    nb = nbformat.read(colab_path(out, CHAPTERS[0]), as_version=4)
    banner = next(c for c in nb.cells if c.id == "colab-edition")
    assert "The Colab edition of" not in banner.source and "Run the next cell" not in banner.source
    for word in ("Exercise", "Solution to", "Note"):
        assert EDITIONS[out].translate(word) != word, f"{word!r} has no translation for {out}"
