# SPDX-License-Identifier: MIT
"""The population commands: batch, synth, population-report and diff --population."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pht_rules.cli import main
from pht_rules.population import read_results


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "cohort.jsonl"
    assert main(["synth", "250", "--seed", "8", "-o", str(path)]) == 0
    with path.open("a") as fh:
        fh.write('{"id": "broken", "age_years": -1}\n')
    return path


def test_synth_states_its_case_mix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """synth writes N patients and says the case mix is assumed."""
    assert main(["synth", "10", "--seed", "1", "-o", str(tmp_path / "c.parquet")]) == 0
    err = capsys.readouterr().err
    assert "wrote 10 synthetic patients" in err and "assumed" in err
    assert main(["synth", "-1", "-o", str(tmp_path / "x.jsonl")]) == 3


def test_batch_prints_checked_counts_and_no_bar_on_a_pipe(
    cohort: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """batch ends with read = written + rejected checked; a non-terminal gets no progress bar."""
    out = tmp_path / "r.jsonl"
    assert main(["batch", str(cohort), "-o", str(out), "--workers", "2"]) == 0
    err = capsys.readouterr().err
    assert "read 251 = written 250 + rejected 1 (ok)" in err
    assert "it/s" not in err and "patients/s]" not in err
    assert len(list(read_results(out))) == 250
    errors = (tmp_path / "r.jsonl.errors.jsonl").read_text().splitlines()
    assert json.loads(errors[0])["position"] == 251


def test_batch_progress_bar_on_request(
    cohort: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--progress shows a bar with the total, the rate and the remaining time."""
    assert (
        main(
            ["batch", str(cohort), "-o", str(tmp_path / "r.jsonl"), "--workers", "1", "--progress"]
        )
        == 0
    )
    err = capsys.readouterr().err
    assert "251/251" in err and "patients/s" in err and "<" in err


def test_batch_refuses_bad_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Zero workers is a usage error; an unknown file type and a missing file say so."""
    with pytest.raises(SystemExit) as info:
        main(["batch", "x.jsonl", "-o", "y.jsonl", "--workers", "0"])
    assert info.value.code == 2
    assert main(["batch", str(tmp_path / "c.xlsx"), "-o", str(tmp_path / "y.jsonl")]) == 3
    assert main(["batch", str(tmp_path / "none.jsonl"), "-o", str(tmp_path / "y.jsonl")]) == 6
    assert "input format" in capsys.readouterr().err


def test_population_report_writes_html_and_markdown(cohort: Path, tmp_path: Path) -> None:
    """population-report renders both documents from a results file."""
    out = tmp_path / "r.parquet"
    assert main(["batch", str(cohort), "-o", str(out), "--workers", "1"]) == 0
    html, md = tmp_path / "report.html", tmp_path / "report.md"
    assert main(["population-report", str(out), "--html", str(html), "--markdown", str(md)]) == 0
    assert "Patients: 250" in md.read_text()
    assert html.read_text().count("<svg") >= 7


def test_diff_population_counts_changed_patients(
    cohort: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """diff --profile P --population F reports patients whose advice changes, with examples."""
    profile = tmp_path / "late.json"
    profile.write_text(json.dumps({"less_irritable_onset_minutes": 50}))
    args = ["diff", "--profile", str(profile), "--population", str(cohort), "--structural-only"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "250 patients compared, 1 records rejected" in text
    assert "irritability:" in text and "less-irritable -> outside-guideline" in text
    assert main([*args, "--format", "json", "--workers", "2"]) == 0
    data = json.loads(capsys.readouterr().out)["population"]
    pairs = {(p["from"], p["to"]): p for p in data["decisions"]["irritability"]}
    moved = pairs[("less-irritable", "outside-guideline")]
    assert moved["patients"] > 0 and 1 <= len(moved["examples"]) <= 3
    assert main([*args, "--fail-on-difference"]) == 1


def test_diff_population_same_rules_changes_nothing(
    cohort: Path, rules_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two copies of the same rules move no patient, and --fail-on-difference stays 0."""
    args = ["diff", str(rules_copy), str(rules_copy), "--population", str(cohort)]
    assert main([*args, "--fail-on-difference"]) == 0
    assert "0 patients get different advice" in capsys.readouterr().out
