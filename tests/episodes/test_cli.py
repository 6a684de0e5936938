# SPDX-License-Identifier: MIT
"""``pht-rules episode``: JSON out, the report, the CarePlan, errors and the programme check."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from pht_rules.cli import main

from .conftest import EXAMPLES


def test_json_out(capsys: pytest.CaptureFixture[str]) -> None:
    """An episode file gives the episode assessment as JSON."""
    assert main(["episode", str(EXAMPLES / "smooth-course.json")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["plan"]["phase"] == "plyometric"
    assert [t["kind"] for t in data["transitions"]][:2] == ["start", "progress"]


def test_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """``-`` reads the episode from stdin."""
    text = (EXAMPLES / "irritable-runner.json").read_text(encoding="utf-8")
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    assert main(["episode", "-", "--indent", "0"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert "restart-running" in out


def test_report_and_care_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--report writes the HTML page and --care-plan the CarePlan."""
    report, plan = tmp_path / "r.html", tmp_path / "cp.json"
    args = ["episode", str(EXAMPLES / "recalcitrant-course.json"), "--report", str(report)]
    assert main([*args, "--care-plan", str(plan), "--subject", "Patient/7"]) == 0
    capsys.readouterr()
    assert "<svg" in report.read_text(encoding="utf-8")
    assert json.loads(plan.read_text(encoding="utf-8"))["subject"] == {"reference": "Patient/7"}


def test_fhir_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--fhir reads a Bundle of QuestionnaireResponses."""
    from pht_rules.episodes import parse_episode
    from pht_rules.fhir.episode import episode_to_bundle

    episode = parse_episode((EXAMPLES / "smooth-course.json").read_text(encoding="utf-8"))
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(episode_to_bundle(episode)), encoding="utf-8")
    assert main(["episode", str(path), "--fhir"]) == 0
    assert json.loads(capsys.readouterr().out)["plan"]["phase"] == "plyometric"


def test_invalid_episode_exit_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An invalid episode is one line on stderr naming the visit and field, exit 3."""
    path = tmp_path / "e.json"
    path.write_text(
        json.dumps({"baseline": {"date": "2026-01-05"}, "visits": [{"date": "2025-01-01"}]})
    )
    assert main(["episode", str(path)]) == 3
    err = capsys.readouterr().err
    assert "visits[0].date" in err and "before the previous visit" in err


def test_missing_file_exit_6(capsys: pytest.CaptureFixture[str]) -> None:
    """An unreadable file is exit 6."""
    assert main(["episode", "/nonexistent/episode.json"]) == 6


def test_schema(capsys: pytest.CaptureFixture[str]) -> None:
    """--schema prints the episode JSON Schema."""
    assert main(["episode", "--schema"]) == 0
    assert "Visit" in json.loads(capsys.readouterr().out)["$defs"]


def test_verify_programme_prints_counts(capsys: pytest.CaptureFixture[str]) -> None:
    """--verify-programme prints how many sequences were checked."""
    assert main(["episode", "--verify-programme", "--max-visits", "3"]) == 0
    out = capsys.readouterr().out
    assert "155 visit sequences of 1-3 follow-ups over 5 visit kinds" in out
    assert "all properties hold" in out
