"""Neural-network conditionals and the deep latent-variable model (DLVM).

* :class:`MLP` — the ``NeuralNet(·)`` of (1.4), (1.7) and (1.16).
* :class:`CategoricalClassifier` — :math:`p_\\theta(y\\mid x)` of (1.4)–(1.5).
* :class:`BernoulliDecoder` — :math:`p_\\theta(x\\mid z)` of (1.16)–(1.18).
* :class:`AutoregressiveBernoulli` — a fully observed model of binary images (section 1.6).
* :class:`GaussianEncoder` — :math:`q_\\phi(z\\mid x)`, the recognition model of 1.1.
* :class:`DLVM` — prior (1.15) times decoder: the joint (1.14).
* :func:`elbo` and :class:`VAE` — encoder and DLVM trained jointly (section 1.2, a preview of chapter 2).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise

import torch
from torch import Tensor, nn

from vae_lib.checks import as_float_tensor, check_finite, check_positive_int, common_float, generator_device, randn
from vae_lib.divergence import kl_normal
from vae_lib.likelihood import (
    bernoulli_log_prob,
    categorical_log_prob,
    gaussian_diag_log_prob,
    standard_normal_log_prob,
)


def _check_same_shape(mean: Tensor, log_var: Tensor) -> None:
    if mean.shape != log_var.shape:
        raise ValueError(
            f"mean and log_var must have the same shape, got {tuple(mean.shape)} and {tuple(log_var.shape)}"
        )


def _first_parameter(module: nn.Module) -> Tensor:
    """The tensor whose dtype and device a module's inputs must share (its first parameter)."""
    return next(module.parameters())


def _check_last_dim(t: Tensor, dim: int, name: str, module: nn.Module) -> Tensor:
    """``t`` as a finite tensor of shape ``(..., dim)`` in the dtype and on the device of ``module``'s parameters."""
    t = as_float_tensor(t, name, like=_first_parameter(module))
    if t.dim() == 0 or t.shape[-1] != dim:
        raise ValueError(f"{name} must have shape (..., {dim}), got {tuple(t.shape)}")
    check_finite(t, name)
    return t


class MLP(nn.Sequential):
    """A feed-forward network ``NeuralNet(·)``: Linear layers with an activation between them.

    Args:
        sizes: layer widths, input first and output last, e.g. ``[64, 128, 10]``.
        activation: module class used between layers (not after the last one).

    Example:
        >>> MLP([2, 8, 3])(torch.zeros(5, 2)).shape
        torch.Size([5, 3])
    """

    def __init__(self, sizes: Sequence[int], activation: type[nn.Module] = nn.Tanh) -> None:
        if len(sizes) < 2:
            raise ValueError(f"sizes needs at least an input and an output width, got {list(sizes)}")
        for s in sizes:
            check_positive_int(s, "every entry of sizes")
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(pairwise(sizes)):
            layers.append(nn.Linear(a, b))
            if i < len(sizes) - 2:
                layers.append(activation())
        super().__init__(*layers)
        self.in_features, self.out_features = sizes[0], sizes[-1]

    def forward(self, x: Tensor) -> Tensor:
        """The network's output, shape ``(..., out_features)``, for ``x`` of shape ``(..., in_features)``.

        ``x`` must share the parameters' dtype and device (lists and arrays are converted).
        """
        return super().forward(_check_last_dim(x, self.in_features, "x", self))


class CategoricalClassifier(nn.Module):
    r"""A neural classifier :math:`p_\theta(y\mid\mathbf{x}) = \mathrm{Categorical}(y; \mathbf{p})`.

    Implements (1.4) :math:`\mathbf{p} = \text{NeuralNet}(\mathbf{x})` (the
    network outputs logits; softmax is its implicit last operation) and (1.5).

    Example:
        >>> clf = CategoricalClassifier(64, [32], 10)
        >>> clf.log_prob(torch.tensor([3]), torch.zeros(1, 64)).shape
        torch.Size([1])
    """

    def __init__(self, in_dim: int, hidden: Sequence[int], n_classes: int) -> None:
        super().__init__()
        self.net = MLP([in_dim, *hidden, n_classes])

    def forward(self, x: Tensor) -> Tensor:
        """Logits of shape ``(..., n_classes)``."""
        return self.net(x)

    def log_prob(self, y: Tensor, x: Tensor) -> Tensor:
        r""":math:`\log p_\theta(y\mid\mathbf{x})` via ``log_softmax`` (1.5)."""
        return categorical_log_prob(y, self(x))

    def predict_proba(self, x: Tensor) -> Tensor:
        r"""Class probabilities :math:`\mathbf{p}` of (1.4); rows sum to 1."""
        return torch.softmax(self(x), dim=-1)


