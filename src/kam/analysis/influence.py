"""Influence paths: how our team can reach a stakeholder (analyses.md §6).

The graph is directed. Its nodes are our team members and the account's
stakeholders; its edges, each with a probability ``p``:

- member → stakeholder for each touchpoint (``kind`` ``touchpoint``);
- stakeholder → manager and manager → stakeholder for each reports-to line, counted
  as strength 2 (``reports_to`` and ``manages``);
- from → to for each dotted line (``influence``); a negative one is left out.

``p`` comes from the strength (3 → 0.9, 2 → 0.6, 1 → 0.3) and is halved once when
either end is a stakeholder with attitude < 0. Where two edges join the same pair,
the one with the higher ``p`` counts. A path starts at a team member and has at most
``max_edges`` edges; its probability is the product of its ``p``.

:func:`influence_paths` finds the best paths to a target exactly, best first: an
A* search whose estimate for a partial path is its product times the best product
any walk of the remaining length could still reach the target with. That estimate
never undershoots, so complete paths come out in order of probability and the
search stops after the ``k``-th.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import networkx as nx

__all__ = [
    "MEMBER",
    "P_BY_STRENGTH",
    "STAKEHOLDER",
    "InfluencePath",
    "Node",
    "influence_graph",
    "influence_paths",
]

#: Probability that a contact carries a message, by strength 1–3.
P_BY_STRENGTH: dict[int, float] = {3: 0.9, 2: 0.6, 1: 0.3}
#: Strength a reports-to line counts as.
REPORTS_TO_STRENGTH = 2
_TIE = 1e-12

#: Node kinds: the same id may name a team member and a stakeholder.
MEMBER = "member"
STAKEHOLDER = "stakeholder"

#: A graph node: (kind, id).
Node = tuple[str, str]


@dataclass(frozen=True)
class InfluencePath:
    """One path from a team member to a target.

    ``nodes``: the ids from the team member to the target; ``edges``: the ``p`` of
    each step; ``weakest``: the index in ``edges`` of the step with the lowest ``p``
    (the first one on a tie).
    """

    nodes: tuple[str, ...]
    edges: tuple[float, ...]
    kinds: tuple[str, ...]

    @property
    def probability(self) -> float:
        """The product of the steps' ``p``."""
        product = 1.0
        for p in self.edges:
            product *= p
        return product

    @property
    def weakest(self) -> int:
        """Index of the weakest step."""
        return min(range(len(self.edges)), key=lambda i: (self.edges[i], i))

    @property
    def weakest_link(self) -> tuple[str, str]:
        """The ids at both ends of the weakest step."""
        i = self.weakest
        return self.nodes[i], self.nodes[i + 1]


def _add(graph: nx.DiGraph, a: Node, b: Node, p: float, kind: str) -> None:
    if a == b:
        return
    current = graph.get_edge_data(a, b)
    # The stronger of two edges joining the same pair counts; on equal p the first
    # one added keeps its kind, so the outcome does not depend on row order within
    # a kind (touchpoints, then reports-to, then dotted lines).
    if current is None or p > current["p"]:
        graph.add_edge(a, b, p=p, kind=kind)


def influence_graph(
    attitudes: Mapping[str, int],
    managers: Mapping[str, str | None],
    influences: Iterable[tuple[str, str, int, str]],
    touchpoints: Iterable[tuple[str, str, int]],
) -> nx.DiGraph:
    """The influence graph of one account.

    ``attitudes``: stakeholder id → attitude (−2…+2), every stakeholder of the map;
    ``managers``: stakeholder id → the id they report to (or ``None``);
    ``influences``: (from, to, strength, sentiment); ``touchpoints``: (member,
    stakeholder, strength). Ids must be known stakeholders (validated before).
    Nodes are (kind, id) pairs, edges carry ``p`` and ``kind``.
    """
    graph = nx.DiGraph()
    graph.add_nodes_from((STAKEHOLDER, s) for s in attitudes)

    def p_of(strength: int, *ends: Node) -> float:
        p = P_BY_STRENGTH[strength]
        hostile = any(k == STAKEHOLDER and attitudes[i] < 0 for k, i in ends)
        return p / 2 if hostile else p

    for member, stakeholder, strength in touchpoints:
        a, b = (MEMBER, member), (STAKEHOLDER, stakeholder)
        _add(graph, a, b, p_of(strength, a, b), "touchpoint")
    for stakeholder, manager in managers.items():
        if manager is None:
            continue
        a, b = (STAKEHOLDER, stakeholder), (STAKEHOLDER, manager)
        p = p_of(REPORTS_TO_STRENGTH, a, b)
        _add(graph, a, b, p, "reports_to")
        _add(graph, b, a, p, "manages")
    for source, target, strength, sentiment in influences:
        if sentiment == "negative":
            continue
        a, b = (STAKEHOLDER, source), (STAKEHOLDER, target)
        _add(graph, a, b, p_of(strength, a, b), "influence")
    return graph


