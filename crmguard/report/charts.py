"""Inline SVG charts for the auditor's report, drawn in Python (no script, no CDN, no fonts).

Every label goes through ``markupsafe.escape``: labels come from data (rule ids, countries,
suite names) and the report is a single file an auditor opens locally.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH = 720
BAR = 18
GAP = 6
LABEL_W = 190


def _svg(height: float, body: list[str], title: str) -> Markup:
    return Markup(
        f'<svg class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" width="{WIDTH}" height="{height:.0f}">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _text(x: float, y: float, text: object, cls: str = "", anchor: str = "start") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" class="{cls}" text-anchor="{anchor}">{escape(text)}</text>'
    )


def horizontal_bars(
    items: Sequence[tuple[str, float | None, str]], title: str, none_label: str = "n/e"
) -> Markup:
    """One bar per item (label, value, css class); a None value is drawn as 'not evaluated'."""
    top = max((v for _, v, _ in items if v is not None), default=0) or 1
    span = WIDTH - LABEL_W - 60
    body = []
    for i, (label, value, cls) in enumerate(items):
        y = 10 + i * (BAR + GAP)
        body.append(_text(LABEL_W - 8, y + BAR * 0.75, label, "label", "end"))
        if value is None:
            body.append(
                f'<rect x="{LABEL_W}" y="{y}" width="{span}" height="{BAR}" class="bar-none"/>'
            )
            body.append(_text(LABEL_W + 6, y + BAR * 0.75, none_label, "value"))
            continue
        w = max(value / top * span, 1 if value else 0)
        body.append(f'<rect x="{LABEL_W}" y="{y}" width="{w:.1f}" height="{BAR}" class="{cls}"/>')
        body.append(_text(LABEL_W + w + 6, y + BAR * 0.75, f"{value:g}", "value"))
    return _svg(20 + len(items) * (BAR + GAP), body, title)


def histogram(
    values: Sequence[float],
    title: str,
    unit: str,
    markers: Sequence[tuple[float, str]] = (),
    bins: int = 12,
) -> Markup:
    """Distribution of ``values`` as columns, with vertical marker lines (deadlines, limits)."""
    height, left, bottom, top_pad = 220, 50, 40, 16
    plot_w, plot_h = WIDTH - left - 20, height - bottom - top_pad
    hi = max([*values, *(m for m, _ in markers), 1.0])
    lo = min([*values, 0.0])
    discrete = all(float(v).is_integer() for v in values) and hi - lo <= 40
    if discrete:
        # whole days: one column per value, a deadline of n sits after column n
        bins, width, hi = int(hi - lo) + 1, 1.0, hi + 1
    else:
        width = (hi - lo) / bins or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(int((v - lo) / width), bins - 1)] += 1
    peak = max(counts) or 1
    body = [
        f'<line x1="{left}" y1="{height - bottom}" x2="{WIDTH - 20}" y2="{height - bottom}" '
        'class="axis"/>'
    ]
    col_w = plot_w / bins
    for i, n in enumerate(counts):
        h = n / peak * plot_h
        x = left + i * col_w
        tip = escape(f"{lo + i * width:g}-{lo + (i + 1) * width:g} {unit}: {n}")
        body.append(
            f'<rect x="{x + 1:.1f}" y="{height - bottom - h:.1f}" width="{col_w - 2:.1f}" '
            f'height="{h:.1f}" class="bar"><title>{tip}</title></rect>'
        )
        if n:
            body.append(_text(x + col_w / 2, height - bottom - h - 3, n, "value", "middle"))
    for i in range(0, bins + (0 if discrete else 1), max(bins // 12 if discrete else bins // 6, 1)):
        x = left + (i + 0.5 if discrete else i) * col_w
        body.append(_text(x, height - bottom + 14, f"{lo + i * width:.3g}", "tick", "middle"))
    body.append(_text(WIDTH - 20, height - 6, unit, "tick", "end"))
    for value, label in markers:
        x = left + (value + (1 if discrete else 0) - lo) / width * col_w
        y2 = height - bottom
        body.append(f'<line x1="{x:.1f}" y1="{top_pad}" x2="{x:.1f}" y2="{y2}" class="marker"/>')
        body.append(_text(x + 3, top_pad + 10, label, "marker-label"))
    return _svg(height, body, title)


def threshold_bars(
    points: Sequence[tuple[str, float | None, bool | None]],
    thresholds: Sequence[tuple[float, str]],
    title: str,
) -> Markup:
    """Horizontal bars on a log scale against threshold lines (cross-border volumes)."""
    hi = max([*(v or 0 for _, v, _ in points), *(t for t, _ in thresholds), 10.0])
    span = WIDTH - LABEL_W - 60
    top_pad = 40

    def x_of(v: float) -> float:
        return LABEL_W + math.log10(max(v, 1)) / math.log10(hi * 1.2) * span

    body = []
    rows = len(points)
    bottom = top_pad + rows * (BAR + GAP)
    for k, (t, label) in enumerate(thresholds):
        x = x_of(t)
        body.append(
            f'<line x1="{x:.1f}" y1="{top_pad - 6}" x2="{x:.1f}" y2="{bottom}" class="marker"/>'
        )
        # labels alternate above/below the line's top so neighbouring thresholds stay legible
        body.append(_text(x, top_pad - 10 - 12 * (k % 2), label, "marker-label", "middle"))
    for i, (label, value, violates) in enumerate(points):
        y = top_pad + i * (BAR + GAP)
        body.append(_text(LABEL_W - 8, y + BAR * 0.75, label, "label", "end"))
        if value is None:
            body.append(_text(LABEL_W + 6, y + BAR * 0.75, "no data", "value"))
            continue
        cls = "bar-findings" if violates else "bar"
        w = x_of(value) - LABEL_W if value >= 1 else 0
        body.append(f'<rect x="{LABEL_W}" y="{y}" width="{w:.1f}" height="{BAR}" class="{cls}"/>')
        body.append(_text(LABEL_W + w + 6, y + BAR * 0.75, f"{value:,.0f}", "value"))
    return _svg(bottom + 10, body, title)


def stacked_bars(by_group: dict[str, dict[str, int]], title: str) -> Markup:
    """One bar per group (tier), stacked by category (protection class), with a legend."""
    categories = sorted({c for parts in by_group.values() for c in parts})
    total = max((sum(parts.values()) for parts in by_group.values()), default=0) or 1
    span = WIDTH - LABEL_W - 60
    body = []
    groups = sorted(by_group)
    for i, group in enumerate(groups):
        y = 10 + i * (BAR + GAP)
        body.append(_text(LABEL_W - 8, y + BAR * 0.75, group, "label", "end"))
        x = float(LABEL_W)
        for k, category in enumerate(categories):
            n = by_group[group].get(category, 0)
            if not n:
                continue
            w = n / total * span
            body.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{BAR}" class="cat-{k % 6}">'
                f"<title>{escape(f'{group} {category}: {n}')}</title></rect>"
            )
            x += w
        body.append(_text(x + 6, y + BAR * 0.75, sum(by_group[group].values()), "value"))
    y = 20 + len(groups) * (BAR + GAP)
    for k, category in enumerate(categories):
        x = LABEL_W + k * 130
        body.append(f'<rect x="{x}" y="{y}" width="12" height="12" class="cat-{k % 6}"/>')
        body.append(_text(x + 16, y + 10, category, "tick"))
    return _svg(y + 24, body, title)


def sparkline(points: Sequence[tuple[str, int | None]], title: str) -> Markup:
    """Findings per batch date as small columns (hollow where the rule was not evaluated)."""
    width, height = 40 + 34 * max(len(points), 1), 64
    peak = max((v for _, v in points if v), default=0) or 1
    body = []
    for i, (batch, value) in enumerate(points):
        x = 20 + i * 34
        h = (value or 0) / peak * 36
        cls = "bar-none" if value is None else ("bar-findings" if value else "bar")
        body.append(
            f'<rect x="{x}" y="{44 - max(h, 1):.1f}" width="24" height="{max(h, 1):.1f}" '
            f'class="{cls}"><title>{escape(f"{batch}: {value}")}</title></rect>'
        )
        body.append(_text(x + 12, 60, str(batch)[5:], "tick", "middle"))
        body.append(_text(x + 12, 40 - h, "–" if value is None else value, "value", "middle"))
    return Markup(
        f'<svg class="spark" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )
