"""Translated editions of the book: message catalogs, the checks on them, and the build.

    python tools/i18n.py extract  # every page's messages -> _build/gettext/chapters/*.pot (not committed)
    python tools/i18n.py update   # extract, then merge into locales/ko/LC_MESSAGES/chapters/*.po
    python tools/i18n.py build    # the Korean edition -> _build/html/ko (stored outputs, warnings are errors)
    python tools/i18n.py stats    # translated / fuzzy / untranslated messages per catalog
    python tools/i18n.py build --builder latex --lenient   # the Korean LaTeX sources -> _build/latex/ko (the PDF)

One catalog per page (``gettext_compact = False``), so translators work on separate
files. Messages are what Sphinx extracts from the parsed pages: one per paragraph,
heading, list item, table cell, glossary term or definition, directive title and
display equation; code cells and outputs are never messages, and the library's
docstrings (API page) stay English (``_ext/editions.py``). ``update`` fills in what
needs no translator: display equations without ``\\text``, messages with no words
outside markup, and each glossary headword (the source's Korean term, stated in bold
in the English glossary). Everything builds through Jupyter Book's own configuration
(``_config.yml``, no ``conf.py``) with ``nb_execution_mode = off``: a translated
edition shows the notebooks' stored outputs, the ones the tests check.

The same module gives the checks of ``tests/test_i18n.py`` (``markup_problems``,
``term_problems``) and, for the Colab edition, ``translate_markdown``: a markdown
cell of a chapter notebook with every translated message replaced (``translator``
wraps it with the whole book's catalog for ``tools/colab_edition.py``).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import yaml
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
GETTEXT = ROOT / "_build" / "gettext"
LANGUAGE = "ko"
GLOSSARY_DOC = "chapters/glossary"
COLAB_WORDS = "colab_edition.po"  # beside LC_MESSAGES/: the Colab edition's own words, not a page of the book


# --- configuration -------------------------------------------------------------------------------------------


def editions() -> list[str]:
    """The book's languages, the source first (``book_editions`` in ``_config.yml``)."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    return config["sphinx"]["config"]["book_editions"]


def sphinx_overrides(language: str | None = None) -> dict:
    """Jupyter Book's configuration of ``_config.yml``, changed for extraction or a translated edition.

    Stored outputs only (no execution), one catalog per page; for a language, its catalogs and
    the edition's own settings (``locales/<language>/edition.yml``: title, search box text).
    """
    overrides: dict = {
        "external_toc_path": str(ROOT / "_toc.yml"),
        "latex_individualpages": False,
        "nb_execution_mode": "off",
        "gettext_compact": False,
    }
    if language:
        overrides |= {"language": language, "locale_dirs": [str(LOCALES)]}
        settings = LOCALES / language / "edition.yml"
        if settings.exists():
            overrides |= yaml.safe_load(settings.read_text()) or {}
    return overrides


def run_sphinx(builder: str, outdir: Path, language: str | None = None, strict: bool = True) -> int:
    """One fresh Sphinx build as ``jupyter-book build`` runs it (``strict``: warnings are errors); its status."""
    from jupyter_book.sphinx import build_sphinx

    build = ROOT / "_build"
    doctrees = (build if outdir.is_relative_to(build) else outdir) / f".doctrees-{builder}-{language or 'source'}"

    result = build_sphinx(
        ROOT,
        outdir,
        noconfig=True,
        path_config=str(ROOT / "_config.yml"),
        confoverrides=sphinx_overrides(language),
        doctreedir=doctrees,
        builder=builder,
        freshenv=True,
        warningiserror=strict,
        keep_going=True,
        quiet=True,
    )
    return result if isinstance(result, int) else 1


# --- catalogs ------------------------------------------------------------------------------------------------


def read_catalog(path: Path) -> Catalog:
    """The catalog at ``path``.

    babel cannot read back the ``#| msgid`` lines (a fuzzy message's old English) that other
    gettext tools write: it takes them for translator comments, which every later write would
    carry on as stray ``# | msgid`` lines. They are dropped here, and ``_write`` writes none.
    """
    with path.open("rb") as f:
        catalog = read_po(f)
    for message in messages(catalog):
        message.user_comments = [c for c in message.user_comments if not c.startswith("|")]
    return catalog


