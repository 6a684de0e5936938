# SPDX-License-Identifier: MIT
"""The ``pht-rules`` command: outputs, one-line errors and documented exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pht_rules.cli.commands import (
    EXIT_CHECK_FAILED,
    EXIT_INPUT,
    EXIT_IO,
    EXIT_OK,
    EXIT_RULES,
    EXIT_USAGE,
    main,
)
from tests.helpers import EXAMPLES

EXAMPLE = EXAMPLES / "less-irritable-marathoner.json"


def test_evaluate_prints_the_assessment_json(capsys: pytest.CaptureFixture[str]) -> None:
    """``evaluate FILE`` prints the assessment as JSON."""
    assert main(["evaluate", str(EXAMPLE)]) == EXIT_OK
    data = json.loads(capsys.readouterr().out)
    outcomes = {d["decision_id"]: d["outcome"] for d in data["decisions"]}
    assert outcomes["running"] == "restricted"


def test_evaluate_reads_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``-`` reads the state from standard input."""
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO(EXAMPLE.read_text(encoding="utf-8")))
    assert main(["evaluate", "-", "--indent", "0"]) == EXIT_OK
    assert json.loads(capsys.readouterr().out)["ruleset"]["name"] == "pht-core"


def test_explain_is_a_readable_trace(capsys: pytest.CaptureFixture[str]) -> None:
    """``explain`` shows each decision, the rule that fired, why, and what it cites."""
    assert main(["explain", str(EXAMPLE)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "== Running: restricted" in out
    assert "* running.less-irritable-restricted" in out
    assert "because symptoms.minutes_into_run_before_pain = 35 (at least 30)" in out
    assert "because decision.irritability = less-irritable" in out
    assert "ART-RUN-3 (article)" in out


def test_bad_input_is_one_line_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Invalid input exits 3 with a single line naming every bad field, and no traceback."""
    bad = tmp_path / "bad.json"
    bad.write_text('{"age_years": -3, "symptoms": {"pain_at_rest": "yes"}}', encoding="utf-8")
    assert main(["evaluate", str(bad)]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "age_years" in err and "symptoms.pain_at_rest" in err
    assert "Traceback" not in err


def test_missing_file_and_bad_profile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A missing file exits 6; an invalid profile exits 3."""
    assert main(["evaluate", str(tmp_path / "nope.json")]) == EXIT_IO
    profile = tmp_path / "profile.json"
    profile.write_text('{"stop_running_days": 99}', encoding="utf-8")
    assert main(["evaluate", str(EXAMPLE), "--profile", str(profile)]) == EXIT_INPUT
    assert "stop_running_days" in capsys.readouterr().err


def test_profile_is_applied(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--profile`` overrides are applied and echoed."""
    profile = tmp_path / "clinic.json"
    profile.write_text('{"name": "clinic", "overrides": {"restricted_run_minutes": 15}}', "utf-8")
    assert main(["evaluate", str(EXAMPLE), "--profile", str(profile)]) == EXIT_OK
    data = json.loads(capsys.readouterr().out)
    assert data["profile"] == "clinic"
    running = next(d for d in data["decisions"] if d["decision_id"] == "running")
    assert "at most 15 minutes" in running["advice"][0]


def test_bad_rule_directory_exits_4(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A broken rule directory exits 4 with the problems listed."""
    assert main(["rules", "--rules", str(tmp_path)]) == EXIT_RULES
    assert "ruleset.yaml" in capsys.readouterr().err


def test_rules_lists_rules_with_citations(capsys: pytest.CaptureFixture[str]) -> None:
    """``rules`` lists every rule with its citations; ``--format json`` too."""
    assert main(["rules"]) == EXIT_OK
    assert "running.irritable-stop -> stop" in capsys.readouterr().out
    assert main(["rules", "--format", "json"]) == EXIT_OK
    data = json.loads(capsys.readouterr().out)
    rule = data["decisions"][2]["rules"][3]
    assert rule["id"] == "running.irritable-stop" and "ART-RUN-2" in rule["cites"]


def test_schema_outputs_both_schemas(capsys: pytest.CaptureFixture[str]) -> None:
    """``schema`` prints the input and output JSON Schemas."""
    assert main(["schema"]) == EXIT_OK
    data = json.loads(capsys.readouterr().out)
    assert data["input"]["title"] == "PatientState"
    assert data["output"]["title"] == "Assessment"


def test_check_reports_failures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``check`` exits 1 and names the failing expectation."""
    case = tmp_path / "cases.yaml"
    case.write_text(
        "cases:\n  - id: wrong\n    state: {symptoms: {pain_at_rest: true}}\n"
        "    expect: {outcomes: {irritability: less-irritable}}\n"
        "  - id: right\n    state: {symptoms: {pain_at_rest: true}}\n"
        "    expect: {outcomes: {irritability: irritable}}\n",
        encoding="utf-8",
    )
    assert main(["check", str(case)]) == EXIT_CHECK_FAILED
    out = capsys.readouterr().out
    assert "FAIL cases.yaml::wrong" in out
    assert "irritability: expected 'less-irritable', got 'irritable'" in out
    assert "1 passed, 1 failed" in out


def test_usage_errors_exit_2() -> None:
    """An unknown command or a bad option value is a usage error, never a traceback."""
    for argv in (["frobnicate"], ["evaluate", str(EXAMPLE), "--indent", "-1"]):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == EXIT_USAGE


def test_indent_zero_gives_compact_json(capsys: pytest.CaptureFixture[str]) -> None:
    """``--indent 0`` prints the assessment on one line."""
    assert main(["evaluate", str(EXAMPLE), "--indent", "0"]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and json.loads(out)["ruleset"]["name"] == "pht-core"


def test_console_script_is_installed() -> None:
    """The installed ``pht-rules`` entry point runs."""
    result = subprocess.run(
        [sys.executable, "-m", "pht_rules.cli", "evaluate", str(EXAMPLE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["ruleset"]["version"] == "1.0.0"


@pytest.mark.parametrize(
    ("expect", "message"),
    [
        ("{outcomes: [irritability]}", "'expect.outcomes' must map decision ids"),
        ("{fired: irritability.irritable}", "'expect.fired' must be a list of ids"),
        ("{outcome_sets: {load-management: hill-work}}", "'expect.outcome_sets' must map"),
    ],
)
def test_malformed_case_files_exit_4(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], expect: str, message: str
) -> None:
    """A case file whose expectations have the wrong shape is a file error, not a failing case."""
    case = tmp_path / "cases.yaml"
    case.write_text(f"cases:\n  - id: c\n    state: {{}}\n    expect: {expect}\n", "utf-8")
    assert main(["check", str(case)]) == EXIT_RULES
    assert message in capsys.readouterr().err


def test_serve_is_mounted(capsys: pytest.CaptureFixture[str]) -> None:
    """``serve`` is a command of the main CLI (its behaviour is tested in tests/service)."""
    with pytest.raises(SystemExit) as info:
        main(["serve", "--help"])
    assert info.value.code == EXIT_OK
    assert "--insecure-no-auth" in capsys.readouterr().out
