"""The notebook-output comparison (tools/nbval_tolerance.py): text exactly, numbers and figures within tolerances."""

import base64
import doctest
import io

import pytest
from PIL import Image, ImageDraw

from tools import nbval_tolerance
from tools.nbval_tolerance import Tolerance, compare_text, image_rms, output_kind, split_numbers

DEFAULT = Tolerance()


def problem(stored, new, tolerance=DEFAULT):
    return compare_text(stored, new, tolerance).problem


def numbers(line):
    return [n.text for n in split_numbers(line)[1]]


def test_docstring_examples():
    assert doctest.testmod(nbval_tolerance).failed == 0


def test_equal_text_passes():
    text = "model      accuracy\nMLP          0.9778\n"
    assert problem(text, text) is None
    assert problem("", "") is None


@pytest.mark.parametrize(
    ("stored", "new"),
    [
        ("log-lik -0.1553", "log-lik -0.1556"),  # issue 12: BLAS kernels of another CPU
        ("ECE = 0.07133, mean confidence = 0.899", "ECE = 0.07159, mean confidence = 0.8988"),
        ("KL 0.0006593", "KL 0.0006594"),  # 1.5 under ATEN_CPU_CAPABILITY=default
        ("x = 1e-06", "x = 1.0e-06"),
        ("x = 1e-06", "x = 1E-6"),
        ("x = −0.5", "x = -0.5"),  # Unicode minus
        ("ESS 196", "ESS 196.1"),  # a float printed with `g` that looked like an integer
        ("-4.39e+04 nats", "-43900 nats"),
        ("share 0.25%", "share 0.2501%"),
        ("mean 0.0", "mean -1e-17"),  # round-off around a zero, below the absolute floor
    ],
)
def test_numbers_within_tolerance_pass(stored, new):
    assert problem(stored, new) is None


def test_number_outside_tolerance_fails_and_names_it():
    message = problem("accuracy 0.9704\nlog-lik -0.1553\n", "accuracy 0.9704\nlog-lik -0.1653\n")
    assert message.startswith("line 2, number 1: stored -0.1553, new -0.1653")
    assert "max(rel 0.005 x |stored|, abs 1e-12)" in message
    assert problem("p = 2.061e-09", "p = 2.1e-09")  # tiny numbers are compared relatively
    assert problem("noise 9.537e-06 nats", "noise 5.722e-06 nats")  # issue 12: round-off printed as a result


def test_padding_next_to_a_number_may_change():
    stored = "table              11            -2.511   -0.0003088           0.0006594"
    new = "table              11            -2.511    -0.000309           0.0006594"
    assert problem(stored, new) is None


@pytest.mark.parametrize(
    ("stored", "new"),
    [
        ("a\nb", "a\nb\nc"),
        ("a\nb\nc", "a\nb"),
        ("a\n", "a"),
    ],
)
def test_extra_or_missing_line_fails(stored, new):
    assert "lines" in problem(stored, new)


@pytest.mark.parametrize(
    ("stored", "new"),
    [
        ("held-out log-lik -2.511", "training log-lik -2.511"),
        ("log1p(0.5)", "log2p(0.5)"),
        ("x_train: (1257, 64)", "x_test: (1257, 64)"),
        ("see ex-1-4", "see ex-1-5"),
        ("chapters/1_4_neural.ipynb", "chapters/1_5_neural.ipynb"),
        ("torch 2.13.0", "torch 2.13.1"),
        ("recorded 1x", "recorded 3x"),
        ("grid 61²", "grid 81²"),
        ("a 0.5", "a  b 0.5"),
        ("p = 0.5 (exact)", "p = 0.5 (approx)"),
    ],
)
def test_changed_word_fails(stored, new):
    assert "differs outside its numbers" in problem(stored, new)


def test_different_number_of_numbers_fails():
    assert "2 numbers stored and 3 new" in problem("range 0.1 to 0.5", "range 0.1 to 0.5 0.9")
    assert "numbers" in problem("x = 0.5", "x = none")


@pytest.mark.parametrize(
    ("stored", "new", "ok"),
    [
        ("[nan, -inf, 1]", "[nan, -inf, 1]", True),
        ("loss = inf", "loss = inf", True),
        ("loss = inf", "loss = -inf", False),
        ("loss = inf", "loss = 1e308", False),
        ("loss = nan", "loss = 0.5", False),
        ("loss = 0.5", "loss = nan", False),
        ("loss = nan", "loss = inf", False),
    ],
)
def test_nan_and_inf_equal_only_themselves(stored, new, ok):
    assert (problem(stored, new) is None) == ok