def catalog_paths(language: str = LANGUAGE) -> dict[str, Path]:
    """``{docname: path}`` of the language's catalogs (``chapters/1_1_motivation`` -> its ``.po``)."""
    return _by_docname(LOCALES / language / "LC_MESSAGES", ".po")


def template_paths(outdir: Path = GETTEXT) -> dict[str, Path]:
    """``{docname: path}`` of the templates an extraction wrote (``.pot``)."""
    return _by_docname(outdir, ".pot")


def _by_docname(base: Path, suffix: str) -> dict[str, Path]:
    base = base.resolve()
    return {p.relative_to(base).with_suffix("").as_posix(): p for p in sorted(base.rglob(f"*{suffix}"))}


def messages(catalog: Catalog) -> Iterator:
    """The catalog's messages, without its header entry."""
    return (m for m in catalog if m.id)


def translations(docname: str, language: str = LANGUAGE) -> dict[str, str]:
    """``{msgid: msgstr}`` of a page's finished translations (neither empty nor fuzzy), as Sphinx applies them."""
    path = LOCALES / language / "LC_MESSAGES" / f"{docname}.po"
    if not path.exists():
        return {}
    return {m.id: m.string for m in messages(read_catalog(path)) if m.string and not m.fuzzy}


def extract(outdir: Path = GETTEXT) -> dict[str, Catalog]:
    """Extract every page's messages into ``outdir/<docname>.pot`` with repository-relative locations."""
    # Warnings are the English build's business (`jupyter-book build . -W`); extraction reports them only.
    if run_sphinx("gettext", outdir, strict=False) != 0:
        raise SystemExit("message extraction failed (see the errors above)")
    catalogs = {}
    for docname, path in template_paths(outdir).items():
        template = read_catalog(path)
        template.project, template.version = "vae-intro", ""
        for message in messages(template):
            message.locations = [(_relative(outdir, file), line) for file, line in message.locations]
        _write(path, template)
        catalogs[docname] = template
    return catalogs


def _relative(outdir: Path, file: str) -> str:
    return (outdir / file).resolve().relative_to(ROOT).as_posix()


def _write(path: Path, catalog: Catalog) -> bool:
    """Write ``catalog`` unwrapped (one line per message) unless only its dates would change."""
    from io import BytesIO

    for message in catalog:  # babel guesses these from "{…}"; MyST roles are not Python format strings
        message.flags -= {"python-format", "python-brace-format"}
    out = BytesIO()
    write_po(out, catalog, width=0, ignore_obsolete=True)
    new = out.getvalue()
    if path.exists() and _undated(path.read_bytes()) == _undated(new):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(new)
    return True


def _undated(po: bytes) -> bytes:
    return re.sub(rb'^"(POT-Creation-Date|PO-Revision-Date): .*\\n"\n', b"", po, flags=re.M)


def update(language: str = LANGUAGE) -> dict[str, str]:
    """Bring the language's catalogs up to date with the pages: ``{docname: what happened}``.

    New messages arrive empty, changed ones fuzzy with the previous translation (babel's fuzzy
    matching), removed ones are dropped; mechanical messages are filled in (``mechanical_translation``).
    """
    templates = extract()
    glossary = source_glossary()
    report = {}
    for docname, template in templates.items():
        path = LOCALES / language / "LC_MESSAGES" / f"{docname}.po"
        existed = path.exists()
        catalog = read_catalog(path) if existed else Catalog(locale=language)
        catalog.update(template)
        catalog.project, catalog.version, catalog.fuzzy = "vae-intro", "", False
        catalog.msgid_bugs_address = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"] + "/issues"
        catalog.language_team = catalog.last_translator = f"vae-intro translators ({language})"
        catalog.header_comment = (
            f"# {language} translation of the page {docname} of vae-intro.\n"
            f"# Update with `python tools/i18n.py update`; how to translate: locales/{language}/TRANSLATING.md"
        )
        for message in messages(catalog):
            filled = mechanical_translation(message.id, glossary if docname == GLOSSARY_DOC else {})
            if filled is not None:
                message.string, message.previous_id = filled, []
                message.flags.discard("fuzzy")
        changed = _write(path, catalog)
        report[docname] = ("updated" if existed else "created") if changed else "unchanged"
    for docname, path in catalog_paths(language).items():
        if docname not in templates:
            path.unlink()
            report[docname] = "removed (no such page)"
    return report


