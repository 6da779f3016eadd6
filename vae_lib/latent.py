r"""Latent-variable models whose marginal (1.13) and posterior (1.19) are exact.

* :class:`MixtureOfGaussians` — discrete :math:`z \in \{1,\dots,K\}`: the integral
  (1.13) is a sum of :math:`K` Gaussians, computed with ``logsumexp``; the
  posterior (1.19) is the vector of *responsibilities*; fitted by EM.
* :class:`LinearGaussian` — continuous :math:`\mathbf{z} \sim \mathcal{N}(0, \mathbf{I})`
  and :math:`\mathbf{x}\mid\mathbf{z} \sim \mathcal{N}(\mathbf{W}\mathbf{z} + \boldsymbol{\mu}, \boldsymbol{\Psi})`
  (probabilistic PCA when :math:`\boldsymbol{\Psi} = \sigma^2\mathbf{I}`, factor
  analysis when :math:`\boldsymbol{\Psi}` is diagonal): an *infinite* mixture whose
  marginal is the single Gaussian :math:`\mathcal{N}(\boldsymbol{\mu}, \mathbf{W}\mathbf{W}^\top + \boldsymbol{\Psi})`.

These are the models where (1.13) is easy; :mod:`vae_lib.estimators` handles the
DLVM, where it is not. Both classes are immutable: fitting returns a new model.
"""

from __future__ import annotations

import functools

import torch
from torch import Tensor

from vae_lib.checks import as_float_tensor, check_finite, check_positive_int
from vae_lib.likelihood import LOG_2PI, cholesky

_BLOCK_ELEMENTS = 2**17  # entries of the whitened block in MixtureOfGaussians.log_joint (1 MB in float64)


def _as_points(x: object, dim: int, dtype: torch.dtype, name: str = "x") -> Tensor:
    """``x`` as a finite tensor of shape ``(..., dim)`` in ``dtype``, or a ``ValueError`` naming it."""
    x = as_float_tensor(x, name)
    if x.dim() == 0 or x.shape[-1] != dim:
        raise ValueError(f"{name} must have shape (..., {dim}) (one data point per row), got {tuple(x.shape)}")
    check_finite(x, name)
    return x.to(dtype)


def _as_parameters(**named: object) -> list[Tensor]:
    """Named parameters as finite floating tensors of one common dtype (the widest given)."""
    tensors = {name: as_float_tensor(value, name) for name, value in named.items()}
    dtype = functools.reduce(torch.promote_types, (t.dtype for t in tensors.values()))
    for name, tensor in tensors.items():
        check_finite(tensor, name)
    return [tensor.to(dtype) for tensor in tensors.values()]


def _as_data_matrix(x: object, min_rows: int) -> Tensor:
    """Training data as a float64 ``(N, D)`` matrix with at least ``min_rows`` rows."""
    x = as_float_tensor(x, "x")
    if x.dim() != 2:
        raise ValueError(f"x must be a data matrix of shape (N, D), got {tuple(x.shape)}")
    if x.shape[0] < min_rows:
        raise ValueError(f"x needs at least {min_rows} rows (data points) to fit this model, got {x.shape[0]}")
    check_finite(x, "x")
    return x.to(torch.float64)


