# SPDX-License-Identifier: MIT
"""The episode report in a real browser: Debian's headless Chromium driven by Playwright.

Selected with ``-m browser`` (``.ci/run`` installs chromium and runs them); the default test run
leaves them out, so a plain clone without chromium stays green without skipping anything.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from pht_rules.episodes import evaluate_episode
from pht_rules.episodes.report import render_report

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "episodes"
TODAY = date(2026, 12, 1)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"browser tests need Debian's chromium at {CHROMIUM}: apt-get install -y chromium"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("browser tests need Playwright: pip install '.[browser]'")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


def _open(browser: Any, tmp_path: Path, name: str) -> tuple[Any, list[str], list[str]]:
    page_file = tmp_path / f"{name}.html"
    result = evaluate_episode((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"), today=TODAY)
    page_file.write_text(render_report(result), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    requests: list[str] = []
    page.on(
        "console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None
    )
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(page_file.as_uri())
    return page, problems, requests


@pytest.mark.parametrize(
    "name", ["smooth-course", "flare-up-and-regression", "recalcitrant-course", "irritable-runner"]
)
def test_report_shows_chart_transitions_and_sheet(browser: Any, tmp_path: Path, name: str) -> None:
    """A person sees the chart, the listed transitions, each visit and the patient sheet; the
    page loads nothing but itself and logs no errors."""
    page, problems, requests = _open(browser, tmp_path, name)
    chart = page.get_by_role("img", name="Pain over the episode, by phase")
    assert chart.is_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 400 and box["height"] > 150
    transitions = page.locator("section[aria-labelledby='changes'] ol > li")
    assert transitions.count() >= 2
    assert "start" in transitions.first.inner_text()
    assert page.locator("section.visit").count() >= 5
    assert page.get_by_role("heading", name="This week's exercises").is_visible()
    page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
    assert (tmp_path / f"{name}.png").stat().st_size > 10_000
    assert problems == []
    assert all(url.startswith("file://") for url in requests), requests
    page.close()


def test_flare_up_and_regression_visible(browser: Any, tmp_path: Path) -> None:
    """The flare-up is marked on the chart and the step back is listed."""
    page, problems, _ = _open(browser, tmp_path, "flare-up-and-regression")
    svg_text = page.locator("svg.timeline").text_content() or ""
    assert "flare-up" in svg_text
    assert "step back" in svg_text
    listed = page.locator("section[aria-labelledby='changes']").inner_text()
    assert "regress at flare-up" in listed
    page.screenshot(path=str(tmp_path / "flare.png"))
    assert problems == []
    page.close()


def test_print_shows_the_patient_sheet(browser: Any, tmp_path: Path) -> None:
    """Printed, the patient sheet is on the page with its exercises and when to call."""
    page, _, _ = _open(browser, tmp_path, "irritable-runner")
    page.emulate_media(media="print")
    sheet = page.locator("section.sheet")
    assert sheet.is_visible()
    text = sheet.inner_text()
    assert "Hopping" in text and "Call your physiotherapist if" in text
    pdf = page.pdf(path=str(tmp_path / "sheet.pdf"))
    assert len(pdf) > 5_000
    page.close()
