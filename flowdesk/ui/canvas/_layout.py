"""Arranging nodes (Qt-free): auto-layout left to right by topology, and aligning a selection.

Both return new positions only; the editor turns them into one undoable move.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Literal

from flowdesk.model.flow import Edge

Point = tuple[float, float]
AlignMode = Literal["left", "right", "top", "bottom", "hcenter", "vcenter", "hspread", "vspread"]

COLUMN_GAP = 80.0
ROW_GAP = 40.0


def _is_back_edge(edge: Edge, types: Mapping[str, str]) -> bool:
    return types.get(edge.target_node) == "loop" and edge.target_port == "again"


def layers(node_ids: list[str], edges: Iterable[Edge], types: Mapping[str, str]) -> dict[str, int]:
    """Each node's column: the longest path to it from a node without inputs (back-edges of loops ignored)."""
    forward = [e for e in edges if not _is_back_edge(e, types) and e.source_node != e.target_node]
    incoming: dict[str, list[str]] = {n: [] for n in node_ids}
    outgoing: dict[str, list[str]] = {n: [] for n in node_ids}
    for edge in forward:
        if edge.source_node in incoming and edge.target_node in incoming:
            incoming[edge.target_node].append(edge.source_node)
            outgoing[edge.source_node].append(edge.target_node)
    layer: dict[str, int] = {}
    remaining = {n: len(incoming[n]) for n in node_ids}
    ready = [n for n in node_ids if remaining[n] == 0]
    for n in ready:
        layer[n] = 0
    while ready:
        current = ready.pop(0)
        for following in outgoing[current]:
            layer[following] = max(layer.get(following, 0), layer[current] + 1)
            remaining[following] -= 1
            if remaining[following] == 0:
                ready.append(following)
    for n in node_ids:  # nodes on a cycle (an invalid flow): after what feeds them
        if n not in layer:
            layer[n] = max((layer.get(p, 0) + 1 for p in incoming[n]), default=0)
    return layer


def auto_layout(
    node_ids: list[str],
    edges: Iterable[Edge],
    types: Mapping[str, str],
    *,
    width: float,
    height: Callable[[str], float],
    origin: Point = (0.0, 0.0),
    current: Mapping[str, Point] | None = None,
) -> dict[str, Point]:
    """Columns by topology, left to right; within a column, nodes ordered by where their inputs sit
    (barycentre), so wires cross as little as a simple pass can manage. Positions are multiples of 20."""
    edge_list = list(edges)
    layer = layers(node_ids, edge_list, types)
    columns: dict[int, list[str]] = {}
    for n in node_ids:
        columns.setdefault(layer[n], []).append(n)
    order: dict[str, float] = {}
    current = current or {}
    positions: dict[str, Point] = {}
    predecessors: dict[str, list[str]] = {n: [] for n in node_ids}
    for edge in edge_list:
        if edge.target_node in predecessors and not _is_back_edge(edge, types):
            predecessors[edge.target_node].append(edge.source_node)
    x = origin[0]
    for column in sorted(columns):
        members = columns[column]

        def key(n: str) -> tuple[float, float]:
            placed = [order[p] for p in predecessors[n] if p in order]
            bary = sum(placed) / len(placed) if placed else float(node_ids.index(n))
            return (bary, current.get(n, (0.0, 0.0))[1])

        members.sort(key=key)
        y = origin[1]
        for index, n in enumerate(members):
            order[n] = index
            positions[n] = (_grid(x), _grid(y))
            y += height(n) + ROW_GAP
        x += width + COLUMN_GAP
    return positions


def align(positions: Mapping[str, Point], sizes: Mapping[str, Point], mode: AlignMode) -> dict[str, Point]:
    """New positions lining the nodes up on one side or centre, or spreading them evenly."""
    if len(positions) < 2:
        return dict(positions)
    xs = {n: p[0] for n, p in positions.items()}
    ys = {n: p[1] for n, p in positions.items()}
    out: dict[str, Point] = {}
    if mode == "left":
        left = min(xs.values())
        out = {n: (left, ys[n]) for n in positions}
    elif mode == "right":
        right = max(xs[n] + sizes[n][0] for n in positions)
        out = {n: (right - sizes[n][0], ys[n]) for n in positions}
    elif mode == "top":
        top = min(ys.values())
        out = {n: (xs[n], top) for n in positions}
    elif mode == "bottom":
        bottom = max(ys[n] + sizes[n][1] for n in positions)
        out = {n: (xs[n], bottom - sizes[n][1]) for n in positions}
    elif mode == "hcenter":  # one horizontal line through the middles
        middle = sum(ys[n] + sizes[n][1] / 2 for n in positions) / len(positions)
        out = {n: (xs[n], middle - sizes[n][1] / 2) for n in positions}
    elif mode == "vcenter":  # one vertical line through the centres
        centre = sum(xs[n] + sizes[n][0] / 2 for n in positions) / len(positions)
        out = {n: (centre - sizes[n][0] / 2, ys[n]) for n in positions}
    elif mode == "hspread":
        ordered = sorted(positions, key=lambda n: xs[n])
        first, last = xs[ordered[0]], xs[ordered[-1]]
        step = (last - first) / (len(ordered) - 1)
        out = {n: (first + i * step, ys[n]) for i, n in enumerate(ordered)}
    elif mode == "vspread":
        ordered = sorted(positions, key=lambda n: ys[n])
        first, last = ys[ordered[0]], ys[ordered[-1]]
        step = (last - first) / (len(ordered) - 1)
        out = {n: (xs[n], first + i * step) for i, n in enumerate(ordered)}
    return {n: (_grid(x), _grid(y)) for n, (x, y) in out.items()}


def _grid(value: float) -> float:
    return round(value / 20.0) * 20.0
