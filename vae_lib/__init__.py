"""vae_lib — the code behind *vae-intro*, an executable companion to chapter 1 of
Kingma & Welling, *An Introduction to Variational Autoencoders*.

Modules (each docstring names the book equations it implements):

* :mod:`vae_lib.likelihood` — log-likelihoods (1.5), (1.10), (1.11), (1.15), (1.17)–(1.18)
* :mod:`vae_lib.data` — offline digits, minibatches, IDX reader (1.9)
* :mod:`vae_lib.models` — MLP, classifier, autoregressive model, encoder, decoder, DLVM, ELBO (1.4)–(1.8), (1.14)–(1.18)
* :mod:`vae_lib.classifiers` — generative vs discriminative classifiers (section 1.1)
* :mod:`vae_lib.calibration` — reliability diagram and expected calibration error (section 1.4)
* :mod:`vae_lib.graphical` — directed graphical models, table or network conditionals (1.6)–(1.8)
* :mod:`vae_lib.latent` — mixture of Gaussians and linear-Gaussian models with exact marginals (1.13), (1.19)
* :mod:`vae_lib.estimators` — Monte Carlo, importance sampling and grid estimates of log p(x) (1.13), (1.19), running estimates
* :mod:`vae_lib.divergence` — KL divergences, exact and Monte Carlo (1.2)
* :mod:`vae_lib.bayes` — conjugate posteriors, Gaussian prior = weight decay, minibatch statistics (1.11)–(1.12)
* :mod:`vae_lib.toy` — known data distributions p*(x), p*(y|x) with exact log-densities (1.2)–(1.3)
* :mod:`vae_lib.training` — one seeded optimisation loop (1.11)–(1.12)
* :mod:`vae_lib.book` — glue a computed number into the book's prose
* :mod:`vae_lib.seeding`, :mod:`vae_lib.progress`, :mod:`vae_lib.plotting`, :mod:`vae_lib.checks` — reproducibility, progress, figures, input validation and dtype/device following
"""

from vae_lib.seeding import seed_everything

__version__ = "0.1.0"
__all__ = ["__version__", "seed_everything"]
