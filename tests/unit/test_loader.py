# SPDX-License-Identifier: MIT
"""Loading rule files: the bundled set, and every kind of error a user's rule file can have."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pht_rules import RuleFileError, load_rules
from pht_rules.definitions.conditions import AllOf, AnyOf, Compare, IsUnknown, ParamRef

Edit = Callable[[str, Callable[[Any], None]], Path]


def _rule(doc: Any, rule_id: str) -> dict[str, Any]:
    return next(r for r in doc["rules"] if r["id"] == rule_id)


def test_bundled_rules_load(ruleset: Any) -> None:
    """The shipped rules load, every rule cites something, and ids are unique."""
    ids = [r.id for r in ruleset.rules]
    assert len(ids) == len(set(ids)) >= 50
    assert all(r.cites for r in ruleset.rules)
    assert [d.id for d in ruleset.decisions] == [
        "presentation",
        "irritability",
        "running",
        "loading",
        "load-management",
        "escalation",
    ]


def test_stages_follow_dependencies(ruleset: Any) -> None:
    """A decision that reads another's outcome runs in a later stage."""
    stage = {d.id: d.stage for d in ruleset.decisions}
    for d in ruleset.decisions:
        for dep in d.depends_on:
            assert stage[dep] < stage[d.id]
    assert ruleset.decision("running").depends_on == ("presentation", "irritability")


def test_conditions_are_parsed_to_data(ruleset: Any) -> None:
    """A rule file's condition becomes a tree of condition objects with parameter references."""
    rule = ruleset.rule("irritability.late-run-pain")
    assert isinstance(rule.when, AllOf)
    last = rule.when.parts[-1]
    assert last == Compare(
        "symptoms.minutes_into_run_before_pain",
        "at_least",
        ParamRef("less_irritable_onset_minutes"),
    )
    undetermined = ruleset.rule("presentation.undetermined")
    assert isinstance(undetermined.when, AnyOf)
    assert IsUnknown("age_years", True) in undetermined.when.parts


def test_fingerprint_changes_with_content(edit_rules: Edit, ruleset: Any) -> None:
    """Any change to a rule file changes the rule set's fingerprint."""

    def retitle(doc: Any) -> None:
        doc["rules"][0]["title"] = "Renamed"

    changed = load_rules(edit_rules("running.yaml", retitle))
    assert changed.fingerprint != ruleset.fingerprint


def _error(path: Path) -> RuleFileError:
    with pytest.raises(RuleFileError) as info:
        load_rules(path)
    return info.value


def test_unknown_field_names_file_rule_line_and_suggestion(edit_rules: Edit) -> None:
    """A misspelt field fails the load with file, line, rule, field and a suggestion."""

    def typo(doc: Any) -> None:
        _rule(doc, "irritability.irritable")["when"]["any"][0]["field"] = "symptoms.pain_at_rst"

    err = _error(edit_rules("irritability.yaml", typo))
    problem = err.problems[0]
    assert problem.resource == "irritability.yaml"
    assert problem.rule_id == "irritability.irritable"
    assert problem.field_path == "symptoms.pain_at_rst"
    assert problem.line is not None and problem.line > 1
    assert "did you mean 'symptoms.pain_at_rest'" in str(err)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r["when"]["any"][0].update({"is": "yes"}), "is yes/no; compare it with true"),
        (lambda r: r["when"]["any"][0].update({"field": "age_years", "is": True}), "whole number"),
        (lambda r: r["when"]["any"][0].update({"matches": True}), "unknown operator 'matches'"),
        (lambda r: r.update({"cites": []}), "must cite at least one catalogue entry"),
        (lambda r: r.update({"cites": ["ART-NOPE-1"]}), "not in the catalogue"),
        (lambda r: r.update({"outcome": "maybe"}), "is not an outcome of decision"),
        (lambda r: r.update({"colour": "red"}), "unknown key 'colour'"),
        (lambda r: r.update({"advice": "Stop for {weeks} weeks"}), "placeholder '{weeks}'"),
        (lambda r: r["when"].update({"all": []}), "must stand alone"),
        (
            lambda r: r["when"]["any"][0].update({"field": "age_years", "is": 300}),
            "outside the range",
        ),
        (
            lambda r: r["when"]["any"][0].update(
                {"field": "age_years", "is": None, "at_least": {"param": "no_such"}}
            ),
            "needs exactly one operator",
        ),
        (
            lambda r: r["when"]["any"].__setitem__(
                0, {"field": "age_years", "at_least": {"param": "no_such_param"}}
            ),
            "unknown parameter 'no_such_param'",
        ),
        (
            lambda r: r["when"]["any"].__setitem__(0, {"field": "presentation.onset", "above": 3}),
            "needs a numeric field",
        ),
        (
            lambda r: r["when"]["any"].__setitem__(
                0, {"field": "decision.irritability", "is": "irritable"}
            ),
            "cannot read its own outcome",
        ),
    ],
)
def test_bad_rules_are_rejected_with_a_clear_message(
    edit_rules: Edit, change: Callable[[dict[str, Any]], None], message: str
) -> None:
    """Every kind of mistake in a rule is caught at load time and named."""

    def apply(doc: Any) -> None:
        change(_rule(doc, "irritability.irritable"))

    err = _error(edit_rules("irritability.yaml", apply))
    assert message in str(err)
    assert any(p.rule_id == "irritability.irritable" for p in err.problems)


