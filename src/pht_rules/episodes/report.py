# SPDX-License-Identifier: MIT
"""The episode report: a timeline, each visit's decisions with their citations, and a printable
patient sheet. One self-contained HTML page: no scripts, no fonts or styles from the network."""

from __future__ import annotations

import html
from collections.abc import Iterable

from pht_rules.episodes._chart import MARKS, chart_svg
from pht_rules.episodes.derived import Derived
from pht_rules.episodes.evaluation import EpisodeAssessment, VisitAssessment
from pht_rules.episodes.plan import Plan

__all__ = [
    "render_report",
]

_CSS = """
:root { color: #1a1a1a; background: #ffffff; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 1.5rem auto;
  max-width: 72rem; padding: 0 1rem; line-height: 1.45; }
h1, h2, h3 { line-height: 1.2; }
.note { background: #fff4ce; border-left: 4px solid #8a6d00; padding: .4rem .7rem; }
.conflict { background: #fde7e7; border-left: 4px solid #a40000; padding: .4rem .7rem; }
figure { margin: 0; } svg.timeline { width: 100%; height: auto; max-width: 60rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { border: 1px solid #8c8c8c; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #eef1f5; }
.visit { display: grid; grid-template-columns: minmax(12rem, 1fr) 3fr; gap: 1rem;
  border-top: 2px solid #5a6b7d; padding-top: .5rem; margin-top: 1rem; }
.decisions li { margin-bottom: .3rem; } .cites { font-size: .9rem; color: #333333; }
.kind { font-weight: 600; } code { font-size: .9em; }
.sheet { border: 2px solid #1a1a1a; padding: 1rem 1.25rem; margin-top: 2rem; break-before: page; }
.sheet h2 { margin-top: 0; } .big { font-size: 1.1rem; }
@media print { body { max-width: none; margin: 0; } .sheet { border: none; }
  .no-print { display: none; } }
"""


def _e(value: object) -> str:
    return html.escape(str(value))