# A partial path on the search heap: (-estimate, ids, nodes, p's, kinds).
_Entry = tuple[
    float, tuple[str, ...], tuple[Node, ...], tuple[float, ...], tuple[str, ...]
]


def _reach_bounds(
    pred: Mapping[Node, list[tuple[Node, float]]], target: Node, max_edges: int
) -> list[dict[Node, float]]:
    """``bounds[r][v]``: the best product of a walk from ``v`` to ``target`` with at
    most ``r`` edges (walks may repeat nodes, so it bounds simple paths from above)."""
    bounds: list[dict[Node, float]] = [{target: 1.0}]
    for _ in range(max_edges):
        previous = bounds[-1]
        best = dict(previous)
        for node, value in previous.items():
            for before, p in pred.get(node, ()):
                candidate = p * value
                if candidate > best.get(before, 0.0):
                    best[before] = candidate
        bounds.append(best)
    return bounds


def influence_paths(
    graph: nx.DiGraph,
    targets: Iterable[str],
    *,
    k: int = 3,
    max_edges: int = 4,
) -> dict[str, list[InfluencePath]]:
    """The ``k`` most probable simple paths from any team member to each target.

    Paths have at most ``max_edges`` edges and are ordered by probability
    (descending), ties by their ids. A target no team member reaches gets ``[]``.
    """
    # Plain adjacency lists: the search visits them thousands of times, and
    # networkx's edge views cost more per step than the work done there.
    succ: dict[Node, list[tuple[Node, float, str]]] = {}
    pred: dict[Node, list[tuple[Node, float]]] = {}
    for a, b, data in graph.edges(data=True):
        p = float(data["p"])
        succ.setdefault(a, []).append((b, p, str(data["kind"])))
        pred.setdefault(b, []).append((a, p))
    members = sorted(n for n in graph if n[0] == MEMBER)
    return {
        t: _best_paths(succ, pred, members, (STAKEHOLDER, t), k, max_edges)
        if (STAKEHOLDER, t) in graph
        else []
        for t in targets
    }


def _best_paths(
    succ: Mapping[Node, list[tuple[Node, float, str]]],
    pred: Mapping[Node, list[tuple[Node, float]]],
    members: list[Node],
    goal: Node,
    k: int,
    max_edges: int,
) -> list[InfluencePath]:
    bounds = _reach_bounds(pred, goal, max_edges)
    heap: list[_Entry] = []
    for node in members:
        estimate = bounds[max_edges].get(node, 0.0)
        if estimate > 0:
            heap.append((-estimate, (node[1],), (node,), (), ()))
    heapq.heapify(heap)
    found: list[InfluencePath] = []
    # Keep popping past the k-th path while the next estimate ties it (within
    # rounding: products taken in another order differ in the last bits), so that
    # equally probable paths are ordered by their ids, not by float noise.
    while heap and (len(found) < k or -heap[0][0] >= found[k - 1].probability - _TIE):
        _, ids, nodes, ps, kinds = heapq.heappop(heap)
        last = nodes[-1]
        if last == goal:
            found.append(InfluencePath(ids, ps, kinds))
            found.sort(key=_order)
            continue
        rest_bounds = bounds[max_edges - len(ps) - 1]
        product = _product(ps)
        for nxt, p, kind in succ.get(last, ()):
            rest = rest_bounds.get(nxt, 0.0)
            if rest <= 0 or nxt in nodes:
                continue
            heapq.heappush(
                heap,
                (
                    -(product * p * rest),
                    (*ids, nxt[1]),
                    (*nodes, nxt),
                    (*ps, p),
                    (*kinds, kind),
                ),
            )
    return found[:k]


def _order(path: InfluencePath) -> tuple[float, tuple[str, ...]]:
    return (-round(path.probability, 12), path.nodes)


def _product(values: Sequence[float]) -> float:
    product = 1.0
    for v in values:
        product *= v
    return product
