# SPDX-License-Identifier: MIT
"""Horizontal bar charts as inline SVG, drawn with matplotlib's SVG backend (the ``report`` extra).

Output is deterministic (fixed hash salt, no date), text stays text (searchable, selectable), and
nothing is fetched: the SVG is self-contained and works offline.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from html import escape

from pht_rules.errors import UsageError


def bar_svg(title: str, labels: Sequence[str], values: Sequence[float], *, unit: str = "%") -> str:
    """One horizontal bar chart (largest first as given) as an ``<svg>`` element."""
    try:
        import matplotlib
        from matplotlib.backends.backend_svg import FigureCanvasSVG
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover - depends on the environment
        raise UsageError(
            "the population report's charts need matplotlib: pip install 'pht-rules[report]'"
        ) from None
    rows = max(1, len(labels))
    with matplotlib.rc_context(
        {"svg.hashsalt": "pht-rules", "svg.fonttype": "none", "font.size": 9}
    ):
        fig = Figure(figsize=(7.5, 0.7 + 0.26 * rows))
        FigureCanvasSVG(fig)
        ax = fig.add_subplot()
        positions = list(range(rows))[::-1]
        ax.barh(positions[: len(values)], list(values), color="#3b6ea5")
        ax.set_yticks(positions[: len(labels)], [str(x) for x in labels])
        ax.set_xlabel(unit)
        ax.set_title(title, loc="left")
        top = max(values, default=0.0)
        ax.set_xlim(0, max(top * 1.15, 1.0))
        for y, v in zip(positions, values, strict=False):
            ax.text(v, y, f" {v:.1f}", va="center", fontsize=8)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        fig.tight_layout()
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    start = text.find("<svg")
    svg = text[start:]
    return svg.replace("<svg ", f'<svg role="img" aria-label="{escape(title)}" ', 1)


__all__ = [
    "bar_svg",
]
