"""The book's structure: toc, Colab cells, committed outputs, and a strict nbval that can fail."""

import ast
import importlib.util
import json
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import nbformat
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


def test_the_library_reports_the_version_the_install_cells_pin():
    import vae_lib

    assert vae_lib.__version__ == colab_cell.version()


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


def _figure(ys):
    return f"fig, ax = plt.subplots(figsize=(2, 1.5))\nax.plot([0, 1], {ys})\nplt.show()"


def _glue_record(cell):
    return next(o["data"] for o in cell["outputs"] if "application/papermill.record/text/plain" in o.get("data", {}))


def _png(cell):
    return next(o["data"] for o in cell["outputs"] if "image/png" in o.get("data", {}))


def test_strict_nbval_fails_when_a_stored_output_is_edited(tmp_path):
    """The harness can fail: stored outputs of a small notebook are edited, and exactly the edits beyond tolerance fail.

    The notebook is executed once to get its real outputs; one edit per cell, then one nbval run
    (with tools/nbval_tolerance.py, as for the chapters) must report each cell as expected.
    """
    from nbclient import NotebookClient

    line = 'print("log-lik -0.1553 on 540 test images")'
    loose = {"tolerance": {"rel": 0.1, "reason": "a test of the override"}}
    cells = [  # (source, cell metadata, edit of its stored output, expected result)
        ("import matplotlib.pyplot as plt\nfrom vae_lib.book import glue", {}, None, "PASSED"),
        (line, {}, None, "PASSED"),
        (line, {}, ("-0.1553", "-0.1555"), "PASSED"),  # a number within the tolerance
        (line, {}, ("-0.1553", "-0.1653"), "FAILED"),  # a number beyond it
        (line, {}, ("test", "train"), "FAILED"),  # a word
        (line, {}, ("540", "541"), "FAILED"),  # a count
        (line, {}, ("images", "images\nand one more line"), "FAILED"),
        (line, loose, ("-0.1553", "-0.16"), "PASSED"),  # the cell's own tolerance
        (line, {"tolerance": {"rel": 0.1}}, None, "FAILED"),  # an override must give its reason
        ('glue("gap", 0.123456789)', {}, "glue", "PASSED"),  # a glued number, printed shorter
        (_figure([0, 1]), {}, "swap", "FAILED"),  # the two figures of the same size swapped
        (_figure([1, 0]), {}, "swap", "FAILED"),
        (_figure([0, 0.5]), {}, None, "PASSED"),
    ]
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source, metadata=metadata) for source, metadata, _, _ in cells]
    )
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    swapped = [cell for cell, (_, _, edit, _) in zip(nb.cells, cells, strict=True) if edit == "swap"]
    _png(swapped[0])["image/png"], _png(swapped[1])["image/png"] = (
        _png(swapped[1])["image/png"],
        _png(swapped[0])["image/png"],
    )
    for cell, (_, _, edit, _) in zip(nb.cells, cells, strict=True):
        if edit == "glue":
            record = _glue_record(cell)
            assert record["application/papermill.record/text/plain"] == "0.123456789"
            record["application/papermill.record/text/plain"] = "0.12346"
        elif isinstance(edit, tuple):
            stream = cell["outputs"][0]
            assert edit[0] in stream["text"]
            stream["text"] = stream["text"].replace(*edit)
    copy = tmp_path / "edited.ipynb"
    nbformat.write(nb, copy)
    result = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", "-p", "tools.nbval_tolerance"),
            *("--nbval", "--nbval-current-env", "--rootdir", str(tmp_path), str(copy)),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=300,
    )
    outcomes = dict(re.findall(r"::Cell (\d+) (PASSED|FAILED)", result.stdout))
    assert outcomes == {str(i): expected for i, (*_, expected) in enumerate(cells)}, result.stdout[-4000:]
    assert "stored -0.1653, new -0.1553: |difference| 0.01 > tolerance 0.000826" in result.stdout
    assert "differs outside its numbers" in result.stdout and "train images" in result.stdout
    assert "integers differ: stored 541, new 540" in result.stdout
    assert "the stored text has 3 lines, the new one 2" in result.stdout
    assert "figure RMS pixel difference" in result.stdout
    assert 'must give a "reason"' in result.stdout
    summary = (
        r"edited.ipynb: \d+ numbers, largest relative difference 0.06 \(Cell 3 stdout: stored -0.1653, new -0.1553\)"
    )
    assert re.search(summary + r"; 3 figures, largest RMS [1-9][0-9]", result.stdout)


def test_chapter_notebooks_are_compared_with_tolerances():
    """`pytest chapters/<nb>.ipynb`, from any folder, collects cells through tools/nbval_tolerance.py."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", NOTEBOOKS[0].name],
        capture_output=True,
        text=True,
        cwd=ROOT / "chapters",
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-2000:]
    assert "<ToleranceCell Cell 0>" in result.stdout
    assert "<IPyNbCell" not in result.stdout


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_control_characters_in_cell_sources(path):
    """A string written into the JSON without r"..." turns the "\\t" of "\\times" into a tab (1.3 once read "N imes")."""
    found = [
        (index, line_number, repr(char))
        for index, cell in enumerate(json.loads(path.read_text())["cells"])
        for line_number, line in enumerate("".join(cell["source"]).split("\n"), start=1)
        for char in line
        if unicodedata.category(char) == "Cc"
    ]
    assert not found, f"(cell index, line, character): {found}"


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
