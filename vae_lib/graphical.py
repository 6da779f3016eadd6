r"""Directed graphical models whose conditionals are lookup tables or neural networks.

A directed graphical model (Bayesian network) over variables
:math:`\mathbf{x}_1,\dots,\mathbf{x}_M` factorises its joint over a DAG, (1.6):

.. math:: p_\theta(\mathbf{x}_1,\dots,\mathbf{x}_M) = \prod_{j=1}^M p_\theta(\mathbf{x}_j \mid Pa(\mathbf{x}_j)).

Each factor is a simple distribution (Bernoulli, categorical or Gaussian) whose
parameters :math:`\boldsymbol\eta` are computed from the parents' values, (1.7)–(1.8):
by a :class:`LookupTable` (one row of :math:`\boldsymbol\eta` per configuration of
discrete parents, the traditional choice) or by a :class:`NeuralConditional`,
:math:`\boldsymbol\eta = \text{NeuralNet}(Pa(\mathbf{x}))`.

Values of a graph are passed as a dict ``{name: tensor}`` with one row per
data point: Bernoulli values float 0/1 of shape ``(N,)``, categorical labels
(integers) of shape ``(N,)``, Gaussian values of shape ``(N, dim)``.

Example:
    >>> graph = DirectedGraphicalModel({"rain": Node("bernoulli"), "wet": Node("bernoulli", parents=("rain",))})
    >>> states, log_p = graph.enumerate()
    >>> round(torch.logsumexp(log_p, 0).exp().item(), 6)
    1.0
"""

from __future__ import annotations

import graphlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from vae_lib.checks import as_float_tensor, as_tensor, check_binary, check_positive_int, generator_device, randn
from vae_lib.likelihood import bernoulli_log_prob, categorical_log_prob, gaussian_diag_log_prob
from vae_lib.models import MLP

FAMILIES = ("bernoulli", "categorical", "gaussian")


@dataclass(frozen=True)
class Node:
    r"""One variable of a graph: its distribution family, its parents and its size.

    Args:
        family: ``"bernoulli"`` (binary, :math:`\eta` = one logit), ``"categorical"``
            (:math:`\eta` = ``n_classes`` logits) or ``"gaussian"`` (:math:`\eta` =
            mean and log-variance of a ``dim``-dimensional diagonal Gaussian).
        parents: names of the parent variables :math:`Pa(\mathbf{x}_j)` of (1.6).
        n_classes: number of classes (categorical only).
        dim: dimension of the variable (Gaussian only).

    Example:
        >>> Node("categorical", parents=["a"], n_classes=3).eta_dim
        3
    """

    family: str
    parents: tuple[str, ...] = ()
    n_classes: int | None = None
    dim: int = 1

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"family must be one of {FAMILIES}, got {self.family!r}")
        if isinstance(self.parents, str):
            raise ValueError(
                f"parents must be a sequence of names, got the string {self.parents!r}; use ({self.parents!r},)"
            )
        object.__setattr__(self, "parents", tuple(self.parents))
        if len(set(self.parents)) != len(self.parents):
            raise ValueError(f"parents lists a name twice: {list(self.parents)}")
        if self.family == "categorical":
            if self.n_classes is None:
                raise ValueError("a categorical node needs n_classes")
            check_positive_int(self.n_classes, "n_classes")
            if self.n_classes < 2:
                raise ValueError(f"n_classes must be >= 2, got {self.n_classes}")
        elif self.n_classes is not None:
            raise ValueError(f"n_classes applies to categorical nodes only, not to a {self.family} node")
        check_positive_int(self.dim, "dim")
        if self.family != "gaussian" and self.dim != 1:
            raise ValueError(f"dim applies to gaussian nodes only, not to a {self.family} node")

    @property
    def cardinality(self) -> int | None:
        """Number of values of a discrete node (2 for Bernoulli); ``None`` for a Gaussian."""
        return {"bernoulli": 2, "categorical": self.n_classes}.get(self.family)

    @property
    def eta_dim(self) -> int:
        r"""Length of the parameter vector :math:`\boldsymbol\eta` of (1.7)."""
        return {"bernoulli": 1, "categorical": self.n_classes, "gaussian": 2 * self.dim}[self.family]

    @property
    def feature_dim(self) -> int:
        """Width of this variable as a network input (one-hot for categorical)."""
        return {"bernoulli": 1, "categorical": self.n_classes, "gaussian": self.dim}[self.family]