def stats(language: str = LANGUAGE) -> dict[str, Counter]:
    """Per catalog: messages translated, fuzzy and untranslated."""
    result = {}
    for docname, path in catalog_paths(language).items():
        count = Counter()
        for m in messages(read_catalog(path)):
            count["fuzzy" if m.fuzzy else "translated" if m.string else "untranslated"] += 1
        result[docname] = count
    return result


def mechanical_translation(msgid: str, glossary: Mapping[str, str]) -> str | None:
    """The translation of a message that needs no translator, or None.

    A display equation without ``\\text`` and a message with no words outside its markup (``§``,
    ``$\\mathbf{x}$``, a lone citation) translate to themselves; a glossary term to the source's
    Korean term (``glossary``: English term -> Korean headword, from ``source_glossary``).
    """
    if msgid in glossary:
        return glossary[msgid]
    if is_block(msgid):
        return msgid if "\\text" not in msgid else None
    return None if has_words(prose(msgid)) else msgid


# --- markup that must survive translation ----------------------------------------------------------------

TOKEN = re.compile(
    r"""
    \\[\\`$*_\[\]{}<>]                                                    # an escaped character: not markup
  | \{(?P<role>[A-Za-z][\w:+.-]*)\}(?P<rtick>`+)(?P<rbody>.+?)(?P=rtick)   # {role}`content`
  | (?P<tick>`+)(?P<code>.+?)(?P=tick)                                     # `code`
  | \$\$(?P<dmath>.+?)\$\$                                                  # $$display math$$
  | \$(?P<imath>[^$\s](?:[^$]*?[^$\s\\])?)\$(?!\d)                          # $inline math$ (dollarmath's rules)
  | !?\[(?P<ltext>(?:[^\[\]]|\[[^\[\]]*\])*)\]\((?P<ltarget>[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)(?:\s+"[^"]*")?\)
  | <(?P<auto>[A-Za-z][\w+.-]*:[^>\s]+)>                                    # <https://...>
  | \{\{\s*(?P<subst>[\w.]+)\s*\}\}                                         # {{ substitution }}
    """,
    re.X | re.S,
)
EXPLICIT = re.compile(r"^(?P<title>.+?)\s*<(?P<target>[^<>]+)>$", re.S)
# Roles whose text a translation may change (keeping the target): cross-references with a title.
TITLED = {"term", "doc", "ref", "numref", "eq", "any", "download", "prf:ref"}


def is_block(msgid: str) -> bool:
    """A message of a literal block (here: a display equation) keeps its newlines; a paragraph's does not."""
    return msgid.startswith("\n")


def has_words(text: str) -> bool:
    return any(unicodedata.category(c).startswith("L") for c in text)


def markup(text: str) -> Counter:
    """The markup in one message that its translation must keep, as comparable items.

    Roles keep name and target (and the whole content unless the role is a cross-reference
    with a title: ``{term}`잠재 변수 <latent variable>` `` matches ``{term}`latent variable` ``;
    a title without words such as ``(1.19)`` is kept too); citations keep their keys and glue
    roles their name and format; math and code spans keep their text (math up to whitespace);
    links keep their target (and their text when it has no words); substitutions their name.
    """
    items: Counter = Counter()
    for m in TOKEN.finditer(text):
        if m["role"]:
            name, body = m["role"], m["rbody"]
            explicit = EXPLICIT.match(body)
            if name in TITLED:
                target = explicit["target"] if explicit else body
                key = target.lower() if name == "term" else target
                title_kept = explicit and not has_words(explicit["title"])
                items[("role", name, key, explicit["title"]) if title_kept else ("role", name, key)] += 1
            elif name.startswith("cite"):
                items[("role", name, re.sub(r"\s*([,;])\s*", r"\1", body.strip()))] += 1
            else:  # glue (name:format), math and any other role: all of it
                items[("role", name, body)] += 1
        elif m["code"] is not None:
            items[("code", m["code"])] += 1
        elif m["dmath"] is not None or m["imath"] is not None:
            kind = "display math" if m["dmath"] is not None else "math"
            items[(kind, " ".join((m["dmath"] or m["imath"]).split()))] += 1
        elif m["ltarget"] is not None:
            items[("link", m["ltarget"])] += 1
            if not has_words(m["ltext"]):
                items[("link text", m["ltarget"], m["ltext"])] += 1
            items += markup(m["ltext"])
        elif m["auto"]:
            items[("link", m["auto"])] += 1
        elif m["subst"]:
            items[("substitution", m["subst"])] += 1
    return items


