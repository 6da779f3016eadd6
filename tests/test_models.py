"""vae_lib.models against torch.distributions, closed forms, quadrature and a score-function estimator."""

from __future__ import annotations

import math

import pytest
import torch
from scipy import stats
from torch import nn
from torch.distributions import Bernoulli, Categorical, Normal, kl_divergence

from vae_lib.models import (
    DLVM,
    MLP,
    VAE,
    BernoulliDecoder,
    CategoricalClassifier,
    GaussianEncoder,
    elbo,
    gaussian_kl_standard_normal,
    reparameterize,
)


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _binary(shape: tuple[int, ...], seed: int = 1) -> torch.Tensor:
    return torch.bernoulli(torch.full(shape, 0.5), generator=_gen(seed))


def _set_last_layer(net: nn.Sequential, bias: torch.Tensor) -> None:
    """Make a network output ``bias`` for every input (zero weights in its last Linear)."""
    with torch.no_grad():
        net[-1].weight.zero_()
        net[-1].bias.copy_(bias)


# --- MLP -------------------------------------------------------------------------------------------


def test_mlp_layers_and_shapes():
    net = MLP([3, 8, 8, 2], activation=nn.ReLU)
    assert [type(m) for m in net] == [nn.Linear, nn.ReLU, nn.Linear, nn.ReLU, nn.Linear]
    assert net(torch.zeros(4, 5, 3)).shape == (4, 5, 2)
    assert (net.in_features, net.out_features) == (3, 2)


def test_mlp_bad_sizes():
    with pytest.raises(ValueError, match="sizes needs at least an input and an output width"):
        MLP([3])
    with pytest.raises(ValueError, match="every entry of sizes must be >= 1, got 0"):
        MLP([3, 0, 2])


# --- CategoricalClassifier (1.4)–(1.5) --------------------------------------------------------------


def test_categorical_classifier_matches_torch_categorical():
    torch.manual_seed(0)
    clf = CategoricalClassifier(6, [16], 4)
    x = torch.randn(10, 6, generator=_gen(1))
    y = torch.randint(0, 4, (10,), generator=_gen(2))
    with torch.no_grad():
        torch.testing.assert_close(clf.log_prob(y, x), Categorical(logits=clf(x)).log_prob(y))
        torch.testing.assert_close(clf.predict_proba(x), Categorical(logits=clf(x)).probs)


def test_categorical_classifier_is_finite_at_extreme_logits_in_float32():
    clf = CategoricalClassifier(3, [], 3)
    _set_last_layer(clf.net, torch.tensor([100.0, -100.0, 0.0]))
    x = torch.zeros(3, 3)
    with torch.no_grad():
        out = clf.log_prob(torch.tensor([0, 1, 2]), x)
        expected = Categorical(logits=clf(x)).log_prob(torch.tensor([0, 1, 2]))
    assert out.dtype == torch.float32 and torch.isfinite(out).all()
    torch.testing.assert_close(out, expected)
    torch.testing.assert_close(out, torch.tensor([0.0, -200.0, -100.0]))
    # the naive route, log of softmax, underflows to -inf for class 1
    assert torch.isinf(torch.log(clf.predict_proba(x))[0, 1])


def test_categorical_classifier_bad_input():
    clf = CategoricalClassifier(3, [4], 2)
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., 3\), got \(5, 4\)"):
        clf(torch.zeros(5, 4))
    with pytest.raises(ValueError, match=r"y must be a class label in 0..1, found 2"):
        clf.log_prob(torch.tensor([2]), torch.zeros(1, 3))


# --- BernoulliDecoder (1.16)–(1.18) and DLVM (1.14)–(1.15) --------------------------------------------


def test_dlvm_log_joint_matches_torch_distributions():
    torch.manual_seed(0)
    model = DLVM(BernoulliDecoder(2, [16], 6))
    x = _binary((4, 6))
    z = torch.randn(3, 4, 2, generator=_gen(3))  # leading sample dimension
    with torch.no_grad():
        expected = Normal(0.0, 1.0).log_prob(z).sum(-1) + Bernoulli(logits=model.decoder(z)).log_prob(x).sum(-1)
        torch.testing.assert_close(model.log_joint(x, z), expected)
        torch.testing.assert_close(model.decoder.log_prob(x, z), Bernoulli(logits=model.decoder(z)).log_prob(x).sum(-1))


