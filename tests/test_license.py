"""The LICENSE file says what pyproject.toml declares."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_license_file_matches_pyproject():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"]
    text = (ROOT / "LICENSE").read_text()
    assert declared in ({"text": "MIT"}, "MIT")
    assert text.startswith("MIT License\n\nCopyright (c) 2026 the vae-intro contributors\n")
    assert "Permission is hereby granted, free of charge" in text