def show(item: tuple) -> str:
    """An item of ``markup`` written the way an author would write it."""
    kind, *rest = item
    if kind == "role":
        return f"{{{rest[0]}}}`{rest[1]}`" + (f" titled {rest[2]!r}" if len(rest) > 2 else "")
    return {
        "code": lambda: f"`{rest[0]}`",
        "math": lambda: f"${rest[0]}$",
        "display math": lambda: f"$${rest[0]}$$",
        "link": lambda: f"a link to {rest[0]}",
        "link text": lambda: f"[{rest[1]}]({rest[0]})",
        "substitution": lambda: f"{{{{ {rest[0]} }}}}",
    }[kind]()


def prose(text: str) -> str:
    """The words of a message a reader sees: its text outside markup, plus titles and link texts."""
    kept = []

    def words(m: re.Match) -> str:
        if m["role"] in TITLED:
            explicit = EXPLICIT.match(m["rbody"])
            if explicit:
                kept.append(explicit["title"])
            elif m["role"] == "term":
                kept.append(m["rbody"])
        elif m["ltext"] is not None:
            kept.append(prose(m["ltext"]))
        return " "

    return TOKEN.sub(words, text) + " " + " ".join(kept)


def markup_problems(msgid: str, msgstr: str) -> list[str]:
    """What the translation ``msgstr`` lost, changed or added of the markup of ``msgid`` (empty: none).

    An empty ``msgstr`` (untranslated) has no problems here; completeness is checked elsewhere.
    """
    if not msgstr.strip():
        return []
    if is_block(msgid):  # a display equation: only the words of its \text{...} may change

        def same(s: str) -> str:
            return " ".join(re.sub(r"\\text\{[^{}]*\}", r"\\text{}", s).split())

        return [] if same(msgid) == same(msgstr) else ["the equation changed (only \\text{…} may be translated)"]
    source, translation = markup(msgid), markup(msgstr)
    missing, added = source - translation, translation - source
    return [f"missing or changed: {show(i)}" for i in missing] + [f"not in the source: {show(i)}" for i in added]


# --- the glossary as term base ---------------------------------------------------------------------------


def source_glossary() -> dict[str, str]:
    """English term -> the source's Korean term, as the English glossary states it (``**잠재 변수.**``)."""
    text = (ROOT / "chapters" / "glossary.md").read_text()
    block = text[text.index("```{glossary}") :]
    return {term: korean for term, korean in re.findall(r"^(\S[^\n]*)\n[ \t]+\*\*(.+?)\.\*\*", block, re.M)}


def term_base(language: str = LANGUAGE) -> dict[str, str]:
    """English term (lower case) -> the headword the translated glossary gives it (its catalog's terms)."""
    english = source_glossary()
    done = translations(GLOSSARY_DOC, language)
    return {term.lower(): done[term] for term in english if term in done}


def term_titles(headword: str) -> set[str]:
    """The titles a term role may show for ``headword``: it, without its abbreviation, or the abbreviation.

    >>> sorted(term_titles("변분 오토인코더 (VAE)"))
    ['VAE', '변분 오토인코더', '변분 오토인코더 (VAE)']
    """
    m = re.fullmatch(r"(?P<term>.+?)\s*\((?P<abbr>[^()]+)\)", headword)
    return {headword, m["term"], m["abbr"]} if m else {headword}


def term_problems(msgstr: str, base: Mapping[str, str]) -> list[str]:
    """Glossary roles in a translation whose title is not the glossary's headword for their term."""
    problems = []
    for m in TOKEN.finditer(msgstr):
        if m["role"] != "term":
            continue
        explicit = EXPLICIT.match(m["rbody"])
        target = (explicit["target"] if explicit else m["rbody"]).lower()
        if target not in base:
            continue
        titles = term_titles(base[target])
        if explicit is None:
            problems.append(f"{{term}}`{m['rbody']}` has no title: write {{term}}`{base[target]} <{target}>`")
        elif explicit["title"] not in titles:
            allowed = " or ".join(sorted(titles))
            problems.append(f"{{term}}`{m['rbody']}`: the glossary's term for {target!r} is {allowed}")
    return problems