def test_duplicate_rule_id_is_rejected(edit_rules: Edit) -> None:
    """Two rules with one id fail the load."""

    def dup(doc: Any) -> None:
        doc["rules"].append(dict(doc["rules"][0]))

    assert "duplicate rule id" in str(_error(edit_rules("running.yaml", dup)))


def test_undetermined_is_not_a_readable_value(edit_rules: Edit) -> None:
    """Reading 'undetermined' of another decision is rejected in favour of 'unknown: true'."""

    def read(doc: Any) -> None:
        _rule(doc, "running.irritability-unknown")["when"]["all"][1] = {
            "field": "decision.irritability",
            "is": "undetermined",
        }

    assert "use 'unknown: true'" in str(_error(edit_rules("running.yaml", read)))


def test_dependency_cycle_is_rejected(edit_rules: Edit) -> None:
    """Decisions that read each other's outcomes fail the load."""

    def cyc(doc: Any) -> None:
        _rule(doc, "irritability.irritable")["when"]["any"].append(
            {"field": "decision.running", "is": "stop"}
        )

    assert "cycle" in str(_error(edit_rules("irritability.yaml", cyc)))


def test_dangling_parameter_source_and_bad_hit_policy(edit_rules: Edit) -> None:
    """Parameters must cite the catalogue; hit policies must be known."""

    def bad_param(doc: Any) -> None:
        doc["parameters"][0]["sources"] = ["LIT-NOBODY-2099"]

    assert "LIT-NOBODY-2099" in str(_error(edit_rules("parameters.yaml", bad_param)))

    def bad_policy(doc: Any) -> None:
        doc["decision"]["hit_policy"] = "any"

    assert "hit_policy must be one of" in str(_error(edit_rules("running.yaml", bad_policy)))


def test_missing_files_and_yaml_errors(rules_copy: Path) -> None:
    """A missing manifest, an unlisted decision and broken YAML are reported, not raised raw."""
    (rules_copy / "escalation.yaml").write_text("decision: [unclosed\n", encoding="utf-8")
    err = _error(rules_copy)
    assert err.problems[0].resource == "escalation.yaml"
    assert "not valid YAML" in str(err)
    (rules_copy / "escalation.yaml").unlink()
    assert "no rule file defines it" in str(_error(rules_copy))
    (rules_copy / "ruleset.yaml").unlink()
    assert "ruleset.yaml" in str(_error(rules_copy))


def test_not_a_directory(tmp_path: Path) -> None:
    """Pointing at a missing directory is a rule-file error."""
    assert "not a rule directory" in str(_error(tmp_path / "nowhere"))