def topological_order(parents: Mapping[str, Sequence[str]]) -> list[str]:
    """Order the nodes so that every parent precedes its children (the standard library's ``graphlib``).

    The nodes become ready in rounds (first the roots, then the nodes whose
    parents are all placed, …); within a round they keep their declaration order,
    so the result is deterministic.

    Raises:
        ValueError: if a node names a parent that is not a node, or the graph has a cycle.

    Example:
        >>> topological_order({"c": ["a", "b"], "a": [], "b": ["a"]})
        ['a', 'b', 'c']
    """
    for name, pa in parents.items():
        unknown = [p for p in pa if p not in parents]
        if unknown:
            raise ValueError(f"node {name!r} has parent {unknown[0]!r}, which is not a node of the graph")
    sorter = graphlib.TopologicalSorter(parents)
    try:
        sorter.prepare()
    except graphlib.CycleError as err:
        raise ValueError(
            f"the graph has a cycle: nodes {sorted(set(err.args[1]))} are on it or below it; "
            "a directed graphical model needs a DAG"
        ) from err
    declared = {name: i for i, name in enumerate(parents)}
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=declared.__getitem__)
        order.extend(ready)
        sorter.done(*ready)
    return order


def _strides(cardinalities: Sequence[int]) -> Tensor:
    """Mixed-radix place values: the first entry is the most significant digit."""
    strides = [math.prod(cardinalities[i + 1 :]) for i in range(len(cardinalities))]
    return torch.tensor(strides, dtype=torch.long)


def _check_parent_count(parents: Sequence[Tensor], expected: int) -> None:
    if len(parents) != expected:
        raise ValueError(f"expected values for {expected} parents, got {len(parents)}")


class LookupTable(nn.Module):
    r"""A conditional stored as a table: one row of :math:`\boldsymbol\eta` per configuration of discrete parents.

    The traditional parameterisation of :math:`p_\theta(\mathbf{x}_j\mid Pa(\mathbf{x}_j))`
    in (1.6) (section 1.5). Rows are ordered by the parents' values as a mixed-radix
    number, the first parent the most significant digit: for two binary parents,
    rows are :math:`(0,0), (0,1), (1,0), (1,1)`. A root node has a single row.
    The table grows as the product of the parents' cardinalities.

    Args:
        cardinalities: number of values of each parent, in parent order.
        eta_dim: length of :math:`\boldsymbol\eta`.

    Example:
        >>> table = LookupTable([2, 3], eta_dim=1)
        >>> table.table.shape, table([torch.tensor([1]), torch.tensor([2])], 1).shape
        (torch.Size([6, 1]), torch.Size([1, 1]))
    """

    def __init__(self, cardinalities: Sequence[int], eta_dim: int) -> None:
        super().__init__()
        for c in cardinalities:
            check_positive_int(c, "every parent cardinality")
        check_positive_int(eta_dim, "eta_dim")
        self.cardinalities = list(cardinalities)
        self.register_buffer("strides", _strides(self.cardinalities), persistent=False)
        self.table = nn.Parameter(torch.zeros(math.prod(cardinalities), eta_dim))

    def forward(self, parents: Sequence[Tensor], n: int) -> Tensor:
        r""":math:`\boldsymbol\eta` for ``n`` data points, shape ``(n, eta_dim)``, from the parents' integer values."""
        _check_parent_count(parents, len(self.cardinalities))
        index = torch.zeros(n, dtype=torch.long, device=self.table.device)
        for k, (value, card, stride) in enumerate(zip(parents, self.cardinalities, self.strides, strict=True)):
            value = value.long()
            if value.numel() and (value.min() < 0 or value.max() >= card):
                raise ValueError(
                    f"parent {k} takes values 0..{card - 1}, found {value[(value < 0) | (value >= card)][0].item()}"
                )
            index = index + value * stride
        return self.table[index]


