"""The book's structure: toc, Colab cells, committed outputs, and a strict nbval that can fail."""

import ast
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
_spec = importlib.util.spec_from_file_location("colab_cell", ROOT / "tools" / "colab_cell.py")
colab_cell = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(colab_cell)


def code_cells(path):
    return [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]


def test_toc_lists_exactly_the_chapter_notebooks():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    listed = {f for f in files if (ROOT / f"{f}.ipynb").exists()}
    assert listed == {f"chapters/{p.stem}" for p in NOTEBOOKS}
    assert len(NOTEBOOKS) == 8
    for f in [toc["root"], *files]:
        assert (ROOT / f"{f}.ipynb").exists() or (ROOT / f"{f}.md").exists(), f


def test_colab_cells_agree_with_config():
    url, branch = CONFIG["repository"]["url"], CONFIG["repository"]["branch"]
    assert colab_cell.repository() == (url, branch)
    assert colab_cell.mismatches() == []
    for path in NOTEBOOKS:
        source = "".join(code_cells(path)[0]["source"])
        assert 'if "google.colab" in sys.modules:' in source, path.name
        # the book's own release, never a moving branch; the website hides the cell
        assert f'"vae-lib @ git+{url}@v{colab_cell.version()}"' in source, path.name
        assert "remove-cell" in code_cells(path)[0]["metadata"].get("tags", []), path.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_committed_with_clean_outputs(path):
    cells = [c for c in code_cells(path) if "".join(c["source"]).strip()]
    assert [c["execution_count"] for c in cells] == list(range(1, len(cells) + 1)), "re-run top to bottom"
    outputs = [o for c in cells for o in c["outputs"]]
    assert not [o for o in outputs if o["output_type"] == "error"]
    assert not [o for o in outputs if o.get("name") == "stderr"], "warnings/stderr in stored outputs"
    text = json.dumps(outputs)
    assert not re.search(r"/tmp/ipykernel|/home/|/root/|site-packages", text), "machine path in outputs"
    sources = "".join("".join(c["source"]) for c in cells)
    assert "sys.path" not in sources
    assert "import vae_lib" in sources or "from vae_lib" in sources


def test_strict_nbval_fails_when_a_stored_output_is_edited(tmp_path):
    """The harness can fail: change one stored output of a copy and nbval must report it."""
    path = next(p for p in NOTEBOOKS if any(o.get("name") == "stdout" for c in code_cells(p) for o in c["outputs"]))
    nb = json.loads(path.read_text())
    cell = next(
        c for c in nb["cells"] if c["cell_type"] == "code" and any(o.get("name") == "stdout" for o in c["outputs"])
    )
    stream = next(o for o in cell["outputs"] if o.get("name") == "stdout")
    stream["text"] = ["this is not what the cell prints\n"]
    copy = tmp_path / path.name
    copy.write_text(json.dumps(nb))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval",
            "--nbval-current-env",
            "-x",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
            str(copy),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 1, result.stdout[-2000:]
    assert "1 failed" in result.stdout
    assert "this is not what the cell prints" in result.stdout


def test_docstring_equation_numbers_exist_in_the_book():
    """Every "(1.N)" a vae_lib docstring names is an equation the book labels."""
    labelled = set()
    for path in NOTEBOOKS:
        for cell in json.loads(path.read_text())["cells"]:
            labelled |= set(re.findall(r"\\tag\{1\.(\d+)\}", "".join(cell["source"])))
    assert labelled == {str(n) for n in range(1, 20)}
    named = {
        (path.name, n)
        for path in (ROOT / "vae_lib").glob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
        for n in re.findall(r"(?<![\w.])\(1\.(\d{1,2})\)", ast.get_docstring(node) or "")
    }
    assert named, "no docstring names an equation"
    assert not [(f, n) for f, n in named if n not in labelled]


def test_every_public_function_and_class_has_a_docstring_example():
    """The API page promises an example for each public name of vae_lib (pytest runs them as doctests)."""
    missing = []
    for path in sorted((ROOT / "vae_lib").glob("*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_"):
                if ">>>" not in (ast.get_docstring(node) or ""):
                    missing.append(f"{path.stem}.{node.name}")
    assert not missing, missing
