# SPDX-License-Identifier: MIT
"""The timeline chart of an episode as inline SVG, drawn with matplotlib (``report`` extra)."""

from __future__ import annotations

import html
import io
import re
from typing import Any

from pht_rules.episodes.evaluation import EpisodeAssessment
from pht_rules.errors import UsageError

__all__ = [
    "LINES",
    "MARKS",
    "PHASE_COLOURS",
    "RUNNING",
    "chart_svg",
]

# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
PHASE_COLOURS = {
    "not-started": "#f0f0f0",
    "isometric": "#cfe8f7",
    "heavy-load": "#fde3b8",
    "plyometric": "#d5f0dd",
}
LINES = (
    ("symptoms.pain_at_rest_nrs", "Pain at rest", "#0072B2", "o", "-"),
    ("symptoms.pain_during_activity_nrs", "Pain on activity", "#D55E00", "s", "--"),
    ("loading.exercise_pain_nrs", "Pain during exercise", "#009E73", "^", ":"),
)
MARKS = {
    "start": "start",
    "progress": "progress",
    "regress": "step back",
    "stop-running": "stop running",
    "restart-running": "restart running",
    "escalate": "escalate",
}


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("svg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UsageError(
            "the episode report needs matplotlib: pip install 'pht-rules[report]'"
        ) from None
    return plt


def _value(state: Any, path: str) -> int | None:
    target = state
    for part in path.split("."):
        target = getattr(target, part)
    return target if isinstance(target, int) and not isinstance(target, bool) else None


RUNNING = {
    "none": ("stopped", "#bbbbbb"),
    "restricted": ("restricted", "#9ecae1"),
    "unrestricted": ("full", "#74c476"),
}
_PLANNED_RUNNING = {"stopped": "none", "restricted": "restricted", "graded-return": "unrestricted"}


def _running_strip(ax: Any, result: EpisodeAssessment, weeks: list[float], end: float) -> None:
    """Running done between visits, and as planned until the review, as labelled blocks."""
    spans: list[tuple[float, float, str | None]] = [
        (weeks[i - 1], weeks[i], v.running_done) for i, v in enumerate(result.visits[1:], start=1)
    ]
    spans.append((weeks[-1], end, _PLANNED_RUNNING.get(result.plan.running)))
    merged: list[tuple[float, float, str | None]] = []
    for span in spans:
        if merged and merged[-1][2] == span[2] and merged[-1][1] == span[0]:
            merged[-1] = (merged[-1][0], span[1], span[2])
        else:
            merged.append(span)
    for start, stop, done in merged:
        if done is None or stop <= start:
            continue
        label, colour = RUNNING[done]
        ax.axvspan(start, stop, color=colour)
        ax.text(
            (start + stop) / 2, 0.5, label, ha="center", va="center", fontsize=8, color="#1a1a1a"
        )
    ax.set_ylim(0, 1)
    ax.set_yticks([0.5])
    ax.set_yticklabels(["Running"])
    ax.tick_params(axis="y", length=0)


def chart_svg(result: EpisodeAssessment, *, title: str, description: str) -> str:
    """The timeline as an ``<svg>`` element with a ``<title>`` and ``<desc>`` for screen readers."""
    plt = _pyplot()
    visits = result.visits
    start = visits[0].date
    weeks = [(v.date - start).days / 7 for v in visits]
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "pht-rules", "font.size": 10}):
        fig, (ax, run_ax) = plt.subplots(
            2, 1, figsize=(9.5, 4.9), sharex=True, gridspec_kw={"height_ratios": [6, 1]}
        )
        try:
            for i, v in enumerate(visits[1:], start=1):
                phase = v.evaluated_state.loading.current_phase
                if phase is not None:
                    ax.axvspan(weeks[i - 1], weeks[i], color=PHASE_COLOURS[phase], zorder=0)
            plan = result.plan
            end = weeks[-1] + (plan.review.weeks or 2)
            if plan.phase is not None:
                ax.axvspan(
                    weeks[-1],
                    end,
                    facecolor=PHASE_COLOURS[plan.phase],
                    edgecolor="#777777",
                    hatch="//",
                    zorder=0,
                    linewidth=0,
                )
            for path, label, colour, marker, style in LINES:
                xs = [
                    w
                    for w, v in zip(weeks, visits, strict=True)
                    if _value(v.evaluated_state, path) is not None
                ]
                ys = [_value(v.evaluated_state, path) for v in visits]
                ys_known = [y for y in ys if y is not None]
                ax.plot(
                    xs,
                    ys_known,
                    marker=marker,
                    linestyle=style,
                    color=colour,
                    label=label,
                    linewidth=2,
                    markersize=6,
                    zorder=3,
                )
            for flare in result.flare_ups:
                w = (flare.date - start).days / 7
                ax.plot(
                    [w],
                    [10.4],
                    marker="v",
                    color="#CC0000",
                    markersize=11,
                    zorder=4,
                    linestyle="none",
                )
                ax.annotate(
                    "flare-up",
                    (w, 10.4),
                    xytext=(4, -3),
                    textcoords="offset points",
                    color="#8B0000",
                    fontsize=9,
                )
            stacked: dict[float, int] = {}
            for t in result.transitions:
                if t.kind not in MARKS:
                    continue
                w = (t.date - start).days / 7
                level = stacked.get(w, 0)
                stacked[w] = level + 1
                if level == 0:
                    ax.axvline(w, color="#444444", linestyle=(0, (2, 3)), linewidth=1, zorder=1)
                ax.text(
                    w + 0.08,
                    9.5 - 0.75 * level,
                    MARKS[t.kind],
                    fontsize=8,
                    color="#222222",
                    zorder=5,
                )
            ax.set_xlim(0, end)
            ax.set_ylim(0, 11)
            _running_strip(run_ax, result, weeks, end)
            run_ax.set_xlabel("Weeks since the first consultation")
            ax.set_ylabel("Pain (0-10)")
            ax.set_yticks(range(0, 11, 2))
            handles, labels = ax.get_legend_handles_labels()
            from matplotlib.patches import Patch

            for name, colour in PHASE_COLOURS.items():
                if name != "not-started":
                    handles.append(Patch(facecolor=colour, edgecolor="#999999"))
                    labels.append(f"phase: {name}")
            handles.append(Patch(facecolor="#ffffff", edgecolor="#777777", hatch="//"))
            labels.append("planned until review")
            ax.legend(
                handles,
                labels,
                loc="upper left",
                bbox_to_anchor=(1.01, 1.0),
                frameon=False,
                fontsize=9,
            )
            fig.tight_layout()
            buffer = io.StringIO()
            fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
        finally:
            plt.close(fig)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    head_end = svg.index(">") + 1
    opening = svg[:head_end].replace(
        "<svg", '<svg role="img" aria-labelledby="chart-title chart-desc" class="timeline"', 1
    )
    opening = re.sub(r'\s(width|height)="[^"]*"', "", opening)
    return (
        opening
        + f'<title id="chart-title">{html.escape(title)}</title>'
        + f'<desc id="chart-desc">{html.escape(description)}</desc>'
        + svg[head_end:]
    )
