"""Keep every notebook's Colab install cell in step with ``repository`` in ``_config.yml``.

    python tools/colab_cell.py          # check: exit 1 if a notebook's first code cell differs
    python tools/colab_cell.py --write  # rewrite (or insert) the cell in every chapter notebook

The repository's address lives in one place (``_config.yml``); a fork changes it
there and runs ``--write``. tests/test_book.py runs the check.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = "# Colab only: install vae_lib from the book's repository"


def repository() -> tuple[str, str]:
    """``(url, branch)`` from the ``repository:`` block of ``_config.yml``."""
    text = (ROOT / "_config.yml").read_text()
    block = re.search(r"^repository:\n((?:[ \t]+.*\n?)+)", text, re.M)
    if block is None:
        raise SystemExit("_config.yml has no repository: block")
    fields = dict(re.findall(r"^\s+(\w+):\s*(\S+)", block.group(1), re.M))
    return fields["url"].rstrip("/"), fields.get("branch", "main")


def install_url() -> str:
    """The pip requirement that installs vae_lib from the repository."""
    url, branch = repository()
    return f"vae-lib @ git+{url}@{branch}"


def cell_source() -> str:
    """Source of the first code cell of every chapter notebook."""
    return (
        f"{MARKER} (a no-op anywhere else).\n"
        "import subprocess\n"
        "import sys\n"
        "\n"
        f'VAE_LIB = "{install_url()}"\n'
        'if "google.colab" in sys.modules:\n'
        '    subprocess.run([sys.executable, "-m", "pip", "install", "-q", VAE_LIB], check=True)'
    )


def notebooks() -> list[Path]:
    return sorted(p for p in (ROOT / "chapters").glob("*.ipynb"))


def first_code_cell(nb: dict) -> dict | None:
    return next((c for c in nb["cells"] if c["cell_type"] == "code"), None)


def write(path: Path) -> bool:
    """Rewrite or insert the Colab cell in ``path``; return True if the file changed."""
    nb = json.loads(path.read_text())
    cell = first_code_cell(nb)
    source = cell_source()
    if cell is not None and "".join(cell["source"]).startswith(MARKER):
        if "".join(cell["source"]) == source:
            return False
        cell["source"] = source.splitlines(keepends=True)
    else:
        new = {
            "cell_type": "code",
            "execution_count": None,
            "metadata": {},
            "outputs": [],
            "source": source.splitlines(keepends=True),
        }
        at = next((i + 1 for i, c in enumerate(nb["cells"]) if c["cell_type"] == "markdown"), 0)
        nb["cells"].insert(at, new)
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    return True


def mismatches() -> list[str]:
    """Notebooks whose first code cell is not exactly :func:`cell_source`."""
    source = cell_source()
    bad = []
    for path in notebooks():
        cell = first_code_cell(json.loads(path.read_text()))
        if cell is None or "".join(cell["source"]) != source:
            bad.append(path.name)
    return bad


if __name__ == "__main__":
    if "--write" in sys.argv[1:]:
        changed = [p.name for p in notebooks() if write(p)]
        print(f"updated {len(changed)} notebook(s): {', '.join(changed) or '-'}")
    else:
        bad = mismatches()
        print("all Colab cells match _config.yml" if not bad else f"out of date: {', '.join(bad)}")
        sys.exit(1 if bad else 0)