class BernoulliDecoder(nn.Module):
    r"""Factorised Bernoulli observation model :math:`p_\theta(\mathbf{x}\mid\mathbf{z})`.

    Implements (1.16) :math:`\mathbf{p} = \text{DecoderNeuralNet}_\theta(\mathbf{z})`
    and (1.17)–(1.18). The network outputs logits; :meth:`probs` applies the
    sigmoid, while :meth:`log_prob` never forms probabilities, so it stays
    finite even where the sigmoid would round to exactly 0 or 1.

    Example:
        >>> dec = BernoulliDecoder(2, [16], 64)
        >>> dec.log_prob(torch.ones(3, 64), torch.zeros(3, 2)).shape
        torch.Size([3])
    """

    def __init__(self, z_dim: int, hidden: Sequence[int], x_dim: int) -> None:
        super().__init__()
        self.z_dim, self.x_dim = z_dim, x_dim
        self.net = MLP([z_dim, *hidden, x_dim])

    def forward(self, z: Tensor) -> Tensor:
        """Logits of shape ``(..., x_dim)``."""
        return self.net(_check_last_dim(z, self.z_dim, "z", self))

    def probs(self, z: Tensor) -> Tensor:
        r""":math:`\mathbf{p} = \sigma(\text{logits})` of (1.16), every :math:`p_j \in [0, 1]`."""
        return torch.sigmoid(self(z))

    def log_prob(self, x: Tensor, z: Tensor) -> Tensor:
        r""":math:`\log p_\theta(\mathbf{x}\mid\mathbf{z})` of (1.17)–(1.18), summed over the D pixels."""
        return bernoulli_log_prob(_check_last_dim(x, self.x_dim, "x", self), self(z))


class AutoregressiveBernoulli(nn.Module):
    r"""A fully observed autoregressive model of binary vectors (section 1.6).

    .. math::
        p_\theta(\mathbf{x}) = \prod_{j=1}^{D} \mathrm{Bernoulli}\big(x_j;\ \sigma(b_j + \textstyle\sum_{k<j} W_{jk}\, x_k)\big)

    A directed graphical model (1.6) in which pixel :math:`j`'s parents are the
    pixels before it (reading order), every conditional parameterised as in
    (1.7)–(1.8) by one linear layer: :math:`\eta_j = b_j + \sum_{k<j} W_{jk} x_k`.
    Every variable is observed, so :math:`\log p_\theta(\mathbf{x})` is exact — one
    masked matrix product, summed as in (1.17)–(1.18) — and so is its gradient.
    ``weight`` stores :math:`D^2` numbers; the mask keeps the :math:`D(D-1)/2`
    below the diagonal. Parameters start at zero: every pixel on with probability ½.

    Args:
        n_pixels: :math:`D`, the length of :math:`\mathbf{x}`.

    Example:
        >>> model = AutoregressiveBernoulli(3)
        >>> round(model(torch.tensor([[1.0, 0.0, 1.0]])).item(), 4)  # log p(x) = 3 log ½ at the start
        -2.0794
        >>> model.sample(2, generator=torch.Generator().manual_seed(0)).shape
        torch.Size([2, 3])
    """

    def __init__(self, n_pixels: int = 64) -> None:
        super().__init__()
        check_positive_int(n_pixels, "n_pixels")
        self.n_pixels = n_pixels
        self.weight = nn.Parameter(torch.zeros(n_pixels, n_pixels))
        self.bias = nn.Parameter(torch.zeros(n_pixels))
        self.register_buffer("mask", torch.tril(torch.ones(n_pixels, n_pixels), diagonal=-1))

    def logits(self, x: Tensor) -> Tensor:
        r""":math:`\eta_j = b_j + \sum_{k<j} W_{jk} x_k` of every pixel given the pixels before it, shape ``(..., D)``."""
        x = _check_last_dim(x, self.n_pixels, "x", self)
        return x @ (self.weight * self.mask).T + self.bias

    def forward(self, x: Tensor) -> Tensor:
        r""":math:`\log p_\theta(\mathbf{x})` of binary ``x`` of shape ``(..., D)``, shape ``(...)``."""
        return bernoulli_log_prob(x, self.logits(x))

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """``n`` draws by ancestral sampling, one pixel after the other (its parents come first); shape ``(n, D)``."""
        check_positive_int(n, "n")
        weight, bias = self.weight * self.mask, self.bias
        x = weight.new_zeros(n, self.n_pixels)
        device = generator_device(generator, x.device)
        for j in range(self.n_pixels):
            probs = torch.sigmoid(x @ weight[j] + bias[j])
            x[:, j] = torch.bernoulli(probs.to(device), generator=generator).to(x.device)
        return x


