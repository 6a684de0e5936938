# SPDX-License-Identifier: MIT
"""The HTML report: self-contained, accessible, and showing what the episode found."""

from __future__ import annotations

import re

import pytest

from pht_rules.episodes import evaluate_episode
from pht_rules.episodes.report import render_report

from .conftest import TODAY


@pytest.fixture(scope="module")
def page(examples: dict[str, str]) -> str:
    return render_report(evaluate_episode(examples["flare-up-and-regression"], today=TODAY))


def test_chart_is_inline_svg_with_text_alternative(page: str) -> None:
    """The chart is inline SVG with a title and a description for screen readers."""
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert 'role="img"' in svg
    assert '<title id="chart-title">' in svg
    desc = re.search(r'<desc id="chart-desc">(.*?)</desc>', svg)
    assert desc and "1 flare-up(s)" in desc.group(1)
    assert "2026-03-02 regress (isometric)" in desc.group(1)


def test_offline(page: str) -> None:
    """No scripts and nothing loaded from the network (namespaces are identifiers, not loads)."""
    assert "<script" not in page
    loads = re.findall(r'(?:src|href)=["\'](https?:[^"\']+)', page)
    assert loads == []
    assert "@import" not in page
    assert re.findall(r"url\((?!#)", page) == []  # only references inside the page


def test_transitions_and_visits_listed(page: str) -> None:
    """Every transition but holds is listed, and every visit has its decisions and citations."""
    section = page[page.index("id='changes'") : page.index("id='visits'")]
    assert section.count("<li>") == 5
    assert "regress</span> at flare-up" in section
    assert page.count("class='visit'") == 6
    assert "loading.regress.heavy-load" in page
    assert "ASM-REGRESSION" in page


def test_patient_sheet(page: str) -> None:
    """The patient sheet gives this week's exercises, dosage, acceptable pain and when to call."""
    sheet = page[page.index("class='sheet'") :]
    assert "Hopping" in sheet
    assert "48 hours apart" in sheet
    assert "pain up to 3/10 is acceptable" in sheet
    assert "Call your physiotherapist if" in sheet
    assert "break-before: page" in page


def test_conflicts_shown(examples: dict[str, str]) -> None:
    """A typed value contradicting the visits is shown in the report."""
    page = render_report(evaluate_episode(examples["recalcitrant-course"], today=TODAY))
    assert "Typed values that contradict the visits" in page
    assert "unknown (conflict)" in page


def test_deterministic(examples: dict[str, str]) -> None:
    """The same episode renders the same page."""
    result = evaluate_episode(examples["smooth-course"], today=TODAY)
    assert render_report(result) == render_report(result)


def test_red_flag_episode_renders_without_a_phase() -> None:
    """A red flag at the first visit withholds loading; the page still renders, with no
    exercises on the patient sheet."""
    result = evaluate_episode(
        {
            "baseline": {
                "date": "2026-01-05",
                "state": {"presentation": {"cauda_equina_symptoms": True}},
            }
        },
        today=TODAY,
    )
    assert result.plan.phase is None
    assert result.plan.loading == "withheld"
    page = render_report(result)
    assert "No exercises until your physiotherapist has reviewed you." in page
    assert "<svg" in page


def test_running_strip(examples: dict[str, str]) -> None:
    """Under the timeline, running done between visits: stopped, then restricted, then full."""
    page = render_report(evaluate_episode(examples["irritable-runner"], today=TODAY))
    svg = page[page.index("<svg") : page.index("</svg>")]
    labels = re.findall(r">(stopped|restricted|full)<", svg)
    assert labels == ["stopped", "restricted", "full"]