def test_decoder_is_finite_at_extreme_logits_in_float32():
    decoder = BernoulliDecoder(2, [4], 4)
    _set_last_layer(decoder.net, torch.tensor([100.0, -100.0, 100.0, -100.0]))
    x = torch.tensor([[0.0, 1.0, 0.0, 1.0]])  # every pixel the improbable value
    with torch.no_grad():
        out = decoder.log_prob(x, torch.zeros(1, 2))
        expected = Bernoulli(logits=decoder(torch.zeros(1, 2))).log_prob(x).sum(-1)
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out, expected)
    torch.testing.assert_close(out, torch.tensor([-400.0]))


def test_dlvm_sample_is_ancestral():
    torch.manual_seed(0)
    model = DLVM(BernoulliDecoder(2, [8], 5))
    x, z = model.sample(4000, generator=_gen(4))
    assert x.shape == (4000, 5) and z.shape == (4000, 2)
    assert set(x.unique().tolist()) <= {0.0, 1.0}
    for j in range(2):  # z ~ N(0, 1) in each coordinate
        assert stats.kstest(z[:, j].numpy(), "norm").pvalue > 1e-3
    # x | z ~ Bernoulli(p(z)): pixel frequencies match the decoder's probabilities within 5 standard errors
    p = model.decoder.probs(z)
    se = (p * (1 - p)).sum(0).sqrt()
    assert ((x - p).sum(0).abs() < 5 * se).all()


def test_models_bad_input():
    model = DLVM(BernoulliDecoder(2, [4], 3))
    with pytest.raises(ValueError, match=r"z must have shape \(\.\.\., 2\), got \(5, 3\)"):
        model.log_joint(_binary((5, 3)), torch.zeros(5, 3))
    with pytest.raises(ValueError, match="x must be binary"):
        model.log_joint(torch.full((5, 3), 0.5), torch.zeros(5, 2))
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., 3\), got \(5, 4\)"):
        model.decoder.log_prob(_binary((5, 4)), torch.zeros(5, 2))
    with pytest.raises(ValueError, match="n must be >= 1, got 0"):
        model.sample(0)
    encoder = GaussianEncoder(3, [4], 2)
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., 3\), got \(5, 2\)"):
        encoder(torch.zeros(5, 2))
    with pytest.raises(ValueError, match=r"z must have shape \(\.\.\., 2\), got \(5, 1\)"):
        encoder.log_prob(torch.zeros(5, 1), torch.zeros(5, 3))
    with pytest.raises(ValueError, match=r"mean and log_var must have the same shape, got \(4, 2\) and \(4, 1\)"):
        reparameterize(torch.zeros(4, 2), torch.zeros(4, 1))
    with pytest.raises(ValueError, match="n_samples must be >= 1, got 0"):
        reparameterize(torch.zeros(4, 2), torch.zeros(4, 2), n_samples=0)
    with pytest.raises(ValueError, match="log_var contains inf"):
        reparameterize(torch.zeros(2), torch.tensor([float("inf"), 0.0]))
    with pytest.raises(ValueError, match="mean contains NaN"):
        gaussian_kl_standard_normal(torch.tensor([float("nan")]), torch.zeros(1))
    with pytest.raises(ValueError, match="mean and log_var must have the same shape"):
        gaussian_kl_standard_normal(torch.zeros(3, 2), torch.zeros(2))


# --- GaussianEncoder, reparameterize, KL ------------------------------------------------------------


def test_encoder_log_prob_matches_torch_normal():
    torch.manual_seed(0)
    encoder = GaussianEncoder(5, [8], 3)
    x = torch.randn(4, 5, generator=_gen(5))
    with torch.no_grad():
        mean, log_var = encoder(x)
        z = encoder.rsample(x, n_samples=6, generator=_gen(6))
        expected = Normal(mean, torch.exp(0.5 * log_var)).log_prob(z).sum(-1)
        torch.testing.assert_close(encoder.log_prob(z, x), expected)
    assert z.shape == (6, 4, 3)


def test_reparameterize_has_the_right_mean_and_variance():
    mean = torch.tensor([[-1.0, 2.0]], dtype=torch.float64)
    log_var = torch.tensor([[math.log(0.25), math.log(4.0)]], dtype=torch.float64)
    k = 100_000
    z = reparameterize(mean, log_var, n_samples=k, generator=_gen(7))[:, 0]
    var = log_var.exp()[0]
    # sample mean: standard error sqrt(var / k); sample variance: about var * sqrt(2 / k) for a Gaussian
    assert ((z.mean(0) - mean[0]).abs() < 5 * (var / k).sqrt()).all()
    assert ((z.var(0) - var).abs() < 5 * var * math.sqrt(2 / k)).all()


