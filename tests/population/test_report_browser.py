# SPDX-License-Identifier: MIT
"""The population report's HTML opened in a real browser (Debian chromium driven by Playwright).

Self-contained: it serves nothing and loads the page from a file; the browser is offline, so a
chart that needed the network would not render.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pht_rules.cli import main

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


def test_report_renders_its_charts_offline(tmp_path: Path) -> None:
    """Every chart is drawn with visible bars and labels, and the page makes no request."""
    from playwright.sync_api import sync_playwright

    cohort, results, html = tmp_path / "c.jsonl", tmp_path / "r.jsonl", tmp_path / "report.html"
    assert main(["synth", "300", "--seed", "2", "-o", str(cohort)]) == 0
    assert main(["batch", str(cohort), "-o", str(results), "--workers", "1"]) == 0
    assert main(["population-report", str(results), "--html", str(html)]) == 0
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            page.goto(html.as_uri())
            assert page.title() == "Population report"
            charts = page.locator("figure svg")
            assert charts.count() >= 8
            for i in range(charts.count()):
                box = charts.nth(i).bounding_box()
                assert box is not None and box["width"] > 300 and box["height"] > 50
            first = page.locator("#section-0")
            assert "consistent" in (first.locator("svg").text_content() or "")
            assert first.locator("svg path").count() > 3  # axes and bars are drawn
            never = page.locator("#never-fired").inner_text()
            assert "Rules never fired" in never
            page.screenshot(path=str(tmp_path / "report.png"), full_page=False)
        finally:
            browser.close()
    assert requests == [html.as_uri()]
