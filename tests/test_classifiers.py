"""vae_lib.classifiers against scikit-learn and scipy (oracles we did not write)."""

import numpy as np
import pytest
import torch
from scipy import special, stats
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.naive_bayes import GaussianNB

from vae_lib.classifiers import GaussianClassifier, LogisticRegression, learning_curve


def _blobs(n: int = 90, d: int = 4, k: int = 3, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Classes with different means and (correlated) covariances, labels 0..k-1."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % k
    mix = rng.normal(size=(k, d, d))
    x = rng.normal(size=(n, d))
    x = np.einsum("nij,nj->ni", mix[y], x) + 2.0 * rng.normal(size=(k, d))[y]
    return x, y


def _torch(*arrays: np.ndarray) -> list[torch.Tensor]:
    return [torch.as_tensor(a) for a in arrays]


@pytest.mark.parametrize("var_smoothing", [1e-9, 1e-2, 0.5])
def test_diag_gaussian_matches_sklearn_gaussian_nb(var_smoothing):
    x, y = _blobs()
    x_new, _ = _blobs(seed=1)
    sk = GaussianNB(var_smoothing=var_smoothing).fit(x, y)
    clf = GaussianClassifier(3, var_smoothing=var_smoothing).fit(*_torch(x, y))
    np.testing.assert_allclose(clf.means_.numpy(), sk.theta_, rtol=1e-12)
    np.testing.assert_allclose(clf.covariances_.numpy(), sk.var_, rtol=1e-12)
    np.testing.assert_allclose(
        clf.joint_log_prob(torch.as_tensor(x_new)).numpy(), sk.predict_joint_log_proba(x_new), rtol=1e-10
    )
    np.testing.assert_allclose(clf.log_proba(torch.as_tensor(x_new)).numpy(), sk.predict_log_proba(x_new), atol=1e-9)
    np.testing.assert_array_equal(clf.predict(torch.as_tensor(x_new)).numpy(), sk.predict(x_new))


def test_shared_diag_gaussian_matches_pooled_gaussian_nb_variances():
    """Pooled variance = class-frequency-weighted average of GaussianNB's per-class variances."""
    x, y = _blobs(n=91)  # unequal class sizes: the weights matter
    sk = GaussianNB(var_smoothing=0.0).fit(x, y)
    pooled = sk.class_prior_ @ sk.var_
    clf = GaussianClassifier(3, shared=True, var_smoothing=0.0).fit(*_torch(x, y))
    np.testing.assert_allclose(clf.covariances_.numpy(), np.broadcast_to(pooled, (3, 4)), rtol=1e-12)
    x_new, _ = _blobs(seed=2)
    expected = np.log(sk.class_prior_) + stats.norm.logpdf(x_new[:, None, :], sk.theta_, np.sqrt(pooled)).sum(-1)
    np.testing.assert_allclose(clf.joint_log_prob(torch.as_tensor(x_new)).numpy(), expected, rtol=1e-10)


def test_full_shared_gaussian_matches_sklearn_lda():
    x, y = _blobs(n=91)
    x_new, _ = _blobs(seed=3)
    sk = LinearDiscriminantAnalysis(solver="lsqr", store_covariance=True).fit(x, y)
    clf = GaussianClassifier(covariance="full", shared=True, var_smoothing=0.0).fit(*_torch(x, y))
    np.testing.assert_allclose(clf.covariances_[0].numpy(), sk.covariance_, rtol=1e-10)
    np.testing.assert_allclose(clf.log_proba(torch.as_tensor(x_new)).numpy(), sk.predict_log_proba(x_new), atol=1e-8)


def test_full_gaussian_matches_scipy_multivariate_normal():
    x, y = _blobs()
    x_new, _ = _blobs(seed=4)
    clf = GaussianClassifier(covariance="full", var_smoothing=0.0).fit(*_torch(x, y))
    expected = np.stack(
        [
            np.log(np.mean(y == k))
            + stats.multivariate_normal(x[y == k].mean(0), np.cov(x[y == k].T, bias=True)).logpdf(x_new)
            for k in range(3)
        ],
        axis=-1,
    )
    np.testing.assert_allclose(clf.joint_log_prob(torch.as_tensor(x_new)).numpy(), expected, rtol=1e-10)


def test_gaussian_classifier_is_vectorised_over_models():
    x, y = _blobs()
    xb, yb = torch.stack([torch.as_tensor(x), torch.as_tensor(x[::-1].copy())]), torch.as_tensor(np.stack([y, y[::-1]]))
    batched = GaussianClassifier(3, covariance="full").fit(xb, yb)
    x_new = torch.as_tensor(_blobs(seed=5)[0])
    for b in range(2):
        single = GaussianClassifier(3, covariance="full").fit(xb[b], yb[b])
        torch.testing.assert_close(batched.joint_log_prob(x_new)[b], single.joint_log_prob(x_new))


@pytest.mark.parametrize("C", [0.01, 1.0, 100.0])
def test_logistic_regression_matches_sklearn(C):
    x, y = _blobs(n=80, d=5, k=2)
    sk = SkLogisticRegression(C=C, tol=1e-12, max_iter=10_000).fit(x, y)
    clf = LogisticRegression(C=C).fit(*_torch(x, y))
    np.testing.assert_allclose(clf.weight_.numpy(), sk.coef_[0], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(clf.bias_.item(), sk.intercept_[0], rtol=1e-5, atol=1e-7)
    x_new = _blobs(n=20, d=5, k=2, seed=6)[0]
    log_odds = sk.decision_function(x_new)
    np.testing.assert_allclose(clf.logits(torch.as_tensor(x_new)).numpy(), log_odds, rtol=1e-5, atol=1e-6)
    expected = np.stack([special.log_expit(-log_odds), special.log_expit(log_odds)], axis=-1)
    np.testing.assert_allclose(clf.log_proba(torch.as_tensor(x_new)).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_logistic_regression_converges_on_separable_data_and_batches():
    """Separable data: only the penalty keeps w finite; damped Newton must still reach sklearn's optimum."""
    x = np.array([[-2.0, 0.3], [-1.0, -0.5], [1.0, 0.2], [2.5, -0.1]])
    y = np.array([0, 0, 1, 1])
    sk = SkLogisticRegression(C=1e4, tol=1e-12, max_iter=100_000).fit(x, y)
    xb, yb = torch.as_tensor(np.stack([x, x])), torch.as_tensor(np.stack([y, 1 - y]))
    clf = LogisticRegression(C=1e4).fit(xb, yb)
    np.testing.assert_allclose(clf.weight_[0].numpy(), sk.coef_[0], rtol=1e-4)
    np.testing.assert_allclose(clf.weight_[1].numpy(), -sk.coef_[0], rtol=1e-4)  # flipped labels flip w
    assert clf.predict(torch.as_tensor(x)).tolist() == [[0, 0, 1, 1], [1, 1, 0, 0]]


def test_learning_curve_draws_balanced_nested_training_sets():
    x = torch.arange(30.0)[:, None]
    y = (torch.arange(30) >= 10).long()  # 10 of class 0, 20 of class 1
    seen: list[torch.Tensor] = []

    def record(x_train, y_train, x_test):
        seen.append((x_train, y_train))
        return torch.zeros(x_train.shape[0], x_test.shape[0], dtype=torch.long)

    errors = learning_curve(record, x, y, x, y, [4, 20], n_seeds=5, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(errors, torch.full((5, 2), 20 / 30))  # predicting 0 everywhere misses class 1
    (x4, y4), (x20, y20) = seen
    assert x4.shape == (5, 4, 1) and x20.shape == (5, 20, 1)
    assert (y4.sum(-1) == 2).all() and (y20.sum(-1) == 10).all()
    for s in range(5):  # nested: the small set is part of the large one
        assert set(x4[s, :, 0].tolist()) <= set(x20[s, :, 0].tolist())
        assert len(set(x20[s, :, 0].tolist())) == 20  # without replacement


def test_learning_curve_matches_a_loop_over_seeds_with_sklearn():
    x, y = _blobs(n=120, d=4, k=2)
    x_test, y_test = _blobs(n=60, d=4, k=2, seed=7)
    t = _torch(x, y, x_test, y_test)
    generator = torch.Generator().manual_seed(1)
    captured: list[tuple[torch.Tensor, torch.Tensor]] = []

    def fit_predict(x_train, y_train, xs):
        captured.append((x_train, y_train))
        return GaussianClassifier(2).fit(x_train, y_train).predict(xs)

    errors = learning_curve(fit_predict, *t, [10, 40], n_seeds=3, generator=generator)
    for j, (x_train, y_train) in enumerate(captured):
        for s in range(3):
            sk = GaussianNB().fit(x_train[s].numpy(), y_train[s].numpy())
            assert errors[s, j].item() == pytest.approx(np.mean(sk.predict(x_test) != y_test))


def test_bad_input_raises_value_error():
    x, y = _torch(*_blobs(n=12, d=2, k=3))
    with pytest.raises(ValueError, match=r"y must have shape \(12,\)"):
        GaussianClassifier(3).fit(x, y[:-1])
    with pytest.raises(ValueError, match="class 3 has no training examples"):
        GaussianClassifier(4).fit(x, y)
    with pytest.raises(ValueError, match=r"y must hold integer class labels 0, 1, 2"):
        GaussianClassifier(3).fit(x, y.double())
    with pytest.raises(ValueError, match=r"y must hold integer class labels in 0..1"):
        GaussianClassifier(2).fit(x, y)
    with pytest.raises(ValueError, match="covariance must be 'diag' or 'full'"):
        GaussianClassifier(covariance="spherical")
    with pytest.raises(ValueError, match="var_smoothing must be >= 0"):
        GaussianClassifier(var_smoothing=-1.0)
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., 2\) like the training data"):
        GaussianClassifier().fit(x, y).predict(torch.zeros(5, 3, dtype=x.dtype))
    with pytest.raises(ValueError, match="x contains NaN"):
        GaussianClassifier().fit(torch.full((12, 2), float("nan")), y)
    with pytest.raises(ValueError, match="GaussianClassifier is not fitted yet: call fit"):
        GaussianClassifier().predict(x)
    with pytest.raises(ValueError, match="LogisticRegression is not fitted yet: call fit"):
        LogisticRegression().predict(x)
    with pytest.raises(ValueError, match="y must be binary"):
        LogisticRegression().fit(x, y)
    with pytest.raises(ValueError, match="C must be > 0"):
        LogisticRegression(C=0.0)
    with pytest.raises(ValueError, match="every entry of sizes must be a multiple of the number of classes 3"):
        learning_curve(lambda *a: a[2][:, 0], x, y, x, y, [4], n_seeds=1)
    with pytest.raises(ValueError, match="every entry of sizes must be <= 12"):
        learning_curve(lambda *a: a[2][:, 0], x, y, x, y, [15], n_seeds=1)
    with pytest.raises(ValueError, match="sizes is empty"):
        learning_curve(lambda *a: a[2][:, 0], x, y, x, y, [], n_seeds=1)
    constant = torch.cat([torch.zeros(12, 1, dtype=x.dtype), x[:, :1]], dim=1)  # feature 0 never varies
    with pytest.raises(ValueError, match=r"feature 0 has zero variance in class 0; use var_smoothing > 0"):
        GaussianClassifier(var_smoothing=0.0).fit(constant, y)
    with pytest.raises(ValueError, match=r"y_pool must hold the labels 0..K-1"):
        learning_curve(lambda *a: a[2][:, 0], x, y + 5, x, y, [3], n_seeds=1)
