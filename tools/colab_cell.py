"""The install cell of every chapter: vae_lib at this book's own release, for Colab only.

    python tools/colab_cell.py          # check: exit 1 if a chapter's first code cell differs
    python tools/colab_cell.py --write  # rewrite (or insert) the cell in every chapter notebook

The cell installs ``vae-lib @ git+<repository.url>@v<version>``: the repository's address
comes from ``_config.yml`` (read with a YAML parser; a fork changes it there), the version
from ``pyproject.toml``. The tag ``v<version>`` is created at release (CONTRIBUTING.md,
"Release"), so a notebook always meets the library it was written and tested with, never
a newer ``main``.

Colab already has torch, numpy and the rest of vae_lib's dependencies, built for its
hardware. pip is run with a constraints file of the versions the runtime has, so it may
add a dependency that is missing but never replaces one that is there; a runtime too old
for vae_lib's ranges makes pip fail with a message instead of swapping the runtime's torch.

In the chapters the cell is tagged ``remove-cell``: the website does not show it. The
Colab edition (``tools/colab_edition.py``) writes a fresh copy, untagged, as its first
code cell. tests/test_book.py runs the check.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import nbformat
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
MARKER = "# Colab only: install vae_lib"
CELL_ID = "colab-install"
TAG = "remove-cell"


def repository(root: Path = ROOT) -> tuple[str, str]:
    """``(url, branch)`` of the ``repository`` block of ``_config.yml``."""
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    block = config.get("repository") or {}
    if "url" not in block:
        raise SystemExit("_config.yml has no repository.url")
    return str(block["url"]).rstrip("/"), str(block.get("branch", "main"))


def version(root: Path = ROOT) -> str:
    """The library's version, ``[project] version`` in ``pyproject.toml``."""
    return tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def dependencies(root: Path = ROOT) -> list[str]:
    """The names of vae_lib's dependencies (``[project] dependencies``), without version ranges."""
    specs = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    return [Requirement(spec).name for spec in specs]


def release_tag(root: Path = ROOT) -> str:
    """The git tag of this book's release, ``v<version>``."""
    return f"v{version(root)}"


def install_url(root: Path = ROOT) -> str:
    """The pip requirement that installs vae_lib at this book's release."""
    url, _ = repository(root)
    return f"vae-lib @ git+{url}@{release_tag(root)}"


def cell_source(root: Path = ROOT) -> str:
    """Source of the install cell."""
    keep = ", ".join(f'"{name}"' for name in dependencies(root))
    return (
        f"{MARKER} {version(root)}, the version of this book (a no-op anywhere else).\n"
        "# pip may add a missing dependency but never replaces the runtime's own torch, numpy, ...\n"
        "import subprocess\n"
        "import sys\n"
        "import tempfile\n"
        "from importlib import metadata\n"
        "\n"
        f'VAE_LIB = "{install_url(root)}"\n'
        f"KEEP = [{keep}]\n"
        'if "google.colab" in sys.modules:\n'
        "    installed = []\n"
        "    for name in KEEP:\n"
        "        try:\n"
        '            installed.append(f"{name}=={metadata.version(name)}")\n'
        "        except metadata.PackageNotFoundError:\n"
        "            pass\n"
        '    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as constraints:\n'
        '        constraints.write("\\n".join(installed))\n'
        '    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-c", constraints.name, VAE_LIB], check=True)'
    )


def cell(root: Path = ROOT, tags: tuple[str, ...] = (TAG,)) -> nbformat.NotebookNode:
    """The install cell as an nbformat code cell with an id (tagged ``remove-cell`` for the chapters)."""
    new = nbformat.v4.new_code_cell(cell_source(root), id=CELL_ID)
    if tags:
        new.metadata["tags"] = list(tags)
    return new


def is_install_cell(c: dict) -> bool:
    return c["cell_type"] == "code" and "".join(c["source"]).startswith(MARKER)


def notebooks(root: Path = ROOT) -> list[Path]:
    return sorted((root / "chapters").glob("*.ipynb"))


def first_code_cell(nb: dict) -> dict | None:
    return next((c for c in nb["cells"] if c["cell_type"] == "code"), None)


def up_to_date(c: dict | None, root: Path = ROOT) -> bool:
    """Whether ``c`` is exactly the install cell (source and ``remove-cell`` tag)."""
    return c is not None and "".join(c["source"]) == cell_source(root) and TAG in c.get("metadata", {}).get("tags", [])


def write(path: Path, root: Path = ROOT) -> bool:
    """Rewrite or insert the install cell in ``path``; return True if the file changed."""
    nb = nbformat.read(path, as_version=4)
    old = first_code_cell(nb)
    if up_to_date(old, root):
        return False
    if old is not None and is_install_cell(old):
        old.source = cell_source(root)
        tags = old.metadata.setdefault("tags", [])
        if TAG not in tags:
            tags.append(TAG)
    else:
        at = next((i + 1 for i, c in enumerate(nb.cells) if c.cell_type == "markdown"), 0)
        nb.cells.insert(at, cell(root))
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return True


def mismatches(root: Path = ROOT) -> list[str]:
    """Chapter notebooks whose first code cell is not exactly :func:`cell`'s source with its tag."""
    return [p.name for p in notebooks(root) if not up_to_date(first_code_cell(nbformat.read(p, as_version=4)), root)]


if __name__ == "__main__":
    if "--write" in sys.argv[1:]:
        changed = [p.name for p in notebooks() if write(p)]
        print(f"updated {len(changed)} notebook(s): {', '.join(changed) or '-'}")
    else:
        bad = mismatches()
        print("every install cell is current" if not bad else f"out of date: {', '.join(bad)}")
        sys.exit(1 if bad else 0)