def _m_step(x: Tensor, resp: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    r"""EM's M-step for a mixture: weights, means and covariances from responsibilities ``resp`` (N, K)."""
    counts = resp.sum(0) + 10 * torch.finfo(x.dtype).eps  # an empty component must not divide by 0
    means = (resp.T @ x) / counts[:, None]
    centred = x.unsqueeze(0) - means.unsqueeze(1)
    covs = (resp.T.unsqueeze(-1) * centred).transpose(-1, -2) @ centred / counts[:, None, None]
    return counts / counts.sum(), means, covs


def _kmeans_plus_plus(x: Tensor, n_centres: int, generator: torch.Generator | None) -> Tensor:
    """k-means++ seeding: each next centre is a data point drawn with probability ∝ squared distance to the nearest centre so far."""
    centres = x[torch.randint(x.shape[0], (1,), generator=generator)]
    sq_dist = torch.cdist(x, centres).squeeze(-1).square()
    for _ in range(n_centres - 1):
        weights = sq_dist if sq_dist.sum() > 0 else torch.ones_like(sq_dist)
        new = x[torch.multinomial(weights, 1, generator=generator)]
        centres = torch.cat([centres, new])
        sq_dist = torch.minimum(sq_dist, torch.cdist(x, new).squeeze(-1).square())
    return centres


class MixtureOfGaussians:
    r"""Mixture of Gaussians: discrete latent :math:`z`, Gaussian :math:`p(\mathbf{x}\mid z)`.

    .. math::
        p(z = k) = \pi_k, \qquad
        p(\mathbf{x}\mid z = k) = \mathcal{N}(\mathbf{x}; \boldsymbol{\mu}_k, \boldsymbol{\Sigma}_k), \qquad
        p(\mathbf{x}) = \sum_{k=1}^K \pi_k\, \mathcal{N}(\mathbf{x}; \boldsymbol{\mu}_k, \boldsymbol{\Sigma}_k)

    Implements (1.13) with a discrete :math:`z` (the integral is a sum) and the
    posterior (1.19) in closed form. All :math:`K` Cholesky factors are computed
    once, at construction; :meth:`log_joint` then evaluates every component for
    every point with one matrix product (no loop over components or points).

    Args:
        weights: mixing proportions :math:`\pi_k`, shape ``(K,)``, positive, summing to 1.
        means: :math:`\boldsymbol{\mu}_k`, shape ``(K, D)``.
        covariances: :math:`\boldsymbol{\Sigma}_k`, shape ``(K, D, D)``, symmetric positive definite.

    Example:
        >>> mog = MixtureOfGaussians([0.5, 0.5], [[-1.0], [1.0]], [[[1.0]], [[1.0]]])
        >>> mog.log_marginal(torch.tensor([[0.0]]))
        tensor([-1.4189])
        >>> mog.posterior(torch.tensor([[0.0], [5.0]]))
        tensor([[5.0000e-01, 5.0000e-01],
                [4.5398e-05, 9.9995e-01]])
    """

    def __init__(self, weights: object, means: object, covariances: object) -> None:
        weights, means, covariances = _as_parameters(weights=weights, means=means, covariances=covariances)
        dtype = weights.dtype
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
        eye = torch.eye(dim, dtype=dtype).expand(n_components, dim, dim)
        inv_chol_t = torch.linalg.solve_triangular(chol, eye, upper=False).transpose(-1, -2)
        self._whiten = inv_chol_t.permute(1, 0, 2).reshape(dim, n_components * dim)
        self._shift = -(means.unsqueeze(1) @ inv_chol_t).reshape(n_components * dim)
        self._chol = chol
        half_log_det = torch.log(torch.diagonal(chol, dim1=-2, dim2=-1)).sum(-1)
        self._log_norm = torch.log(weights) - half_log_det - 0.5 * dim * LOG_2PI

    def log_joint(self, x: object) -> Tensor:
        r""":math:`\log p(\mathbf{x}, z=k) = \log\pi_k + \log\mathcal{N}(\mathbf{x}; \boldsymbol{\mu}_k, \boldsymbol{\Sigma}_k)`, shape ``(..., K)``.

        The joint (1.14) for every component :math:`k`: one ``(rows, D) @ (D, K·D)``
        product whitens a block of points for all components at once. Blocks of
        rows keep that ``(rows, K·D)`` intermediate cache-sized (about 1 MB);
        within a block everything is vectorised.
        """
        x = _as_points(x, self.dim, self.weights.dtype)
        flat = x.reshape(-1, self.dim)
        out = torch.empty(flat.shape[0], self.n_components, dtype=flat.dtype)
        rows = max(1, _BLOCK_ELEMENTS // (self.n_components * self.dim))
        for start in range(0, flat.shape[0], rows):
            white = torch.addmm(self._shift, flat[start : start + rows], self._whiten)
            torch.linalg.vector_norm(white.view(-1, self.n_components, self.dim), dim=-1, out=out[start : start + rows])
        return out.square_().mul_(-0.5).add_(self._log_norm).reshape(*x.shape[:-1], self.n_components)

    def log_marginal(self, x: object) -> Tensor:
        r""":math:`\log p(\mathbf{x}) = \log\sum_k p(\mathbf{x}, z=k)` (1.13), via ``logsumexp``; shape ``(...)``."""
        return torch.logsumexp(self.log_joint(x), dim=-1)

    def posterior(self, x: object) -> Tensor:
        r"""Responsibilities :math:`p(z=k\mid\mathbf{x}) = p(\mathbf{x}, z=k) / p(\mathbf{x})` (1.19), shape ``(..., K)``; rows sum to 1."""
        return torch.softmax(self.log_joint(x), dim=-1)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        r"""Ancestral sampling: :math:`z \sim \mathrm{Categorical}(\boldsymbol{\pi})`, then :math:`\mathbf{x} \sim \mathcal{N}(\boldsymbol{\mu}_z, \boldsymbol{\Sigma}_z)`.

        Returns ``(x, z)`` with shapes ``(n, D)`` and ``(n,)`` (integer component labels).
        """
        check_positive_int(n, "n")
        z = torch.multinomial(self.weights, n, replacement=True, generator=generator)
        eps = torch.randn(n, self.dim, 1, generator=generator, dtype=self.weights.dtype)
        return self.means[z] + (self._chol[z] @ eps).squeeze(-1), z

    @classmethod
    def fit(
        cls,
        x: object,
        n_components: int,
        *,
        n_iter: int = 100,
        tol: float = 1e-6,
        reg_covar: float = 1e-6,
        init: MixtureOfGaussians | None = None,
        generator: torch.Generator | None = None,
    ) -> tuple[MixtureOfGaussians, list[float]]:
        r"""Maximum likelihood by expectation–maximisation (EM; Dempster, Laird & Rubin, 1977).

        E-step: responsibilities :math:`r_{nk} = p(z=k\mid\mathbf{x}_n)` (1.19).
        M-step: :math:`N_k = \sum_n r_{nk}`, :math:`\pi_k = N_k/N`,
        :math:`\boldsymbol{\mu}_k = \sum_n r_{nk}\mathbf{x}_n / N_k`,
        :math:`\boldsymbol{\Sigma}_k = \sum_n r_{nk}(\mathbf{x}_n-\boldsymbol{\mu}_k)(\mathbf{x}_n-\boldsymbol{\mu}_k)^\top / N_k + \epsilon\mathbf{I}`.
        Each iteration cannot lower the log-likelihood (exactly so for
        ``reg_covar=0``; with :math:`\epsilon > 0` it is the penalised
        likelihood that never falls). Runs in float64.

        Args:
            x: data, shape ``(N, D)``.
            n_components: :math:`K`.
            n_iter: maximum number of EM iterations.
            tol: stop when the mean log-likelihood rises by less than this.
            reg_covar: :math:`\epsilon` added to every covariance's diagonal (as in scikit-learn).
            init: starting parameters; by default k-means++ picks :math:`K` data points as
                centres, every point is assigned to its nearest centre, and each
                component starts from its cluster's mean and share of the data, with
                the pooled within-cluster covariance.
            generator: random source of the default initialisation.

        Returns:
            ``(model, history)``: the fitted mixture and the mean log-likelihood
            :math:`\frac1N\sum_n \log p(\mathbf{x}_n)` at the initial parameters and after every iteration.

        Example:
            >>> g = torch.Generator().manual_seed(0)
            >>> x = torch.cat([torch.randn(100, 1, generator=g) - 3, torch.randn(100, 1, generator=g) + 3])
            >>> mog, history = MixtureOfGaussians.fit(x, 2, generator=g)
            >>> sorted(round(m) for m in mog.means.flatten().tolist()), history[-1] > history[0]
            ([-3, 3], True)
        """
        check_positive_int(n_components, "n_components")
        check_positive_int(n_iter, "n_iter")
        if reg_covar < 0:
            raise ValueError(f"reg_covar must be >= 0, got {reg_covar}")
        x = _as_data_matrix(x, n_components)
        dim = x.shape[1]
        if init is None:
            nearest = torch.cdist(x, _kmeans_plus_plus(x, n_components, generator)).argmin(-1)
            weights, means, covs = _m_step(x, torch.nn.functional.one_hot(nearest, n_components).to(x.dtype))
            pooled = (weights[:, None, None] * covs).sum(0) + reg_covar * torch.eye(dim, dtype=x.dtype)
            init = cls(weights, means, pooled.expand(n_components, dim, dim))
        elif init.n_components != n_components or init.dim != dim:
            raise ValueError(
                f"init has {init.n_components} components in {init.dim} dimensions, expected {n_components} in {dim}"
            )
        model = cls(init.weights.to(x.dtype), init.means.to(x.dtype), init.covariances.to(x.dtype))
        log_joint = model.log_joint(x)
        history = [torch.logsumexp(log_joint, -1).mean().item()]
        eye = torch.eye(dim, dtype=x.dtype)
        for _ in range(n_iter):
            weights, means, covs = _m_step(x, torch.softmax(log_joint, dim=-1))
            model = cls(weights, means, covs + reg_covar * eye)
            log_joint = model.log_joint(x)
            history.append(torch.logsumexp(log_joint, -1).mean().item())
            if history[-1] - history[-2] < tol:
                break
        return model, history


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
    factorised (Woodbury identity and matrix-determinant lemma), once, at construction.

    Args:
        weight: loadings :math:`\mathbf{W}`, shape ``(D, k)``.
        mean: :math:`\boldsymbol{\mu}`, shape ``(D,)``.
        noise_variance: :math:`\psi_j > 0`, shape ``(D,)``, or one number
            :math:`\sigma^2` for every dimension (probabilistic PCA).

    Example:
        >>> model = LinearGaussian([[1.0], [1.0]], [0.0, 0.0], 1.0)
        >>> model.marginal_covariance()
        tensor([[2., 1.],
                [1., 2.]])
        >>> mean, cov = model.posterior(torch.tensor([[1.0, 1.0]]))
        >>> mean, cov
        (tensor([[0.6667]]), tensor([[0.3333]]))
    """

    def __init__(self, weight: object, mean: object, noise_variance: object) -> None:
        weight, mean, noise_variance = _as_parameters(weight=weight, mean=mean, noise_variance=noise_variance)
        dtype = weight.dtype
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
        self._chol_m = cholesky(torch.eye(n_latent, dtype=dtype) + weight.T @ scaled, "I + WᵀΨ⁻¹W")
        self._post_cov = torch.cholesky_inverse(self._chol_m)
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
        return self.weight @ self.weight.T + torch.diag(self.noise_variance)

    def _mahalanobis(self, x: object) -> tuple[Tensor, Tensor]:
        r""":math:`(\mathbf{x}-\boldsymbol{\mu})^\top\mathbf{C}^{-1}(\mathbf{x}-\boldsymbol{\mu})` and the posterior mean :math:`\mathbf{m}`.

        Uses :math:`\mathbf{r}^\top\mathbf{C}^{-1}\mathbf{r} = \min_{\mathbf{z}}\,(\mathbf{r}-\mathbf{W}\mathbf{z})^\top\boldsymbol{\Psi}^{-1}(\mathbf{r}-\mathbf{W}\mathbf{z}) + \lVert\mathbf{z}\rVert^2`,
        attained at :math:`\mathbf{z} = \mathbf{m}`: a sum of non-negative terms, so
        nothing cancels even when :math:`\boldsymbol{\Psi}` is tiny (the Woodbury
        form :math:`\mathbf{r}^\top\boldsymbol{\Psi}^{-1}\mathbf{r} - \dots` would subtract huge numbers).
        """
        u = torch.addcmul(self._shift, _as_points(x, self.dim, self.weight.dtype), self._inv_sd)
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
        z = _as_points(z, self.n_latent, self.weight.dtype, "z")
        quad = ((z - m) @ self._chol_m).square().sum(-1)  # (z - m)ᵀ M (z - m), M = L Lᵀ
        return -0.5 * (quad + maha + self._log_norm_joint)

    def posterior(self, x: object) -> tuple[Tensor, Tensor]:
        r"""Exact posterior (1.19) :math:`p(\mathbf{z}\mid\mathbf{x}) = \mathcal{N}(\mathbf{M}^{-1}\mathbf{W}^\top\boldsymbol{\Psi}^{-1}(\mathbf{x}-\boldsymbol{\mu}), \mathbf{M}^{-1})`.

        Returns ``(mean, cov)``: means of shape ``(..., k)`` and the covariance
        ``(k, k)``, which is the same for every :math:`\mathbf{x}`.
        """
        r = _as_points(x, self.dim, self.weight.dtype) - self.mean
        return r @ self._post_proj.T, self._post_cov

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        r"""Ancestral sampling: :math:`\mathbf{z}\sim\mathcal{N}(0,\mathbf{I})`, :math:`\mathbf{x} = \mathbf{W}\mathbf{z} + \boldsymbol{\mu} + \boldsymbol{\epsilon}`, :math:`\boldsymbol{\epsilon}\sim\mathcal{N}(0,\boldsymbol{\Psi})`.

        Returns ``(x, z)`` with shapes ``(n, D)`` and ``(n, k)``.
        """
        check_positive_int(n, "n")
        dtype = self.weight.dtype
        z = torch.randn(n, self.n_latent, generator=generator, dtype=dtype)
        eps = torch.randn(n, self.dim, generator=generator, dtype=dtype)
        return z @ self.weight.T + self.mean + eps * self.noise_variance.sqrt(), z

    def _mean_log_likelihood(self, data_cov: Tensor) -> float:
        r""":math:`\frac1N\sum_n\log p(\mathbf{x}_n) = -\frac12[D\log 2\pi + \log|\mathbf{C}| + \operatorname{tr}(\mathbf{C}^{-1}\mathbf{S})]` from the data covariance :math:`\mathbf{S}` about :math:`\boldsymbol{\mu}`."""
        trace = (torch.diagonal(data_cov) / self.noise_variance).sum() - (self._b * (data_cov @ self._b)).sum()
        return (-0.5 * (self.dim * LOG_2PI + self._log_det + trace)).item()

    @classmethod
    def fit_ppca(cls, x: object, n_components: int) -> LinearGaussian:
        r"""Maximum-likelihood probabilistic PCA in closed form (Tipping & Bishop, 1999).

        With the eigen-decomposition of the data covariance
        :math:`\mathbf{S} = \frac1N\sum_n(\mathbf{x}_n-\bar{\mathbf{x}})(\mathbf{x}_n-\bar{\mathbf{x}})^\top`
        (eigenvalues :math:`\lambda_1\ge\dots\ge\lambda_D`):
        :math:`\boldsymbol{\mu} = \bar{\mathbf{x}}`,
        :math:`\sigma^2 = \frac{1}{D-k}\sum_{j>k}\lambda_j` (the variance the
        :math:`k` components leave unexplained) and
        :math:`\mathbf{W} = \mathbf{U}_k(\boldsymbol{\Lambda}_k - \sigma^2\mathbf{I})^{1/2}`.
        Runs in float64.

        Example:
            >>> x, _ = LinearGaussian([[2.0], [1.0], [0.0]], [0.0, 0.0, 0.0], 0.1).sample(
            ...     5000, generator=torch.Generator().manual_seed(0))
            >>> model = LinearGaussian.fit_ppca(x, 1)
            >>> round(abs(model.weight[0, 0].item()), 1), round(model.noise_variance[0].item(), 2)
            (2.0, 0.1)
        """
        x = _as_data_matrix(x, 2)
        n, dim = x.shape
        check_positive_int(n_components, "n_components", upper=dim - 1)
        mean = x.mean(0)
        centred = x - mean
        eigval, eigvec = torch.linalg.eigh(centred.T @ centred / n)
        eigval, eigvec = eigval.flip(0), eigvec.flip(1)
        noise = eigval[n_components:].mean().clamp_min(torch.finfo(x.dtype).tiny)
        scale = (eigval[:n_components] - noise).clamp_min(0).sqrt()
        return cls(eigvec[:, :n_components] * scale, mean, noise)

    @classmethod
    def fit_factor_analysis(
        cls,
        x: object,
        n_components: int,
        *,
        n_iter: int = 1000,
        tol: float = 1e-8,
        min_noise_variance: float = 1e-6,
    ) -> tuple[LinearGaussian, list[float]]:
        r"""Maximum-likelihood factor analysis (diagonal :math:`\boldsymbol{\Psi}`) by EM.

        With :math:`\mathbf{S}` the data covariance about
        :math:`\boldsymbol{\mu} = \bar{\mathbf{x}}` and
        :math:`\mathbf{G} = \mathbf{M}^{-1}` the posterior covariance, the E-step's
        expected statistics give the M-step updates
        :math:`\mathbf{W} \leftarrow \mathbf{S}\boldsymbol{\Psi}^{-1}\mathbf{W}\mathbf{G}\,
        (\mathbf{G} + \mathbf{G}\mathbf{W}^\top\boldsymbol{\Psi}^{-1}\mathbf{S}\boldsymbol{\Psi}^{-1}\mathbf{W}\mathbf{G})^{-1}`
        and :math:`\boldsymbol{\Psi} \leftarrow \operatorname{diag}(\mathbf{S} - \mathbf{W}_\text{new}\mathbf{G}\mathbf{W}^\top\boldsymbol{\Psi}^{-1}\mathbf{S})`,
        so each iteration costs :math:`O(D^2k)`, independent of :math:`N`.
        Starts from the probabilistic-PCA solution (:meth:`fit_ppca`) with
        :math:`\boldsymbol{\Psi} = \operatorname{diag}(\mathbf{S})`. Runs in float64.

        Args:
            x: data, shape ``(N, D)``.
            n_components: latent dimension :math:`k < D`.
            n_iter: maximum number of EM iterations.
            tol: stop when the mean log-likelihood rises by less than this.
            min_noise_variance: floor on every :math:`\psi_j` (a pixel that never
                varies would otherwise drive its :math:`\psi_j` to 0).

        Returns:
            ``(model, history)``: the fitted model and the mean log-likelihood at
            the initial parameters and after every iteration (never decreasing).

        Example:
            >>> x, _ = LinearGaussian([[2.0], [1.0], [1.0]], [0.0, 0.0, 0.0], [0.1, 0.5, 1.0]).sample(
            ...     5000, generator=torch.Generator().manual_seed(0))
            >>> model, history = LinearGaussian.fit_factor_analysis(x, 1)
            >>> [round(v, 1) for v in model.noise_variance.tolist()]
            [0.1, 0.5, 1.0]
        """
        check_positive_int(n_iter, "n_iter")
        if min_noise_variance <= 0:
            raise ValueError(f"min_noise_variance must be > 0, got {min_noise_variance}")
        x = _as_data_matrix(x, 2)
        n, dim = x.shape
        check_positive_int(n_components, "n_components", upper=dim - 1)
        mean = x.mean(0)
        centred = x - mean
        data_cov = centred.T @ centred / n
        floor = torch.full((dim,), min_noise_variance, dtype=x.dtype)
        model = cls(cls.fit_ppca(x, n_components).weight, mean, torch.diagonal(data_cov).maximum(floor))
        history = [model._mean_log_likelihood(data_cov)]
        for _ in range(n_iter):
            g = model._post_cov
            proj = data_cov @ model._post_proj.T  # S Ψ⁻¹ W G = (1/N) Σ (x-μ) E[z]ᵀ
            second_moment = g + model._post_proj @ proj  # (1/N) Σ E[zzᵀ]
            weight = torch.linalg.solve(second_moment, proj.T).T
            noise = (torch.diagonal(data_cov) - (weight * proj).sum(-1)).maximum(floor)
            model = cls(weight, mean, noise)
            history.append(model._mean_log_likelihood(data_cov))
            if history[-1] - history[-2] < tol:
                break
        return model, history
