"""vae_lib.models.AutoregressiveBernoulli against torch.distributions.Bernoulli, enumeration and a chi-square test."""

import itertools
import math

import pytest
import torch
from scipy import stats
from torch.distributions import Bernoulli

from vae_lib.models import AutoregressiveBernoulli


def random_model(n_pixels: int, seed: int = 0, dtype: torch.dtype = torch.float64) -> AutoregressiveBernoulli:
    model = AutoregressiveBernoulli(n_pixels).to(dtype)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        model.weight.copy_(2 * torch.randn(n_pixels, n_pixels, generator=generator, dtype=dtype))
        model.bias.copy_(torch.randn(n_pixels, generator=generator, dtype=dtype))
    return model


def all_states(n_pixels: int, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    return torch.tensor(list(itertools.product([0.0, 1.0], repeat=n_pixels)), dtype=dtype)


def test_log_prob_is_the_sum_of_bernoulli_conditionals_on_the_pixels_before():
    model = random_model(6)
    x = all_states(6)
    expected = torch.zeros(len(x), dtype=torch.float64)
    for j in range(6):  # pixel j given pixels 0..j-1 only: no mask, just the slice
        logit = model.bias[j] + x[:, :j] @ model.weight[j, :j]
        expected += Bernoulli(logits=logit).log_prob(x[:, j])
    torch.testing.assert_close(model(x), expected.detach(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_enumeration_sums_to_one_for_any_parameters(seed):
    model = random_model(8, seed)
    with torch.no_grad():
        total = torch.logsumexp(model(all_states(8)), 0).exp().item()
    assert total == pytest.approx(1.0, abs=1e-12)


def test_starts_uniform_and_ignores_weights_on_and_above_the_diagonal():
    model = AutoregressiveBernoulli(5)
    x = all_states(5, torch.float32)
    torch.testing.assert_close(model(x), torch.full((32,), 5 * math.log(0.5)))
    model = random_model(5)
    before = model(all_states(5)).detach()
    with torch.no_grad():
        model.weight.add_(torch.triu(torch.full((5, 5), 3.0, dtype=torch.float64)))  # pixel j's own and later pixels
    torch.testing.assert_close(model(all_states(5)), before, rtol=0, atol=0)
    model(all_states(5)).sum().backward()
    assert (torch.triu(model.weight.grad) == 0).all() and (torch.tril(model.weight.grad, -1) != 0).any()


def test_ancestral_samples_pass_a_chi_square_test_against_the_enumerated_probabilities():
    model = random_model(3, seed=4)
    n = 40_000
    samples = model.sample(n, generator=torch.Generator().manual_seed(0))
    assert samples.shape == (n, 3) and samples.dtype == torch.float64
    index = (samples @ torch.tensor([4.0, 2.0, 1.0], dtype=torch.float64)).long()  # matches all_states' order
    observed = torch.bincount(index, minlength=8).numpy()
    with torch.no_grad():
        expected = model(all_states(3)).exp().numpy() * n
    assert stats.chisquare(observed, expected).pvalue > 1e-3


def test_sample_is_reproducible_with_a_generator():
    model = random_model(4)
    a = model.sample(6, generator=torch.Generator().manual_seed(1))
    b = model.sample(6, generator=torch.Generator().manual_seed(1))
    assert torch.equal(a, b) and set(a.unique().tolist()) <= {0.0, 1.0}


def test_bad_input():
    model = AutoregressiveBernoulli(4)
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., 4\)"):
        model(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="x must be binary"):
        model(torch.full((2, 4), 0.5))
    with pytest.raises(ValueError, match="n_pixels must be >= 1"):
        AutoregressiveBernoulli(0)
    with pytest.raises(ValueError, match="n must be >= 1"):
        model.sample(0)
