r"""Latent-variable models whose marginal (1.13) and posterior (1.19) are exact.

* :class:`MixtureOfGaussians` — discrete :math:`z \in \{1,\dots,K\}`: the integral
  (1.13) is a sum of :math:`K` Gaussians, computed with ``logsumexp``; the
  posterior (1.19) is the categorical distribution of the *responsibilities*; fitted by EM.
* :class:`LinearGaussian` — continuous :math:`\mathbf{z} \sim \mathcal{N}(0, \mathbf{I})`
  and :math:`\mathbf{x}\mid\mathbf{z} \sim \mathcal{N}(\mathbf{W}\mathbf{z} + \boldsymbol{\mu}, \boldsymbol{\Psi})`
  (probabilistic PCA when :math:`\boldsymbol{\Psi} = \sigma^2\mathbf{I}`, factor
  analysis when :math:`\boldsymbol{\Psi}` is diagonal): an *infinite* mixture whose
  marginal is the single Gaussian :math:`\mathcal{N}(\boldsymbol{\mu}, \mathbf{W}\mathbf{W}^\top + \boldsymbol{\Psi})`.

These are the models where (1.13) is easy; :mod:`vae_lib.estimators` handles the
DLVM, where it is not. Both classes follow one fitting convention (shared with
:mod:`vae_lib.classifiers`): build a model from its parameters, or from its size
alone, and ``fit(x)`` estimates the parameters in place and returns the model,
with the mean log-likelihood of every iteration in ``history_``. Posteriors are
``torch.distributions`` objects. Log-densities are differentiable in the data and
in the parameters (build the model from tensors that require gradients), so a
model can also be fitted by gradient ascent.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.distributions import Categorical, MultivariateNormal

from vae_lib.checks import as_float_tensor, check_finite, check_positive_int, common_float, generator_device, randn
from vae_lib.likelihood import LOG_2PI, cholesky

_BLOCK_ELEMENTS = 2**17  # entries of the whitened block in MixtureOfGaussians.log_joint (1 MB in float64)


def _as_points(x: object, dim: int, like: Tensor, name: str = "x") -> Tensor:
    """``x`` as a finite tensor of shape ``(..., dim)`` in ``like``'s dtype and device, or a ``ValueError`` naming it."""
    x = as_float_tensor(x, name, like=like)
    if x.dim() == 0 or x.shape[-1] != dim:
        raise ValueError(f"{name} must have shape (..., {dim}) (one data point per row), got {tuple(x.shape)}")
    check_finite(x, name)
    return x


def _as_parameters(**named: object) -> list[Tensor]:
    """Named parameters as finite floating tensors of one dtype and device (see :func:`vae_lib.checks.common_float`)."""
    tensors = common_float(**named)
    for name, tensor in zip(named, tensors, strict=True):
        check_finite(tensor, name)
    return tensors


def _as_data_matrix(x: object, min_rows: int, like: Tensor | None) -> Tensor:
    """Training data as a finite ``(N, D)`` matrix with at least ``min_rows`` rows (in ``like``'s dtype, if given)."""
    x = as_float_tensor(x, "x", like=like)
    if x.dim() != 2:
        raise ValueError(f"x must be a data matrix of shape (N, D), got {tuple(x.shape)}")
    if x.shape[0] < min_rows:
        raise ValueError(f"x needs at least {min_rows} rows (data points) to fit this model, got {x.shape[0]}")
    check_finite(x, "x")
    return x


