"""The Colab edition: each chapter notebook as a plain notebook that reads like its web page.

    python -m tools.colab_edition          # check: exit 1 if colab/ differs from what the chapters give
    python -m tools.colab_edition --write  # (re)generate colab/<chapter>.ipynb

Jupyter and Colab render Markdown, not MyST. This tool rewrites every MyST construct
the chapters use into what the website shows, as plain Markdown:

- glossary terms, ``{ref}``/``{numref}``/``{doc}`` references, label links such as
  ``[(1.11)](eq-1-11)`` and citations become links into the published site (its address
  is derived from ``repository.url`` in ``_config.yml``); citations read "Author (year)";
- ``(label)=`` lines disappear, equations keep their ``\\tag{1.N}``;
- glued numbers (``{glue:text}`name:.3g```, ``{glue}``, ``{glue:md}``) are filled in from
  the stored outputs, formatted as MyST-NB formats them;
- exercises become headings numbered as on the website, solutions (the directive and the
  gated ``solution-start`` … ``solution-end`` form, whose code and outputs are folded in)
  collapsed ``<details>`` blocks, other admonitions a bold title and a quote;
- cells tagged ``remove-cell`` (claim checks) are dropped, ``remove-input``/``hide-input``
  cells become Colab forms with hidden code, and the stored outputs are kept (minus
  MyST-NB's glue records);
- the install cell (tools/colab_cell.py) comes first, untagged.

A construct it does not know is an error, not silently passed through.
``tests/test_colab_edition.py`` checks that colab/ is current and reads right.

A translated edition reuses all of this: ``Edition(translate=...)`` maps every Markdown
cell (and the words the tool adds: "Exercise", "Solution to", ...) through ``translate``
before conversion, and ``Book(site=...)`` points the links at that edition's pages.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml
from docutils.nodes import make_id
from myst_nb.core.variables import format_plain_text
from pybtex.backends.plaintext import Backend as PlainText
from pybtex.database import parse_file
from pybtex.richtext import Text
from sphinx.util.nodes import _make_id as sphinx_make_id

from tools import colab_cell

ROOT = Path(__file__).resolve().parent.parent
OUT = "colab"
GLUE_PREFIX = "application/papermill.record/"


class ConversionError(ValueError):
    """A MyST construct the Colab edition cannot render, with the page it is on."""


def site_url(root: Path = ROOT) -> str:
    """The published site of ``repository.url``: github.com/<owner>/<repo> → https://<owner>.github.io/<repo>/."""
    url, _ = colab_cell.repository(root)
    match = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+?)(?:\.git)?", url)
    if not match:
        raise SystemExit(f"repository.url {url!r} is not https://github.com/<owner>/<repo>")
    owner, repo = match.groups()
    if repo.lower() == f"{owner.lower()}.github.io":
        return f"https://{repo.lower()}/"
    return f"https://{owner.lower()}.github.io/{repo}/"


# --------------------------------------------------------------------------- Markdown blocks

FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,}|:{3,})\s*(?P<info>.*)$")
DIRECTIVE = re.compile(r"^\{(?P<name>[^}\s]+)\}\s*(?P<arg>.*)$")
TARGET = re.compile(r"^\(([^()\s]+)\)=\s*$", re.M)  # a MyST label line: (eq-1-11)=


def closes(fence: str, line: str) -> bool:
    """Whether ``line`` closes a fence opened with ``fence`` (same character, at least as many)."""
    return re.fullmatch(rf" {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*", line) is not None


@dataclass
class Directive:
    name: str
    arg: str
    options: dict[str, str]
    body: str


def blocks(text: str) -> Iterator[str | Directive]:
    """Split Markdown into plain text (code fences kept whole) and top-level MyST directives."""
    lines = text.split("\n")
    plain: list[str] = []
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if not match:
            plain.append(lines[i])
            i += 1
            continue
        fence = match["fence"]
        end = next((j for j in range(i + 1, len(lines)) if closes(fence, lines[j])), len(lines))
        directive = DIRECTIVE.match(match["info"])
        if directive is None:
            if fence[0] == ":":
                raise ConversionError(f"colon fence without a directive name: {lines[i]!r}")
            plain.extend(lines[i : end + 1])
        else:
            if plain:
                yield "\n".join(plain)
                plain = []
            yield parse_directive(directive["name"], directive["arg"].strip(), lines[i + 1 : end])
        i = end + 1
    if plain:
        yield "\n".join(plain)


