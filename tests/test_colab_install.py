"""The Colab install path, end to end, on a fake Colab runtime (about 20 s; deselect with `-m "not slow"`).

What Colab has, and the fake reproduces offline:
- a Python with torch, numpy and the rest already installed: a fresh venv (without pip) whose
  one ``.pth`` file points at a folder of links to this environment's packages, minus vae_lib
  itself, so pip sees them as installed and nothing is downloaded;
- ``google.colab`` imported at start-up: a stub module (the install cell's test for Colab);
- the book's repository on GitHub, with the release tag the cell pins: a local clone of this
  repository, tagged ``v<version>`` at HEAD unless the tag exists already. The cell's
  ``git+https://github.com/<owner>/<repo>`` is pointed at ``git+file://localhost/<clone>``.

Then the first code cells of a Colab notebook run as written (the install cell, then the
chapter's setup cell), and vae_lib must be imported from the venv, at the pinned version,
with torch and numpy still the runtime's own.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

from tools import colab_cell

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "colab" / "1_1_motivation.ipynb"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("git") is None, reason="needs git"),
    pytest.mark.skipif(not NOTEBOOK.exists(), reason="no Colab edition: run `python -m tools.colab_edition --write`"),
]

RUNNER = """
import json, sys, time
import google.colab  # what Colab's kernel imports at start-up

notebook, github, clone, cells = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
code = [c for c in json.load(open(notebook))["cells"] if c["cell_type"] == "code"][:cells]
install = "".join(code[0]["source"]).replace(f"git+{github}@", f"git+file://localhost{clone}@")
assert f"git+file://localhost{clone}@" in install, "the install cell does not name the repository"
start = time.perf_counter()
exec(install)
seconds = time.perf_counter() - start
for cell in code[1:]:
    exec("".join(cell["source"]))
import numpy, torch, vae_lib
from importlib import metadata
print(json.dumps({"install_s": seconds, "vae_lib": vae_lib.__file__, "version": metadata.version("vae-lib"),
                  "torch": torch.__file__, "numpy": numpy.__file__}))
"""


def runtime_packages(folder: Path) -> Path:
    """A folder of links to this environment's packages, minus vae_lib: Colab's preinstalled runtime."""
    folder.mkdir()
    sources = {Path(sysconfig.get_paths()[k]) for k in ("purelib", "platlib")}
    for entry in sorted(e for s in sources if s.is_dir() for e in s.iterdir()):
        skip = entry.name.startswith(("vae_lib", "__editable__", "__pycache__")) or entry.suffix == ".pth"
        if not skip and not (folder / entry.name).exists():
            (folder / entry.name).symlink_to(entry)
    return folder


def test_install_cell_installs_the_tagged_release_on_a_fake_colab(tmp_path):
    start = time.perf_counter()
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (site / "colab-runtime.pth").write_text(f"{runtime_packages(tmp_path / 'runtime')}\n")
    stub = tmp_path / "stub" / "google" / "colab"
    stub.mkdir(parents=True)
    (stub / "__init__.py").write_text('"""Stub of Colab\'s google.colab."""\n')

    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    tag = colab_cell.release_tag()
    if not subprocess.run(["git", "-C", clone, "tag", "--list", tag], capture_output=True, text=True).stdout.strip():
        subprocess.run(["git", "-C", clone, "tag", tag], check=True)

    url, _ = colab_cell.repository()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON", "VIRTUAL_ENV"))},
        "PYTHONPATH": str(tmp_path / "stub"),
        "MPLBACKEND": "Agg",
        "PIP_NO_INDEX": "1",  # nothing may be downloaded: the runtime has every dependency
        "PIP_NO_BUILD_ISOLATION": "0",  # pip reads 0 as "--no-build-isolation": build with the runtime's setuptools
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_CACHE_DIR": str(tmp_path / "pip-cache"),
    }
    result = subprocess.run(
        [python, "-c", RUNNER, str(NOTEBOOK), url, str(clone), "2"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert Path(report["vae_lib"]).is_relative_to(venv), f"vae_lib not from the installed copy: {report['vae_lib']}"
    assert report["version"] == colab_cell.version()
    for package in ("torch", "numpy"):  # the runtime's own, not replaced
        assert Path(report[package]).is_relative_to(tmp_path / "runtime"), report[package]
    installed = sorted(p.name for p in site.iterdir() if p.name not in ("colab-runtime.pth", "__pycache__"))
    assert installed == ["vae_lib", f"vae_lib-{colab_cell.version()}.dist-info"], installed
    print(f"fake Colab: install cell {report['install_s']:.1f} s, whole test {time.perf_counter() - start:.1f} s")