def _m_step(x: Tensor, resp: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    r"""EM's M-step for a mixture: weights, means and covariances from responsibilities ``resp`` (N, K)."""
    counts = resp.sum(0) + 10 * torch.finfo(x.dtype).eps  # an empty component must not divide by 0
    means = (resp.T @ x) / counts[:, None]
    centred = x.unsqueeze(0) - means.unsqueeze(1)
    covs = (resp.T.unsqueeze(-1) * centred).transpose(-1, -2) @ centred / counts[:, None, None]
    return counts / counts.sum(), means, covs


def _kmeans_plus_plus(x: Tensor, n_centres: int, generator: torch.Generator | None) -> Tensor:
    """k-means++ seeding: each next centre is a data point drawn with probability ∝ squared distance to the nearest centre so far."""
    device = generator_device(generator, x.device)
    centres = x[torch.randint(x.shape[0], (1,), generator=generator, device=device).to(x.device)]
    sq_dist = torch.cdist(x, centres).squeeze(-1).square()
    for _ in range(n_centres - 1):
        weights = sq_dist if sq_dist.sum() > 0 else torch.ones_like(sq_dist)
        new = x[torch.multinomial(weights.to(device), 1, generator=generator).to(x.device)]
        centres = torch.cat([centres, new])
        sq_dist = torch.minimum(sq_dist, torch.cdist(x, new).squeeze(-1).square())
    return centres


def _from_parameters(parameters: dict[str, object], size_name: str, size: int | None) -> bool:
    """True if a model is built from all its ``parameters``, False if from its size alone (to be fitted)."""
    given = [value is not None for value in parameters.values()]
    names = ", ".join(parameters)
    if all(given):
        return True
    if any(given):
        raise ValueError(f"{names} go together: give all of them (or only {size_name})")
    if size is None:
        raise ValueError(f"give {names}, or {size_name} for a model to fit")
    check_positive_int(size, size_name)
    return False


def _unfitted(name: str, parameters: str) -> ValueError:
    return ValueError(f"this {name} has no parameters yet: call fit(x) first, or build it from {parameters}")


class MixtureOfGaussians:
    r"""Mixture of Gaussians: discrete latent :math:`z`, Gaussian :math:`p(\mathbf{x}\mid z)`.

    .. math::
        p(z = k) = \pi_k, \qquad
        p(\mathbf{x}\mid z = k) = \mathcal{N}(\mathbf{x}; \boldsymbol{\mu}_k, \boldsymbol{\Sigma}_k), \qquad
        p(\mathbf{x}) = \sum_{k=1}^K \pi_k\, \mathcal{N}(\mathbf{x}; \boldsymbol{\mu}_k, \boldsymbol{\Sigma}_k)

    Implements (1.13) with a discrete :math:`z` (the integral is a sum) and the
    posterior (1.19) in closed form. All :math:`K` Cholesky factors are computed
    once, when the parameters are set; :meth:`log_joint` then evaluates every
    component for every point with one matrix product (no loop over components
    or points). Everything is computed in the parameters' dtype and on their
    device; data must share them.

    Build it from its parameters, or from ``n_components`` alone and :meth:`fit` it;
    the remaining arguments are the settings of :meth:`fit`.

    Args:
        weights: mixing proportions :math:`\pi_k`, shape ``(K,)``, positive, summing to 1.
        means: :math:`\boldsymbol{\mu}_k`, shape ``(K, D)``.
        covariances: :math:`\boldsymbol{\Sigma}_k`, shape ``(K, D, D)``, symmetric positive definite.
        n_components: :math:`K`, for a model without parameters yet (to be fitted).
        n_iter: maximum number of EM iterations.
        tol: EM stops when the mean log-likelihood rises by less than this.
        reg_covar: :math:`\epsilon` added to every covariance's diagonal in EM (as in scikit-learn).
        generator: random source of EM's default initialisation.

    Example:
        >>> mog = MixtureOfGaussians([0.5, 0.5], [[-1.0], [1.0]], [[[1.0]], [[1.0]]])
        >>> mog.log_marginal(torch.tensor([[0.0]]))
        tensor([-1.4189])
        >>> mog.posterior(torch.tensor([[0.0], [5.0]])).probs
        tensor([[5.0000e-01, 5.0000e-01],
                [4.5398e-05, 9.9995e-01]])
    """

    def __init__(
        self,
        weights: object = None,
        means: object = None,
        covariances: object = None,
        *,
        n_components: int | None = None,
        n_iter: int = 100,
        tol: float = 1e-6,
        reg_covar: float = 1e-6,
        generator: torch.Generator | None = None,
    ) -> None:
        check_positive_int(n_iter, "n_iter")
        if not reg_covar >= 0:
            raise ValueError(f"reg_covar must be >= 0, got {reg_covar}")
        self.n_iter, self.tol, self.reg_covar, self.generator = n_iter, tol, reg_covar, generator
        parameters = {"weights": weights, "means": means, "covariances": covariances}
        if not _from_parameters(parameters, "n_components", n_components):
            self.n_components, self.dim = n_components, None
            self.weights = self.means = self.covariances = None
            return
        self._set_parameters(weights, means, covariances)
        if n_components not in (None, self.n_components):
            raise ValueError(f"n_components={n_components} but weights has {self.n_components} entries")

    def _set_parameters(self, weights: object, means: object, covariances: object) -> None:
        weights, means, covariances = _as_parameters(weights=weights, means=means, covariances=covariances)
        if weights.dim() != 1 or weights.numel() == 0:
            raise ValueError(f"weights must have shape (K,) with K >= 1, got {tuple(weights.shape)}")
        n_components = weights.shape[0]
        if means.dim() != 2 or means.shape[0] != n_components:
            raise ValueError(f"means must have shape ({n_components}, D) to match weights, got {tuple(means.shape)}")
        dim = means.shape[1]
        if covariances.shape != (n_components, dim, dim):
            raise ValueError(
                f"covariances must have shape ({n_components}, {dim}, {dim}) to match means, got {tuple(covariances.shape)}"
            )
        if (weights <= 0).any():
            raise ValueError(f"weights must all be > 0, got min {weights.min().item():.4g}")
        if abs(weights.sum().item() - 1.0) > 1e-5:
            raise ValueError(f"weights must sum to 1, got {weights.sum().item():.6g}")
        chol = cholesky(covariances, "covariances")
        self.weights, self.means, self.covariances = weights, means, covariances
        self.n_components, self.dim = n_components, dim
        # Whitening maps x -> L_k^{-1}(x - mu_k) for all k at once: x @ A + b, where
        # A stacks the K matrices L_k^{-T} side by side (D, K*D) and b the -L_k^{-1} mu_k.
        eye = torch.eye(dim, dtype=weights.dtype, device=weights.device).expand(n_components, dim, dim)
        inv_chol_t = torch.linalg.solve_triangular(chol, eye, upper=False).transpose(-1, -2)
        self._whiten = inv_chol_t.permute(1, 0, 2).reshape(dim, n_components * dim)
        self._shift = -(means.unsqueeze(1) @ inv_chol_t).reshape(n_components * dim)
        self._chol = chol
        half_log_det = torch.log(torch.diagonal(chol, dim1=-2, dim2=-1)).sum(-1)
        self._log_norm = torch.log(weights) - half_log_det - 0.5 * dim * LOG_2PI

    def _parameters(self) -> Tensor:
        if self.weights is None:
            raise _unfitted("MixtureOfGaussians", "weights, means and covariances")
        return self.weights

    def log_joint(self, x: object) -> Tensor:
        r""":math:`\log p(\mathbf{x}, z=k) = \log\pi_k + \log\mathcal{N}(\mathbf{x}; \boldsymbol{\mu}_k, \boldsymbol{\Sigma}_k)`, shape ``(..., K)``.

        The joint (1.14) for every component :math:`k`: one ``(rows, D) @ (D, K·D)``
        product whitens a block of points for all components at once. Blocks of
        rows keep that ``(rows, K·D)`` intermediate cache-sized (about 1 MB);
        within a block everything is vectorised. Differentiable in ``x`` and in the parameters.
        """
        x = _as_points(x, self.dim, self._parameters())
        flat = x.reshape(-1, self.dim)
        rows = max(1, _BLOCK_ELEMENTS // (self.n_components * self.dim))
        norms = torch.cat(
            [
                torch.linalg.vector_norm(
                    torch.addmm(self._shift, flat[start : start + rows], self._whiten).view(
                        -1, self.n_components, self.dim
                    ),
                    dim=-1,
                )
                for start in range(0, flat.shape[0], rows)
            ]
        )
        return norms.square().mul_(-0.5).add_(self._log_norm).reshape(*x.shape[:-1], self.n_components)

    def log_marginal(self, x: object) -> Tensor:
        r""":math:`\log p(\mathbf{x}) = \log\sum_k p(\mathbf{x}, z=k)` (1.13), via ``logsumexp``; shape ``(...)``."""
        return torch.logsumexp(self.log_joint(x), dim=-1)

    def posterior(self, x: object) -> Categorical:
        r"""The posterior (1.19) over the component, :math:`p(z=k\mid\mathbf{x}) = p(\mathbf{x}, z=k) / p(\mathbf{x})`.

        A ``torch.distributions.Categorical`` with batch shape ``(...)``: its
        ``probs`` (shape ``(..., K)``, rows summing to 1) are the responsibilities.
        """
        return Categorical(logits=self.log_joint(x))

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        r"""Ancestral sampling: :math:`z \sim \mathrm{Categorical}(\boldsymbol{\pi})`, then :math:`\mathbf{x} \sim \mathcal{N}(\boldsymbol{\mu}_z, \boldsymbol{\Sigma}_z)`.

        Returns ``(x, z)`` with shapes ``(n, D)`` and ``(n,)`` (integer component labels).
        """
        check_positive_int(n, "n")
        weights = self._parameters()
        device = generator_device(generator, weights.device)
        z = torch.multinomial(weights.to(device), n, replacement=True, generator=generator).to(weights.device)
        eps = randn((n, self.dim, 1), weights, generator)
        return self.means[z] + (self._chol[z] @ eps).squeeze(-1), z

    @torch.no_grad()
    def fit(self, x: object) -> MixtureOfGaussians:
        r"""Maximum likelihood by expectation–maximisation (EM; Dempster, Laird & Rubin, 1977); returns ``self``.

        E-step: responsibilities :math:`r_{nk} = p(z=k\mid\mathbf{x}_n)` (1.19).
        M-step: :math:`N_k = \sum_n r_{nk}`, :math:`\pi_k = N_k/N`,
        :math:`\boldsymbol{\mu}_k = \sum_n r_{nk}\mathbf{x}_n / N_k`,
        :math:`\boldsymbol{\Sigma}_k = \sum_n r_{nk}(\mathbf{x}_n-\boldsymbol{\mu}_k)(\mathbf{x}_n-\boldsymbol{\mu}_k)^\top / N_k + \epsilon\mathbf{I}`.
        Each iteration cannot lower the log-likelihood (exactly so for
        ``reg_covar=0``; with :math:`\epsilon > 0` it is the penalised
        likelihood that never falls). The iterations run in float64 on ``x``'s
        device; the fitted parameters come back in ``x``'s dtype.

        EM starts from the model's current parameters if it has any (``x`` must
        then share their dtype and device); otherwise k-means++ picks :math:`K`
        data points as centres, every point is assigned to its nearest centre, and
        each component starts from its cluster's mean and share of the data, with
        the pooled within-cluster covariance.

        The settings (``n_iter``, ``tol``, ``reg_covar``, ``generator``) are the
        constructor's. Sets ``history_``: the mean log-likelihood :math:`\frac1N\sum_n \log p(\mathbf{x}_n)`
        at the initial parameters and after every iteration.

        Example:
            >>> g = torch.Generator().manual_seed(0)
            >>> x = torch.cat([torch.randn(100, 1, generator=g) - 3, torch.randn(100, 1, generator=g) + 3])
            >>> mog = MixtureOfGaussians(n_components=2, generator=g).fit(x)
            >>> sorted(round(m) for m in mog.means.flatten().tolist()), mog.history_[-1] > mog.history_[0]
            ([-3, 3], True)
        """
        x = _as_data_matrix(x, self.n_components, self.weights)
        reg_covar = self.reg_covar
        dtype, data = x.dtype, x.double()
        dim = data.shape[1]
        eye = torch.eye(dim, dtype=data.dtype, device=data.device)
        if self.weights is None:
            nearest = torch.cdist(data, _kmeans_plus_plus(data, self.n_components, self.generator)).argmin(-1)
            weights, means, covs = _m_step(data, torch.nn.functional.one_hot(nearest, self.n_components).to(data.dtype))
            pooled = (weights[:, None, None] * covs).sum(0) + reg_covar * eye
            model = MixtureOfGaussians(weights, means, pooled.expand(self.n_components, dim, dim))
        elif self.dim != dim:
            raise ValueError(f"x has {dim} columns but the mixture is {self.dim}-dimensional")
        else:
            model = MixtureOfGaussians(self.weights.double(), self.means.double(), self.covariances.double())
        log_joint = model.log_joint(data)
        history = [torch.logsumexp(log_joint, -1).mean().item()]
        for _ in range(self.n_iter):
            weights, means, covs = _m_step(data, torch.softmax(log_joint, dim=-1))
            model = MixtureOfGaussians(weights, means, covs + reg_covar * eye)
            log_joint = model.log_joint(data)
            history.append(torch.logsumexp(log_joint, -1).mean().item())
            if history[-1] - history[-2] < self.tol:
                break
        self._set_parameters(*(t.to(dtype) for t in (model.weights, model.means, model.covariances)))
        self.history_ = history
        return self


class LinearGaussian:
    r"""Linear-Gaussian latent-variable model (probabilistic PCA / factor analysis).

    .. math::
        p(\mathbf{z}) = \mathcal{N}(\mathbf{z}; 0, \mathbf{I}_k), \qquad
        p(\mathbf{x}\mid\mathbf{z}) = \mathcal{N}(\mathbf{x}; \mathbf{W}\mathbf{z} + \boldsymbol{\mu}, \boldsymbol{\Psi}), \qquad
        \boldsymbol{\Psi} = \operatorname{diag}(\psi_1, \dots, \psi_D)

    A continuous :math:`\mathbf{z}` makes :math:`p(\mathbf{x})` an infinite mixture
    of Gaussians; here the integral (1.13) has the closed form
    :math:`\mathcal{N}(\mathbf{x}; \boldsymbol{\mu}, \mathbf{C})`,
    :math:`\mathbf{C} = \mathbf{W}\mathbf{W}^\top + \boldsymbol{\Psi}`, and the
    posterior (1.19) is the Gaussian
    :math:`\mathcal{N}(\mathbf{M}^{-1}\mathbf{W}^\top\boldsymbol{\Psi}^{-1}(\mathbf{x}-\boldsymbol{\mu}), \mathbf{M}^{-1})`
    with :math:`\mathbf{M} = \mathbf{I}_k + \mathbf{W}^\top\boldsymbol{\Psi}^{-1}\mathbf{W}`
    (Tipping & Bishop, 1999). Only the :math:`k\times k` matrix :math:`\mathbf{M}` is
    factorised (Woodbury identity and matrix-determinant lemma), once, when the
    parameters are set. Everything is computed in the parameters' dtype and on
    their device; data must share them.

    Build it from its parameters, or from ``n_latent`` alone and :meth:`fit` it;
    the remaining arguments are the settings of :meth:`fit`.

    Args:
        weight: loadings :math:`\mathbf{W}`, shape ``(D, k)``.
        mean: :math:`\boldsymbol{\mu}`, shape ``(D,)``.
        noise_variance: :math:`\psi_j > 0`, shape ``(D,)``, or one number
            :math:`\sigma^2` for every dimension (probabilistic PCA).
        n_latent: :math:`k`, for a model without parameters yet (to be fitted).
        noise: ``"isotropic"`` (:math:`\boldsymbol{\Psi} = \sigma^2\mathbf{I}`,
            probabilistic PCA) or ``"diagonal"`` (factor analysis): what
            :meth:`fit` estimates. By default ``"diagonal"`` if ``noise_variance``
            has one entry per dimension, else ``"isotropic"``.
        n_iter: maximum number of EM iterations (factor analysis).
        tol: EM stops when the mean log-likelihood rises by less than this (factor analysis).
        min_noise_variance: floor on every :math:`\psi_j` in EM (factor analysis; a
            pixel that never varies would otherwise drive its :math:`\psi_j` to 0).

    Example:
        >>> model = LinearGaussian([[1.0], [1.0]], [0.0, 0.0], 1.0)
        >>> model.marginal_covariance()
        tensor([[2., 1.],
                [1., 2.]])
        >>> posterior = model.posterior(torch.tensor([[1.0, 1.0]]))
        >>> posterior.mean, posterior.covariance_matrix
        (tensor([[0.6667]]), tensor([[[0.3333]]]))
    """

    def __init__(
        self,
        weight: object = None,
        mean: object = None,
        noise_variance: object = None,
        *,
        n_latent: int | None = None,
        noise: str | None = None,
        n_iter: int = 1000,
        tol: float = 1e-8,
        min_noise_variance: float = 1e-6,
    ) -> None:
        if noise not in (None, "isotropic", "diagonal"):
            raise ValueError(f"noise must be 'isotropic' or 'diagonal', got {noise!r}")
        check_positive_int(n_iter, "n_iter")
        if not min_noise_variance > 0:
            raise ValueError(f"min_noise_variance must be > 0, got {min_noise_variance}")
        self.n_iter, self.tol, self.min_noise_variance = n_iter, tol, min_noise_variance
        if not _from_parameters(
            {"weight": weight, "mean": mean, "noise_variance": noise_variance}, "n_latent", n_latent
        ):
            self.n_latent, self.dim, self.noise = n_latent, None, noise or "isotropic"
            self.weight = self.mean = self.noise_variance = None
            return
        one_number = as_float_tensor(noise_variance, "noise_variance").numel() == 1
        self.noise = noise or ("isotropic" if one_number else "diagonal")
        self._set_parameters(weight, mean, noise_variance)
        if n_latent not in (None, self.n_latent):
            raise ValueError(f"n_latent={n_latent} but weight has {self.n_latent} columns")

    def _set_parameters(self, weight: object, mean: object, noise_variance: object) -> None:
        weight, mean, noise_variance = _as_parameters(weight=weight, mean=mean, noise_variance=noise_variance)
        if weight.dim() != 2 or weight.numel() == 0:
            raise ValueError(f"weight must have shape (D, k) with D, k >= 1, got {tuple(weight.shape)}")
        dim, n_latent = weight.shape
        if mean.shape != (dim,):
            raise ValueError(
                f"mean must have shape ({dim},) to match weight {tuple(weight.shape)}, got {tuple(mean.shape)}"
            )
        if noise_variance.dim() > 1 or noise_variance.numel() not in (1, dim):
            raise ValueError(
                f"noise_variance must be one number or have shape ({dim},), got {tuple(noise_variance.shape)}"
            )
        if (noise_variance <= 0).any():
            raise ValueError(f"noise_variance must be > 0, got min {noise_variance.min().item():.4g}")
        self.weight, self.mean = weight, mean
        self.noise_variance = noise_variance.expand(dim).clone()
        self.dim, self.n_latent = dim, n_latent
        scaled = weight / self.noise_variance[:, None]  # Ψ⁻¹W
        eye = torch.eye(n_latent, dtype=weight.dtype, device=weight.device)
        self._chol_m = cholesky(eye + weight.T @ scaled, "I + WᵀΨ⁻¹W")
        self._post_scale_tril = torch.linalg.cholesky(torch.cholesky_inverse(self._chol_m))  # of M⁻¹
        self._post_proj = torch.cholesky_solve(scaled.T, self._chol_m)  # M⁻¹WᵀΨ⁻¹, shape (k, D)
        log_noise = torch.log(self.noise_variance).sum()
        self._log_det = 2 * torch.log(torch.diagonal(self._chol_m)).sum() + log_noise  # log|C| = log|M| + Σ log ψ
        self._log_norm_joint = (dim + n_latent) * LOG_2PI + log_noise
        # For the fits' trace term: C⁻¹ = Ψ⁻¹ - BBᵀ with B = Ψ⁻¹W L_M⁻ᵀ (Woodbury).
        self._b = torch.linalg.solve_triangular(self._chol_m, scaled.T, upper=False).T
        # Whitened coordinates u = Ψ^{-1/2}(x - μ) = x * inv_sd + shift, in which the posterior
        # mean is m = u @ to_mean and the reconstruction m @ from_mean.
        inv_sd = self.noise_variance.rsqrt()
        self._inv_sd, self._shift = inv_sd, -self.mean * inv_sd
        self._to_mean = (self._post_proj / inv_sd).T.contiguous()  # (D, k)
        self._from_mean = (weight * inv_sd[:, None]).T.contiguous()  # (k, D): W̃ᵀ with W̃ = Ψ^{-1/2}W

    def marginal_covariance(self) -> Tensor:
        r""":math:`\mathbf{C} = \mathbf{W}\mathbf{W}^\top + \boldsymbol{\Psi}`, shape ``(D, D)``: :math:`p(\mathbf{x}) = \mathcal{N}(\boldsymbol{\mu}, \mathbf{C})`."""
        self._parameters()
        return self.weight @ self.weight.T + torch.diag(self.noise_variance)

    def _parameters(self) -> Tensor:
        if self.weight is None:
            raise _unfitted("LinearGaussian", "weight, mean and noise_variance")
        return self.weight

    def _mahalanobis(self, x: object) -> tuple[Tensor, Tensor]:
        r""":math:`(\mathbf{x}-\boldsymbol{\mu})^\top\mathbf{C}^{-1}(\mathbf{x}-\boldsymbol{\mu})` and the posterior mean :math:`\mathbf{m}`.

        Uses :math:`\mathbf{r}^\top\mathbf{C}^{-1}\mathbf{r} = \min_{\mathbf{z}}\,(\mathbf{r}-\mathbf{W}\mathbf{z})^\top\boldsymbol{\Psi}^{-1}(\mathbf{r}-\mathbf{W}\mathbf{z}) + \lVert\mathbf{z}\rVert^2`,
        attained at :math:`\mathbf{z} = \mathbf{m}`: a sum of non-negative terms, so
        nothing cancels even when :math:`\boldsymbol{\Psi}` is tiny (the Woodbury
        form :math:`\mathbf{r}^\top\boldsymbol{\Psi}^{-1}\mathbf{r} - \dots` would subtract huge numbers).
        """
        u = torch.addcmul(self._shift, _as_points(x, self.dim, self._parameters()), self._inv_sd)
        m = u @ self._to_mean
        residual = torch.addmm(u.reshape(-1, self.dim), m.reshape(-1, self.n_latent), self._from_mean, alpha=-1)
        residual = residual.reshape(u.shape)
        return torch.linalg.vecdot(residual, residual) + torch.linalg.vecdot(m, m), m

    def log_marginal(self, x: object) -> Tensor:
        r"""Exact :math:`\log p(\mathbf{x}) = \log\mathcal{N}(\mathbf{x}; \boldsymbol{\mu}, \mathbf{W}\mathbf{W}^\top + \boldsymbol{\Psi})` (1.13), shape ``(...)``.

        Costs :math:`O(NDk)`: the :math:`D\times D` matrix :math:`\mathbf{C}` is never
        formed; its inverse and determinant come from the :math:`k\times k` Cholesky
        factor of :math:`\mathbf{M}` (Woodbury identity, matrix-determinant lemma).
        """
        maha, _ = self._mahalanobis(x)
        return maha.add_(self.dim * LOG_2PI + self._log_det).mul_(-0.5)

    def log_joint(self, x: object, z: object) -> Tensor:
        r""":math:`\log p(\mathbf{z}) + \log p(\mathbf{x}\mid\mathbf{z})` (1.14); ``z`` may carry leading sample dims.

        With ``x`` of shape ``(N, D)`` and ``z`` of shape ``(K, N, k)`` the result has
        shape ``(K, N)`` — the form :mod:`vae_lib.estimators` expects. The joint is
        quadratic in :math:`\mathbf{z}`; completing the square,

        .. math::
            -\tfrac12\left[(\mathbf{z}-\mathbf{m})^\top\mathbf{M}(\mathbf{z}-\mathbf{m})
            + (\mathbf{x}-\boldsymbol{\mu})^\top\mathbf{C}^{-1}(\mathbf{x}-\boldsymbol{\mu})
            + (D + k)\log 2\pi + \textstyle\sum_j \log\psi_j\right]

        with :math:`\mathbf{m}` the posterior mean: :math:`\log p(\mathbf{z}\mid\mathbf{x}) + \log p(\mathbf{x})`,
        as (1.19) says. Both terms are non-negative, and the :math:`D`-dimensional mean
        :math:`\mathbf{W}\mathbf{z} + \boldsymbol{\mu}` is never formed: :math:`O(k^2)` per
        sample after an :math:`O(Dk)` step per data point.
        """
        maha, m = self._mahalanobis(x)
        z = _as_points(z, self.n_latent, self.weight, "z")
        quad = ((z - m) @ self._chol_m).square().sum(-1)  # (z - m)ᵀ M (z - m), M = L Lᵀ
        return -0.5 * (quad + maha + self._log_norm_joint)

    def posterior(self, x: object) -> MultivariateNormal:
        r"""Exact posterior (1.19) :math:`p(\mathbf{z}\mid\mathbf{x}) = \mathcal{N}(\mathbf{M}^{-1}\mathbf{W}^\top\boldsymbol{\Psi}^{-1}(\mathbf{x}-\boldsymbol{\mu}), \mathbf{M}^{-1})`.

        A ``torch.distributions.MultivariateNormal`` with batch shape ``(...)``
        for ``x`` of shape ``(..., D)``: ``mean`` has shape ``(..., k)``; the
        covariance :math:`\mathbf{M}^{-1}` is the same for every :math:`\mathbf{x}`.
        """
        r = _as_points(x, self.dim, self._parameters()) - self.mean
        return MultivariateNormal(r @ self._post_proj.T, scale_tril=self._post_scale_tril)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        r"""Ancestral sampling: :math:`\mathbf{z}\sim\mathcal{N}(0,\mathbf{I})`, :math:`\mathbf{x} = \mathbf{W}\mathbf{z} + \boldsymbol{\mu} + \boldsymbol{\epsilon}`, :math:`\boldsymbol{\epsilon}\sim\mathcal{N}(0,\boldsymbol{\Psi})`.

        Returns ``(x, z)`` with shapes ``(n, D)`` and ``(n, k)``.
        """
        check_positive_int(n, "n")
        weight = self._parameters()
        z = randn((n, self.n_latent), weight, generator)
        eps = randn((n, self.dim), weight, generator)
        return z @ self.weight.T + self.mean + eps * self.noise_variance.sqrt(), z

    def _mean_log_likelihood(self, data_cov: Tensor) -> float:
        r""":math:`\frac1N\sum_n\log p(\mathbf{x}_n) = -\frac12[D\log 2\pi + \log|\mathbf{C}| + \operatorname{tr}(\mathbf{C}^{-1}\mathbf{S})]` from the data covariance :math:`\mathbf{S}` about :math:`\boldsymbol{\mu}`."""
        trace = (torch.diagonal(data_cov) / self.noise_variance).sum() - (self._b * (data_cov @ self._b)).sum()
        return (-0.5 * (self.dim * LOG_2PI + self._log_det + trace)).item()

    @torch.no_grad()
    def fit(self, x: object) -> LinearGaussian:
        r"""Maximum likelihood: probabilistic PCA in closed form, or factor analysis by EM; returns ``self``.

        With :math:`\mathbf{S}` the data covariance about :math:`\boldsymbol{\mu} = \bar{\mathbf{x}}`
        (divisor :math:`N`, eigenvalues :math:`\lambda_1\ge\dots\ge\lambda_D`):

        * ``noise="isotropic"`` (Tipping & Bishop, 1999):
          :math:`\sigma^2 = \frac{1}{D-k}\sum_{j>k}\lambda_j` (the variance the :math:`k`
          components leave unexplained) and
          :math:`\mathbf{W} = \mathbf{U}_k(\boldsymbol{\Lambda}_k - \sigma^2\mathbf{I})^{1/2}`.
        * ``noise="diagonal"``: with :math:`\mathbf{G} = \mathbf{M}^{-1}` the posterior
          covariance, the E-step's expected statistics give the M-step updates
          :math:`\mathbf{W} \leftarrow \mathbf{S}\boldsymbol{\Psi}^{-1}\mathbf{W}\mathbf{G}\,
          (\mathbf{G} + \mathbf{G}\mathbf{W}^\top\boldsymbol{\Psi}^{-1}\mathbf{S}\boldsymbol{\Psi}^{-1}\mathbf{W}\mathbf{G})^{-1}`
          and :math:`\boldsymbol{\Psi} \leftarrow \operatorname{diag}(\mathbf{S} - \mathbf{W}_\text{new}\mathbf{G}\mathbf{W}^\top\boldsymbol{\Psi}^{-1}\mathbf{S})`,
          so each iteration costs :math:`O(D^2k)`, independent of :math:`N`. EM starts
          from the model's current parameters if it has any (``x`` must then share
          their dtype and device), otherwise from the probabilistic-PCA solution
          with :math:`\boldsymbol{\Psi} = \operatorname{diag}(\mathbf{S})`.

        Both run in float64 on ``x``'s device; the parameters come back in ``x``'s
        dtype. ``x`` has shape ``(N, D)`` with :math:`D > k`; the EM settings
        (``n_iter``, ``tol``, ``min_noise_variance``) are the constructor's. Sets ``history_``: the mean log-likelihood :math:`\frac1N\sum_n\log p(\mathbf{x}_n)`
        at the initial parameters and after every EM iteration (never decreasing);
        a single entry for the closed-form probabilistic PCA.

        Example:
            >>> x, _ = LinearGaussian([[2.0], [1.0], [0.0]], [0.0, 0.0, 0.0], 0.1).sample(
            ...     5000, generator=torch.Generator().manual_seed(0))
            >>> ppca = LinearGaussian(n_latent=1).fit(x)
            >>> round(abs(ppca.weight[0, 0].item()), 1), round(ppca.noise_variance[0].item(), 2)
            (2.0, 0.1)
            >>> x, _ = LinearGaussian([[2.0], [1.0], [1.0]], [0.0, 0.0, 0.0], [0.1, 0.5, 1.0]).sample(
            ...     5000, generator=torch.Generator().manual_seed(0))
            >>> fa = LinearGaussian(n_latent=1, noise="diagonal").fit(x)
            >>> [round(v, 1) for v in fa.noise_variance.tolist()]
            [0.1, 0.5, 1.0]
        """
        x = _as_data_matrix(x, 2, self.weight)
        dtype, data = x.dtype, x.double()
        n, dim = data.shape
        check_positive_int(self.n_latent, "n_latent", upper=dim - 1)
        if self.dim is not None and self.dim != dim:
            raise ValueError(f"x has {dim} columns but the model is {self.dim}-dimensional")
        mean = data.mean(0)
        centred = data - mean
        data_cov = centred.T @ centred / n
        eigval, eigvec = torch.linalg.eigh(data_cov)
        eigval, eigvec = eigval.flip(0), eigvec.flip(1)
        k = self.n_latent
        sigma2 = eigval[k:].mean().clamp_min(torch.finfo(data.dtype).tiny)
        ppca_weight = eigvec[:, :k] * (eigval[:k] - sigma2).clamp_min(0).sqrt()
        if self.noise == "isotropic":
            model = LinearGaussian(ppca_weight, mean, sigma2)
            history = [model._mean_log_likelihood(data_cov)]
        else:
            floor = torch.full((dim,), self.min_noise_variance, dtype=data.dtype, device=data.device)
            if self.weight is None:
                model = LinearGaussian(ppca_weight, mean, torch.diagonal(data_cov).maximum(floor))
            else:
                model = LinearGaussian(self.weight.double(), mean, self.noise_variance.double().maximum(floor))
            history = [model._mean_log_likelihood(data_cov)]
            for _ in range(self.n_iter):
                proj = data_cov @ model._post_proj.T  # S Ψ⁻¹ W G = (1/N) Σ (x-μ) E[z]ᵀ
                second_moment = torch.cholesky_inverse(model._chol_m) + model._post_proj @ proj  # (1/N) Σ E[zzᵀ]
                weight = torch.linalg.solve(second_moment, proj.T).T
                model = LinearGaussian(
                    weight, mean, (torch.diagonal(data_cov) - (weight * proj).sum(-1)).maximum(floor)
                )
                history.append(model._mean_log_likelihood(data_cov))
                if history[-1] - history[-2] < self.tol:
                    break
        self._set_parameters(*(t.to(dtype) for t in (model.weight, model.mean, model.noise_variance)))
        self.history_ = history
        return self
