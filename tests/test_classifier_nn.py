"""Section 1.4's classifier p(y|x) = Categorical(y; NeuralNet(x)) against torch.distributions and scikit-learn.

These test what the 1.4 notebook relies on: vae_lib.models.CategoricalClassifier
with vae_lib.training.train, on digits split like the notebook.
"""

import numpy as np
import pytest
import torch
from sklearn.datasets import make_blobs
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from torch.distributions import Categorical

from vae_lib.data import load_digits
from vae_lib.models import CategoricalClassifier
from vae_lib.training import train


def classifier(seed=0, hidden=(16,), in_dim=64, n_classes=10):
    torch.manual_seed(seed)
    return CategoricalClassifier(in_dim, list(hidden), n_classes)


def test_log_prob_matches_torch_categorical():
    clf = classifier()
    x = torch.rand(20, 64, generator=torch.Generator().manual_seed(1))
    y = torch.randint(0, 10, (20,), generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        oracle = Categorical(logits=clf(x))
        torch.testing.assert_close(clf.log_prob(y, x), oracle.log_prob(y))
        torch.testing.assert_close(clf.predict_proba(x), oracle.probs)
        torch.testing.assert_close(clf.predict_proba(x).sum(-1), torch.ones(20))


def test_log_prob_stays_exact_where_log_of_softmax_underflows():
    """The notebook's point: huge logit gaps give log(softmax) = -inf, log_prob stays exact."""
    clf = classifier(hidden=())
    with torch.no_grad():
        clf.net[0].weight.mul_(1e4)  # logit gaps of thousands
        x = torch.rand(8, 64, generator=torch.Generator().manual_seed(3))
        logits = clf(x).double()
        y = logits.argmin(-1)  # the least likely class of each row
        exact = logits.gather(-1, y[:, None])[:, 0] - torch.logsumexp(logits, -1)
        assert torch.isinf(torch.log(clf.predict_proba(x)).gather(-1, y[:, None])).any()
        got = clf.log_prob(y, x)
    assert torch.isfinite(got).all()
    torch.testing.assert_close(got.double(), exact, rtol=1e-5, atol=0)


def test_linear_classifier_trained_by_train_matches_sklearn_logistic_regression():
    """No hidden layer = multinomial logistic regression; unpenalised ML has a unique optimum."""
    x_np, y_np = make_blobs(300, centers=3, cluster_std=2.5, random_state=0)
    x, y = torch.tensor(x_np, dtype=torch.float32), torch.tensor(y_np)
    clf = classifier(hidden=(), in_dim=2, n_classes=3)
    train(lambda xb, yb: -clf.log_prob(yb, xb).mean(), clf, (x, y), steps=1500, lr=0.05, progress=False)
    sk = LogisticRegression(C=np.inf, tol=1e-10, max_iter=10_000).fit(x_np, y_np)
    with torch.no_grad():
        ours = -clf.log_prob(y, x).mean().item()
    assert ours == pytest.approx(log_loss(y_np, sk.predict_proba(x_np)), abs=1e-4)


def test_mlp_on_the_notebooks_digits_split_agrees_with_sklearn_metrics():
    x, y = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.3, random_state=0, stratify=y)
    clf = classifier(hidden=(32,))
    train(
        lambda xb, yb: -clf.log_prob(yb, xb).mean(),
        clf,
        (x_train, y_train),
        steps=400,
        batch_size=32,
        optimizer="sgd",
        lr=0.2,
        progress=False,
    )
    with torch.no_grad():
        probs = torch.softmax(clf(x_test).double(), -1).numpy()
        held_out = clf.log_prob(y_test, x_test).mean().item()
    assert held_out == pytest.approx(-log_loss(y_test.numpy(), probs), abs=1e-5)
    assert (probs.argmax(1) == y_test.numpy()).mean() > 0.9
    assert held_out > np.log(0.1) / 5  # far better than the uniform guess


def test_bad_inputs_are_rejected():
    clf = classifier()
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., 64\), got \(3, 63\)"):
        clf(torch.zeros(3, 63))
    with pytest.raises(ValueError, match=r"y must be a class label in 0..9, found 10"):
        clf.log_prob(torch.tensor([10]), torch.zeros(1, 64))