def parse_directive(name: str, arg: str, lines: list[str]) -> Directive:
    options: dict[str, str] = {}
    if lines and lines[0].strip() == "---":  # YAML options block
        end = lines.index("---", 1)
        options = {k: str(v) for k, v in (yaml.safe_load("\n".join(lines[1:end])) or {}).items()}
        lines = lines[end + 1 :]
    else:
        while lines and (option := re.match(r"^:([\w-]+):\s*(.*)$", lines[0])):
            options[option[1]] = option[2].strip()
            lines = lines[1:]
    return Directive(name, arg, options, "\n".join(lines).strip("\n"))


# --------------------------------------------------------------------------- the book


@dataclass(frozen=True)
class Target:
    """A place on the website: page, anchor ("" for the page itself) and the title a bare reference shows."""

    doc: str
    anchor: str
    title: str


@dataclass(frozen=True)
class Exercise:
    label: str
    doc: str
    number: int | None
    title: str


def markdown_of(path: Path) -> str:
    """The Markdown of a page: a .md file, or the Markdown cells of a notebook."""
    if path.suffix == ".md":
        return path.read_text(encoding="utf-8")
    nb = nbformat.read(path, as_version=4)
    return "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def walk(text: str) -> Iterator[str | Directive]:
    """Every block of ``text``, descending into directive bodies (document order)."""
    for block in blocks(text):
        yield block
        if isinstance(block, Directive):
            yield from walk(block.body)


class Book:
    """What references need to know about the whole book: pages, labels, exercise numbers, glossary, works cited."""

    def __init__(self, root: Path = ROOT, site: str | None = None, translate: Callable[[str], str] = str):
        """``site``: the edition's pages (default: the published English site); ``translate``: the
        edition's text, so that page, section and exercise titles read in its language."""
        self.root = root
        self.site = site or site_url(root)
        toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
        self.docs = [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]
        self.labels: dict[str, Target] = {}
        self.exercises: dict[str, Exercise] = {}
        self.titles: dict[str, str] = {}
        self.terms: dict[str, str] = {}
        texts = {doc: translate(markdown_of(self.source(doc))) for doc in self.docs}
        number = 0
        for doc, text in texts.items():
            heading = re.search(r"^# (.+)$", text, re.M)
            self.titles[doc] = heading[1].strip() if heading else doc
            for label, title in re.findall(r"^\(([^()\s]+)\)=\s*\n+(?:#+ (.+))?", text, re.M):  # heading: its title
                self.labels[label] = Target(doc, make_id(label), title.strip())
            for block in walk(text):
                if not isinstance(block, Directive):
                    continue
                if block.name in ("exercise", "exercise-start"):
                    numbered = "nonumber" not in block.options
                    number += numbered
                    label = block.options.get("label", "")
                    exercise = Exercise(label, doc, number if numbered else None, block.arg)
                    if label:
                        self.exercises[label] = exercise
                        self.labels[label] = Target(doc, label, block.arg)
                elif block.name == "glossary":
                    for term in re.findall(r"^(\S.*?)\s*$", block.body, re.M):
                        self.terms[term.lower()] = sphinx_make_id(f"term-{term}")
        bibliography = next(doc for doc, text in texts.items() if "{bibliography}" in text)
        config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
        sphinx_config = config.get("sphinx", {}).get("config", {})
        cite_id = sphinx_config.get("bibtex_cite_id")
        if not cite_id:
            raise SystemExit("_config.yml must set sphinx.config.bibtex_cite_id (e.g. cite-{key}) for stable anchors")
        self.works: dict[str, tuple[str, str, Target]] = {}
        for bibfile in sphinx_config.get("bibtex_bibfiles", []):
            for key, entry in parse_file(root / bibfile).entries.items():
                anchor = make_id(cite_id.format(key=key, bibliography_count=1))
                self.works[key] = (
                    self.authors(entry),
                    entry.fields.get("year", "n.d."),
                    Target(bibliography, anchor, ""),
                )

    def source(self, doc: str) -> Path:
        for suffix in (".ipynb", ".md"):
            if (path := self.root / f"{doc}{suffix}").exists():
                return path
        raise SystemExit(f"_toc.yml lists {doc}, which has no .ipynb or .md")

    @staticmethod
    def authors(entry) -> str:
        """Author names as sphinxcontrib-bibtex's author_year style gives them: "A", "A and B", "A et al."."""
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        names = [Text.from_latex(" ".join(p.prelast_names + p.last_names)).render(PlainText()) for p in people]
        if len(names) > 2:
            return f"{names[0]} et al."
        return " and ".join(names)

    def url(self, target: Target) -> str:
        return f"{self.site}{target.doc}.html" + (f"#{target.anchor}" if target.anchor else "")

    def resolve_doc(self, here: str, target: str) -> str:
        """A ``{doc}`` or link target relative to the page ``here``, as a toc entry."""
        target = re.sub(r"\.(ipynb|md)$", "", target)
        doc = (
            target.lstrip("/")
            if target.startswith("/")
            else posixpath.normpath(posixpath.join(posixpath.dirname(here), target))
        )
        if doc not in self.docs:
            raise ConversionError(f"{here}: no page {target!r} in _toc.yml")
        return doc


