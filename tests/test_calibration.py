"""vae_lib.calibration against a brute-force per-bin loop and hand-computed cases."""

import numpy as np
import pytest
import torch

from vae_lib.calibration import reliability


def brute_force(
    probs: np.ndarray, labels: np.ndarray, n_bins: int
) -> tuple[list[float], list[float], list[int], float]:
    """The definition, one bin at a time: the points whose confidence lies in [b/M, (b+1)/M) (the last bin closed)."""
    confidences = [max(row) for row in probs.tolist()]
    correct = [int(np.argmax(row) == y) for row, y in zip(probs, labels, strict=True)]
    accuracy, confidence, count, ece = [], [], [], 0.0
    for b in range(n_bins):
        low, high = b / n_bins, (b + 1) / n_bins
        members = [i for i, c in enumerate(confidences) if low <= c < high or (b == n_bins - 1 and c == 1.0)]
        count.append(len(members))
        acc = sum(correct[i] for i in members) / len(members) if members else 0.0
        conf = sum(confidences[i] for i in members) / len(members) if members else 0.0
        accuracy.append(acc)
        confidence.append(conf)
        ece += len(members) / len(labels) * abs(acc - conf)
    return accuracy, confidence, count, ece


def random_predictions(n: int = 500, k: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    logits = rng.normal(scale=2.0, size=(n, k))
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    return probs, rng.integers(k, size=n)


@pytest.mark.parametrize("n_bins", [1, 5, 10, 15])
def test_reliability_matches_a_per_bin_loop(n_bins):
    probs, labels = random_predictions()
    # keep every confidence away from a bin edge, where the loop's b/M and the vectorised ⌊cM⌋ may round apart
    edge_distance = np.abs(probs.max(1) * n_bins - np.round(probs.max(1) * n_bins))
    probs, labels = probs[edge_distance > 1e-9], labels[edge_distance > 1e-9]
    result = reliability(torch.as_tensor(probs), torch.as_tensor(labels), n_bins)
    accuracy, confidence, count, ece = brute_force(probs, labels, n_bins)
    assert result.count.tolist() == count
    np.testing.assert_allclose(result.accuracy.numpy(), accuracy, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(result.confidence.numpy(), confidence, rtol=1e-12, atol=1e-15)
    assert result.ece.item() == pytest.approx(ece, rel=1e-12)


def test_reliability_of_hand_computed_cases():
    probs = torch.tensor([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]], dtype=torch.float64)
    labels = torch.tensor([0, 1, 1, 0])  # right, wrong, right, right
    result = reliability(probs, labels)
    assert result.count.tolist() == [0, 0, 0, 0, 0, 0, 1, 1, 1, 1]
    assert result.accuracy[6:].tolist() == [1.0, 1.0, 0.0, 1.0]
    assert result.ece.item() == pytest.approx((0.1 + 0.8 + 0.3 + 0.4) / 4, abs=1e-12)
    # One bin: ECE = |accuracy - mean confidence| = |3/4 - 0.75| = 0
    assert reliability(probs, labels, n_bins=1).ece.item() == pytest.approx(0.0, abs=1e-12)
    # A confidence of exactly 1 counts in the last bin; an always-right sure model is calibrated
    sure = reliability(torch.eye(3, dtype=torch.float64), torch.arange(3), n_bins=4)
    assert sure.count.tolist() == [0, 0, 0, 3] and sure.ece.item() == 0.0
    # Two classes at 50 %: in bin 5 of 10 (0.5 · 10 = 5), half right
    half = reliability(torch.full((4, 2), 0.5, dtype=torch.float64), torch.tensor([0, 1, 0, 1]))
    assert half.count[5].item() == 4 and half.accuracy[5].item() == 0.5 and half.ece.item() == 0.0


def test_reliability_is_zero_for_labels_drawn_from_the_probabilities_in_the_limit():
    """Labels sampled from the predicted probabilities are calibrated by construction: ECE → 0 like 1/√N."""
    generator = torch.Generator().manual_seed(0)
    probs = torch.softmax(2 * torch.randn(200_000, 3, generator=generator, dtype=torch.float64), -1)
    labels = torch.multinomial(probs, 1, generator=generator).squeeze(-1)
    assert reliability(probs, labels).ece.item() < 0.01
    overconfident = torch.softmax(torch.log(probs) * 3, -1)  # sharpened: confidence above accuracy
    result = reliability(overconfident, labels)
    assert result.ece.item() > 0.05
    used = result.count > 0
    assert (result.confidence[used] >= result.accuracy[used] - 0.02).all()


def test_reliability_bad_input():
    probs = torch.full((3, 2), 0.5)
    with pytest.raises(ValueError, match=r"probs must have shape \(N, K\)"):
        reliability(torch.full((3,), 0.5), torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match=r"probs must lie in \[0, 1\]"):
        reliability(probs * 3, torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match=r"labels must hold 3 integer classes"):
        reliability(probs, torch.zeros(2, dtype=torch.long))
    with pytest.raises(ValueError, match=r"labels must hold 3 integer classes"):
        reliability(probs, torch.zeros(3))
    with pytest.raises(ValueError, match="n_bins must be >= 1"):
        reliability(probs, torch.zeros(3, dtype=torch.long), n_bins=0)
    with pytest.raises(ValueError, match="probs is empty"):
        reliability(torch.zeros(0, 2), torch.zeros(0, dtype=torch.long))
