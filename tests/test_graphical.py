"""vae_lib.graphical against torch.distributions, hand-multiplied tables, brute force and a χ² test."""

import itertools

import numpy as np
import pytest
import torch
from scipy import stats
from sklearn.linear_model import LogisticRegression
from torch.distributions import Bernoulli, Categorical, Independent, Normal

from vae_lib.graphical import DirectedGraphicalModel, LookupTable, NeuralConditional, Node, topological_order
from vae_lib.training import train

# The sprinkler network: cloudy → sprinkler, cloudy → rain, (sprinkler, rain) → wet.
SPRINKLER = {
    "cloudy": Node("bernoulli"),
    "sprinkler": Node("bernoulli", parents=("cloudy",)),
    "rain": Node("bernoulli", parents=("cloudy",)),
    "wet": Node("bernoulli", parents=("sprinkler", "rain")),
}
CPT = {  # P(node = 1 | parent configuration), rows in mixed-radix order
    "cloudy": [0.5],
    "sprinkler": [0.5, 0.1],
    "rain": [0.2, 0.8],
    "wet": [0.05, 0.9, 0.9, 0.99],
}


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def sprinkler_tables():
    graph = DirectedGraphicalModel(SPRINKLER, conditional="table")
    for name, probs in CPT.items():
        graph.set_table(name, torch.logit(torch.tensor(probs)))
    return graph


def randomised(nodes, conditional, hidden, seed, scale):
    """A graph whose weights are drawn far from their initialisation (N(0, scale²))."""
    torch.manual_seed(seed)
    graph = DirectedGraphicalModel(nodes, conditional=conditional, hidden=hidden)
    with torch.no_grad():
        for p in graph.parameters():
            p.normal_(0, scale)
    return graph


def mixed_graph(seed=0):
    """Bernoulli, categorical and Gaussian nodes, with a Gaussian parent: only networks can do this."""
    torch.manual_seed(seed)
    nodes = {
        "z": Node("gaussian", dim=2),
        "c": Node("categorical", parents=("z",), n_classes=3),
        "b": Node("bernoulli", parents=("c", "z")),
        "y": Node("gaussian", parents=("b", "c"), dim=3),
    }
    return DirectedGraphicalModel(nodes, conditional="mlp", hidden=[5])


def test_enumerated_joint_equals_the_hand_multiplied_tables():
    graph = sprinkler_tables()
    states, log_p = graph.enumerate()
    for s, (c, sp, r, w) in enumerate(itertools.product([0, 1], repeat=4)):
        assert [states[n][s].item() for n in SPRINKLER] == [c, sp, r, w]

        def bern(p, v):
            return p if v else 1 - p

        expected = (
            bern(CPT["cloudy"][0], c)
            * bern(CPT["sprinkler"][c], sp)
            * bern(CPT["rain"][c], r)
            * bern(CPT["wet"][2 * sp + r], w)
        )
        assert log_p[s].exp().item() == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("conditional", ["table", "mlp"])
def test_enumeration_sums_to_one_for_any_parameters(conditional):
    nodes = {
        "a": Node("categorical", n_classes=3),
        "b": Node("bernoulli", parents=("a",)),
        "c": Node("categorical", parents=("a", "b"), n_classes=4),
        "d": Node("bernoulli", parents=("c",)),
    }
    graph = randomised(nodes, conditional, hidden=[6], seed=1, scale=3.0)  # far from uniform
    states, log_p = graph.enumerate()
    assert log_p.shape == (3 * 2 * 4 * 2,)
    assert abs(torch.logsumexp(log_p.double(), 0).exp().item() - 1) < 1e-6
    torch.testing.assert_close(graph.state_index(states), torch.arange(48))


@pytest.mark.parametrize("conditional", ["table", "mlp"])
def test_log_joint_is_the_sum_of_torch_distributions_log_probs(conditional):
    nodes = {
        "a": Node("categorical", n_classes=3),
        "b": Node("bernoulli", parents=("a",)),
        "g": Node("gaussian", parents=("a", "b"), dim=2),
    }
    graph = randomised(nodes, conditional, hidden=[4], seed=2, scale=1.0)
    x = graph.sample(50, generator=gen(3))
    mean, log_var = graph.eta("g", x).chunk(2, dim=-1)
    expected = (
        Categorical(logits=graph.eta("a", x)).log_prob(x["a"])
        + Bernoulli(logits=graph.eta("b", x)[:, 0]).log_prob(x["b"])
        + Independent(Normal(mean, torch.exp(0.5 * log_var)), 1).log_prob(x["g"])
    )
    torch.testing.assert_close(graph.log_joint(x), expected)