# --- chapter markdown (the Colab edition) ----------------------------------------------------------------

# Directives whose body is not MyST markdown: their text is never a message of the body's kind.
VERBATIM = {"code", "code-block", "code-cell", "sourcecode", "math", "eval-rst", "raw", "glossary", "bibliography"}
# Directives whose argument is a label (the exercise a solution solves), not text.
LABELLED = {"solution", "solution-start"}


def _parser():
    from markdown_it.renderer import RendererHTML
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    extensions = set(config.get("parse", {}).get("myst_enable_extensions", []))
    return create_md_parser(MdParserConfig(enable_extensions=extensions), RendererHTML)


def _message(inline_content: str) -> str:
    """A paragraph's (heading's, cell's) message: its raw inline markdown, lines joined (as Sphinx does)."""
    return inline_content.replace("\n", " ").strip()


def translate_markdown(source: str, catalog: Mapping[str, str]) -> str:
    """One markdown cell of a chapter (MyST) with every message that ``catalog`` translates replaced.

    ``catalog`` maps message ids to translations (``translations(docname)``). A message is a
    paragraph, heading, list item's paragraph, table cell, directive title or display equation,
    written as its raw markdown with lines joined by spaces; a translated one replaces the lines
    it came from (keeping the list marker, heading hashes and indentation before it), so the
    result is MyST again, with the same labels, directives, options and code. Directive bodies
    (exercises, solutions, admonitions) are translated recursively; code fences are left alone.

    >>> translate_markdown("# Title\\n\\nSome\\ntext $x$.\\n\\n- item\\n", {"Some text $x$.": "어떤 글 $x$."})
    '# Title\\n\\n어떤 글 $x$.\\n\\n- item\\n'
    """
    return _translate(source, catalog, _parser())


def book_catalog(language: str = LANGUAGE) -> dict[str, str]:
    """Every finished translation of every page, plus the words sphinx-exercise adds ("Exercise", "Solution to")
    as the website shows them in ``language``: one catalog for ``translate_markdown`` across the book."""
    import sphinx_exercise

    words = (
        Path(sphinx_exercise.__file__).parent / "translations" / "locales" / language / "LC_MESSAGES" / "exercise.po"
    )
    merged = {m.id: m.string for m in messages(read_catalog(words)) if m.string} if words.exists() else {}
    for docname in catalog_paths(language):
        merged |= translations(docname, language)
    own = LOCALES / language / COLAB_WORDS  # what the Colab tool itself writes (its banner, admonition names)
    if own.exists():
        merged |= {m.id: m.string for m in messages(read_catalog(own)) if m.string}
    return merged


def translator(language: str = LANGUAGE) -> Callable[[str], str]:
    """``text -> text`` in ``language``, for the Colab edition's ``Edition(translate=...)``.

    ``text`` is a markdown cell of a chapter or a word the Colab tool adds ("Exercise"); what the
    catalogs do not translate comes back unchanged.
    """
    catalog, md = book_catalog(language), _parser()
    return lambda text: _translate(text, catalog, md)


def markdown_messages(source: str) -> list[str]:
    """The messages of one markdown cell, in order: what Sphinx extracts from it (tests compare the two)."""
    found: list[str] = []
    _translate(source, _Recorder(found), _parser())
    return found


class _Recorder(dict):
    """A catalog that translates nothing and notes every message asked for."""

    def __init__(self, found: list[str]):
        super().__init__()
        self.found = found

    def get(self, key, default=None):
        if key not in self.found:
            self.found.append(key)
        return default


