"""vae_lib — the code behind *vae-intro*, an executable companion to chapter 1 of
Kingma & Welling, *An Introduction to Variational Autoencoders*.

Modules (each docstring names the book equations it implements):

* :mod:`vae_lib.likelihood` — log-likelihoods (1.5), (1.10), (1.11), (1.15), (1.17)–(1.18)
* :mod:`vae_lib.data` — offline digits, minibatches, IDX reader
* :mod:`vae_lib.models` — MLP, classifier, encoder, decoder, DLVM (1.4)–(1.5), (1.14)–(1.18)
* :mod:`vae_lib.estimators` — estimates of log p(x) (1.13)
* :mod:`vae_lib.training` — one seeded optimisation loop (1.11)–(1.12)
* :mod:`vae_lib.plotting` — the book's figure style
"""

from vae_lib.seeding import seed_everything

__version__ = "0.1.0"
__all__ = ["__version__", "seed_everything"]