class NeuralConditional(nn.Module):
    r"""A conditional computed by a network, :math:`\boldsymbol\eta = \text{NeuralNet}(Pa(\mathbf{x}))`.

    Implements (1.7): the parents' values (categorical ones one-hot encoded) are
    concatenated and fed to an :class:`~vae_lib.models.MLP` that outputs
    :math:`\boldsymbol\eta`. A root node has no inputs, so its
    :math:`\boldsymbol\eta` is a learned constant vector. With ``hidden=[]`` the
    network is one linear layer, :math:`\boldsymbol\eta = \mathbf{b} + \mathbf{W}\,Pa(\mathbf{x})`:
    the traditional *linear model* of a conditional (section 1.5), for a Bernoulli
    node logistic regression on the parents.

    Args:
        parents: the parent :class:`Node` objects, in parent order.
        eta_dim: length of :math:`\boldsymbol\eta`.
        hidden: hidden-layer widths of the network.

    Example:
        >>> cond = NeuralConditional([Node("bernoulli"), Node("gaussian", dim=2)], eta_dim=1, hidden=[4])
        >>> cond([torch.ones(5), torch.zeros(5, 2)], 5).shape
        torch.Size([5, 1])
        >>> NeuralConditional([Node("bernoulli"), Node("bernoulli")], eta_dim=1, hidden=[]).net  # a linear model
        MLP(
          (0): Linear(in_features=2, out_features=1, bias=True)
        )
    """

    def __init__(self, parents: Sequence[Node], eta_dim: int, hidden: Sequence[int] = (8,)) -> None:
        super().__init__()
        check_positive_int(eta_dim, "eta_dim")
        self.parent_nodes = list(parents)
        self.eta_dim = eta_dim
        if self.parent_nodes:
            self.net: MLP | None = MLP([sum(p.feature_dim for p in self.parent_nodes), *hidden, eta_dim])
        else:
            self.net = None
            self.bias = nn.Parameter(torch.zeros(eta_dim))

    def forward(self, parents: Sequence[Tensor], n: int) -> Tensor:
        r""":math:`\boldsymbol\eta` for ``n`` data points, shape ``(n, eta_dim)``."""
        _check_parent_count(parents, len(self.parent_nodes))
        if self.net is None:
            return self.bias.expand(n, self.eta_dim)
        dtype = self.net[0].weight.dtype
        features = [
            F.one_hot(value.long(), node.n_classes).to(dtype)
            if node.family == "categorical"
            else value.to(dtype).reshape(n, node.feature_dim)
            for node, value in zip(self.parent_nodes, parents, strict=True)
        ]
        return self.net(torch.cat(features, dim=-1))


