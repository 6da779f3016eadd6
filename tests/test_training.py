"""vae_lib.training.train against closed-form optima, plus seeding and progress output."""

import pytest
import torch
from torch import nn

from vae_lib import seed_everything
from vae_lib.likelihood import bernoulli_log_prob
from vae_lib.progress import progress_bar
from vae_lib.training import train


def bernoulli_data():
    g = torch.Generator().manual_seed(0)
    return torch.bernoulli(torch.tensor([0.2, 0.5, 0.9]).expand(400, 3), generator=g)


@pytest.mark.parametrize("batch_size", [None, 50])
def test_maximum_likelihood_recovers_empirical_frequencies(batch_size):
    """ML for a factorised Bernoulli has the closed form p_j = mean of x_j."""
    x = bernoulli_data()
    logits = nn.Parameter(torch.zeros(3))
    history = train(
        lambda b: -bernoulli_log_prob(b, logits).mean(),
        [logits],
        x,
        steps=400,
        batch_size=batch_size,
        lr=0.05,
        progress=False,
    )
    torch.testing.assert_close(torch.sigmoid(logits.detach()), x.mean(0), atol=0.02 if batch_size else 1e-3, rtol=0)
    assert len(history.loss) == 400
    assert history.examples[-1] == 400 * (batch_size or 400)
    assert history.seconds == sorted(history.seconds)


def test_weight_decay_is_a_gaussian_prior_map_estimate():
    """SGD with weight decay λ on loss L minimises L + λ/2‖w‖²: for L = ½(w − 1)², w* = 1/(1 + λ)."""
    w = nn.Parameter(torch.zeros(1))
    train(
        lambda b: 0.5 * ((w - b) ** 2).mean(),
        [w],
        torch.ones(4, 1),
        steps=500,
        optimizer="sgd",
        lr=0.1,
        weight_decay=0.5,
        progress=False,
    )
    assert w.item() == pytest.approx(1 / 1.5, abs=1e-5)


def test_same_seed_gives_bit_identical_runs():
    def run():
        seed_everything(3)
        model = nn.Linear(3, 1)
        x = bernoulli_data()
        history = train(lambda b: ((model(b) - 1) ** 2).mean(), model, x, steps=30, batch_size=16, progress=False)
        return history.loss, [p.detach().clone() for p in model.parameters()]

    (loss_a, params_a), (loss_b, params_b) = run(), run()
    assert loss_a == loss_b
    assert all(torch.equal(a, b) for a, b in zip(params_a, params_b, strict=True))


def test_eval_fn_runs_every_n_steps_and_at_the_end():
    w = nn.Parameter(torch.zeros(1))
    history = train(
        lambda b: ((w - b) ** 2).mean(),
        [w],
        torch.ones(4, 1),
        steps=10,
        eval_fn=lambda: w.item(),
        eval_every=4,
        progress=False,
    )
    assert history.eval_step == [4, 8, 10]
    assert len(history.eval) == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"steps": 0}, "steps must be >= 1"),
        ({"steps": 1, "batch_size": 0}, "batch_size must be >= 1"),
        ({"steps": 1, "batch_size": 5}, "batch_size must be <= 4"),
        ({"steps": 1, "optimizer": "rmsprop"}, "optimizer must be one of"),
        ({"steps": 1, "lr": 0.0}, "lr must be a finite number > 0"),
    ],
)
def test_bad_arguments(kwargs, message):
    w = nn.Parameter(torch.zeros(1))
    with pytest.raises(ValueError, match=message):
        train(lambda b: ((w - b) ** 2).mean(), [w], torch.ones(4, 1), progress=False, **kwargs)


def test_empty_data_and_empty_params():
    w = nn.Parameter(torch.zeros(1))
    with pytest.raises(ValueError, match="data is empty"):
        train(lambda b: w.sum(), [w], torch.ones(0, 1), steps=1, progress=False)
    with pytest.raises(ValueError, match="params is empty"):
        train(lambda b: b.sum(), [], torch.ones(2, 1), steps=1, progress=False)


def test_non_finite_loss_is_reported():
    w = nn.Parameter(torch.zeros(1))
    with pytest.raises(ValueError, match="loss became nan at step 1"):
        train(lambda b: w.sum() * float("nan"), [w], torch.ones(2, 1), steps=3, progress=False)


def test_progress_outside_a_terminal_is_four_deterministic_lines(capsys):
    with progress_bar(10, "fit") as bar:
        for _ in range(10):
            bar.set_postfix_str("loss=1", refresh=False)
            bar.update()
    assert capsys.readouterr().out.splitlines() == [
        "fit: |████················|  20% 2/10, loss=1",
        "fit: |██████████··········|  50% 5/10, loss=1",
        "fit: |████████████████····|  80% 8/10, loss=1",
        "fit: |████████████████████| 100% 10/10, loss=1",
    ]


def test_disabled_progress_prints_nothing(capsys):
    w = nn.Parameter(torch.zeros(1))
    train(lambda b: ((w - b) ** 2).mean(), [w], torch.ones(4, 1), steps=5, progress=False)
    assert capsys.readouterr().out == ""


def test_seed_everything_rejects_bad_seed():
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        seed_everything(-1)