# --------------------------------------------------------------------------- one page

INLINE = re.compile(
    r"""
    (?P<role>\{(?P<name>[A-Za-z][\w:+-]*)\}(?P<ticks>`+)(?P<content>.+?)(?P=ticks))
    | (?P<code>(?P<cticks>`+).+?(?P=cticks))
    | (?P<dmath>\$\$.+?\$\$)
    | (?P<imath>(?<![\\$])\$(?:\\.|[^$\\])+?\$)
    | (?P<image>!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]+)\))
    | (?P<link>\[(?P<text>(?:[^\[\]]|\[[^\]]*\])*)\]\((?P<target>[^)\s]+)\))
    """,
    re.S | re.X,
)
TITLED = re.compile(r"^(?P<title>.*?)\s*<(?P<target>[^<>]+)>$", re.S)
ADMONITIONS = ("note", "tip", "hint", "important", "warning", "caution", "attention", "danger", "error", "seealso")


def glue_records(nb: nbformat.NotebookNode) -> dict[str, dict[str, str]]:
    """``{name: {mime type: data}}`` of every value glued in ``nb``'s stored outputs."""
    records = {}
    for c in nb.cells:
        for output in c.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name is not None:
                records[name] = {k.removeprefix(GLUE_PREFIX): v for k, v in output["data"].items()}
    return records


