"""No hand-typed computed numbers in the chapters' prose.

Every number in a chapter's Markdown must be one of:

* glued from the cell that computes it (``{glue:text}`name:.3g```; roles are not prose);
* a parameter set in code: a numeric literal of one of the notebook's code cells
  (``steps=2000`` lets the prose say "2000 steps"; ``test_size=0.3`` lets it say "30 %");
* quoted from the printed output of a code cell next to it (the nearest code cell before or
  after the Markdown cell; the prose may round it: "0.968" quotes a printed 0.9681);
* on the commented allow-list below: mathematical constants and facts that no cell computes.

Equation numbers "(1.11)", section and exercise numbers ("section 1.6", "exercise 1.1.1"),
labels, link targets, code and equation tags are not numbers of this kind and are skipped.
The test fails with the list of offending numbers, their notebook cell and context, and it also
fails on allow-list entries that no longer occur (so the list cannot rot).
"""

from __future__ import annotations

import ast
import json
import math
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "chapters").glob("1_*.ipynb"))

# Numbers the prose may state although no cell prints or sets them: notebook stem -> {number as
# written: why it needs no cell}. "*" applies to every chapter. Keep each reason specific.
ALLOWED: dict[str, dict[str, str]] = {
    "*": {},
    "1_1_motivation": {},
    "1_2_aim": {},
    "1_3_probabilistic_models": {},
    "1_4_neural_conditionals": {
        "13.8": "-ln(10^-6) = 6 ln 10 = 13.8155: arithmetic on the illustrative probability 10^-6 of the same sentence",
    },
    "1_5_graphical_models": {},
    "1_6_fully_observed": {},
    "1_7_latent_variables": {
        "-23": "exercise ex-1-7-float32-sigmoid: float32 keeps 23 fraction bits, so numbers just above 1 are "
        "2^-23 apart (IEEE 754 binary32; torch.finfo(torch.float32).eps), a format fact the exercise starts from",
        "-24": "its solution: half that spacing, 2^-24, the largest e^-l for which 1 + e^-l rounds to 1 (ties to even)",
    },
    "1_8_intractabilities": {
        "1.4e+10": "exercise ex-1-8-grid-cost: the age of the universe in years (13.8 billion, Planck 2018), a physical "
        "fact the solution compares its computed 3.2e+83 years with",
    },
}

NUMBER = re.compile(
    r"(?<![\w.\-−])"  # not inside an identifier, a label or a dotted number
    r"[-−]?(?:\d{1,3}(?:(?: |\u2009|\u202f|\\,)\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+−]?\d+)?"  # 1 797 and 10\,201 too
    r"(?![\w])"
)
SKIP = [
    re.compile(r"^\s*:[\w-]+:.*$", re.M),  # directive options (:label: ex-1-4-x, :class: dropdown)
    re.compile(r"^\s*\(([\w-]+)\)=\s*$", re.M),  # targets (eq-1-11)=
    re.compile(r"\{[\w:-]+\}`[^`]*`"),  # roles: {glue:text}`x:.3g`, {ref}`(1.11) <eq-1-11>`, {cite}`…`
    re.compile(r"``.*?``|`[^`\n]*`"),  # inline code
    re.compile(r"\]\([^)\s]*\)"),  # link targets ](eq-1-11), ](https://…)
    re.compile(r"<[^>\n]+>"),  # HTML tags
    re.compile(r"\\tag\{[^}]*\}"),  # equation tags
    re.compile(r"\\(?:label|ref|eqref)\{[^}]*\}"),
    re.compile(r"\((?:1\.\d{1,2}|A\.\d)\)(?:–\((?:1\.\d{1,2})\))?"),  # equation references (1.11)–(1.12)
    re.compile(
        r"\b(?:[Ss]ections?|[Ss]ubsections?|§|[Ff]igures?|[Tt]ables?|[Ee]xercises?|[Cc]hapters?|[Aa]ppendix|[Ee]quations?|[Ee]qs?\.)"
        r"\s+(?:\d+(?:\.\d+)*(?:\s*(?:–|-|,|and|or)\s*)?)+"
    ),  # section 1.6, sections 1.6–1.8, exercise 1.1.1, chapter 2
    re.compile(r"^#+\s+1\.\d(?:\.\d)?\s", re.M),  # headings "## 1.3.1 Conditional models"
]


FENCE = re.compile(r"^\s*(`{3,}|~{3,}|:{3,})(.*)$")


def without_code_blocks(markdown: str) -> str:
    """``markdown`` with fence lines and code blocks blanked; the prose inside directives stays.

    Fences nest (a ``{solution}`` directive holds a ```` ```python ```` block), so they are
    matched as a stack: a bare fence closes the innermost open fence of its kind and length.
    """
    lines, stack = markdown.split("\n"), []
    for i, line in enumerate(lines):
        fence = FENCE.match(line)
        in_code = bool(stack) and stack[-1][2] == "code"
        if fence:
            marker, rest = fence.groups()
            top = stack[-1] if stack else None
            if top and marker[0] == top[0] and len(marker) >= top[1] and not rest.strip():
                stack.pop()
            elif not in_code:
                stack.append((marker[0], len(marker), "directive" if rest.lstrip().startswith("{") else "code"))
            lines[i] = " " * len(line)
        elif in_code:
            lines[i] = " " * len(line)
    return "\n".join(lines)


def prose(markdown: str) -> str:
    """``markdown`` with everything that is not prose (code, roles, labels, tags, links) blanked out."""
    markdown = without_code_blocks(markdown)
    for pattern in SKIP:
        markdown = pattern.sub(lambda m: " " * len(m.group(0)), markdown)
    return markdown


def to_float(token: str) -> float:
    return float(re.sub(r" |\u2009|\u202f|\\,", "", token).replace("−", "-"))