def _derived_rows(derived: Iterable[Derived]) -> str:
    rows = []
    for d in derived:
        cls = ' class="conflict"' if d.conflict else ""
        used = "unknown (conflict)" if d.conflict else _show(d.used)
        rows.append(
            f"<tr{cls}><td><code>{_e(d.field)}</code></td><td>{_show(d.value)}</td>"
            f"<td>{_show(d.typed)}</td><td>{used}</td><td>{_e(d.basis)}</td>"
            f"<td>{_e(', '.join(d.visits))}</td></tr>"
        )
    return (
        "<table><caption>Derived history</caption><thead><tr><th scope='col'>Field</th>"
        "<th scope='col'>Derived</th><th scope='col'>Typed</th><th scope='col'>Used</th>"
        "<th scope='col'>How</th><th scope='col'>From visits</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


def _show(value: object) -> str:
    return "unknown" if value is None else _e(value)


def _visit(v: VisitAssessment) -> str:
    a = v.assessment
    changes = [t for t in v.transitions if t.kind != "hold"] or list(v.transitions)
    items = "".join(
        f"<li><span class='kind'>{_e(t.kind)}</span>: {_e(t.reason)}"
        f" ({_e(t.from_phase or 'unknown')} &rarr; {_e(t.to_phase or 'unknown')})</li>"
        for t in changes
    )
    decisions = "".join(
        f"<li><strong>{_e(d.title)}</strong>: <code>{_e(d.outcome)}</code>. "
        f"{_e(' '.join(d.advice))} <span class='cites'>[rules: "
        f"{_e(', '.join(h.rule_id for h in d.hits if h.selected) or 'none')}]</span></li>"
        for d in a.decisions
    )
    cites = "".join(
        f"<li><code>{_e(c.id)}</code> ({_e(c.kind)}): {_e(c.text)}</li>" for c in a.citations
    )
    notes = "".join(f"<p class='note'>{_e(n)}</p>" for n in v.notes)
    h = v.history
    flare = (
        f"<p class='note'>Flare-up: {_e('; '.join(h.flare_up.reasons))}</p>" if h.flare_up else ""
    )
    trend = f"<p>Trend against baseline: <strong>{_e(h.trend.direction)}</strong> ({_e(h.trend.basis)})</p>"
    stop = (
        f"<p>Running stopped since {_e(h.running_stopped_on)} ({_e(h.days_since_running_stopped)} days)</p>"
        if h.running_stopped_on
        else ""
    )
    asks = "".join(f"<li>{_e(n.question)}</li>" for n in a.needs_information)
    asks_html = f"<h4>Questions to ask</h4><ul>{asks}</ul>" if asks else ""
    return (
        f"<section class='visit' aria-labelledby='visit-{v.index}'>"
        f"<div><h3 id='visit-{v.index}'>{_e(v.visit)}</h3><p>{_e(v.date.isoformat())}</p>"
        f"<h4>Transitions</h4><ul>{items}</ul>{flare}{notes}</div>"
        f"<div>{trend}{stop}{_derived_rows((*h.derived, h.adequate_trial))}"
        f"<h4>Decisions</h4><ul class='decisions'>{decisions}</ul>{asks_html}"
        f"<details><summary>Citations ({len(a.citations)})</summary><ul class='cites'>{cites}</ul>"
        "</details></div></section>"
    )


def _sheet(plan: Plan, patient: str | None) -> str:
    exercises = "".join(f"<li>{_e(x)}</li>" for x in plan.exercises) or (
        "<li>No exercises until your physiotherapist has reviewed you.</li>"
    )
    running = " ".join(plan.running_advice) or "Ask your physiotherapist."
    call = "".join(f"<li>{_e(c)}</li>" for c in plan.call_if)
    review = plan.review
    when = (
        f"{_e(review.on.isoformat())} (in about {review.weeks} week(s))"
        if review.on
        else "as agreed with your physiotherapist"
    )
    who = f" for {_e(patient)}" if patient else ""
    return (
        f"<section class='sheet' aria-labelledby='sheet-title'><h2 id='sheet-title'>Your exercise "
        f"plan{who}</h2><p class='big'>From {_e(plan.decided_on.isoformat())}: "
        f"{_e(plan.stage or 'no change to your exercises yet')}</p>"
        f"<h3>This week's exercises</h3><ul class='big'>{exercises}</ul>"
        f"<h3>How much</h3><p>{_e(plan.dosage or 'As agreed with your physiotherapist.')}</p>"
        f"<h3>What pain is acceptable</h3><p>{_e(plan.acceptable_pain)}</p>"
        f"<h3>Running</h3><p>{_e(running)}</p>"
        f"<h3>Call your physiotherapist if</h3><ul>{call}</ul>"
        f"<h3>Next review</h3><p>{when}</p>"
        "<p class='cites'>This plan supports, and does not replace, your physiotherapist's "
        "advice.</p></section>"
    )


def _description(result: EpisodeAssessment) -> str:
    v = result.visits
    changes = [t for t in result.transitions if t.kind in MARKS]
    parts = [
        f"{len(v)} visits from {v[0].date} to {v[-1].date}.",
        f"{len(result.flare_ups)} flare-up(s).",
        "Transitions: "
        + ("; ".join(f"{t.date} {t.kind} ({t.to_phase or 'unknown'})" for t in changes) or "none")
        + ".",
        f"Current plan: phase {result.plan.phase or 'unknown'}, running {result.plan.running}.",
    ]
    return " ".join(parts)


def _pain_table(result: EpisodeAssessment) -> str:
    rows = "".join(
        f"<tr><th scope='row'>{_e(v.visit)}</th><td>{_e(v.date)}</td>"
        f"<td>{_show(v.evaluated_state.loading.current_phase)}</td>"
        f"<td>{_show(v.evaluated_state.symptoms.pain_at_rest_nrs)}</td>"
        f"<td>{_show(v.evaluated_state.symptoms.pain_during_activity_nrs)}</td>"
        f"<td>{_show(v.evaluated_state.loading.exercise_pain_nrs)}</td></tr>"
        for v in result.visits
    )
    return (
        "<details><summary>The chart's data as a table</summary><table><thead><tr>"
        "<th scope='col'>Visit</th><th scope='col'>Date</th><th scope='col'>Phase done</th>"
        "<th scope='col'>Pain at rest</th><th scope='col'>Pain on activity</th>"
        "<th scope='col'>Pain during exercise</th></tr></thead><tbody>"
        f"{rows}</tbody></table></details>"
    )


def render_report(result: EpisodeAssessment) -> str:
    """The episode report as one self-contained HTML page (needs the ``report`` extra)."""
    title = f"Episode of care{': ' + result.patient if result.patient else ''}"
    description = _description(result)
    svg = chart_svg(result, title="Pain over the episode, by phase", description=description)
    changes = "".join(
        f"<li><time datetime='{t.date.isoformat()}'>{_e(t.date)}</time> "
        f"<span class='kind'>{_e(t.kind)}</span> at {_e(t.visit)}: {_e(t.reason)}"
        f" (to {_e(t.to_phase or 'unknown')})</li>"
        for t in result.transitions
        if t.kind != "hold"
    )
    conflicts = "".join(
        f"<li class='conflict'>{_e(c.visit)}: <code>{_e(c.derived.field)}</code> typed "
        f"{_show(c.derived.typed)}, derived {_show(c.derived.value)}: the rules were given "
        "unknown</li>"
        for c in result.conflicts
    )
    thresholds = "".join(
        f"<tr><td><code>{_e(t.name)}</code></td><td>{t.value} {_e(t.unit)}</td>"
        f"<td>{_e(t.provenance)}</td><td>{_e(', '.join(t.sources) or '-')}</td></tr>"
        for t in result.thresholds
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
        f"<header class='no-print-title'><h1>{_e(title)}</h1><p class='note'>{_e(result.disclaimer)}</p>"
        "</header><main>"
        f"<section aria-labelledby='timeline'><h2 id='timeline'>Timeline</h2><figure>{svg}"
        f"<figcaption>{_e(description)} Bands show the loading phase done between visits; "
        "the hatched band is the phase planned until the next review; the strip below shows running done between visits and as planned.</figcaption></figure>"
        f"{_pain_table(result)}</section>"
        f"<section aria-labelledby='changes'><h2 id='changes'>Transitions</h2><ol>{changes or '<li>none</li>'}</ol>"
        + (
            f"<h3>Typed values that contradict the visits</h3><ul>{conflicts}</ul>"
            if conflicts
            else ""
        )
        + "</section><section aria-labelledby='visits'><h2 id='visits'>Visits</h2>"
        + "".join(_visit(v) for v in result.visits)
        + "</section><section aria-labelledby='thresholds'><h2 id='thresholds'>Thresholds used</h2>"
        "<table><thead><tr><th scope='col'>Name</th><th scope='col'>Value</th>"
        "<th scope='col'>Provenance</th><th scope='col'>Sources</th></tr></thead>"
        f"<tbody>{thresholds}</tbody></table></section>"
        f"{_sheet(result.plan, result.patient)}</main></body></html>\n"
    )