def test_log_joint_with_gaussian_parents_matches_torch_distributions():
    graph = mixed_graph()
    x = graph.sample(40, generator=gen(4))
    terms = []
    for name in ["z", "c", "b", "y"]:
        eta = graph.eta(name, x)
        node = graph.nodes[name]
        if node.family == "gaussian":
            mean, log_var = eta.chunk(2, dim=-1)
            terms.append(Independent(Normal(mean, torch.exp(0.5 * log_var)), 1).log_prob(x[name]))
        elif node.family == "categorical":
            terms.append(Categorical(logits=eta).log_prob(x[name]))
        else:
            terms.append(Bernoulli(logits=eta[:, 0]).log_prob(x[name]))
    torch.testing.assert_close(graph.log_joint(x), sum(terms))
    assert {k: tuple(v.shape) for k, v in x.items()} == {"z": (40, 2), "c": (40,), "b": (40,), "y": (40, 3)}


def test_ancestral_sample_frequencies_pass_a_chi_square_test():
    graph = sprinkler_tables()
    _, log_p = graph.enumerate()
    x = graph.sample(100_000, generator=gen(5))
    counts = torch.bincount(graph.state_index(x), minlength=16).numpy()
    expected = log_p.detach().double().exp().numpy() * 100_000
    expected *= counts.sum() / expected.sum()  # remove float32 rounding of the total
    assert stats.chisquare(counts, expected).pvalue > 0.01


def test_chi_square_detects_a_wrong_sampling_order():
    """The test above can fail: sampling from a different graph is rejected."""
    graph = sprinkler_tables()
    _, log_p = graph.enumerate()
    other = sprinkler_tables()
    other.set_table("wet", torch.logit(torch.tensor([0.05, 0.8, 0.9, 0.99])))
    x = other.sample(100_000, generator=gen(5))
    counts = torch.bincount(graph.state_index(x), minlength=16).numpy()
    expected = log_p.detach().double().exp().numpy()
    assert stats.chisquare(counts, expected * counts.sum() / expected.sum()).pvalue < 1e-6


def test_gaussian_node_samples_have_the_right_moments():
    nodes = {"a": Node("bernoulli"), "g": Node("gaussian", parents=("a",))}
    graph = DirectedGraphicalModel(nodes, conditional="table")
    graph.set_table("a", torch.logit(torch.tensor([0.3])))
    graph.set_table("g", torch.tensor([[-1.0, np.log(0.25)], [2.0, np.log(4.0)]]))
    x = graph.sample(200_000, generator=gen(6))
    g, a = x["g"][:, 0], x["a"]
    assert a.mean().item() == pytest.approx(0.3, abs=0.005)
    assert g[a == 0].mean().item() == pytest.approx(-1.0, abs=0.01)
    assert g[a == 1].std().item() == pytest.approx(2.0, rel=0.01)


def test_probability_table_of_a_network_matches_its_enumerated_conditional():
    torch.manual_seed(7)
    graph = DirectedGraphicalModel(SPRINKLER, conditional="mlp", hidden=[4])
    _, log_p = graph.enumerate()
    joint = log_p.detach().exp().reshape(2, 2, 2, 2)  # cloudy, sprinkler, rain, wet
    wet_given_sr = joint.sum(0) / joint.sum((0, 3))[..., None]  # p(wet | sprinkler, rain) by brute force
    torch.testing.assert_close(graph.probability_table("wet"), wet_given_sr.reshape(4, 2))
    torch.testing.assert_close(graph.probability_table("wet").sum(-1), torch.ones(4))


def test_set_table_round_trips_through_probability_table():
    graph = sprinkler_tables()
    for name, probs in CPT.items():
        p1 = torch.tensor(probs)
        torch.testing.assert_close(graph.probability_table(name), torch.stack([1 - p1, p1], dim=-1))