def _translate(source: str, catalog: Mapping[str, str], md) -> str:
    lines = source.split("\n")
    edits: list[tuple[int, int, list[str]]] = []  # (first line, end line, replacement), non-overlapping
    tokens = md.parse(source)
    row: list | None = None
    for token in tokens:
        if token.type == "tr_open":
            row = [token.map, []]
        elif token.type == "tr_close" and row is not None:
            (first, end), cells = row
            new = [(catalog.get(cell) if cell else None) or cell for cell in cells]
            if new != cells:
                edits.append((first, end, ["| " + " | ".join(c.replace("|", "\\|") for c in new) + " |"]))
            row = None
        elif token.type == "inline" and row is not None:
            row[1].append(_message(token.content))
        elif token.type == "inline" and token.map and token.content.strip():
            msgid = _message(token.content)
            translated = catalog.get(msgid)
            if translated and translated != msgid:
                first, end = token.map
                head = lines[first]
                start = head.find(token.content.split("\n")[0]) if token.content else len(head)
                edits.append((first, end, [head[: max(start, 0)] + translated]))
        elif token.type == "math_block" and token.map:
            translated = catalog.get(token.content)
            if translated and translated != token.content:
                first, end = token.map
                block = "\n".join(lines[first:end]).replace(token.content.strip("\n"), translated.strip("\n"), 1)
                edits.append((first, end, block.split("\n")))
        elif token.type in ("fence", "colon_fence") and token.map:
            edits += _translate_directive(lines, token, catalog, md)
    for first, end, replacement in sorted(edits, reverse=True):
        lines[first:end] = replacement
    return "\n".join(lines)


def _translate_directive(lines: list[str], token, catalog: Mapping[str, str], md) -> list:
    m = re.fullmatch(r"\{(?P<name>[^}\s]+)\}\s*(?P<argument>.*)", token.info.strip())
    if m is None or m["name"] in VERBATIM:
        return []
    first, end = token.map
    opening, closing = lines[first], lines[end - 1] if end - first > 1 else ""
    closed = closing.strip().startswith(opening.strip()[:3])
    edits = []
    argument = m["argument"].strip()
    if argument and m["name"] not in LABELLED:
        translated = catalog.get(_message(argument))
        if translated and translated != argument:
            edits.append((first, first + 1, [opening[: opening.rindex(argument)] + translated]))
    indent = len(opening) - len(opening.lstrip())
    body = [line[indent:] for line in lines[first + 1 : end - 1 if closed else end]]
    options = 0
    if body and body[0].strip() == "---":  # YAML options block
        options = body.index("---", 1) + 1 if "---" in body[1:] else 0
    while options < len(body) and re.match(r"\s*:[\w-]+:", body[options]):
        options += 1
    rest = "\n".join(body[options:])
    new = _translate(rest, catalog, md)
    if new != rest:
        start = first + 1 + options
        edits.append(
            (start, start + len(body) - options, [" " * indent + line if line else line for line in new.split("\n")])
        )
    return edits


# --- command line --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("command", choices=["extract", "update", "build", "stats"])
    parser.add_argument("--language", default=LANGUAGE, help="a translated edition of book_editions (default: ko)")
    parser.add_argument(
        "--out", type=Path, help="output folder (extract: _build/gettext; build: _build/<builder>/<language>)"
    )
    parser.add_argument("--builder", default="html", help="build: a Sphinx builder (html, latex, ...)")
    parser.add_argument(
        "--lenient",
        action="store_true",
        help="build: report warnings without failing (Sphinx's LaTeX builder always warns that LaTeX's babel has no Korean)",
    )
    args = parser.parse_args(argv)
    if args.language not in editions()[1:]:
        parser.error(f"{args.language!r} is not a translated edition in book_editions ({editions()})")
    start = time.perf_counter()
    if args.command == "extract":
        catalogs = extract((args.out or GETTEXT).resolve())
        total = sum(len(list(messages(c))) for c in catalogs.values())
        print(f"{total} messages in {len(catalogs)} catalogs under {args.out or GETTEXT}")
    elif args.command == "update":
        for docname, what in update(args.language).items():
            print(f"{what:>9}  locales/{args.language}/LC_MESSAGES/{docname}.po")
    elif args.command == "build":
        out = (args.out or ROOT / "_build" / args.builder / args.language).resolve()
        status = run_sphinx(args.builder, out, args.language, strict=not args.lenient)
        if status != 0:
            print(f"the {args.language} edition did not build cleanly (warnings are errors)", file=sys.stderr)
            return status
        print(
            f"{args.language} edition ({args.builder}) in {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}"
        )
    else:
        table = stats(args.language)
        total = sum(table.values(), Counter())
        for docname, count in [*table.items(), ("total", total)]:
            print(
                f"{docname:32} {sum(count.values()):5} messages: {count['translated']:5} translated, "
                f"{count['fuzzy']:4} fuzzy, {count['untranslated']:5} untranslated"
            )
    print(f"({time.perf_counter() - start:.1f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
