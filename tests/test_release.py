"""Release engineering: exact pins, the variants tools/test_releases.sh installs, the workflow's promises."""

import importlib.util
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW_TEXT = (ROOT / ".github" / "workflows" / "book.yml").read_text()
WORKFLOW = yaml.safe_load(WORKFLOW_TEXT)
_spec = importlib.util.spec_from_file_location("pins", ROOT / "tools" / "pins.py")
pins = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pins)


def requirement_lines(text):
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def test_requirements_pin_every_direct_dependency_exactly():
    lines = requirement_lines((ROOT / "requirements.txt").read_text())
    assert [line for line in lines if line != "-e ." and not pins.PIN.match(line)] == []
    pinned = {pins.normalize(pins.PIN.match(line)["name"]) for line in lines if line != "-e ."}
    assert set(pins.library_ranges()) <= pinned
    assert {"jupyter-book", "nbval", "pytest", "hypothesis", "ipykernel", "pyyaml", "ruff", "zizmor"} <= pinned


def test_variants_move_only_the_library_dependencies():
    """floors: `>=X` becomes `==X`; newest: pyproject's range; every other line is requirements.txt's."""
    ranges = pins.library_ranges()
    pinned = requirement_lines((ROOT / "requirements.txt").read_text())
    for mode in ("floors", "newest"):
        lines = requirement_lines(pins.variant(mode))
        assert len(lines) == len(pinned)
        for line, pin in zip(lines, pinned, strict=True):
            name = pins.normalize(re.split(r"[=<>!~]", line)[0])
            if name not in ranges:
                assert line == pin
            elif mode == "newest":
                assert line.endswith(ranges[name])
            else:
                assert line.endswith("==" + re.search(r">=([^,]+)", ranges[name])[1])


def test_readme_gives_the_pages_address_that_repository_url_publishes_to():
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    owner, repo = url.removeprefix("https://github.com/").strip("/").split("/")
    assert f"https://{owner.lower()}.github.io/{repo}/" in (ROOT / "README.md").read_text()


def test_workflow_tests_with_ci_run_and_deploys_only_main_pushes_uncancelled():
    jobs = WORKFLOW["jobs"]
    assert WORKFLOW["permissions"] == {}
    assert any(step.get("run") == "bash .ci/run" for step in jobs["ci"]["steps"])
    deploy = jobs["deploy"]
    assert deploy["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    assert deploy["concurrency"]["cancel-in-progress"] is False
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    others = [job.get("permissions", {}) for name, job in jobs.items() if name != "deploy"]
    assert all(set(p) <= {"contents"} and p.get("contents", "read") == "read" for p in others)
    for job in jobs.values():
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False


def test_every_action_is_pinned_to_a_commit_with_its_version_named():
    uses = [line.strip() for line in WORKFLOW_TEXT.splitlines() if re.match(r"\s*(- )?uses:", line)]
    assert uses
    pinned = re.compile(r"(- )?uses: [\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")
    assert [line for line in uses if not pinned.fullmatch(line)] == []
