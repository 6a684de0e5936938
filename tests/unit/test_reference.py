# SPDX-License-Identifier: MIT
"""Tests for pht_rules.audit.documents.clinical_logic: the generated clinical-logic document."""

from __future__ import annotations

import dataclasses
import difflib
from importlib.resources import files
from pathlib import Path

import pytest

from pht_rules import RuleSet, load_rules
from pht_rules.audit.documents.clinical_logic import main, render_clinical_logic, render_condition
from pht_rules.definitions.conditions import AllOf, AnyOf, Compare, IsUnknown, Not, ParamRef

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "clinical-logic.md"
REGENERATE = "python -m pht_rules.reference > docs/clinical-logic.md"


@pytest.fixture(scope="module")
def ruleset() -> RuleSet:
    return load_rules()


@pytest.fixture(scope="module")
def rendered(ruleset: RuleSet) -> str:
    return render_clinical_logic(ruleset)


def test_document_in_repository_matches_the_rules(rendered: str) -> None:
    """docs/clinical-logic.md is exactly what the bundled rules render to."""
    if not DOCUMENT.is_file():
        pytest.fail(
            f"{DOCUMENT} is missing; generate it from the repository root with:\n    {REGENERATE}"
        )
    current = DOCUMENT.read_text(encoding="utf-8")
    if current != rendered:
        diff = difflib.unified_diff(
            current.splitlines(),
            rendered.splitlines(),
            "docs/clinical-logic.md",
            "rendered",
            lineterm="",
            n=1,
        )
        shown = "\n".join(list(diff)[:40])
        pytest.fail(
            "docs/clinical-logic.md is out of date with the rule files. Regenerate it from the "
            f"repository root with:\n    {REGENERATE}\nFirst differences:\n{shown}"
        )


def test_every_rule_id_is_named(ruleset: RuleSet, rendered: str) -> None:
    """Every rule appears in its decision's table, with its id."""
    missing = [r.id for r in ruleset.rules if f"| `{r.id}` |" not in rendered]
    assert not missing


def test_every_article_statement_is_traced(ruleset: RuleSet, rendered: str) -> None:
    """Every article statement has a traceability row; unencoded ones show the recorded reason."""
    statements = ruleset.catalogue.statements
    assert statements
    for entry in statements:
        assert f"| `{entry.id}` |" in rendered, entry.id
        if entry.not_encoded:
            assert f"not encoded: {entry.not_encoded}" in rendered, entry.id


def test_statement_without_citation_or_reason_is_flagged(ruleset: RuleSet) -> None:
    """A statement that no rule cites and that records no reason is marked as such."""
    catalogue = ruleset.catalogue
    entries = tuple(
        dataclasses.replace(e, not_encoded=None) if e.id == "ART-ADMIN-1" else e
        for e in catalogue.entries
    )
    changed = dataclasses.replace(
        ruleset, catalogue=dataclasses.replace(catalogue, entries=entries)
    )
    row = next(
        line
        for line in render_clinical_logic(changed).splitlines()
        if line.startswith("| `ART-ADMIN-1` |")
    )
    assert "not cited by any rule, and no reason recorded" in row


def test_guideline_gap_outcomes_are_marked(ruleset: RuleSet, rendered: str) -> None:
    """Each decision's guideline-gap outcomes, and only those, are marked as such."""
    expected = sum(len(d.gap_outcomes) for d in ruleset.decisions)
    assert expected
    assert rendered.count("` (guideline gap): ") == expected


def test_rendering_is_deterministic(rendered: str) -> None:
    """A fresh load of the same rule files renders to the same text."""
    assert render_clinical_logic(load_rules()) == rendered


def test_parameters_show_their_default_value(rendered: str) -> None:
    """Parameter references in conditions and advice read ``{name} (=value)``."""
    assert "`age_years` below {adolescent_age_below} (=18)" in rendered
    assert "Stop running for {stop_running_days} (=14) days" in rendered


def test_render_condition_nests_groups_in_parentheses() -> None:
    """Nested groups are parenthesised; leaves use describe(); NOT wraps its part."""
    cond = AllOf(
        (
            Compare("symptoms.pain_at_rest", "is", False),
            AnyOf(
                (
                    IsUnknown("symptoms.pain_when_running"),
                    Compare("symptoms.minutes_into_run_before_pain", "at_least", ParamRef("p")),
                )
            ),
            Not(Compare("loading.current_phase", "one_of", ("isometric", "plyometric"))),
        )
    )
    assert render_condition(cond, {"p": 30}) == (
        "`symptoms.pain_at_rest` is no AND (`symptoms.pain_when_running` is unknown OR "
        "`symptoms.minutes_into_run_before_pain` at least {p} (=30)) AND "
        "NOT (`loading.current_phase` one of [isometric, plyometric])"
    )


def test_render_condition_unwraps_single_part_groups() -> None:
    """A group of one part renders as that part."""
    cond = AnyOf((AllOf((Compare("age_years", "below", 18),)),))
    assert render_condition(cond, {}) == "`age_years` below 18"


def test_main_writes_the_document(capsys: pytest.CaptureFixture[str], rendered: str) -> None:
    """The entry point prints the rendering of the bundled rules and exits 0."""
    assert main([]) == 0
    assert capsys.readouterr().out == rendered


def test_main_reports_invalid_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With a broken rule directory the entry point prints each problem and exits 4."""
    for entry in files("pht_rules").joinpath("rules").iterdir():
        if entry.name.endswith(".yaml"):
            (tmp_path / entry.name).write_text(entry.read_text(encoding="utf-8"), encoding="utf-8")
    running = tmp_path / "running.yaml"
    running.write_text(
        running.read_text(encoding="utf-8").replace(
            "symptoms.pain_during_activity_nrs", "symptoms.pain_during_activty_nrs"
        ),
        encoding="utf-8",
    )
    assert main(["--rules", str(tmp_path)]) == 4
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "unknown field 'symptoms.pain_during_activty_nrs'" in captured.err
