"""The Korean edition's catalogs (locales/ko): current, markup intact, terms consistent, complete.

The checks themselves live in tools/i18n.py and are tested here on tiny examples first.
A single untranslated or fuzzy message fails the tests: an English change is translated
in the same pull request (CONTRIBUTING.md, "The Korean edition").
"""

import doctest
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("i18n", ROOT / "tools" / "i18n.py")
i18n = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(i18n)

LANGUAGE = "ko"
CATALOGS = i18n.catalog_paths(LANGUAGE)
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> dict[str, set[str]]:
    """``{docname: message ids}`` of the pages as they are now: a fresh extraction (about 10 s)."""
    out = tmp_path_factory.mktemp("gettext")
    run = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "i18n.py"), "extract", "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return {doc: {m.id for m in i18n.messages(i18n.read_catalog(p))} for doc, p in i18n.template_paths(out).items()}


def finished(docname: str):
    """(msgid, msgstr) of a catalog's translated, non-fuzzy messages."""
    return [(m.id, m.string) for m in i18n.messages(i18n.read_catalog(CATALOGS[docname])) if m.string and not m.fuzzy]


def test_the_tools_docstring_examples():
    assert doctest.testmod(i18n).failed == 0


# --- the markup checker on tiny examples ---------------------------------------------------------------------

SOURCE = (
    "A {term}`latent variable` $\\mathbf{z}$ is not in the data (see {ref}`(1.13) <eq-1-13>`, "
    "{cite}`kingma2019`); `vae_lib` glues {glue:text}`ex_best:.3g` and links [(1.11)](eq-1-11)."
)
GOOD = (
    "{term}`잠재 변수 <latent variable>` $\\mathbf{z}$는 데이터에 없다({ref}`(1.13) <eq-1-13>`, "
    "{cite}`kingma2019` 참고). `vae_lib`는 {glue:text}`ex_best:.3g`를 붙이고 [(1.11)](eq-1-11)에 연결한다."
)


def test_a_faithful_translation_with_a_korean_term_title_passes():
    assert i18n.markup_problems(SOURCE, GOOD) == []


def test_an_untranslated_or_blank_message_is_not_the_markup_checks_business():
    assert i18n.markup_problems(SOURCE, "") == []
    assert i18n.markup_problems(SOURCE, "  ") == []


@pytest.mark.parametrize(
    ("broken", "reported"),
    [
        (GOOD.replace("{term}`잠재 변수 <latent variable>`", "잠재 변수"), "{term}`latent variable`"),
        (GOOD.replace("$\\mathbf{z}$", "$z$"), "$\\mathbf{z}$"),
        (GOOD.replace("(1.13) <eq-1-13>", "(1.14) <eq-1-13>"), "(1.13)"),
        (GOOD.replace("<eq-1-13>", "<eq-1-14>"), "eq-1-13"),
        (GOOD.replace("{cite}`kingma2019`", "{cite:t}`kingma2019`"), "{cite}`kingma2019`"),
        (GOOD.replace(":.3g", ":.2g"), "{glue:text}`ex_best:.3g`"),
        (GOOD.replace("ex_best", "ex_worst"), "{glue:text}`ex_best:.3g`"),
        (GOOD.replace("`vae_lib`", "vae_lib"), "`vae_lib`"),
        (GOOD.replace("(eq-1-11)", "(eq-1-12)"), "eq-1-11"),
        (GOOD + " {term}`인코더 <encoder>`", "not in the source: {term}`encoder`"),
        (GOOD + " $x$", "not in the source: $x$"),
    ],
    ids=[
        "dropped term role",
        "changed math",
        "changed equation number in a reference title",
        "changed reference target",
        "changed citation role",
        "changed glue format",
        "changed glue name",
        "dropped code span",
        "changed link target",
        "added role",
        "added math",
    ],
)
def test_a_lost_or_changed_piece_of_markup_fails(broken, reported):
    problems = i18n.markup_problems(SOURCE, broken)
    assert problems and any(reported in p for p in problems), problems


def test_math_is_compared_up_to_whitespace_and_link_texts_with_words_may_be_translated():
    source = "See $a +  b$ and [the glossary](glossary) or $$x\ny$$."
    assert i18n.markup_problems(source, "$$x y$$ 와 $a + b$, [용어집](glossary) 참고.") == []