class DirectedGraphicalModel(nn.Module):
    r"""A directed graphical model :math:`p_\theta(\mathbf{x}_1,\dots,\mathbf{x}_M) = \prod_j p_\theta(\mathbf{x}_j\mid Pa(\mathbf{x}_j))`.

    Implements (1.6) with every conditional parameterised as in (1.7)–(1.8):
    :math:`\boldsymbol\eta_j` = a lookup table or a network of the parents, and
    :math:`p_\theta(\mathbf{x}_j\mid Pa(\mathbf{x}_j)) = p(\mathbf{x}_j\mid\boldsymbol\eta_j)`.

    Args:
        nodes: ``{name: Node}``, in any order (a topological order is computed).
        conditional: ``"mlp"`` (:class:`NeuralConditional`) or ``"table"``
            (:class:`LookupTable`, needs discrete parents). Tables start at
            :math:`\boldsymbol\eta = 0` (uniform for discrete nodes); networks
            start at PyTorch's random initialisation.
        hidden: hidden-layer widths of every node's network (``"mlp"`` only); ``[]``
            gives linear conditionals (logistic regression for Bernoulli nodes).

    Raises:
        ValueError: for an unknown parent, a cycle, a bad name, or a table over a
            Gaussian parent.

    Example:
        >>> nodes = {"b": Node("bernoulli", parents=("a",)), "a": Node("categorical", n_classes=3)}
        >>> graph = DirectedGraphicalModel(nodes, conditional="table")
        >>> graph.order
        ['a', 'b']
        >>> x = graph.sample(4, generator=torch.Generator().manual_seed(0))
        >>> graph.log_joint(x).shape
        torch.Size([4])
    """

    def __init__(self, nodes: Mapping[str, Node], conditional: str = "mlp", hidden: Sequence[int] = (8,)) -> None:
        super().__init__()
        if not nodes:
            raise ValueError("nodes is empty; a graph needs at least one node")
        for name, node in nodes.items():
            if not isinstance(name, str) or not name or "." in name:
                raise ValueError(f"node names must be non-empty strings without '.', got {name!r}")
            if not isinstance(node, Node):
                raise ValueError(f"nodes[{name!r}] must be a Node, got {type(node).__name__}")
        if conditional not in ("mlp", "table"):
            raise ValueError(f"conditional must be 'mlp' or 'table', got {conditional!r}")
        self.order = topological_order({name: node.parents for name, node in nodes.items()})
        self.nodes = dict(nodes)
        self.names = list(nodes)
        modules: dict[str, nn.Module] = {}
        for name in self.order:
            parents = [self.nodes[p] for p in self.nodes[name].parents]
            if conditional == "table":
                continuous = [p for p in self.nodes[name].parents if self.nodes[p].cardinality is None]
                if continuous:
                    raise ValueError(
                        f"a lookup table needs discrete parents; node {name!r} has gaussian parent {continuous[0]!r}"
                    )
                modules[name] = LookupTable([p.cardinality for p in parents], self.nodes[name].eta_dim)
            else:
                modules[name] = NeuralConditional(parents, self.nodes[name].eta_dim, hidden)
        self.conditionals = nn.ModuleDict(modules)

    def _node(self, name: str) -> Node:
        if name not in self.nodes:
            raise ValueError(f"{name!r} is not a node of the graph; nodes are {self.names}")
        return self.nodes[name]

    def _rows(self, x: Mapping[str, Tensor], names: Sequence[str]) -> int:
        missing = [name for name in names if name not in x]
        if missing:
            raise ValueError(f"x is missing a value for node {missing[0]!r}")
        rows = {name: torch.as_tensor(x[name]).shape[0] if torch.as_tensor(x[name]).dim() else None for name in names}
        if None in rows.values() or len(set(rows.values())) > 1:
            raise ValueError(f"every value in x needs the same number of rows (first dimension), got {rows}")
        return next(iter(rows.values()), 1)

    def _parameter(self) -> Tensor:
        """The tensor whose dtype and device the graph's values must share (its first parameter)."""
        return next(self.parameters())

    def _check_value(self, name: str, value: Tensor, n: int) -> Tensor:
        node = self.nodes[name]
        if node.family == "categorical":
            value = as_tensor(value, f"x[{name!r}]", like=self._parameter())
        else:
            value = as_float_tensor(value, f"x[{name!r}]", like=self._parameter())
        shape = (n, node.dim) if node.family == "gaussian" else (n,)
        if tuple(value.shape) != shape:
            raise ValueError(f"x[{name!r}] must have shape {shape} for a {node.family} node, got {tuple(value.shape)}")
        if node.family == "bernoulli":
            check_binary(value, f"x[{name!r}]")
        elif node.family == "categorical" and not (
            torch.equal(value, value.round()) and ((value >= 0) & (value < node.n_classes)).all()
        ):
            raise ValueError(f"x[{name!r}] must hold integer class labels in 0..{node.n_classes - 1}")
        return value

    def _decode(self, index: Tensor, names: Sequence[str]) -> dict[str, Tensor]:
        """Values of the discrete nodes ``names`` at each mixed-radix configuration ``index``."""
        cards = [self.nodes[name].cardinality for name in names]
        values = {}
        for name, card, stride in zip(names, cards, _strides(cards).tolist(), strict=True):
            value = (index // stride) % card
            values[name] = value.to(self._parameter().dtype) if self.nodes[name].family == "bernoulli" else value
        return values

    def _eta(self, name: str, x: Mapping[str, Tensor], n: int) -> Tensor:
        parents = [self._check_value(p, x[p], n) for p in self.nodes[name].parents]
        return self.conditionals[name](parents, n)

    def eta(self, name: str, x: Mapping[str, Tensor]) -> Tensor:
        r""":math:`\boldsymbol\eta` of node ``name`` given its parents' values in ``x`` (1.7); shape ``(N, eta_dim)``.

        A root node's :math:`\boldsymbol\eta` is repeated for every row of ``x`` (one row if ``x`` is empty).

        Example:
            >>> graph = DirectedGraphicalModel({"a": Node("bernoulli"), "b": Node("bernoulli", parents=("a",))}, "table")
            >>> graph.eta("b", {"a": torch.tensor([0.0, 1.0])}).shape
            torch.Size([2, 1])
        """
        node = self._node(name)
        n = self._rows(x, node.parents or list(x))
        return self._eta(name, x, n)

    def node_log_prob(self, name: str, x: Mapping[str, Tensor]) -> Tensor:
        r""":math:`\log p_\theta(\mathbf{x}_j\mid Pa(\mathbf{x}_j))` of one node, (1.8); shape ``(N,)``.

        Example:
            >>> graph = DirectedGraphicalModel({"a": Node("bernoulli"), "b": Node("bernoulli", parents=("a",))}, "table")
            >>> graph.node_log_prob("b", {"a": torch.tensor([1.0]), "b": torch.tensor([0.0])}).tolist()
            [-0.6931471824645996]
        """
        node = self._node(name)
        n = self._rows(x, (*node.parents, name))
        value = self._check_value(name, x[name], n)
        eta = self._eta(name, x, n)
        if node.family == "bernoulli":
            return bernoulli_log_prob(value, eta[:, 0], event_dims=0)
        if node.family == "categorical":
            return categorical_log_prob(value, eta)
        mean, log_var = eta.chunk(2, dim=-1)
        return gaussian_diag_log_prob(value, mean, log_var)

    def log_joint(self, x: Mapping[str, Tensor]) -> Tensor:
        r""":math:`\log p_\theta(\mathbf{x}_1,\dots,\mathbf{x}_M) = \sum_j \log p_\theta(\mathbf{x}_j\mid Pa(\mathbf{x}_j))`, (1.6); shape ``(N,)``.

        Example:
            >>> graph = DirectedGraphicalModel({"a": Node("bernoulli"), "b": Node("bernoulli", parents=("a",))}, "table")
            >>> graph.log_joint({"a": torch.tensor([1.0]), "b": torch.tensor([0.0])}).tolist()
            [-1.3862943649291992]
        """
        self._rows(x, self.names)
        return torch.stack([self.node_log_prob(name, x) for name in self.order]).sum(0)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> dict[str, Tensor]:
        """``n`` joint samples by ancestral sampling: each node drawn after its parents, in topological order.

        Returns ``{name: values}`` in the value layout of the module docstring.

        Example:
            >>> graph = DirectedGraphicalModel({"a": Node("bernoulli"), "b": Node("gaussian", parents=("a",), dim=2)})
            >>> {name: v.shape for name, v in graph.sample(5, torch.Generator().manual_seed(0)).items()}
            {'a': torch.Size([5]), 'b': torch.Size([5, 2])}
        """
        check_positive_int(n, "n")
        x: dict[str, Tensor] = {}
        device = self._parameter().device
        draw_on = generator_device(generator, device)
        for name in self.order:
            node, eta = self.nodes[name], self._eta(name, x, n)
            if node.family == "bernoulli":
                x[name] = torch.bernoulli(torch.sigmoid(eta[:, 0]).to(draw_on), generator=generator).to(device)
            elif node.family == "categorical":
                probs = torch.softmax(eta, dim=-1).to(draw_on)
                x[name] = torch.multinomial(probs, 1, generator=generator).squeeze(-1).to(device)
            else:
                mean, log_var = eta.chunk(2, dim=-1)
                x[name] = mean + torch.exp(0.5 * log_var) * randn(mean.shape, mean, generator)
        return {name: x[name] for name in self.names}

    def _cardinalities(self) -> list[int]:
        continuous = [name for name in self.names if self.nodes[name].cardinality is None]
        if continuous:
            raise ValueError(f"only all-discrete graphs have finitely many states; node {continuous[0]!r} is gaussian")
        return [self.nodes[name].cardinality for name in self.names]

    def state_index(self, x: Mapping[str, Tensor]) -> Tensor:
        """Index of each row's joint configuration in the order of :meth:`enumerate`; shape ``(N,)``.

        The nodes' values, in declaration order, read as one mixed-radix number
        (the first node the most significant digit).

        Example:
            >>> graph = DirectedGraphicalModel({"a": Node("bernoulli"), "b": Node("categorical", n_classes=3)})
            >>> graph.state_index({"a": torch.tensor([0.0, 1.0]), "b": torch.tensor([2, 1])}).tolist()
            [2, 4]
        """
        strides = _strides(self._cardinalities()).tolist()
        n = self._rows(x, self.names)
        index = torch.zeros(n, dtype=torch.long, device=self._parameter().device)
        for name, stride in zip(self.names, strides, strict=True):
            index = index + self._check_value(name, x[name], n).long() * stride
        return index

    def enumerate(self, max_states: int = 2**20) -> tuple[dict[str, Tensor], Tensor]:
        r"""Every joint configuration of an all-discrete graph and its exact log-probability (1.6).

        Returns ``(states, log_p)``: ``states[name]`` holds the node's value in each of
        the :math:`S = \prod_j |\mathcal{X}_j|` configurations (ordered as in
        :meth:`state_index`), and ``log_p`` of shape ``(S,)`` their log-joint. Because
        every factor is normalised, ``log_p.exp().sum()`` is 1 for any parameters.

        Raises:
            ValueError: if a node is Gaussian or :math:`S` exceeds ``max_states``.

        Example:
            >>> graph = DirectedGraphicalModel({"a": Node("bernoulli"), "b": Node("bernoulli", parents=("a",))}, "table")
            >>> states, log_p = graph.enumerate()
            >>> states["a"].tolist(), states["b"].tolist(), log_p.exp().tolist()
            ([0.0, 0.0, 1.0, 1.0], [0.0, 1.0, 0.0, 1.0], [0.25, 0.25, 0.25, 0.25])
        """
        cards = self._cardinalities()
        n_states = math.prod(cards)
        if n_states > max_states:
            raise ValueError(f"the graph has {n_states} states, more than max_states={max_states}")
        states = self._decode(torch.arange(n_states, device=self._parameter().device), self.names)
        return states, self.log_joint(states)

    def probability_table(self, name: str) -> Tensor:
        r"""The conditional :math:`p_\theta(\mathbf{x}_j\mid Pa(\mathbf{x}_j))` of a discrete node as a table.

        Evaluates the node's conditional (table or network) at every configuration
        of its discrete parents. Returns shape ``(n_parent_configurations, K)``:
        row :math:`r` holds the probabilities of the node's :math:`K` values (for a
        Bernoulli, :math:`[p(0), p(1)]`), rows ordered as in :class:`LookupTable`.

        Example:
            >>> graph = DirectedGraphicalModel({"a": Node("bernoulli"), "b": Node("bernoulli", parents=("a",))}, "table")
            >>> graph.set_table("b", torch.logit(torch.tensor([0.1, 0.8])))
            >>> graph.probability_table("b")
            tensor([[0.9000, 0.1000],
                    [0.2000, 0.8000]])
        """
        node = self._node(name)
        if node.cardinality is None:
            raise ValueError(f"probability_table needs a discrete node; {name!r} is gaussian")
        parents = [self.nodes[p] for p in node.parents]
        if any(p.cardinality is None for p in parents):
            raise ValueError(f"probability_table needs discrete parents; {name!r} has a gaussian parent")
        n_rows = math.prod(p.cardinality for p in parents)
        with torch.no_grad():
            eta = self._eta(
                name, self._decode(torch.arange(n_rows, device=self._parameter().device), node.parents), n_rows
            )
        if node.family == "bernoulli":
            return torch.sigmoid(torch.cat([-eta, eta], dim=-1))
        return torch.softmax(eta, dim=-1)

    def set_table(self, name: str, eta: Tensor) -> None:
        r"""Overwrite the lookup table of node ``name`` with ``eta``, one row per parent configuration.

        ``eta`` has shape ``(n_parent_configurations, eta_dim)`` (or ``(n,)`` when
        ``eta_dim`` is 1): logits for a Bernoulli (``torch.logit(p)``), class logits
        (e.g. ``log p``) for a categorical, ``[mean, log_var]`` for a Gaussian.

        Example:
            >>> graph = DirectedGraphicalModel({"a": Node("bernoulli")}, conditional="table")
            >>> graph.set_table("a", torch.logit(torch.tensor([0.3])))
            >>> round(graph.log_joint({"a": torch.tensor([1.0])}).exp().item(), 4)
            0.3
        """
        self._node(name)
        table = self.conditionals[name]
        if not isinstance(table, LookupTable):
            raise ValueError(f"node {name!r} is parameterised by a network, not a lookup table")
        eta = as_float_tensor(eta, "eta").to(table.table)  # copied into the table, as Tensor.copy_ would
        eta = eta.unsqueeze(-1) if eta.dim() == 1 and table.table.shape[1] == 1 else eta
        if eta.shape != table.table.shape:
            raise ValueError(
                f"eta for node {name!r} must have shape {tuple(table.table.shape)}, got {tuple(eta.shape)}"
            )
        if not torch.isfinite(eta).all():
            raise ValueError(f"eta for node {name!r} must be finite (use probabilities strictly between 0 and 1)")
        with torch.no_grad():
            table.table.copy_(eta)