def fit_by_maximum_likelihood(model, x, names, steps, lr):
    """Full-batch gradient ascent on the mean log-joint of the columns ``names`` of ``x``."""
    train(
        lambda *cols: -model.log_joint(dict(zip(names, cols, strict=True))).mean(),
        model,
        tuple(x[n] for n in names),
        steps=steps,
        lr=lr,
        progress=False,
    )


def test_maximum_likelihood_tables_equal_the_empirical_frequencies():
    """ML for a table CPT has a closed form: the conditional frequencies in the data."""
    truth = sprinkler_tables()
    x = truth.sample(2_000, generator=gen(8))
    model = DirectedGraphicalModel(SPRINKLER, conditional="table")
    names = list(SPRINKLER)
    fit_by_maximum_likelihood(model, x, names, steps=1500, lr=0.1)
    s, r, w = x["sprinkler"].long(), x["rain"].long(), x["wet"]
    config = 2 * s + r
    freq = torch.stack([w[config == k].mean() for k in range(4)])
    torch.testing.assert_close(model.probability_table("wet")[:, 1], freq, atol=2e-3, rtol=0)


def test_a_network_without_hidden_layer_is_logistic_regression_on_the_parents():
    """hidden=[] is the traditional linear conditional: its ML fit is scikit-learn's unpenalised logistic regression."""
    x = sprinkler_tables().sample(2_000, generator=gen(11))
    names = ["sprinkler", "rain", "wet"]
    nodes = {
        "sprinkler": Node("bernoulli"),
        "rain": Node("bernoulli"),
        "wet": Node("bernoulli", parents=("sprinkler", "rain")),
    }
    torch.manual_seed(0)
    model = DirectedGraphicalModel(nodes, conditional="mlp", hidden=[])
    fit_by_maximum_likelihood(model, x, names, steps=400, lr=0.3)
    features = torch.stack([x["sprinkler"], x["rain"]], dim=1).numpy()
    oracle = LogisticRegression(C=np.inf, tol=1e-10, max_iter=10_000).fit(features, x["wet"].numpy())
    linear = model.conditionals["wet"].net[0]
    np.testing.assert_allclose(linear.weight.detach().numpy()[0], oracle.coef_[0], atol=2e-3)
    np.testing.assert_allclose(linear.bias.detach().numpy(), oracle.intercept_, atol=2e-3)
    # and the fitted conditional is the oracle's predicted probability at every parent configuration
    grid = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_allclose(
        model.probability_table("wet")[:, 1].numpy(), oracle.predict_proba(grid)[:, 1], atol=1e-4
    )


def test_lookup_table_indexes_rows_in_mixed_radix_order():
    table = LookupTable([2, 3], eta_dim=1)
    with torch.no_grad():
        table.table.copy_(torch.arange(6.0)[:, None])
    a, b = torch.tensor([0, 0, 1, 1]), torch.tensor([0, 2, 0, 2])
    assert table([a, b], 4)[:, 0].tolist() == [0.0, 2.0, 3.0, 5.0]


def test_neural_conditional_one_hot_encodes_categorical_parents():
    torch.manual_seed(9)
    cond = NeuralConditional([Node("categorical", n_classes=3)], eta_dim=2, hidden=[])
    linear = cond.net[0]
    out = cond([torch.tensor([0, 2])], 2)
    torch.testing.assert_close(out, (linear.weight[:, [0, 2]] + linear.bias[:, None]).T)


def test_topological_order_puts_parents_first_and_is_deterministic():
    parents = {"d": ["b", "c"], "c": ["a"], "b": ["a"], "a": []}
    order = topological_order(parents)
    assert order == ["a", "c", "b", "d"]
    for child, pa in parents.items():
        assert all(order.index(p) < order.index(child) for p in pa)