def test_a_display_equation_may_translate_only_its_text():
    source = "\nL = \\text{loss} + c\n\\tag{1.9}\n"
    assert i18n.markup_problems(source, source.replace("loss", "손실")) == []
    assert i18n.markup_problems(source, source.replace("c", "d")) != []


def test_mechanical_messages_are_filled_in_and_prose_is_not():
    glossary = {"latent variable": "잠재 변수"}
    assert i18n.mechanical_translation("\np(x)\n\\tag{1.1}\n", {}) == "\np(x)\n\\tag{1.1}\n"
    assert i18n.mechanical_translation("\nL = \\text{loss}\n", {}) is None
    assert i18n.mechanical_translation("{doc}`1_8_intractabilities`, {ref}`(1.13) <eq-1-13>`", {}) is not None
    assert i18n.mechanical_translation("`VAE.encoder`", {}) == "`VAE.encoder`"
    assert i18n.mechanical_translation("see {term}`latent variable`", {}) is None
    assert i18n.mechanical_translation("A {term}`variable <latent variable>`", {}) is None
    assert i18n.mechanical_translation("latent variable", glossary) == "잠재 변수"


# --- the glossary checker on tiny examples -------------------------------------------------------------------

BASE = {"latent variable": "잠재 변수", "variational autoencoder": "변분 오토인코더 (VAE)"}


@pytest.mark.parametrize(
    "translation",
    [
        "{term}`잠재 변수 <latent variable>`를 쓴다",
        "{term}`변분 오토인코더 <variational autoencoder>`",
        "{term}`VAE <variational autoencoder>`",
        "{term}`변분 오토인코더 (VAE) <variational autoencoder>`",
        "{term}`인코더 <encoder>` (not in the term base: not checked)",
    ],
)
def test_a_term_titled_as_the_glossary_says_passes(translation):
    assert i18n.term_problems(translation, BASE) == []


@pytest.mark.parametrize(
    "translation",
    ["{term}`은닉 변수 <latent variable>`", "{term}`latent variable`", "{term}`잠재변수 <Latent Variable>`"],
)
def test_a_term_titled_otherwise_fails(translation):
    assert i18n.term_problems(translation, BASE)


# --- chapter markdown and its messages (the Colab edition) ---------------------------------------------------

CELL = """# 1.7 Title (한)

**Learning goals.** After this
section you can

- compute the marginal
  likelihood $p$
- see it

| § | you will … |
|---|---|
| 1.1 Motivation | fit pθ(y\\|x) |

(eq-1-13)=
$$
p = 1
\\tag{1.13}
$$

```{exercise} A short title
:label: ex-1-7-demo

Question
text.
```

```{solution} ex-1-7-demo
:class: dropdown

Answer.

~~~python
print("code stays")
~~~
```
"""


def test_markdown_messages_are_the_paragraphs_headings_items_cells_titles_and_equations():
    assert i18n.markdown_messages(CELL) == [
        "1.7 Title (한)",
        "**Learning goals.** After this section you can",
        "compute the marginal likelihood $p$",
        "see it",
        "§",
        "you will …",
        "1.1 Motivation",
        "fit pθ(y|x)",
        "\np = 1\n\\tag{1.13}\n",
        "A short title",
        "Question text.",
        "Answer.",
    ]


def test_translate_markdown_replaces_each_message_where_it_was_and_keeps_the_rest():
    catalog = {
        "1.7 Title (한)": "1.7 제목",
        "compute the marginal likelihood $p$": "주변 우도 $p$를 계산한다",
        "fit pθ(y|x)": "pθ(y|x)를 맞춘다",
        "A short title": "짧은 제목",
        "Question text.": "질문.",
        "Answer.": "답.",
    }
    out = i18n.translate_markdown(CELL, catalog)
    assert out.startswith(
        "# 1.7 제목\n\n**Learning goals.** After this\nsection you can\n\n- 주변 우도 $p$를 계산한다\n- see it\n"
    )
    assert "| 1.1 Motivation | pθ(y\\|x)를 맞춘다 |" in out
    assert "(eq-1-13)=\n$$\np = 1\n\\tag{1.13}\n$$" in out
    assert "```{exercise} 짧은 제목\n:label: ex-1-7-demo\n\n질문.\n```" in out
    assert '```{solution} ex-1-7-demo\n:class: dropdown\n\n답.\n\n~~~python\nprint("code stays")\n~~~\n```' in out