def decimals(token: str) -> int:
    mantissa = re.split(r"[eE]", token)[0]
    return len(mantissa.split(".")[1]) if "." in mantissa else 0


def code_literals(cells: list[dict]) -> set[float]:
    """Numeric literals of every code cell (and of ```python fences in Markdown solutions)."""
    sources = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    for c in cells:
        if c["cell_type"] == "markdown":
            sources += re.findall(r"^```python\n(.*?)^```", "".join(c["source"]), re.M | re.S)
    values: set[float] = set()
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and type(node.value) in (int, float):
                values.add(float(node.value))
            elif (
                isinstance(node, ast.UnaryOp)
                and isinstance(node.op, ast.USub)
                and isinstance(node.operand, ast.Constant)
            ):
                if type(node.operand.value) in (int, float):
                    values.add(-float(node.operand.value))
    return values


def output_text(cell: dict) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out["output_type"] == "stream":
            parts.append("".join(out["text"]))
        for key, value in out.get("data", {}).items():
            if key.endswith("text/plain") and not "".join(value).startswith("<Figure"):
                parts.append("".join(value))
    return "\n".join(parts)


def quotes(token: str, printed: list[str]) -> bool:
    """Is the prose number ``token`` a printed number, possibly rounded or given in percent?"""
    value, places = to_float(token), decimals(token)
    for other in printed:
        shown = to_float(other)
        if not math.isfinite(shown):
            continue
        for candidate in (shown, 100 * shown):
            if candidate == value:
                return True
            # rounded to the prose's decimals; a one-digit integer must be exact ("about 3" is not 2.746)
            if (places > 0 or abs(value) >= 10) and round(candidate, places) == value:
                return True
    return False


def is_parameter(token: str, literals: set[float]) -> bool:
    value = to_float(token)
    return any(math.isclose(value, v, rel_tol=1e-9) or math.isclose(value, 100 * v, rel_tol=1e-9) for v in literals)


def unexplained_numbers(path: Path) -> tuple[list[str], set[str]]:
    """(offending numbers with cell and context, allow-list entries used) for one notebook."""
    cells = json.loads(path.read_text())["cells"]
    literals = code_literals(cells)
    allowed = {**ALLOWED["*"], **ALLOWED.get(path.stem, {})}
    code_at = [i for i, c in enumerate(cells) if c["cell_type"] == "code"]
    bad, used = [], set()
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "markdown":
            continue
        before = [j for j in code_at if j < i][-1:]
        after = [j for j in code_at if j > i][:1]
        printed = [m.group(0) for j in before + after for m in NUMBER.finditer(output_text(cells[j]))]
        text = prose("".join(cell["source"]))
        for match in NUMBER.finditer(text):
            token = match.group(0)
            if token in allowed:
                used.add(token)
            elif not (is_parameter(token, literals) or quotes(token, printed)):
                context = " ".join(text[max(0, match.start() - 50) : match.end() + 30].split())
                bad.append(f"cell {i}: {token!r} in “…{context}…”")
    return bad, used


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_prose_number_is_glued_set_in_code_or_quoted(path):
    bad, _ = unexplained_numbers(path)
    assert not bad, (
        f"{len(bad)} number(s) in {path.name}'s prose are neither glued, nor set in code, nor printed by "
        "the code cell next to them, nor on ALLOWED in tests/test_prose_numbers.py:\n" + "\n".join(bad)
    )


def test_allow_list_has_no_stale_entries():
    used = {"*": set()}
    for path in NOTEBOOKS:
        _, hits = unexplained_numbers(path)
        used[path.stem] = hits
        used["*"] |= hits
    stale = [f"{stem}: {n}" for stem, entries in ALLOWED.items() for n in entries if n not in used.get(stem, set())]
    assert not stale, f"allow-list entries that no longer occur: {stale}"


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("see (1.11) and section 1.6.2, exercise 1.1.1", []),
        ("(eq-1-11)=\n$$\nx\n\\tag{1.11}\n$$", []),
        ("glued {glue:text}`gap:.3g` and {ref}`(1.19) <eq-1-19>`", []),
        ("a `code 12345` span and [link](eq-1-4)", []),
        ("```python\nx = 77.5\n```\ntext", []),
        ("```{exercise} Title\n:label: ex-1-4-x\n\nAbout 41 nats.\n```", ["41"]),
        (
            "```{exercise} T\n:label: ex-1-5-x\n\nQ?\n```\n\n````{solution} ex-1-5-x\n:class: dropdown\n\n"
            "About 39 against a million.\n```python\nn = 2**20 - 1\n```\nThat is 77 nats.\n````",
            ["39", "77"],
        ),
        ("the loss is −0.087 and 13.8 nats at 1e-06", ["−0.087", "13.8", "1e-06"]),
        ("Figure 1.2.4 shows 1 797 digits and $10\\,201$ points", ["1 797", "10\\,201"]),
    ],
)
def test_what_counts_as_a_prose_number(markdown, expected):
    assert [m.group(0) for m in NUMBER.finditer(prose(markdown))] == expected


def test_quotes_accept_rounding_and_percent_but_not_other_numbers():
    assert quotes("0.968", ["0.9681"])
    assert quotes("97.8", ["0.9778"])
    assert quotes("−0.087", ["-0.08656"])
    assert quotes("540", ["540"]) and quotes("1 797", ["1797"])
    assert quotes("0.97", ["0.9681"]) and not quotes("0.96", ["0.9681"])
    assert not quotes("3", ["2.746"])  # "about 3 nats" is not a quote of 2.746
    assert is_parameter("30", {0.3}) and is_parameter("2000", {2000.0}) and not is_parameter("2001", {2000.0})
