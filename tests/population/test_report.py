# SPDX-License-Identifier: MIT
"""The population report: counts per decision, rule firing and coverage, open questions, gaps."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import pht_rules
from pht_rules.population import (
    read_results,
    render_html,
    render_markdown,
    run_file,
    summarise,
    write_cohort,
)


def _row(pid: str, running: str, fired: list[str], questions: list[str], gaps: list[str]) -> dict:
    return {
        "id": pid,
        "outcomes": {"running": running},
        "fired": fired,
        "open_questions": questions,
        "gaps": [{"decision": g, "kind": "outside-guideline"} for g in gaps],
        "fingerprint": pht_rules.load_rules().fingerprint,
        "engine": "durable",
    }


@pytest.fixture(scope="module")
def small() -> list[dict]:
    return [
        _row("a", "stop", ["running.irritable-stop"], ["symptoms.pain_on_sitting"], []),
        _row("b", "stop", ["running.irritable-stop"], [], ["running"]),
        _row("c", "restricted", [], ["symptoms.pain_on_sitting", "age_years"], []),
        _row("d", "undetermined", [], [], []),
    ]


def test_counts(small: list[dict]) -> None:
    """Outcome shares, firing counts, open questions and gaps are counted per patient."""
    s = summarise(small, pht_rules.load_rules())
    assert s.patients == 4
    assert s.outcomes["running"]["stop"] == 2 and s.share(2) == 50.0
    assert s.open_questions.most_common(1) == [("symptoms.pain_on_sitting", 2)]
    assert s.with_open_questions == 2
    assert s.gaps[("running", "outside-guideline")] == 1
    rules = [r.id for d in pht_rules.load_rules().decisions for r in d.rules]
    assert len(s.never_fired) == len(rules) - s.fired.keys().__len__()


def test_markdown_lists_tables_and_never_fired_rules(small: list[dict]) -> None:
    """Markdown has a table per section and names every rule no patient reached."""
    text = render_markdown(summarise(small, pht_rules.load_rules()))
    assert "| `stop` | 2 | 50.0 % |" in text
    assert "| `symptoms.pain_on_sitting` | 2 | 50.0 % |" in text
    never = text.split("## Rules never fired")[1]
    assert "`presentation.consistent`" in never and "`running.irritable-stop`" not in never


def test_html_is_self_contained_with_one_chart_per_section(small: list[dict]) -> None:
    """HTML holds inline SVG charts, fetches nothing, and is deterministic."""
    s = summarise(small, pht_rules.load_rules())
    html = render_html(s)
    assert html == render_html(s)
    sections = html.count('<section id="section-')
    empty = html.count("<p>None.</p>")
    assert html.count("<svg") == sections - empty > 0
    assert not re.search(r"(src|href)=\"?https?:", html)


def test_report_over_a_real_run(tmp_path: Path) -> None:
    """A synthetic cohort's results give a report whose counts match the rows."""
    write_cohort(tmp_path / "c.jsonl", 400, seed=4)
    run_file(tmp_path / "c.jsonl", tmp_path / "r.parquet")
    rows = list(read_results(tmp_path / "r.parquet"))
    s = summarise(rows, pht_rules.load_rules())
    assert s.patients == 400
    for decision, counts in s.outcomes.items():
        assert sum(counts.values()) == 400, decision
    assert s.fired["presentation.consistent"] == sum(
        "presentation.consistent" in r["fired"] for r in rows
    )