@dataclass
class Page:
    """Converts the Markdown of one page."""

    book: Book
    doc: str
    glue: dict[str, dict[str, str]]
    translate: Callable[[str], str]
    heading_level: int = 2

    # ---- inline
    def inline(self, text: str) -> str:
        return INLINE.sub(self._inline, text)

    def _inline(self, m: re.Match) -> str:
        if m["role"]:
            return self.role(m["name"], " ".join(m["content"].split()))
        if m["image"]:
            return f"![{m['alt']}]({self.asset(m['src'])})"
        if m["link"]:
            return f"[{self.inline(m['text'])}]({self.link(m['target'])})"
        return m[0]  # code, math: as written

    def link(self, target: str) -> str:
        if re.match(r"^(https?:|mailto:)", target):
            return target
        if target.startswith("#"):
            return self.book.url(Target(self.doc, target[1:], ""))
        if target in self.book.labels:
            return self.book.url(self.book.labels[target])
        path, _, anchor = target.partition("#")
        return self.book.url(Target(self.book.resolve_doc(self.doc, path), anchor, ""))

    def asset(self, src: str) -> str:
        if re.match(r"^(https?:|data:)", src):
            return src
        url, branch = colab_cell.repository(self.book.root)
        path = posixpath.normpath(posixpath.join(posixpath.dirname(self.doc), src))
        return f"{url.replace('https://github.com/', 'https://raw.githubusercontent.com/')}/{branch}/{path}"

    def role(self, name: str, content: str) -> str:
        titled = TITLED.match(content)
        title, target = (titled["title"], titled["target"]) if titled else ("", content)
        if name == "term":
            anchor = self.book.terms.get(target.lower())
            if anchor is None:
                raise ConversionError(f"{self.doc}: {{term}}`{target}` is not in the glossary")
            return f"[{title or target}]({self.book.url(Target('chapters/glossary', anchor, ''))})"
        if name in ("ref", "numref"):
            found = self.book.labels.get(target)
            if found is None:
                raise ConversionError(f"{self.doc}: {{{name}}}`{content}`: no such label")
            exercise = self.book.exercises.get(target)
            if name == "numref":
                if exercise is None or exercise.number is None:
                    raise ConversionError(f"{self.doc}: {{numref}}`{content}` needs a numbered exercise")
                text = (title or f"{self.translate('Exercise')} %s").replace("%s", str(exercise.number))
                text = text.replace("{number}", str(exercise.number)).replace("{name}", self.translate(exercise.title))
            else:
                text = title or self.translate(found.title)
                if not text:
                    raise ConversionError(f"{self.doc}: {{ref}}`{content}` needs a title (the label has none)")
            return f"[{self.inline(text)}]({self.book.url(found)})"
        if name == "doc":
            doc = self.book.resolve_doc(self.doc, target)
            return f"[{title or self.translate(self.book.titles[doc])}]({self.book.url(Target(doc, '', ''))})"
        if name == "cite" or name.startswith("cite:"):
            return self.cite(name.partition(":")[2] or "p", content)
        if name == "glue" or name.startswith("glue:"):
            return self.glued(name.partition(":")[2] or "any", content)
        if name == "math":
            return f"${content}$"
        if name in ("sub", "sup"):
            return f"<{name}>{content}</{name}>"
        if name == "abbr":
            return title or content
        raise ConversionError(f"{self.doc}: the role {{{name}}} has no Colab rendering")

    def cite(self, style: str, keys: str) -> str:
        works = []
        for key in (k.strip() for k in keys.split(",")):
            if key not in self.book.works:
                raise ConversionError(f"{self.doc}: {{cite}}`{key}` is not in the bibliography")
            works.append(self.book.works[key])
        if style == "t":
            return ", ".join(f"[{who} ({year})]({self.book.url(t)})" for who, year, t in works)
        if style == "p":
            return "(" + "; ".join(f"[{who}, {year}]({self.book.url(t)})" for who, year, t in works) + ")"
        if style in ("author", "year"):
            return ", ".join(f"[{who if style == 'author' else year}]({self.book.url(t)})" for who, year, t in works)
        raise ConversionError(f"{self.doc}: {{cite:{style}}} has no Colab rendering")

    def glued(self, kind: str, content: str) -> str:
        key, _, fmt = content.rpartition(":") if kind == "text" and ":" in content else (content, "", "")
        records = self.glue
        if "::" in key:  # glued in another notebook
            other, key = key.split("::", 1)
            records = glue_records(
                nbformat.read(self.book.source(self.book.resolve_doc(self.doc, other)), as_version=4)
            )
        if key not in records:
            raise ConversionError(f"{self.doc}: nothing is glued as {key!r} (execute the notebook)")
        data = records[key]
        if kind == "text":
            return format_plain_text(data["text/plain"], fmt or "s")
        if kind == "md":
            return data["text/markdown"]
        if kind == "any":
            return data.get("text/markdown") or data["text/plain"]
        raise ConversionError(f"{self.doc}: {{glue:{kind}}} has no Colab rendering")

    # ---- blocks
    def text(self, text: str) -> str:
        """Plain Markdown (no directives): labels dropped, roles and links rewritten, code fences kept."""
        out, fenced = [], None
        for line in text.split("\n"):
            if fenced:
                out.append(line)
                if closes(fenced, line):
                    fenced = None
                continue
            if fence := FENCE.match(line):
                fenced = fence["fence"]
                out.append(line)
                continue
            if TARGET.match(line.strip()) or line.startswith("%"):
                continue  # a target, a MyST comment
            line = re.sub(r"(\$\$)[ \t]*\([^()\s]+\)[ \t]*$", r"\1", line)  # $$ ... $$ (label)
            if heading := re.match(r"^(#{1,6}) ", line):
                self.heading_level = len(heading[1])
            out.append(line)
        return self.inline("\n".join(out))

    def markdown(self, text: str) -> str:
        parts = [self.text(b) if isinstance(b, str) else self.directive(b) for b in blocks(text)]
        return re.sub(r"\n{3,}", "\n\n", "\n\n".join(p.strip("\n") for p in parts if p.strip())).strip()

    def directive(self, d: Directive) -> str:
        if d.name in ("exercise", "exercise-start"):
            exercise = self.book.exercises.get(d.options.get("label", ""))
            heading = self.translate("Exercise") + (f" {exercise.number}" if exercise and exercise.number else "")
            heading += f" ({self.inline(d.arg)})" if d.arg else ""
            level = "#" * min(self.heading_level + 1, 6)
            return f"{level} {heading}\n\n{self.markdown(d.body)}"
        if d.name == "exercise-end":
            return ""
        if d.name == "solution":
            return self.details(self.solution_title(d.arg), self.markdown(d.body))
        if d.name in ("admonition", *ADMONITIONS):
            title = self.inline(d.arg) if d.name == "admonition" else self.translate(d.name.capitalize())
            body = self.markdown(d.body if d.name == "admonition" else f"{d.arg}\n{d.body}")
            if "dropdown" in d.options.get("class", "").split():
                return self.details(title, body)
            if "$$" in body:  # display math cannot sit in a quote (Jupyter lifts math out before Markdown)
                return f"**{title}**\n\n{body}"
            return "\n".join(f"> {line}".rstrip() for line in f"**{title}**\n\n{body}".split("\n"))
        if d.name in ("code-block", "code"):
            return f"```{d.arg}\n{d.body}\n```"
        if d.name == "math":
            return f"$$\n{d.body}\n$$"
        raise ConversionError(f"{self.doc}: the directive {{{d.name}}} has no Colab rendering")

    def solution_title(self, label: str) -> str:
        exercise = self.book.exercises.get(label)
        if exercise is None:
            raise ConversionError(f"{self.doc}: a solution to {label!r}, which is no exercise")
        name = self.translate("Exercise") + (f" {exercise.number}" if exercise.number else "")
        return f"{self.translate('Solution to')} {name}" + (
            f" ({self.inline(self.translate(exercise.title))})" if exercise.title else ""
        )

    @staticmethod
    def details(summary: str, body: str) -> str:
        return f"<details>\n<summary><strong>{summary}</strong></summary>\n\n{body}\n\n</details>"


