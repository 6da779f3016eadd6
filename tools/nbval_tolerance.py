"""Compare re-executed notebook outputs with the stored ones: text exactly, numbers and figures within a tolerance.

A pytest plugin on top of nbval (loaded by the repository's ``conftest.py``). nbval
still runs every code cell as one test item; this plugin replaces only its
comparison of a cell's outputs with the stored ones:

* **Text** (stdout/stderr, ``text/plain``, ``text/html``, ``text/markdown``,
  ``text/latex``, and MyST-NB glue records ``application/papermill.record/text/*``):
  line by line, the text with its numbers taken out must match exactly, and each
  number must match its stored value: ``|new - stored| <= max(rel * |stored|, abs)``.
  Integers (both written without ``.`` or exponent) must be identical, so counts
  such as "540 test images" cannot drift; ``nan``/``inf``/``-inf`` equal only
  themselves.
* **Figures** (``image/png``, ``image/jpeg``): same pixel size, and the RMS of the
  per-channel pixel difference (0-255, as ``matplotlib.testing.compare.compare_images``
  computes it) at most ``rms``.
* Everything else is compared exactly, as nbval does.

A number is a token such as ``3``, ``-0.25``, ``−1.5e-06``, ``nan`` or ``-inf``
that stands on its own: it may touch punctuation or units (``0.25%``, ``(1257, 64)``,
``x=3``) but not a letter, digit or underscore (``log1p``, ``x_train``, ``1_4_neural``,
``2nd`` and ``ex-1-4`` are text, compared exactly), and versions such as ``2.13.0``
are text. Thousands separators are not parsed: ``1,797`` and ``1 797`` are two
integers, each compared exactly, so grouping only makes a comparison stricter.
Spaces next to a number are padding (a right-aligned ``-0.000309`` is one space
wider than ``-0.0003088``) and may change in length.

A cell may set its own tolerance in its metadata, and must say why::

    "metadata": {"tolerance": {"rel": 0.02, "reason": "binned calibration error: one example changing bin moves it 1%"}}

Keys: ``rel``, ``abs`` (decimals), ``int_abs`` (integers), ``rms`` (figures),
``reason`` (required). At the end of a run, one line per notebook reports the
largest relative difference of a number and the largest figure RMS seen;
``--nbval-tolerance-log FILE`` writes every comparison as JSON lines.
"""

from __future__ import annotations

import base64
import io
import json
import math
import re
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np
import pytest
from nbval.plugin import IPyNbCell, IPyNbFile, _indent, _trim_base64, transform_streams_for_comparison
from PIL import Image


@dataclass(frozen=True)
class Tolerance:
    """How far a re-executed output may be from the stored one (see the module docstring)."""

    # rel 5e-3: the largest drift seen between CPUs, BLAS builds and torch kernels is 3.6e-3
    # (issue 12: ECE 0.07133 vs 0.07159), and half a percent is still the same result to a reader;
    # abs 1e-12: a float64 zero may pick up round-off, while tiny results such as sigmoid(-20) =
    # 2.061e-09 stay compared relatively; rms 1 (0-255): figures moved by <= 0.34 between CPUs and
    # torch kernels, by >= 2.3 with another seed, and swapped figures differ by >= 47.
    rel: float = 5e-3
    abs: float = 1e-12
    int_abs: int = 0
    rms: float = 1.0
    reason: str = ""

    @classmethod
    def from_metadata(cls, metadata: dict) -> Tolerance:
        """The default tolerance, updated by the cell's ``"tolerance"`` metadata; ValueError if malformed.

        Example:
            >>> Tolerance.from_metadata({"tolerance": {"rel": 0.02, "reason": "binned statistic"}}).rel
            0.02
        """
        override = metadata.get("tolerance")
        if override is None:
            return cls()
        if not isinstance(override, dict):
            raise ValueError(f'cell metadata "tolerance" must be an object, got {override!r}')
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(override) - known)
        if unknown:
            raise ValueError(f'cell metadata "tolerance" has unknown keys {unknown}; known: {sorted(known)}')
        reason = override.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError('cell metadata "tolerance" must give a "reason" (a non-empty string) for its override')
        if set(override) == {"reason"}:
            raise ValueError('cell metadata "tolerance" gives a reason but no tolerance to change')
        for key, value in override.items():
            if key == "reason":
                continue
            wrong_type = isinstance(value, bool) or not isinstance(value, int | float)
            if wrong_type or not math.isfinite(value) or value < 0 or (key == "int_abs" and value != int(value)):
                kind = "a non-negative integer" if key == "int_abs" else "a non-negative finite number"
                raise ValueError(f'cell metadata "tolerance": {key} must be {kind}, got {value!r}')
        return replace(cls(), **override)

    def describe(self) -> str:
        """The rule for decimals, in words."""
        return f"max(rel {self.rel:g} x |stored|, abs {self.abs:g})"