def markdown_cells(notebook: Path) -> list[str]:
    cells = json.loads(notebook.read_text())["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_message_of_a_chapter_is_found_in_its_markdown_cells(notebook, extracted):
    """What Sphinx extracts from a chapter is exactly what translate_markdown sees in its cells."""
    in_cells = {m for cell in markdown_cells(notebook) for m in i18n.markdown_messages(cell)}
    by_sphinx = extracted[f"chapters/{notebook.stem}"]
    assert in_cells == by_sphinx, (sorted(by_sphinx - in_cells)[:5], sorted(in_cells - by_sphinx)[:5])


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_translating_every_message_of_a_chapter_keeps_its_structure(notebook):
    """Each message replaced in place: the translated cell has the translated messages, in the same order."""
    for cell in markdown_cells(notebook):
        found = i18n.markdown_messages(cell)
        catalog = {m: m if i18n.is_block(m) else f"번역 {m}" for m in found}
        assert i18n.markdown_messages(i18n.translate_markdown(cell, catalog)) == [catalog[m] for m in found]


def test_old_english_lines_of_other_tools_do_not_come_back_as_comments(tmp_path):
    """Poedit or msgmerge write a fuzzy message's old English as ``#| msgid``; babel reads those as comments."""
    path = tmp_path / "page.po"
    path.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        '#, fuzzy\n#| msgid ""\n#| "The old English, long enough to be wrapped by a writer that wraps comments."\n'
        'msgid "The new English."\nmsgstr "옛 번역"\n',
        encoding="utf-8",
    )
    i18n._write(path, i18n.read_catalog(path))
    text = path.read_text(encoding="utf-8")
    assert "#|" not in text and "# |" not in text and "The old English" not in text
    assert '#, fuzzy\nmsgid "The new English."\nmsgstr "옛 번역"' in text


# --- the committed catalogs ----------------------------------------------------------------------------------


@pytest.mark.parametrize("docname", sorted(CATALOGS))
def test_catalogs_hold_no_stray_comments(docname):
    """Every comment line is the page header, a location (``#:``) or a flag (``#,``)."""
    lines = CATALOGS[docname].read_text(encoding="utf-8").splitlines()
    body = lines[next(i for i, line in enumerate(lines) if line.startswith("msgid")) :]
    assert [line for line in body if line.startswith("#") and not line.startswith(("#:", "#,"))] == []


def test_catalogs_are_current_with_the_pages(extracted):
    """The messages of the pages today (a fresh extraction) are exactly those of the catalogs."""
    fix = "the catalogs are older than the pages: run `python tools/i18n.py update` and commit locales/"
    assert sorted(extracted) == sorted(CATALOGS), fix
    for docname, now in extracted.items():
        stored = {m.id for m in i18n.messages(i18n.read_catalog(CATALOGS[docname]))}
        assert now == stored, f"{docname}: {len(now - stored)} new, {len(stored - now)} gone; {fix}"


@pytest.mark.parametrize("docname", sorted(CATALOGS))
def test_translations_keep_the_markup_of_their_message(docname):
    problems = [
        f"{msgid[:60]!r}: {p}" for msgid, msgstr in finished(docname) for p in i18n.markup_problems(msgid, msgstr)
    ]
    assert not problems, problems[:10]


def test_glossary_headwords_are_the_source_texts_korean_terms():
    """The Korean glossary is the term base, and its terms are the source's (the English glossary's bold)."""
    headwords = dict(finished(i18n.GLOSSARY_DOC))
    for english, korean in i18n.source_glossary().items():
        assert headwords.get(english) == korean, f"{english!r}: headword {headwords.get(english)!r}, source {korean!r}"


@pytest.mark.parametrize("docname", sorted(CATALOGS))
def test_a_glossary_term_is_always_translated_the_same_way(docname):
    base = i18n.term_base(LANGUAGE)
    problems = [f"{msgid[:60]!r}: {p}" for msgid, msgstr in finished(docname) for p in i18n.term_problems(msgstr, base)]
    assert not problems, problems[:10]


def test_every_message_is_translated_and_none_is_fuzzy():
    counts = i18n.stats(LANGUAGE)
    left = {doc: dict(c) for doc, c in counts.items() if c["fuzzy"] or c["untranslated"]}
    assert not left, left