def test_integers_compare_exactly():
    assert "integers differ: stored 540, new 541" in problem("540 test images", "541 test images")
    assert problem("train: (1257, 64)", "train: (1257, 65)")
    assert problem("N = 1,797", "N = 1,798")  # thousands are separate integers
    assert problem("N = 1797.", "N = 1798.")  # a full stop is not a decimal point
    assert problem("digits 00, 01", "digits 00, 1")  # an integer's text, not only its value


def test_numbers_are_found_next_to_punctuation_but_not_inside_words():
    assert numbers("x=3, (1257, 64), 0.25%, e^-103.3, 1-2, f(x)-3") == [
        "3",
        "1257",
        "64",
        "0.25",
        "-103.3",
        "1",
        "2",
        "3",
    ]
    assert numbers("log1p x_train ex-1-4 1_4_neural 2nd 640x360 torch 2.13.0 info infinity") == []
    assert numbers("1e-06 -1.5E+04 −2 nan -inf .5") == ["1e-06", "-1.5E+04", "−2", "nan", "-inf", ".5"]


def test_cell_override_is_honoured():
    loose = Tolerance.from_metadata({"tolerance": {"rel": 0.02, "reason": "a binned statistic"}})
    assert problem("ECE 0.0713", "ECE 0.0720") is not None
    assert problem("ECE 0.0713", "ECE 0.0720", loose) is None
    assert problem("ECE 0.0713", "ECE 0.0750", loose) is not None
    counts = Tolerance.from_metadata({"tolerance": {"int_abs": 1, "reason": "EM may stop one step earlier"}})
    assert problem("EM ran 72 iterations", "EM ran 73 iterations", counts) is None
    assert problem("EM ran 72 iterations", "EM ran 74 iterations", counts) is not None
    tight = Tolerance.from_metadata({"tolerance": {"rel": 1e-9, "reason": "a sum of probabilities"}})
    assert problem("sum 1.000000", "sum 1.000001", tight) is not None
    assert Tolerance.from_metadata({}) == DEFAULT
    assert Tolerance.from_metadata({"tags": ["remove-cell"]}) == DEFAULT


@pytest.mark.parametrize(
    ("override", "match"),
    [
        ({"rel": 0.02}, "reason"),
        ({"rel": 0.02, "reason": "  "}, "reason"),
        ({"rel": 0.02, "reason": None}, "reason"),
        ({"reason": "no tolerance given"}, "no tolerance"),
        ({"relative": 0.02, "reason": "typo"}, "unknown keys"),
        ({"rel": -0.1, "reason": "negative"}, "non-negative"),
        ({"rel": True, "reason": "a bool"}, "non-negative"),
        ({"rel": "0.1", "reason": "a string"}, "non-negative"),
        ({"abs": float("inf"), "reason": "infinite"}, "finite"),
        ({"int_abs": 0.5, "reason": "half a count"}, "integer"),
    ],
)
def test_override_without_reason_or_malformed_is_rejected(override, match):
    with pytest.raises(ValueError, match=match):
        Tolerance.from_metadata({"tolerance": override})
    with pytest.raises(ValueError, match="object"):
        Tolerance.from_metadata({"tolerance": 0.02})


def png(size=(40, 30), line=((0, 0), (39, 29)), colour=(0, 0, 255)):
    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).line(line, fill=colour, width=2)
    buffer = io.BytesIO()
    image.save(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode()


def test_image_rms():
    assert image_rms(png(), png()) == 0
    moved = image_rms(png(), png(line=((0, 29), (39, 0))))
    assert moved > DEFAULT.rms
    assert 0 < image_rms(png(), png(colour=(0, 0, 250))) < DEFAULT.rms
    with pytest.raises(ValueError, match="size differs: stored 40x30 px, new 41x30 px"):
        image_rms(png(), png(size=(41, 30)))


def test_output_kinds():
    assert output_kind("stdout") == output_kind("text/html") == "text"
    assert output_kind("application/papermill.record/text/plain") == "text"
    assert output_kind("image/png") == output_kind("application/papermill.record/image/png") == "image"
    assert output_kind("application/json") == output_kind("evalue") == "exact"
