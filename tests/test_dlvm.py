"""The Bernoulli DLVM of (1.14)–(1.18) against torch.distributions."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.distributions import Bernoulli, Normal

from vae_lib.models import DLVM, BernoulliDecoder


def make_model(z_dim: int = 2, x_dim: int = 6, seed: int = 0) -> DLVM:
    torch.manual_seed(seed)
    return DLVM(BernoulliDecoder(z_dim, [16], x_dim))


def constant_logits(model: DLVM, logits: torch.Tensor) -> DLVM:
    """Make the decoder output ``logits`` for every z (zero weights in the last layer)."""
    last = model.decoder.net[-1]
    assert isinstance(last, nn.Linear)
    with torch.no_grad():
        last.weight.zero_()
        last.bias.copy_(logits)
    return model


def binary(shape: tuple[int, ...], seed: int = 1) -> torch.Tensor:
    return torch.bernoulli(torch.full(shape, 0.5), generator=torch.Generator().manual_seed(seed))


def test_log_joint_matches_bernoulli_logits_plus_normal_prior():
    model = make_model()
    x = binary((5, 6))
    z = torch.randn(5, 2, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        expected = Normal(0.0, 1.0).log_prob(z).sum(-1) + Bernoulli(logits=model.decoder(z)).log_prob(x).sum(-1)
        torch.testing.assert_close(model.log_joint(x, z), expected)


def test_log_joint_with_leading_sample_dimension():
    model = make_model()
    x = binary((4, 6))
    z = torch.randn(3, 4, 2, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        out = model.log_joint(x, z)
        expected = Normal(0.0, 1.0).log_prob(z).sum(-1) + Bernoulli(logits=model.decoder(z)).log_prob(x).sum(-1)
    assert out.shape == (3, 4)
    torch.testing.assert_close(out, expected)


def test_log_prior_is_standard_normal():
    model = make_model(z_dim=3)
    z = torch.randn(10, 3, generator=torch.Generator().manual_seed(4))
    torch.testing.assert_close(model.log_prior(z), Normal(0.0, 1.0).log_prob(z).sum(-1))


def test_decoder_probs_are_sigmoid_of_logits_and_in_unit_interval():
    model = make_model()
    z = torch.randn(20, 2, generator=torch.Generator().manual_seed(5)) * 10
    with torch.no_grad():
        probs = model.decoder.probs(z)
        torch.testing.assert_close(probs, Bernoulli(logits=model.decoder(z)).probs)
    assert ((probs >= 0) & (probs <= 1)).all()


def test_log_joint_is_finite_at_extreme_logits_in_float32():
    logits = torch.tensor([100.0, -100.0, 100.0, -100.0, 100.0, -100.0])
    model = constant_logits(make_model(), logits)
    z = torch.zeros(2, 2)
    # Row 0 agrees with the logits (log-prob ≈ 0); row 1 is the opposite (each pixel costs ≈ -100).
    x = torch.stack([(logits > 0).float(), (logits < 0).float()])
    with torch.no_grad():
        out = model.log_joint(x, z)
        probs = model.decoder.probs(z)
    assert out.dtype == torch.float32 and torch.isfinite(out).all()
    prior = Normal(0.0, 1.0).log_prob(z).sum(-1)
    torch.testing.assert_close(out, prior + torch.tensor([0.0, -600.0]))
    # The literal (1.18) on sigmoid outputs breaks here: the probabilities are exactly 0 and 1.
    assert set(probs.unique().tolist()) == {0.0, 1.0}
    literal = (x * torch.log(probs) + (1 - x) * torch.log(1 - probs)).sum(-1)
    assert not torch.isfinite(literal).any()


def test_sample_shapes_binary_and_reproducible():
    model = make_model()
    x1, z1 = model.sample(8, generator=torch.Generator().manual_seed(0))
    x2, z2 = model.sample(8, generator=torch.Generator().manual_seed(0))
    assert x1.shape == (8, 6) and z1.shape == (8, 2)
    assert set(x1.unique().tolist()) <= {0.0, 1.0}
    assert torch.equal(x1, x2) and torch.equal(z1, z2)


def test_sample_pixel_frequencies_match_decoder_probabilities():
    logits = torch.tensor([-2.0, -0.5, 0.0, 0.5, 1.0, 3.0])
    model = constant_logits(make_model(), logits)
    x, _ = model.sample(20_000, generator=torch.Generator().manual_seed(1))
    # Binomial standard error sqrt(p(1-p)/n) <= 0.0036; allow 5 of them.
    torch.testing.assert_close(x.mean(0), torch.sigmoid(logits), atol=0.018, rtol=0)


def test_non_binary_x_raises():
    model = make_model()
    x = torch.full((2, 6), 0.5)
    with pytest.raises(ValueError, match=r"x must be binary \(every entry 0 or 1\) for a Bernoulli model, found 0.5"):
        model.log_joint(x, torch.zeros(2, 2))


def test_wrong_z_dimension_raises():
    model = make_model(z_dim=2)
    with pytest.raises(ValueError, match=r"z must have shape \(\.\.\., 2\), got \(2, 3\)"):
        model.log_joint(binary((2, 6)), torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r"z must have shape \(\.\.\., 2\), got \(4,\)"):
        model.log_prior(torch.zeros(4))


def test_wrong_x_dimension_raises():
    model = make_model(x_dim=6)
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., 6\), got \(2, 5\)"):
        model.log_joint(binary((2, 5)), torch.zeros(2, 2))
