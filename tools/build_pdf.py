"""Build the book's PDF from the stored notebook outputs, and check it.

    bash tools/build_pdf.sh                 # installs the Debian packages it needs, then runs this
    python tools/build_pdf.py               # English edition -> _build/pdf/vae-intro.pdf
    python tools/build_pdf.py --language ko # a translated edition -> _build/pdf/ko/vae-intro.pdf

Route: Jupyter Book's own Sphinx configuration (``_config.yml``, its ``latex:`` section
and ``_ext/pdf_edition.py``) through Sphinx's LaTeX builder, as ``jupyter-book build .
--builder pdflatex`` runs it, with three differences: notebooks are not executed (the
stored outputs are the book's tested outputs, ``nb_execution_mode = off``; the Sphinx
run is ``tools/i18n.py``'s, which builds every edition's website the same way), the
LaTeX tree lives under ``_build/pdf`` with doctrees of its own (an HTML build is neither
reused nor disturbed), and ``latexmk`` runs XeLaTeX in batch mode, so that a LaTeX error
stops the build with the log's name. A translated edition sits in the folder of its
language, as its website does (``_build/html/ko``).

The checks (``check``): a sane page count, every equation number (1.1)-(1.19) printed
(``pdftotext``) and tagged exactly once in the LaTeX source, at least one embedded image
per figure output of the chapter notebooks (``pdfimages -list``), no "Missing character"
and no undefined reference in the LaTeX log.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from i18n import editions, run_sphinx  # tools/i18n.py, beside this file

ROOT = Path(__file__).resolve().parent.parent
PDF_ROOT = ROOT / "_build" / "pdf"
EQUATIONS = [f"1.{n}" for n in range(1, 20)]
PAGES = range(80, 201)  # the English edition has about 110 pages; outside this, something was lost or doubled


def edition_dir(language: str | None) -> Path:
    """Where an edition's PDF goes: ``_build/pdf`` for the source language, ``_build/pdf/<language>`` otherwise."""
    return PDF_ROOT / language if language else PDF_ROOT


def sphinx_latex(out: Path, language: str | None) -> None:
    """Write the LaTeX sources of an edition into ``out/latex`` from the stored outputs.

    The same Sphinx run as the editions' websites (``tools/i18n.py``): Jupyter Book's
    configuration, no execution, a translation's catalogs and settings; warnings are errors.
    """
    shutil.rmtree(out / "latex", ignore_errors=True)
    if run_sphinx("latex", out / "latex", language) != 0:
        raise SystemExit("Sphinx's LaTeX build failed (warnings are errors, as for the website)")


def xelatex(latex: Path) -> Path:
    """Run latexmk (XeLaTeX, as Sphinx's latexmkrc sets it) to a stable PDF; the PDF's path."""
    (tex,) = latex.glob("*.tex")  # named by latex_documents.targetname in _config.yml
    run = subprocess.run(
        ["latexmk", "-pdf", "-dvi-", "-ps-", "-interaction=nonstopmode", "-halt-on-error", tex.name],
        cwd=latex,
        capture_output=True,
        text=True,
    )
    if run.returncode != 0:
        tail = "\n".join(run.stdout.splitlines()[-30:])
        raise SystemExit(f"{tail}\nXeLaTeX failed; the log is {tex.with_suffix('.log')}")
    return tex.with_suffix(".pdf")


def figure_outputs() -> int:
    """How many figures (image outputs) the chapter notebooks store."""
    count = 0
    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        outputs = (o for c in cells for o in c.get("outputs", []))
        count += sum(any(k.startswith("image/") for k in o.get("data", {})) for o in outputs)
    return count


def tool(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def check(pdf: Path, latex: Path) -> dict[str, int]:
    """Check the built PDF; raise SystemExit listing every problem. Returns pages, images, size."""
    problems = []
    pages = int(re.search(r"^Pages:\s+(\d+)", tool("pdfinfo", str(pdf)), re.M).group(1))
    if pages not in PAGES:
        problems.append(f"{pages} pages, expected {PAGES.start}-{PAGES.stop - 1}")
    text = tool("pdftotext", "-layout", str(pdf), "-")
    problems += [f"equation ({n}) is not printed" for n in EQUATIONS if f"({n})" not in text]
    source = (latex / pdf.name).with_suffix(".tex").read_text()
    for n in EQUATIONS:
        tags = source.count(rf"\tag{{{n}}}")
        if tags != 1:
            problems.append(rf"\tag{{{n}}} appears {tags} times in the LaTeX source, expected once")
    listing = tool("pdfimages", "-list", str(pdf)).splitlines()[2:]
    images = sum(line.split()[2] == "image" for line in listing)
    figures = figure_outputs()
    if images < figures:
        problems.append(f"{images} images in the PDF, but the notebooks have {figures} figure outputs")
    log = (latex / pdf.name).with_suffix(".log").read_text(errors="replace")
    problems += sorted(set(re.findall(r"Missing character: .*", log)))
    problems += sorted(set(re.findall(r"LaTeX Warning: (?:Reference|Citation) .* undefined.*", log)))
    if problems:
        raise SystemExit("PDF check failed:\n  " + "\n  ".join(problems))
    return {"pages": pages, "images": images, "figures": figures, "bytes": pdf.stat().st_size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--language", choices=editions()[1:], help="a translated edition; default: the source's")
    args = parser.parse_args()
    out = edition_dir(args.language)
    start = time.perf_counter()
    sphinx_latex(out, args.language)
    sphinx_seconds = time.perf_counter() - start
    built = xelatex(out / "latex")
    for old in out.glob("*.pdf"):  # the edition's one PDF, which its website links to
        old.unlink()
    pdf = out / built.name
    shutil.copy2(built, pdf)
    seconds = time.perf_counter() - start
    facts = check(pdf, out / "latex")
    print(
        f"{pdf.relative_to(ROOT)}: {facts['pages']} pages, {facts['bytes'] / 2**20:.1f} MiB, "
        f"{facts['images']} images for {facts['figures']} figure outputs, equations (1.1)-(1.19) each tagged once; "
        f"built in {seconds:.0f} s (Sphinx {sphinx_seconds:.0f} s, XeLaTeX {seconds - sphinx_seconds:.0f} s)"
    )


if __name__ == "__main__":
    sys.exit(main())