_SIGN = "+\\-\N{MINUS SIGN}"  # a character class: "+", "-", "−"
# A number: optional sign (a "-" right after a word or a closing bracket is an operator or
# hyphen, not a sign), digits with an optional fraction and exponent, or nan/inf; it may not
# start right after a word character or "." and may not run into a word character or ".<digit>".
# A word (starting with a letter or "_", joined by "-" or "." to more word characters) is
# consumed whole, so the digits of "ex-1-4" or "log1p" are never numbers.
_TOKEN = re.compile(
    rf"""
    (?P<number>
        (?<![\w.])
        (?:(?<![\w.)\]])[{_SIGN}])?
        (?:
            (?:\d+(?:\.\d+)?|\.\d+)(?:[eE][{_SIGN}]?\d+)?
            | (?i:nan|inf)
        )
        (?!\w|\.\d)
    )
    | (?P<word>[^\W\d](?:\w|[-.](?=\w))*)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Number:
    """One number found in a line of text."""

    text: str
    value: float
    is_int: bool

    @classmethod
    def parse(cls, text: str) -> Number:
        """Read ``text`` (a number token) as a float, noting whether it is written as an integer.

        Example:
            >>> Number.parse("\N{MINUS SIGN}1.0e-06").value
            -1e-06
        """
        plain = text.replace("\N{MINUS SIGN}", "-")
        return cls(text, float(plain), re.fullmatch(r"[+-]?\d+", plain) is not None)


def split_numbers(line: str) -> tuple[list[str], list[Number]]:
    """Split a line into the text between its numbers (one more piece than numbers) and its numbers.

    Example:
        >>> split_numbers("x=3, log1p(0.25%)")
        (['x=', ', log1p(', '%)'], [Number(text='3', value=3.0, is_int=True), Number(text='0.25', value=0.25, is_int=False)])
    """
    pieces, numbers, start = [], [], 0
    for match in _TOKEN.finditer(line):
        if match.lastgroup == "number":
            pieces.append(line[start : match.start()])
            numbers.append(Number.parse(match.group()))
            start = match.end()
    pieces.append(line[start:])
    return pieces, numbers


def _skeleton(pieces: list[str]) -> list[str]:
    """The text between numbers without the padding next to a number (alignment may shift it)."""
    trimmed = []
    for index, piece in enumerate(pieces):
        if index > 0:
            piece = piece.lstrip(" ")
        if index < len(pieces) - 1:
            piece = piece.rstrip(" ")
        trimmed.append(piece)
    return trimmed


def relative_difference(stored: Number, new: Number) -> float:
    """``|new - stored| / |stored|`` (0 when equal, inf when only the stored value is 0 or non-finite)."""
    if stored.value == new.value or stored.text == new.text:
        return 0.0
    if not math.isfinite(stored.value) or not math.isfinite(new.value) or stored.value == 0:
        return math.inf
    return abs(new.value - stored.value) / abs(stored.value)


def number_problem(stored: Number, new: Number, tolerance: Tolerance) -> str | None:
    """Why ``new`` does not match ``stored`` within ``tolerance``, or None if it does.

    Example:
        >>> number_problem(Number.parse("1e-06"), Number.parse("1.0e-06"), Tolerance()) is None
        True
    """
    if stored.is_int and new.is_int:
        if stored.text == new.text or (tolerance.int_abs and abs(new.value - stored.value) <= tolerance.int_abs):
            return None
        rule = f"within {tolerance.int_abs}" if tolerance.int_abs else "exactly"
        return f"integers differ: stored {stored.text}, new {new.text} (integers must match {rule})"
    if not (math.isfinite(stored.value) and math.isfinite(new.value)):
        if stored.text.replace("\N{MINUS SIGN}", "-") == new.text.replace("\N{MINUS SIGN}", "-"):
            return None
        return f"stored {stored.text}, new {new.text} (nan and inf equal only themselves)"
    allowed = max(tolerance.rel * abs(stored.value), tolerance.abs)
    difference = abs(new.value - stored.value)
    if difference <= allowed:
        return None
    return (
        f"stored {stored.text}, new {new.text}: |difference| {difference:.3g} > tolerance {allowed:.3g}"
        f" = {tolerance.describe()}"
    )


@dataclass
class TextComparison:
    """The outcome of comparing a stored text output with a new one."""

    problem: str | None = None
    numbers: int = 0
    largest: tuple[float, str, str] = (0.0, "", "")  # relative difference, stored, new


def compare_text(stored: str, new: str, tolerance: Tolerance) -> TextComparison:
    """Compare two text outputs line by line: text exactly (padding aside), numbers within ``tolerance``.

    Example:
        >>> compare_text("loss = 0.1553\\n", "loss = 0.1556\\n", Tolerance()).problem is None
        True
        >>> print(compare_text("540 test images", "541 test images", Tolerance()).problem)
        line 1, number 1: integers differ: stored 540, new 541 (integers must match exactly)
    """
    result = TextComparison()
    stored_lines, new_lines = stored.split("\n"), new.split("\n")
    if len(stored_lines) != len(new_lines):
        result.problem = f"the stored text has {len(stored_lines)} lines, the new one {len(new_lines)}"
        return result
    for number, (stored_line, new_line) in enumerate(zip(stored_lines, new_lines, strict=True), start=1):
        stored_pieces, stored_numbers = split_numbers(stored_line)
        new_pieces, new_numbers = split_numbers(new_line)
        both = f"\n  stored: {stored_line!r}\n  new:    {new_line!r}"
        if len(stored_numbers) != len(new_numbers):
            result.problem = f"line {number} has {len(stored_numbers)} numbers stored and {len(new_numbers)} new:{both}"
            return result
        if _skeleton(stored_pieces) != _skeleton(new_pieces):
            result.problem = f"line {number} differs outside its numbers:{both}"
            return result
        for position, (old, now) in enumerate(zip(stored_numbers, new_numbers, strict=True), start=1):
            result.numbers += 1
            difference = relative_difference(old, now)
            if difference > result.largest[0]:
                result.largest = (difference, old.text, now.text)
            problem = number_problem(old, now, tolerance)
            if problem:
                result.problem = f"line {number}, number {position}: {problem}"
                return result
    return result


def load_image(encoded: str) -> np.ndarray:
    """Decode a base64 PNG/JPEG output to an array: RGB when opaque, else RGBA (as matplotlib's comparison does)."""
    image = Image.open(io.BytesIO(base64.b64decode(encoded)))
    image = image.convert("RGBA")
    if image.getextrema()[3][0] == 255:
        image = image.convert("RGB")
    return np.asarray(image)


def image_rms(stored: str, new: str) -> float:
    """RMS of the per-channel pixel difference (0-255) of two base64 images; ValueError if sizes differ.

    Example:
        >>> import base64, io
        >>> from PIL import Image
        >>> def png(colour):
        ...     buffer = io.BytesIO()
        ...     Image.new("RGB", (4, 4), colour).save(buffer, format="png")
        ...     return base64.b64encode(buffer.getvalue()).decode()
        >>> float(image_rms(png((0, 0, 0)), png((0, 0, 30))))
        17.320508075688775
    """
    old, now = load_image(stored), load_image(new)
    if old.shape != now.shape:
        raise ValueError(f"figure size differs: stored {_size(old)}, new {_size(now)}")
    return float(np.sqrt(np.mean((old.astype(float) - now.astype(float)) ** 2)))


def _size(image: np.ndarray) -> str:
    height, width = image.shape[:2]
    return f"{width}x{height} px{'' if image.shape[2:] == (3,) else f' ({image.shape[2]} channels)'}"


_GLUE_PREFIX = "application/papermill.record/"
_TEXT_KEYS = {"stdout", "stderr", "text/plain", "text/html", "text/markdown", "text/latex"}
_IMAGE_KEYS = {"image/png", "image/jpeg"}


def output_kind(key: str) -> str:
    """How an output field is compared: ``"text"``, ``"image"`` or ``"exact"``."""
    base = key.removeprefix(_GLUE_PREFIX)
    if base in _IMAGE_KEYS:
        return "image"
    return "text" if base in _TEXT_KEYS else "exact"


@dataclass
class NotebookStats:
    """What was compared in one notebook, for the end-of-run summary."""

    numbers: int = 0
    figures: int = 0
    largest_rel: tuple[float, str] = (0.0, "")
    largest_rms: tuple[float, str] = (0.0, "")


_STATS = pytest.StashKey[dict[str, NotebookStats]]()


class ToleranceCell(IPyNbCell):
    """An nbval cell whose outputs are compared with tolerances (see the module docstring)."""

    def runtest(self):
        try:
            self.tolerance, self.tolerance_problem = Tolerance.from_metadata(self.cell.metadata), None
        except ValueError as error:
            self.tolerance, self.tolerance_problem = Tolerance(), str(error)
        super().runtest()
        if self.tolerance_problem:  # reached only when the outputs were not compared
            self.raise_cell_error("Invalid tolerance override", self.tolerance_problem)

    def compare_outputs(self, test, ref, skip_compare=None):
        self.comparison_traceback = []
        if self.tolerance_problem:
            self.comparison_traceback.append(f"Invalid tolerance override: {self.tolerance_problem}")
            return False
        skip = set(skip_compare or self.parent.skip_compare) - _IMAGE_KEYS
        stored, new = self._fields(ref, skip), self._fields(test, skip)
        if set(stored) != set(new):
            missing, unexpected = sorted(set(stored) - set(new)), sorted(set(new) - set(stored))
            self.comparison_traceback.append(f"Output fields missing: {missing}; unexpected: {unexpected}")
            return False
        for key, stored_values in stored.items():
            new_values = new[key]
            if len(stored_values) != len(new_values):
                self.comparison_traceback.append(
                    f"{len(stored_values)} stored outputs of '{key}', {len(new_values)} new ones"
                )
                self._show(stored_values, new_values)
                return False
            for index, (old, now) in enumerate(zip(stored_values, new_values, strict=True), start=1):
                problem = self._compare(key, old, now, f"{key} #{index}" if len(stored_values) > 1 else key)
                if problem:
                    self.comparison_traceback.append(
                        f"mismatch '{key}' (output {index} of {len(stored_values)}): {problem}"
                    )
                    self._show([old], [now])
                    return False
        return True

    def _fields(self, outputs, skip) -> dict[str, list]:
        """nbval's flattening: every output field (``data`` unpacked by MIME type) to its list of values."""
        flat: dict[str, list] = {}
        for output in transform_streams_for_comparison(outputs):
            for key, value in output.items():
                if key in skip:
                    continue
                items = value.items() if key == "data" else [(key, value)]
                for name, item in items:
                    if name not in skip:
                        flat.setdefault(name, []).append(self.sanitize(item))
        return flat

    def _compare(self, key: str, stored, new, label: str) -> str | None:
        kind = output_kind(key)
        stats = self.config.stash.setdefault(_STATS, {}).setdefault(self._notebook(), NotebookStats())
        where = f"{self.name} {label}"
        if kind == "image":
            try:
                rms = image_rms(stored, new)
            except ValueError as error:
                return str(error)
            stats.figures += 1
            stats.largest_rms = max(stats.largest_rms, (rms, where))
            self._log(key=key, kind="figure", rms=rms)
            if rms > self.tolerance.rms:
                return f"figure RMS pixel difference {rms:.3g} > tolerance {self.tolerance.rms:g} (0-255 scale)"
            return None
        if kind == "text" and isinstance(stored, str) and isinstance(new, str):
            result = compare_text(stored, new, self.tolerance)
            stats.numbers += result.numbers
            rel, old, now = result.largest
            stats.largest_rel = max(stats.largest_rel, (rel, f"{where}: stored {old}, new {now}" if rel else ""))
            self._log(key=key, kind="text", numbers=result.numbers, rel=rel, stored=old, new=now)
            return result.problem
        return None if stored == new else "differs (compared exactly)"

    def _show(self, stored_values: list, new_values: list) -> None:
        self.comparison_traceback.append("  <<<<<<<<<<<< stored output:")
        self.comparison_traceback.extend(_indent(_trim_base64(str(v))) for v in stored_values)
        self.comparison_traceback.append("  ============ new output:")
        self.comparison_traceback.extend(_indent(_trim_base64(str(v))) for v in new_values)
        self.comparison_traceback.append("  >>>>>>>>>>>>")

    def _notebook(self) -> str:
        return self.reportinfo()[2].rpartition("::")[0]

    def _log(self, **record) -> None:
        path = self.config.getoption("nbval_tolerance_log")
        if path:
            with Path(path).open("a") as log:
                log.write(json.dumps({"notebook": self._notebook(), "cell": self.name, **record}) + "\n")


class ToleranceNbFile(IPyNbFile):
    """nbval's notebook collector, yielding ``ToleranceCell`` items."""

    def collect(self):
        for item in super().collect():
            yield ToleranceCell.from_parent(
                self, name=item.name, cell_num=item.cell_num, cell=item.cell, options=item.options
            )


def pytest_addoption(parser):
    parser.getgroup("nbval").addoption(
        "--nbval-tolerance-log",
        metavar="FILE",
        help="append one JSON line per compared notebook output (largest relative difference, figure RMS)",
    )


@pytest.hookimpl(wrapper=True)
def pytest_collect_file(file_path, parent):
    collected = yield
    return [
        ToleranceNbFile.from_parent(parent, path=file_path) if type(node) is IPyNbFile else node for node in collected
    ]


def pytest_terminal_summary(terminalreporter, config):
    stats = config.stash.get(_STATS, {})
    if not stats:
        return
    default = Tolerance()
    terminalreporter.write_sep(
        "-",
        f"notebook outputs vs stored: numbers within {default.describe()}, integers exactly, figures RMS <= {default.rms:g}",
    )
    for notebook, s in sorted(stats.items()):
        rel, rel_where = s.largest_rel
        rms, rms_where = s.largest_rms
        terminalreporter.write_line(
            f"{notebook}: {s.numbers} numbers, largest relative difference {rel:.2g}"
            f"{f' ({rel_where})' if rel else ''}; {s.figures} figures, largest RMS {rms:.3g}"
            f"{f' ({rms_where})' if rms else ''}"
        )
