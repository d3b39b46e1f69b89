"""Server-rendered, accessible SVG charts (no JavaScript, nothing fetched from elsewhere).

Each chart has a ``<title>`` and a ``<desc>`` referenced by ``aria-labelledby``; pages show the
same figures in a table as the text alternative."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

from markupsafe import Markup

PALETTE = ("#1b6e5a", "#7fb8a4", "#d9a441", "#b8b8b8", "#4c6fa5")


def _attr(text: str) -> str:
    return escape(str(text), {'"': "&quot;"})


def stacked_bars(chart_id: str, title: str, desc: str, labels: Sequence[str],
                 series: Sequence[tuple[str, Sequence[int]]], *, width: int = 560, height: int = 240) -> Markup:
    """Vertical stacked bars, one per label; ``series`` is ``[(name, values per label)]``."""
    left, bottom, top, legend_h = 36, 28, 10, 22
    plot_h = height - bottom - top - legend_h
    totals = [sum(values[i] for _name, values in series) for i in range(len(labels))]
    peak = max(totals + [1])
    step = (width - left - 10) / max(len(labels), 1)
    bar_w = step * 0.6
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 5}" y2="{top + plot_h}" stroke="#555"/>',
        f'<text x="{left - 6}" y="{top + 8}" text-anchor="end" font-size="11">{peak}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" font-size="11">0</text>',
    ]
    for i, label in enumerate(labels):
        x = left + i * step + (step - bar_w) / 2
        y = top + plot_h
        for s, (name, values) in enumerate(series):
            h = plot_h * values[i] / peak
            if h > 0:
                y -= h
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                    f'fill="{PALETTE[s % len(PALETTE)]}"><title>{escape(f"{label} — {name}: {values[i]}")}</title></rect>'
                )
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
                     f'font-size="11">{escape(label)}</text>')
    x = left
    for s, (name, _values) in enumerate(series):
        parts.append(f'<rect x="{x}" y="{height - 14}" width="10" height="10" fill="{PALETTE[s % len(PALETTE)]}"/>')
        parts.append(f'<text x="{x + 14}" y="{height - 5}" font-size="11">{escape(name)}</text>')
        x += 16 + 7 * len(name) + 14
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text part is escaped above


def progress(chart_id: str, title: str, desc: str, rows: Sequence[tuple[str, int, int]],
             *, width: int = 560) -> Markup:
    """Horizontal progress bars: ``rows`` is ``[(label, value, goal)]``."""
    row_h, left = 34, 150
    height = row_h * len(rows) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]
    bar_w = width - left - 80
    for i, (label, value, goal) in enumerate(rows):
        y = 8 + i * row_h
        share = min(value / goal, 1) if goal else 1
        parts.append(f'<text x="0" y="{y + 14}" font-size="12">{escape(label)}</text>')
        parts.append(f'<rect x="{left}" y="{y}" width="{bar_w}" height="18" fill="#e6efee"/>')
        parts.append(f'<rect x="{left}" y="{y}" width="{bar_w * share:.1f}" height="18" fill="{PALETTE[0]}"/>')
        parts.append(f'<text x="{left + bar_w + 6}" y="{y + 14}" font-size="12">{value} / {goal}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text part is escaped above
