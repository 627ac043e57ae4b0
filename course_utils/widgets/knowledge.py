"""Knowledge-graph query explorer (notebook 10): start at an entity, follow one, two or three relations,
and see every path the graph offers and where it ends.

``kg_query_payload`` is pure (a graph, a start and a relation chain in; the hops and the answers out;
tested with pytest); ``draw_kg_query`` draws one frame (the static fallback): the entities reached at
each hop in a column, an arrow per followed triple, labelled with its relation; ``kg_query_explorer``
adds a start box and three relation menus.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt

from ..errors import CourseError, require_strings, require_text
from .core import show_figure

__all__ = ["STOP", "kg_query_payload", "draw_kg_query", "kg_query_explorer"]

STOP = "(stop)"       # the menu entry that ends the chain early
MAX_SHOWN = 12        # entities drawn per column (the rest are counted)


def kg_query_payload(kg: Any, start: str, relations: Sequence[str]) -> dict[str, Any]:
    """Follow ``relations`` from ``start`` in ``kg`` (a ``knowledge.KnowledgeGraph``).

    Returns the start, the relations, ``hops`` (one list of (head, relation, tail) triples per relation
    followed), ``frontiers`` (the entities reached after each hop, sorted) and ``answers`` (the last
    frontier). A chain that reaches no entity stops there, with an empty frontier."""
    require_text(start, "the start entity", max_chars=200)
    kg.check_entity(start)
    chain = [r for r in require_strings(relations, "the relations", max_items=3) if r != STOP]
    if not chain:
        raise CourseError("choose at least one relation to follow, e.g. ['capital_of']")
    for relation in chain:
        kg.check_relation(relation)
    frontier, hops, frontiers = [start], [], []
    for relation in chain:
        edges = sorted((h, r, t) for h in frontier for r, t in kg.out_edges[h] if r == relation)
        hops.append(edges)
        frontier = sorted({t for _, _, t in edges})
        frontiers.append(frontier)
        if not frontier:
            break
    return {"start": start, "relations": chain, "hops": hops, "frontiers": frontiers,
            "answers": frontiers[-1] if frontiers else []}


def draw_kg_query(payload: dict[str, Any]) -> plt.Figure:
    """Columns of entities (start, hop 1, hop 2, …) joined by one arrow per triple, labelled by relation."""
    columns = [[payload["start"]]] + [f[:MAX_SHOWN] for f in payload["frontiers"]]
    fig, ax = plt.subplots(figsize=(2.8 * len(columns) + 1, 0.45 * max(len(c) for c in columns) + 1.6))
    where: dict[tuple[int, str], tuple[float, float]] = {}
    for x, column in enumerate(columns):
        for i, entity in enumerate(column):
            y = -(i - (len(column) - 1) / 2)
            where[(x, entity)] = (x, y)
            ax.text(x, y, entity, ha="center", va="center", fontsize=9,
                    bbox={"boxstyle": "round", "facecolor": "#fde2b8" if x == len(columns) - 1 and x else "#dbe9f6",
                          "edgecolor": "#555"})
    for x, edges in enumerate(payload["hops"], start=1):
        for head, _relation, tail in edges:
            if (x - 1, head) in where and (x, tail) in where:
                (x0, y0), (x1, y1) = where[(x - 1, head)], where[(x, tail)]
                ax.annotate("", xy=(x1 - 0.32, y1), xytext=(x0 + 0.32, y0),
                            arrowprops={"arrowstyle": "->", "color": "#777"})
        hidden = len(payload["frontiers"][x - 1]) - len(columns[x])
        label = payload["relations"][x - 1] + (f"  (+{hidden} more)" if hidden > 0 else "")
        ax.text(x - 0.5, max(y for (_, y) in where.values()) + 0.9, label, ha="center", fontsize=9, style="italic")
    n = len(payload["answers"])
    chain = " -> ".join([payload["start"], *payload["relations"]])
    ax.set_title(f"{chain}: {n} answer{'s' if n != 1 else ''}" + (f" ({', '.join(payload['answers'][:4])}"
                 f"{', …' if n > 4 else ''})" if n else " (the chain ends here)"), fontsize=10)
    ax.set_xlim(-0.6, len(columns) - 0.4)
    ax.set_ylim(min(y for (_, y) in where.values()) - 0.8, max(y for (_, y) in where.values()) + 1.4)
    ax.axis("off")
    fig.tight_layout()
    return fig


def kg_query_explorer(kg: Any, start: str = "Paris", relations: Sequence[str] = ("capital_of", "language")):
    """A start-entity menu and three relation menus (the later ones may be "(stop)")."""
    import ipywidgets as w

    chosen = list(relations) + [STOP] * (3 - len(relations))
    entity = w.Dropdown(options=kg.entities, value=start, description="start:")
    menus = [w.Dropdown(options=([STOP] if i else []) + kg.relations, value=chosen[i],
                        description=f"relation {i + 1}:") for i in range(3)]
    out = w.Output()

    def render(change: dict | None = None) -> None:
        out.outputs = ()
        try:
            payload = kg_query_payload(kg, entity.value, [m.value for m in menus])
        except CourseError as exc:
            out.append_stdout(f"{exc}\n")
            return
        show_figure(out, draw_kg_query(payload))

    for control in (entity, *menus):
        control.observe(render, names="value")
    render()
    return w.VBox([entity, w.HBox(menus), out])
