"""requirements.txt and its variants: the exact pins, pyproject's floors, the newest releases pyproject allows.

requirements.txt pins every direct dependency exactly; pyproject.toml gives the library's ranges. The two
variants below replace only the library's dependencies and keep the test and book tools pinned, so a failure
in them is about the library's dependencies, not about a new pytest or Jupyter Book.

    python3 tools/pins.py floors   # requirements.txt with each library dependency at its floor (>=X becomes ==X)
    python3 tools/pins.py newest   # ... at its pyproject range (a fresh install takes the newest releases)
    python3 tools/pins.py names    # the pinned names, one a line (to upgrade them all when updating the pins)
    python3 tools/pins.py update   # rewrite requirements.txt's pins to the versions installed in this Python

Needs Python 3.11+ (tomllib); it runs with any interpreter, not the one under test.
"""

from __future__ import annotations

import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "requirements.txt"
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+)$")
SPEC = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)\s*(?P<spec>[<>=!~].*)$")


def normalize(name: str) -> str:
    """PEP 503 name: `scikit_learn`, `Scikit-Learn` and `scikit-learn` are one project."""
    return re.sub(r"[-_.]+", "-", name).lower()


def library_ranges() -> dict[str, str]:
    """pyproject's dependencies as {normalized name: specifier}, e.g. {"numpy": ">=1.26,<3"}."""
    ranges = {}
    for dependency in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]:
        match = SPEC.match(dependency.strip())
        if not match:
            sys.exit(f"pins.py: cannot read the dependency {dependency!r} in pyproject.toml")
        ranges[normalize(match["name"])] = match["spec"].replace(" ", "")
    return ranges


def floor(spec: str) -> str:
    """The version a `>=` range starts at: ">=1.26,<3" -> "1.26" (== pads it: 1.26.0)."""
    match = re.search(r">=([0-9][^,;]*)", spec)
    if not match:
        sys.exit(f"pins.py: the range {spec!r} has no >= floor to test")
    return match[1]


def pinned_lines() -> list[tuple[str, re.Match[str] | None]]:
    """requirements.txt line by line, with the parsed pin where the line is one."""
    return [(line, PIN.match(line.strip())) for line in REQUIREMENTS.read_text().splitlines()]


def variant(mode: str) -> str:
    """requirements.txt with the library's dependencies at their floors or at their ranges."""
    ranges = library_ranges()
    unpinned = set(ranges) - {normalize(pin["name"]) for _, pin in pinned_lines() if pin}
    if unpinned:
        sys.exit(f"pins.py: requirements.txt does not pin {sorted(unpinned)}")
    out = []
    for line, pin in pinned_lines():
        name = normalize(pin["name"]) if pin else None
        if name in ranges:
            spec = ranges[name]
            line = f"{pin['name']}=={floor(spec)}" if mode == "floors" else f"{pin['name']}{spec}"
        out.append(line)
    return "\n".join(out) + "\n"


def update() -> None:
    """Write the installed version of every pinned package into requirements.txt (local labels like +cpu dropped)."""
    out = []
    for line, pin in pinned_lines():
        if pin:
            line = f"{pin['name']}=={metadata.version(pin['name']).split('+')[0]}"
        out.append(line)
    REQUIREMENTS.write_text("\n".join(out) + "\n")


def main(argv: list[str]) -> None:
    mode = argv[0] if len(argv) == 1 else ""
    if mode in ("floors", "newest"):
        sys.stdout.write(variant(mode))
    elif mode == "names":
        sys.stdout.write("".join(f"{pin['name']}\n" for _, pin in pinned_lines() if pin))
    elif mode == "update":
        update()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