@pytest.mark.parametrize(
    ("nodes", "message"),
    [
        ({"a": Node("bernoulli", parents=("b",)), "b": Node("bernoulli", parents=("a",))}, "the graph has a cycle"),
        ({"a": Node("bernoulli", parents=("a",))}, "the graph has a cycle"),
        (
            {
                "a": Node("bernoulli"),
                "b": Node("bernoulli", parents=("a", "c")),
                "c": Node("bernoulli", parents=("b",)),
            },
            r"the graph has a cycle: nodes \['b', 'c'\]",
        ),
        ({"a": Node("bernoulli", parents=("z",))}, "node 'a' has parent 'z', which is not a node of the graph"),
        ({}, "nodes is empty"),
        ({"a.b": Node("bernoulli")}, "node names must be non-empty strings without '.'"),
        ({"a": "bernoulli"}, r"nodes\['a'\] must be a Node, got str"),
    ],
)
def test_bad_graphs_are_rejected(nodes, message):
    with pytest.raises(ValueError, match=message):
        DirectedGraphicalModel(nodes)


def test_table_over_a_gaussian_parent_is_rejected():
    nodes = {"g": Node("gaussian"), "b": Node("bernoulli", parents=("g",))}
    with pytest.raises(ValueError, match="a lookup table needs discrete parents; node 'b' has gaussian parent 'g'"):
        DirectedGraphicalModel(nodes, conditional="table")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"family": "poisson"}, "family must be one of"),
        ({"family": "categorical"}, "a categorical node needs n_classes"),
        ({"family": "categorical", "n_classes": 1}, "n_classes must be >= 2"),
        ({"family": "bernoulli", "n_classes": 3}, "n_classes applies to categorical nodes only"),
        ({"family": "bernoulli", "dim": 2}, "dim applies to gaussian nodes only"),
        ({"family": "gaussian", "dim": 0}, "dim must be >= 1"),
        ({"family": "bernoulli", "parents": "ab"}, "parents must be a sequence of names"),
        ({"family": "bernoulli", "parents": ("a", "a")}, "parents lists a name twice"),
    ],
)
def test_bad_nodes_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Node(**kwargs)


def test_bad_values_are_rejected():
    graph = sprinkler_tables()
    good = graph.sample(3, generator=gen(10))
    with pytest.raises(ValueError, match="x is missing a value for node 'wet'"):
        graph.log_joint({k: v for k, v in good.items() if k != "wet"})
    with pytest.raises(ValueError, match="same number of rows"):
        graph.log_joint({**good, "wet": torch.ones(4)})
    with pytest.raises(ValueError, match=r"x\['rain'\] must be binary"):
        graph.log_joint({**good, "rain": torch.tensor([0.0, 2.0, 1.0])})
    with pytest.raises(ValueError, match=r"x\['cloudy'\] must have shape \(3,\) for a bernoulli node, got \(3, 1\)"):
        graph.log_joint({**good, "cloudy": torch.ones(3, 1)})
    with pytest.raises(ValueError, match="'fog' is not a node of the graph"):
        graph.eta("fog", good)
    cat = DirectedGraphicalModel({"c": Node("categorical", n_classes=3)})
    with pytest.raises(ValueError, match=r"x\['c'\] must hold integer class labels in 0..2"):
        cat.log_joint({"c": torch.tensor([0, 3])})


def test_bad_calls_are_rejected():
    graph = sprinkler_tables()
    with pytest.raises(ValueError, match="only all-discrete graphs have finitely many states; node 'z' is gaussian"):
        mixed_graph().enumerate()
    with pytest.raises(ValueError, match="the graph has 16 states, more than max_states=8"):
        graph.enumerate(max_states=8)
    with pytest.raises(ValueError, match=r"eta for node 'wet' must have shape \(4, 1\), got \(2, 1\)"):
        graph.set_table("wet", torch.zeros(2))
    with pytest.raises(ValueError, match="eta for node 'wet' must be finite"):
        graph.set_table("wet", torch.logit(torch.tensor([0.0, 0.5, 0.5, 1.0])))
    with pytest.raises(ValueError, match="node 'c' is parameterised by a network, not a lookup table"):
        mixed_graph().set_table("c", torch.zeros(1, 3))
    with pytest.raises(ValueError, match="probability_table needs a discrete node; 'y' is gaussian"):
        mixed_graph().probability_table("y")
    with pytest.raises(ValueError, match="probability_table needs discrete parents; 'c' has a gaussian parent"):
        mixed_graph().probability_table("c")
    with pytest.raises(ValueError, match="n must be >= 1"):
        graph.sample(0)