def test_gaussian_kl_matches_torch_kl_divergence():
    mean = torch.randn(7, 3, generator=_gen(8)) * 3
    log_var = torch.randn(7, 3, generator=_gen(9)) * 2
    expected = kl_divergence(Normal(mean, torch.exp(0.5 * log_var)), Normal(0.0, 1.0)).sum(-1)
    torch.testing.assert_close(gaussian_kl_standard_normal(mean, log_var), expected)
    assert gaussian_kl_standard_normal(torch.zeros(2), torch.zeros(2)).item() == 0.0


# --- the reparameterisation gradient against the score-function (REINFORCE) estimator -----------------


def _per_sample_gradients(f, mean, log_var, k, seed, reparameterised=True, scale_power=0.5):
    """Per-sample gradient estimates of d/d(mean, log_var) E_q[f(z)], q = N(mean, diag exp(log_var)); (k, 2d).

    Each sample gets its own copy of the parameters, so one backward pass yields
    every sample's gradient. ``scale_power`` != 0.5 builds a *wrong* reparameterisation
    (z = mean + exp(scale_power * log_var) * eps) for the negative control.
    """
    m = mean.detach().expand(k, -1).clone().requires_grad_()
    lv = log_var.detach().expand(k, -1).clone().requires_grad_()
    if reparameterised:
        if scale_power == 0.5:
            z = reparameterize(m, lv, generator=_gen(seed))[0]
        else:
            z = m + torch.exp(scale_power * lv) * torch.randn(m.shape, generator=_gen(seed), dtype=m.dtype)
        f(z).sum().backward()
    else:
        z = Normal(m, torch.exp(0.5 * lv)).sample()  # no gradient through the sample
        baseline = f(Normal(mean, torch.exp(0.5 * log_var)).sample((k,))).mean()  # independent draws: unbiased
        log_q = Normal(m, torch.exp(0.5 * lv)).log_prob(z).sum(-1)
        ((f(z) - baseline).detach() * log_q).sum().backward()
    return torch.cat([m.grad, lv.grad], dim=-1)