# --------------------------------------------------------------------------- one notebook


def fenced(code: str, language: str) -> str:
    ticks = "`" * max([3, *(len(t) + 1 for t in re.findall(r"`{3,}", code))])
    return f"{ticks}{language}\n{code.rstrip()}\n{ticks}"


def hidden_code(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A Colab form: the code is folded behind its first comment (or "Code")."""
    first = cell.source.split("\n", 1)[0]
    title = first.lstrip("# ").strip() if first.startswith("#") else "Code"
    cell.source = f"# @title {title}\n{cell.source}"
    cell.metadata.update({"cellView": "form", "jupyter": {"source_hidden": True}})
    return cell


def code_cell(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    tags = set(cell.metadata.get("tags", []))
    source = re.sub(r"\A(# NBVAL_\w+\n)+", "", cell.source)
    outputs = []
    for output in [] if "remove-output" in tags else cell.outputs:
        if "scrapbook" in output.get("metadata", {}):
            continue  # MyST-NB glue record: nothing to see
        if output.output_type == "stream" and output.name == "stderr" and "remove-stderr" in tags:
            continue
        if output.output_type == "execute_result":
            output = nbformat.from_dict({**output, "execution_count": None})
        outputs.append(output)
    new = nbformat.v4.new_code_cell(source, id=cell.id, outputs=outputs)
    if tags & {"remove-input", "hide-input", "hide-cell"}:
        new = hidden_code(new)
    return new


def output_markdown(cell: nbformat.NotebookNode, attachments: dict) -> str:
    """A code cell's stored outputs as Markdown: text in a fence, images as cell attachments."""
    parts = []
    for output in cell.outputs:
        if "scrapbook" in output.get("metadata", {}) or output.get("name") == "stderr":
            continue
        if output.output_type == "stream":
            parts.append(("text", output.text))
        elif output.output_type in ("execute_result", "display_data"):
            image = next((m for m in ("image/png", "image/jpeg") if m in output.data), None)
            if image:
                name = f"output-{len(attachments) + 1}.{image.split('/')[1]}"
                attachments[name] = {image: output.data[image]}
                parts.append(("image", f"![output](attachment:{name})"))
            elif "text/plain" in output.data:
                parts.append(("text", output.data["text/plain"] + "\n"))
        elif output.output_type == "error":
            raise ConversionError(f"a stored error in a solution cell: {output.ename}")
    merged: list[tuple[str, str]] = []
    for kind, text in parts:  # consecutive text outputs form one block
        if merged and kind == "text" == merged[-1][0]:
            merged[-1] = ("text", merged[-1][1] + text)
        else:
            merged.append((kind, text))
    return "\n\n".join(fenced(text, "text") if kind == "text" else text for kind, text in merged)


def cell_id(*parts: str) -> str:
    return hashlib.sha1("/".join(parts).encode()).hexdigest()[:8]


@dataclass
class Edition:
    """Turns chapter notebooks into Colab notebooks for one ``Book`` (one site, one language)."""

    book: Book
    translate: Callable[[str], str] = lambda text: text

    def banner(self, doc: str) -> str:
        return self.translate(
            "*The Colab edition of [{title}]({url}), a page of the book [{book}]({site}). Run the next cell "
            "first: on Colab it installs `vae_lib` {version}, the version of the library this book was written with.*"
        ).format(
            title=self.translate(self.book.titles[doc]),
            url=self.book.url(Target(doc, "", "")),
            book=yaml.safe_load((self.book.root / "_config.yml").read_text(encoding="utf-8"))["title"].split(":")[0],
            site=self.book.site,
            version=colab_cell.version(self.book.root),
        )

    def convert(self, nb: nbformat.NotebookNode, doc: str) -> nbformat.NotebookNode:
        """The Colab notebook of the chapter notebook ``nb``, the page ``doc`` (e.g. ``chapters/1_7_latent_variables``)."""
        page = Page(self.book, doc, glue_records(nb), self.translate)
        cells: list[nbformat.NotebookNode] = []
        solution: dict | None = None  # an open gated solution: its title, Markdown parts, attachments, id

        def emit_markdown(text: str, source_id: str) -> None:
            """Add a Markdown cell; a second piece of one source cell (around a solution) gets an id of its own."""
            if text.strip():
                taken = any(c.id == source_id for c in cells)
                new_id = cell_id(doc, source_id, "after") if taken else source_id
                cells.append(nbformat.v4.new_markdown_cell(text.strip(), id=new_id))

        for cell in nb.cells:
            tags = set(cell.metadata.get("tags", []))
            if colab_cell.is_install_cell(cell):
                continue
            if "remove-cell" in tags:
                continue
            if cell.cell_type == "code":
                if solution is not None:
                    solution["parts"].append(fenced(cell.source, "python"))
                    solution["parts"].append(output_markdown(cell, solution["attachments"]))
                else:
                    cells.append(code_cell(cell))
                continue
            if cell.cell_type != "markdown":
                continue
            outside: list[str] = []
            for block in blocks(self.translate(cell.source)):
                if isinstance(block, Directive) and block.name == "solution-start":
                    if solution is not None:
                        raise ConversionError(f"{doc}: solution-start inside an open solution")
                    emit_markdown("\n\n".join(outside), cell.id)
                    outside = []
                    title = page.solution_title(block.arg)
                    solution = {"title": title, "parts": [], "attachments": {}, "id": cell_id(doc, cell.id, "solution")}
                elif isinstance(block, Directive) and block.name == "solution-end":
                    if solution is None:
                        raise ConversionError(f"{doc}: solution-end without solution-start")
                    body = "\n\n".join(p.strip("\n") for p in solution["parts"] if p.strip())
                    new = nbformat.v4.new_markdown_cell(Page.details(solution["title"], body), id=solution["id"])
                    if solution["attachments"]:
                        new.attachments = solution["attachments"]
                    cells.append(new)
                    solution = None
                else:
                    text = page.text(block) if isinstance(block, str) else page.directive(block)
                    (solution["parts"] if solution is not None else outside).append(text)
            emit_markdown("\n\n".join(p.strip("\n") for p in outside if p.strip()), cell.id)
        if solution is not None:
            raise ConversionError(f"{doc}: solution-start without solution-end")

        first_code = next((i for i, c in enumerate(cells) if c.cell_type == "code"), len(cells))
        install = colab_cell.cell(self.book.root, tags=())
        banner = nbformat.v4.new_markdown_cell(self.banner(doc), id="colab-edition")
        cells[first_code:first_code] = [banner, install]
        colab = nbformat.v4.new_notebook(
            cells=cells,
            metadata={
                "kernelspec": nb.metadata.get(
                    "kernelspec", {"display_name": "Python 3", "language": "python", "name": "python3"}
                ),
                "language_info": {"name": "python"},
                "colab": {"toc_visible": True},
            },
        )
        nbformat.validate(colab)
        return colab

    def render(self, path: Path) -> str:
        """The file text of the Colab notebook of the chapter notebook at ``path``."""
        doc = path.resolve().relative_to(self.book.root).with_suffix("").as_posix()
        return nbformat.writes(self.convert(nbformat.read(path, as_version=4), doc)) + "\n"


def chapters(root: Path = ROOT) -> list[Path]:
    return sorted((root / "chapters").glob("1_*.ipynb"))


def destination(chapter: Path, root: Path = ROOT, out: str = OUT) -> Path:
    return root / out / chapter.name


def editions(root: Path = ROOT) -> dict[str, Edition]:
    """``{folder: edition}``: the English edition in ``colab/``, each translation in ``colab/<language>/``
    (``book_editions`` in ``_config.yml``), its text from ``locales/<language>`` and its links into
    that language's pages (``<site>/<language>/``)."""
    from tools import i18n  # the catalogs, only needed here

    translated = i18n.editions()[1:]  # the first is the source language
    found = {OUT: Edition(Book(root))}
    for language in translated:
        translate = i18n.translator(language)
        book = Book(root, site=f"{site_url(root)}{language}/", translate=translate)
        found[f"{OUT}/{language}"] = Edition(book, translate=translate)
    return found


def stale(edition: Edition, out: str = OUT) -> list[str]:
    """Colab notebooks that differ from what the chapters give now (or are missing, or have no chapter)."""
    root = edition.book.root
    expected = {destination(p, root, out): p for p in chapters(root)}
    bad = [
        f"{out}/{d.name}"
        for d, p in expected.items()
        if not d.exists() or d.read_text(encoding="utf-8") != edition.render(p)
    ]
    bad += [f"{out}/{p.name} (no chapter)" for p in (root / out).glob("*.ipynb") if p not in expected]
    return bad


def main(argv: list[str]) -> int:
    found = editions()
    if "--write" in argv:
        for out, edition in found.items():
            (ROOT / out).mkdir(parents=True, exist_ok=True)
            for chapter in chapters():
                destination(chapter, out=out).write_text(edition.render(chapter), encoding="utf-8")
            for extra in (ROOT / out).glob("*.ipynb"):
                if not (ROOT / "chapters" / extra.name).exists():
                    extra.unlink()
        print(f"wrote {len(chapters())} Colab notebook(s) to each of {', '.join(f'{o}/' for o in found)}")
        return 0
    bad = [name for out, edition in found.items() for name in stale(edition, out)]
    print(
        "the Colab edition is current"
        if not bad
        else f"out of date: {', '.join(bad)} (run python -m tools.colab_edition --write)"
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
