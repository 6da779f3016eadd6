"""Bernoulli log-likelihood from logits, (1.17)–(1.18), vs ``torch.distributions.Bernoulli``.

Both validate their input (ours: binary ``x``, finite logits; torch's: the
``boolean`` support of ``x`` and ``real`` logits, ``validate_args`` on by default),
so the comparison is like for like.
"""

from __future__ import annotations

import torch
from torch.distributions import Bernoulli

from benchmarks import Result, time_against
from vae_lib.likelihood import bernoulli_log_prob

N, D = 10_000, 784
TARGET = 1.0


def run(repeats: int = 15) -> Result:
    """Time ``bernoulli_log_prob(x, logits)`` and ``Bernoulli(logits=…).log_prob(x).sum(-1)`` in float32."""
    g = torch.Generator().manual_seed(0)
    x = torch.bernoulli(torch.full((N, D), 0.5), generator=g)
    logits = 3 * torch.randn(N, D, generator=g)

    def ours() -> torch.Tensor:
        return bernoulli_log_prob(x, logits)

    def reference() -> torch.Tensor:
        return Bernoulli(logits=logits).log_prob(x).sum(-1)

    torch.testing.assert_close(ours(), reference())
    return time_against(f"Bernoulli log p N={N} D={D} f32", "torch.distr", reference, ours, TARGET, repeats)
