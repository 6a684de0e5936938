# SPDX-License-Identifier: MIT
"""The generated per-rule reference (``docs/rules.md``) and the condition renderers behind it."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pht_rules import RuleSet, load_rules
from pht_rules.audit.documents.clinical_logic import render_condition
from pht_rules.audit.documents.rule_reference import (
    REGENERATE,
    condition_lines,
    main,
    render_rule_reference,
)
from pht_rules.definitions.conditions import AllOf, AnyOf, Compare, IsUnknown, Not, ParamRef

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
Edit = Callable[[str, Callable[[Any], None]], Path]


@pytest.fixture(scope="module")
def ruleset() -> RuleSet:
    return load_rules()


@pytest.fixture(scope="module")
def rendered(ruleset: RuleSet) -> str:
    return render_rule_reference(ruleset)


def test_document_in_repository_matches_the_rules(rendered: str) -> None:
    """docs/rules.md is exactly what the bundled rules render to (regenerate it if not)."""
    if not DOCUMENT.is_file():
        pytest.fail(f"{DOCUMENT} is missing; from the repository root run:\n    {REGENERATE}")
    current = DOCUMENT.read_text(encoding="utf-8")
    if current != rendered:
        delta = "\n".join(
            list(
                difflib.unified_diff(
                    current.splitlines(),
                    rendered.splitlines(),
                    "docs/rules.md",
                    "rules",
                    lineterm="",
                )
            )[:40]
        )
        pytest.fail(f"docs/rules.md is out of date; regenerate with:\n    {REGENERATE}\n{delta}")


def test_one_section_per_rule_with_everything_it_needs(rendered: str, ruleset: RuleSet) -> None:
    """Each rule has its own section with decision, priority, outcome, condition, advice,
    citations with their text, and file:line."""
    sections = rendered.split("\n### ")[1:]
    assert [s.split("`")[1] for s in sections] == [r.id for r in ruleset.rules]
    for section, rule in zip(sections, ruleset.rules, strict=True):
        assert "- Decision: " in section and f"`{rule.decision}`" in section
        assert f"- Priority: {rule.priority}\n" in section
        assert f"- Outcome: `{rule.outcome}` - " in section
        assert f"- Defined in: `{rule.resource}:{rule.line}`" in section
        assert "\nCondition:\n\n- " in section and "\nAdvice: " in section
        for cid in rule.cites:
            entry = ruleset.catalogue.get(cid)
            assert entry is not None
            assert f"- `{cid}` ({entry.kind}" in section
            assert entry.text.replace("<", "&lt;") in section


def test_parameters_show_their_defaults(rendered: str) -> None:
    """A parameter reads as its name and default value, in conditions and advice alike."""
    section = rendered.split("### `irritability.late-run-pain`")[1].split("\n### ")[0]
    assert (
        "  - `symptoms.minutes_into_run_before_pain` at least {less_irritable_onset_minutes} (=30)"
        in section
    )
    assert "starts {less_irritable_onset_minutes} (=30) minutes or more" in section


def test_condition_renderers() -> None:
    """Nested groups render as nested bullets and as a parenthesised line."""
    cond = AllOf(
        (
            AnyOf((Compare("a.x", "is", True), IsUnknown("a.y"))),
            Not(Compare("a.n", "at_least", ParamRef("p"))),
        )
    )
    assert (
        render_condition(cond, {"p": 3}, code=False)
        == "(a.x is yes OR a.y is unknown) AND NOT (a.n at least {p} (=3))"
    )
    assert condition_lines(cond) == [
        "- all of:",
        "  - any of:",
        "    - `a.x` is yes",
        "    - `a.y` is unknown",
        "  - not:",
        "    - `a.n` at least {p}",
    ]


def test_command_writes_the_reference_or_reports_bad_rules(
    capsys: pytest.CaptureFixture[str], rendered: str, edit_rules: Edit
) -> None:
    """``python -m pht_rules.rule_docs`` prints the document; bad rules exit 4 with the place."""
    assert main([]) == 0
    assert capsys.readouterr().out == rendered

    def typo(doc: Any) -> None:
        doc["rules"][0]["outcome"] = "nope"

    assert main(["--rules", str(edit_rules("running.yaml", typo))]) == 4
    assert "running.yaml, line" in capsys.readouterr().err