def reparameterize(
    mean: Tensor, log_var: Tensor, n_samples: int = 1, generator: torch.Generator | None = None
) -> Tensor:
    r"""Samples :math:`\mathbf{z} = \boldsymbol{\mu} + \boldsymbol{\sigma}\odot\boldsymbol{\epsilon}`, :math:`\boldsymbol{\epsilon}\sim\mathcal{N}(0, \mathbf{I})`.

    The reparameterisation trick: randomness enters only through
    :math:`\boldsymbol{\epsilon}`, so gradients flow to ``mean`` and ``log_var``.
    Returns shape ``(n_samples, *mean.shape)``.

    Example:
        >>> reparameterize(torch.zeros(4, 2), torch.zeros(4, 2), n_samples=3).shape
        torch.Size([3, 4, 2])
    """
    check_positive_int(n_samples, "n_samples")
    mean, log_var = common_float(mean=mean, log_var=log_var)
    _check_same_shape(mean, log_var)
    check_finite(mean, "mean")
    check_finite(log_var, "log_var")
    eps = randn((n_samples, *mean.shape), mean, generator)
    return mean + torch.exp(0.5 * log_var) * eps


class GaussianEncoder(nn.Module):
    r"""Recognition model :math:`q_\phi(\mathbf{z}\mid\mathbf{x}) = \mathcal{N}(\boldsymbol{\mu}, \operatorname{diag}\boldsymbol{\sigma}^2)`.

    One network maps every :math:`\mathbf{x}` to its posterior approximation:
    amortised inference (section 1.1). :meth:`rsample` uses the
    reparameterisation :math:`\mathbf{z} = \boldsymbol{\mu} + \boldsymbol{\sigma}\odot\boldsymbol{\epsilon}`,
    :math:`\boldsymbol{\epsilon}\sim\mathcal{N}(0, \mathbf{I})`, so gradients flow through the sample.

    Example:
        >>> enc = GaussianEncoder(64, [16], 2)
        >>> enc.rsample(torch.zeros(5, 64), n_samples=3).shape
        torch.Size([3, 5, 2])
    """

    def __init__(self, x_dim: int, hidden: Sequence[int], z_dim: int) -> None:
        super().__init__()
        self.x_dim, self.z_dim = x_dim, z_dim
        self.net = MLP([x_dim, *hidden, 2 * z_dim])

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``(mean, log_var)``, each of shape ``(..., z_dim)``."""
        mean, log_var = self.net(_check_last_dim(x, self.x_dim, "x", self)).chunk(2, dim=-1)
        return mean, log_var

    def rsample(self, x: Tensor, n_samples: int = 1, generator: torch.Generator | None = None) -> Tensor:
        """Reparameterised samples of shape ``(n_samples, ..., z_dim)``."""
        return reparameterize(*self(x), n_samples, generator)

    def log_prob(self, z: Tensor, x: Tensor) -> Tensor:
        r""":math:`\log q_\phi(\mathbf{z}\mid\mathbf{x})`; ``z`` may carry leading sample dims."""
        mean, log_var = self(x)
        return gaussian_diag_log_prob(_check_last_dim(z, self.z_dim, "z", self), mean, log_var)


class DLVM(nn.Module):
    r"""Deep latent-variable model :math:`p_\theta(\mathbf{x}, \mathbf{z}) = p(\mathbf{z})\,p_\theta(\mathbf{x}\mid\mathbf{z})`.

    Implements (1.14) with the prior (1.15) :math:`p(\mathbf{z}) = \mathcal{N}(0, \mathbf{I})`
    and a decoder such as :class:`BernoulliDecoder` ((1.16)–(1.18)). The joint
    is cheap; the marginal (1.13) and posterior (1.19) are not — see
    :mod:`vae_lib.estimators`.

    Example:
        >>> model = DLVM(BernoulliDecoder(2, [16], 64))
        >>> x, z = model.sample(4, generator=torch.Generator().manual_seed(0))
        >>> model.log_joint(x, z).shape
        torch.Size([4])
    """

    def __init__(self, decoder: BernoulliDecoder) -> None:
        super().__init__()
        self.decoder = decoder
        self.z_dim, self.x_dim = decoder.z_dim, decoder.x_dim

    def log_prior(self, z: Tensor) -> Tensor:
        r""":math:`\log p(\mathbf{z})`, (1.15)."""
        return standard_normal_log_prob(_check_last_dim(z, self.z_dim, "z", self))

    def log_joint(self, x: Tensor, z: Tensor) -> Tensor:
        r""":math:`\log p_\theta(\mathbf{x},\mathbf{z}) = \log p(\mathbf{z}) + \log p_\theta(\mathbf{x}\mid\mathbf{z})`, (1.14).

        ``z`` may carry leading sample dimensions, e.g. ``(K, N, z_dim)`` with ``x`` of shape ``(N, x_dim)``.
        """
        return self.log_prior(z) + self.decoder.log_prob(x, z)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        r"""Ancestral sampling: :math:`\mathbf{z}\sim p(\mathbf{z})`, then :math:`\mathbf{x}\sim p_\theta(\mathbf{x}\mid\mathbf{z})`.

        Returns ``(x, z)`` with shapes ``(n, x_dim)`` and ``(n, z_dim)``, in the
        dtype and on the device of the decoder's parameters.
        """
        check_positive_int(n, "n")
        z = randn((n, self.z_dim), _first_parameter(self), generator)
        probs = self.decoder.probs(z)
        x = torch.bernoulli(probs.to(generator_device(generator, probs.device)), generator=generator)
        return x.to(probs.device), z


def gaussian_kl_standard_normal(mean: Tensor, log_var: Tensor) -> Tensor:
    r"""Closed-form :math:`D_{KL}(\mathcal{N}(\mu, \operatorname{diag}\sigma^2)\,\|\,\mathcal{N}(0, I))`, summed over the last dim.

    .. math:: \tfrac12\sum_j \left(\mu_j^2 + \sigma_j^2 - \log\sigma_j^2 - 1\right)

    Example:
        >>> gaussian_kl_standard_normal(torch.zeros(2), torch.zeros(2))
        tensor(0.)
    """
    mean, log_var = common_float(mean=mean, log_var=log_var)
    check_finite(mean, "mean")  # named here: kl_normal would call them mean_p / log_var_p
    check_finite(log_var, "log_var")
    _check_same_shape(mean, log_var)
    zero = mean.new_zeros(())
    return kl_normal(mean, log_var, zero, zero, event_dims=1)


def elbo(
    x: Tensor,
    encoder: GaussianEncoder | Callable[[Tensor], tuple[Tensor, Tensor]],
    model: DLVM,
    n_samples: int = 1,
    generator: torch.Generator | None = None,
) -> Tensor:
    r"""Reparameterised evidence lower bound, one value per data point (chapter 2 preview).

    .. math::
        \mathcal{L}(\mathbf{x}) = \mathbb{E}_{q_\phi(\mathbf{z}\mid\mathbf{x})}[\log p_\theta(\mathbf{x}\mid\mathbf{z})]
        - D_{KL}(q_\phi(\mathbf{z}\mid\mathbf{x})\,\|\,p(\mathbf{z})) \le \log p_\theta(\mathbf{x})

    The expectation is a Monte Carlo average over ``n_samples`` reparameterised
    samples; the KL term is closed form (:func:`gaussian_kl_standard_normal`).
    ``encoder`` maps ``x`` to ``(mean, log_var)``: a :class:`GaussianEncoder`
    (amortised inference), or any callable, e.g. one returning free
    per-data-point parameters (classic variational inference, section 1.1).

    Example:
        >>> enc, model = GaussianEncoder(4, [8], 2), DLVM(BernoulliDecoder(2, [8], 4))
        >>> elbo(torch.ones(3, 4), enc, model).shape
        torch.Size([3])
    """
    mean, log_var = encoder(x)
    z = reparameterize(mean, log_var, n_samples, generator)
    return model.decoder.log_prob(x, z).mean(0) - gaussian_kl_standard_normal(mean, log_var)


class VAE(nn.Module):
    r"""A variational autoencoder: a recognition model and a DLVM with one objective (section 1.2).

    Holds an :attr:`encoder` :math:`q_\phi(\mathbf{z}\mid\mathbf{x})`
    (:class:`GaussianEncoder`) and a :attr:`model`
    :math:`p_\theta(\mathbf{x},\mathbf{z}) = p(\mathbf{z})\,p_\theta(\mathbf{x}\mid\mathbf{z})`
    (:class:`DLVM` with a :class:`BernoulliDecoder`, (1.14)–(1.18)); the decoder's
    hidden widths mirror the encoder's. Both are trained together by
    maximising the :func:`elbo` with the reparameterisation trick
    (:meth:`loss` is its negative batch mean, ready for :func:`vae_lib.training.train`).

    Example:
        >>> vae = VAE(64, [32], 2)
        >>> vae.elbo(torch.ones(5, 64)).shape, vae.loss(torch.ones(5, 64)).shape
        (torch.Size([5]), torch.Size([]))
    """

    def __init__(self, x_dim: int, hidden: Sequence[int], z_dim: int) -> None:
        super().__init__()
        self.encoder = GaussianEncoder(x_dim, hidden, z_dim)
        self.model = DLVM(BernoulliDecoder(z_dim, list(reversed(hidden)), x_dim))

    def elbo(self, x: Tensor, n_samples: int = 1, generator: torch.Generator | None = None) -> Tensor:
        """The :func:`elbo` of every row of ``x``, shape ``(N,)``."""
        return elbo(x, self.encoder, self.model, n_samples, generator)

    def loss(self, x: Tensor) -> Tensor:
        """Negative mean ELBO of a minibatch: the scalar that training minimises."""
        return -self.elbo(x).mean()