def _z_scores(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Difference of two independent Monte Carlo means in units of its standard error."""
    se = (a.var(0) / len(a) + b.var(0) / len(b)).sqrt()
    return (a.mean(0) - b.mean(0)) / se


def test_reparameterised_gradient_matches_closed_form_and_score_function_on_a_quadratic():
    """f(z) = -½‖z - c‖²: E_q f = -½(‖μ - c‖² + Σ exp(log_var)), so ∇μ = c - μ and ∇log_var = -½ exp(log_var)."""
    c = torch.tensor([1.0, -2.0], dtype=torch.float64)
    mean = torch.tensor([0.3, 0.5], dtype=torch.float64)
    log_var = torch.tensor([math.log(0.5), math.log(2.0)], dtype=torch.float64)

    def f(z):
        return -0.5 * ((z - c) ** 2).sum(-1)

    exact = torch.cat([c - mean, -0.5 * log_var.exp()])
    k = 50_000
    rep = _per_sample_gradients(f, mean, log_var, k, seed=10)
    torch.manual_seed(11)
    score = _per_sample_gradients(f, mean, log_var, k, seed=11, reparameterised=False)
    for est in (rep, score):
        assert ((est.mean(0) - exact).abs() < 4.5 * est.std(0) / math.sqrt(k)).all()
    assert (rep.var(0) < score.var(0)).all()  # the point of the trick: lower variance


def test_reparameterised_gradient_matches_score_function_through_a_decoder():
    """f(z) = log p(x|z) of a small Bernoulli decoder, the reconstruction term of the ELBO."""
    torch.manual_seed(0)
    decoder = BernoulliDecoder(2, [16], 6).double()
    x = _binary((6,), seed=12).double()
    mean = torch.tensor([0.4, -0.7], dtype=torch.float64)
    log_var = torch.tensor([math.log(0.3), math.log(1.5)], dtype=torch.float64)

    def f(z):
        return decoder.log_prob(x, z)

    k = 200_000
    rep = _per_sample_gradients(f, mean, log_var, k, seed=13)
    torch.manual_seed(14)
    score = _per_sample_gradients(f, mean, log_var, k, seed=14, reparameterised=False)
    assert _z_scores(rep, score).abs().max() < 4.5  # about 1 in 10^5 per coordinate by chance
    assert (rep.var(0) < score.var(0)).all()
    # power: a reparameterisation with the wrong scale (σ² instead of σ) is caught by the same test
    wrong = _per_sample_gradients(f, mean, log_var, k, seed=13, scale_power=1.0)
    assert _z_scores(wrong, score).abs().max() > 4.5


# --- ELBO and VAE -----------------------------------------------------------------------------------


def test_elbo_matches_torch_distributions_with_the_same_noise():
    torch.manual_seed(0)
    encoder, model = GaussianEncoder(6, [8], 2), DLVM(BernoulliDecoder(2, [8], 6))
    x = _binary((5, 6), seed=15)
    with torch.no_grad():
        out = elbo(x, encoder, model, n_samples=3, generator=_gen(16))
        mean, log_var = encoder(x)
        q = Normal(mean, torch.exp(0.5 * log_var))
        z = mean + q.scale * torch.randn((3, *mean.shape), generator=_gen(16))
        expected = Bernoulli(logits=model.decoder(z)).log_prob(x).sum(-1).mean(0) - kl_divergence(
            q, Normal(0.0, 1.0)
        ).sum(-1)
    torch.testing.assert_close(out, expected)


def test_elbo_by_quadrature_in_one_latent_dimension():
    """With z in 1-D, log p(x) (1.13) and KL(q ‖ p(z|x)) (with (1.19)) are sums over a fine grid.

    Checks ELBO = log p(x) - KL(q ‖ p(z|x)) ≤ log p(x), and that elbo()'s Monte Carlo
    estimate agrees with the grid value within 5 standard errors.
    """
    torch.manual_seed(0)
    model = DLVM(BernoulliDecoder(1, [8], 5)).double()
    encoder = GaussianEncoder(5, [8], 1).double()
    x = _binary((3, 5), seed=17).double()
    grid = torch.linspace(-12, 12, 24_001, dtype=torch.float64)
    dz = (grid[1] - grid[0]).item()
    z = grid[:, None, None].expand(-1, 3, 1)
    with torch.no_grad():
        log_joint = model.log_joint(x, z)  # (G, N)
        log_px = torch.logsumexp(log_joint, 0) + math.log(dz)
        log_post = log_joint - log_px
        mean, log_var = encoder(x)
        log_q = Normal(mean[:, 0], torch.exp(0.5 * log_var[:, 0])).log_prob(grid[:, None])
        q = log_q.exp() * dz
        kl_to_posterior = (q * (log_q - log_post)).sum(0)
        elbo_grid = (q * model.decoder.log_prob(x, z)).sum(0) - gaussian_kl_standard_normal(mean, log_var)
        torch.testing.assert_close(elbo_grid, log_px - kl_to_posterior, rtol=0, atol=1e-8)
        assert (kl_to_posterior > 0).all() and (elbo_grid < log_px).all()
        samples = torch.stack([elbo(x, encoder, model, n_samples=1, generator=_gen(s)) for s in range(200)])
        estimate = elbo(x, encoder, model, n_samples=20_000, generator=_gen(18))
        assert ((estimate - elbo_grid).abs() < 5 * samples.std(0) / math.sqrt(20_000)).all()


def test_elbo_accepts_free_per_datapoint_parameters():
    torch.manual_seed(0)
    model = DLVM(BernoulliDecoder(2, [8], 4))
    x = _binary((3, 4), seed=19)
    mean, log_var = torch.zeros(3, 2, requires_grad=True), torch.zeros(3, 2, requires_grad=True)
    out = elbo(x, lambda _: (mean, log_var), model, generator=_gen(20))
    out.sum().backward()
    assert out.shape == (3,) and mean.grad.abs().sum() > 0 and log_var.grad.abs().sum() > 0


def test_vae_wires_encoder_and_decoder_and_its_loss_is_the_negative_mean_elbo():
    torch.manual_seed(0)
    vae = VAE(6, [16, 8], 2)
    assert [m.out_features for m in vae.encoder.net if isinstance(m, nn.Linear)] == [16, 8, 4]
    assert [m.out_features for m in vae.model.decoder.net if isinstance(m, nn.Linear)] == [8, 16, 6]
    x = _binary((5, 6), seed=21)
    with torch.no_grad():
        torch.testing.assert_close(
            vae.elbo(x, n_samples=2, generator=_gen(22)), elbo(x, vae.encoder, vae.model, 2, _gen(22))
        )
        torch.manual_seed(23)
        loss = vae.loss(x)
        torch.manual_seed(23)
        torch.testing.assert_close(loss, -elbo(x, vae.encoder, vae.model).mean())
