# SPDX-License-Identifier: MIT
"""``diff``: structural changes between rule sets, and the exact regions where advice differs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pht_rules import Evaluator, PatientState, Profile, RuleSet, load_rules
from pht_rules.audit.diff import (
    DiffRegion,
    DiffReport,
    Side,
    diff,
    diff_json,
    render_diff,
)
from pht_rules.cli.commands import EXIT_CHECK_FAILED, EXIT_OK, EXIT_RULES, EXIT_USAGE, main
from pht_rules.testing import patient_states

Edit = Callable[[str, Callable[[Any], None]], Path]
EARLY = Profile({"less_irritable_onset_minutes": 20}, name="early")


@pytest.fixture(scope="module")
def shipped() -> RuleSet:
    return load_rules()


@pytest.fixture(scope="module")
def early(shipped: RuleSet) -> DiffReport:
    """The shipped rules under their defaults (A) and with the onset threshold at 20 min (B)."""
    return diff(Side("defaults", shipped), Side("early", shipped, EARLY))


def _rule(doc: Any, rule_id: str) -> dict[str, Any]:
    return next(r for r in doc["rules"] if r["id"] == rule_id)


def _param(doc: Any, name: str) -> dict[str, Any]:
    return next(p for p in doc["parameters"] if p["name"] == name)


def _regions(report: DiffReport, decision_id: str) -> list[DiffRegion]:
    return [r for r in report.regions if r.decision_id == decision_id]


def test_lower_onset_threshold_changes_irritability_for_minutes_20_to_29(early: DiffReport) -> None:
    """Pain from 20 to 29 minutes into a run moves from outside-guideline to less-irritable."""
    outcome = [r for r in _regions(early, "irritability") if r.kind == "outcome"]
    assert len(outcome) == 1
    region = outcome[0]
    where = dict(region.where)
    assert where["symptoms.minutes_into_run_before_pain"] == "20..29"
    assert where["symptoms.pain_when_running"] == "yes"
    assert where["symptoms.pain_at_rest"] == "no"
    assert region.a.outcomes == ("outside-guideline",) and region.b.outcomes == ("less-irritable",)
    assert region.a.rules == ("irritability.early-run-pain",)
    assert region.b.rules == ("irritability.late-run-pain",)
    assert 20 <= region.example["symptoms"]["minutes_into_run_before_pain"] <= 29


def test_the_change_flows_downstream_to_running_and_loading(early: DiffReport) -> None:
    """Running and loading differ too, only for patients whose irritability changed."""
    status = {d.decision_id: d.status for d in early.decisions or ()}
    assert status == {
        "presentation": "identical",
        "irritability": "different",
        "running": "different",
        "loading": "different",
        "load-management": "identical",
        "escalation": "identical",
    }
    running = _regions(early, "running")
    pairs = {(r.a.outcomes, r.b.outcomes) for r in running}
    assert pairs == {
        (("outside-guideline",), ("restricted",)),
        (("outside-guideline",), ("graded-return",)),
    }
    for region in running:
        assert (
            "decision.irritability",
            "outside-guideline (A) / less-irritable (B)",
        ) in region.where


def test_every_example_patient_really_gets_both_answers(
    early: DiffReport, shipped: RuleSet
) -> None:
    """Each region's example, assessed by each side, gives exactly the answers shown."""
    with Evaluator(shipped) as a, Evaluator(shipped, profile=EARLY) as b:
        for region in early.regions:
            got_a = a.evaluate(region.example).decision(region.decision_id)
            got_b = b.evaluate(region.example).decision(region.decision_id)
            assert got_a.outcomes == region.a.outcomes and got_a.advice == region.a.advice
            assert got_b.outcomes == region.b.outcomes and got_b.advice == region.b.advice


_A = Evaluator(engine="interpreter")
_B = Evaluator(profile=EARLY, engine="interpreter")
_EARLY_REPORT: list[DiffReport] = []


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        patient_states(unknown_weight=0.1, clear_screen=True),
        patient_states(unknown_weight=0.0, clear_screen=True),
    )
)
def test_no_difference_escapes_the_regions(state: PatientState) -> None:
    """For generated patients, any difference in any decision is one the diff reported."""
    if not _EARLY_REPORT:
        _EARLY_REPORT.append(diff(Side("a", _A.ruleset), Side("b", _B.ruleset, EARLY)))
    report = _EARLY_REPORT[0]
    reported = {
        (r.decision_id, r.a.outcomes, r.a.rules, r.b.outcomes, r.b.rules) for r in report.regions
    }
    for x, y in zip(_A.evaluate(state).decisions, _B.evaluate(state).decisions, strict=True):
        if (x.outcomes, x.advice) != (y.outcomes, y.advice):
            rules_x = tuple(h.rule_id for h in x.hits if h.selected)
            rules_y = tuple(h.rule_id for h in y.hits if h.selected)
            assert (x.decision_id, x.outcomes, rules_x, y.outcomes, rules_y) in reported


def test_text_output_shows_regions_side_by_side(early: DiffReport) -> None:
    """The text report lists the threshold change, each region, both answers and an example."""
    text = render_diff(early)
    assert (
        "~ parameter less_irritable_onset_minutes value in force: 30 min -> 20 min  "
        "[affects irritability.late-run-pain, irritability.early-run-pain]"
    ) in text
    assert (
        "~ threshold symptoms.minutes_into_run_before_pain comparisons: at least 30, below 30 -> at least 20, below 20"
        in text
    )
    assert (
        "    and symptoms.minutes_into_run_before_pain = 20..29\n  A: outside-guideline (irritability.early-run-pain)\n  B: less-irritable (irritability.late-run-pain)\n  example patient: {"
        in text
    )
    assert "3 of 6 decisions differ" in text


def test_identical_rule_sets_have_no_difference(shipped: RuleSet, rules_copy: Path) -> None:
    """A copy of the rules is structurally and behaviourally the same, without enumeration."""
    report = diff(Side("a", shipped), Side("b", load_rules(rules_copy)))
    assert report.structural == ()
    assert not report.behaviour_differs
    assert {d.status for d in report.decisions or ()} == {"identical"}
    assert "No patient gets different advice from A and B." in render_diff(report)


def test_a_copied_directory_with_a_new_default_matches_the_profile(
    early: DiffReport, shipped: RuleSet, edit_rules: Edit
) -> None:
    """Changing the default in a copied directory gives the same regions as the profile."""

    def lower(doc: Any) -> None:
        _param(doc, "less_irritable_onset_minutes")["value"] = 20

    other = load_rules(edit_rules("parameters.yaml", lower))
    report = diff(Side("shipped", shipped), Side("copy", other))
    assert [str(c) for c in report.structural] == [
        "~ parameter less_irritable_onset_minutes default: 30 min -> 20 min  "
        "[affects irritability.late-run-pain, irritability.early-run-pain]",
        "~ threshold symptoms.minutes_into_run_before_pain comparisons: at least 30, below 30 -> "
        "at least 20, below 20  [affects irritability.late-run-pain, irritability.early-run-pain]",
    ]
    assert report.regions == early.regions


def test_structural_diff_lists_rules_thresholds_and_citations(
    shipped: RuleSet, edit_rules: Edit
) -> None:
    """Added, removed, moved and changed rules, a constant threshold and citations are listed."""

    def edit(doc: Any) -> None:
        graded = _rule(doc, "running.graded-return")
        graded["priority"] = 3
        graded["cites"] = [c for c in graded["cites"] if c != "ART-CAUSE-2"] + ["ART-RUN-1"]
        doc["rules"].remove(_rule(doc, "running.early-pain"))
        extra = dict(_rule(doc, "running.irritability-unknown"))
        extra["id"] = "running.extra"
        extra["when"] = {"field": "symptoms.pain_during_activity_nrs", "at_least": 9}
        doc["rules"].append(extra)
        atypical = _rule(doc, "running.atypical")
        doc["rules"].remove(atypical)
        doc["rules"].append(atypical)

    other = load_rules(edit_rules("running.yaml", edit))
    changes = diff(Side("a", shipped), Side("b", other), behaviour=False).structural
    shown = [str(c) for c in changes]
    assert "~ rule running.graded-return priority: 4 -> 3" in shown
    assert (
        "- rule running.early-pain: Pain early in a run - outside the article -> outside-guideline"
        in shown
    )
    assert "+ rule running.extra: Irritability not yet known -> undetermined" in shown
    cites = next(c for c in changes if c.id == "running.graded-return" and c.field == "cites")
    assert cites.after is not None and cites.after.endswith("(+ART-RUN-1, -ART-CAUSE-2)")
    threshold = next(c for c in changes if c.subject == "threshold")
    assert threshold.id == "symptoms.pain_during_activity_nrs"
    assert threshold.after is not None and "at least 9" in threshold.after
    assert threshold.rules == ("running.extra",)
    order = next(c for c in changes if c.field == "rule order")
    assert order.id == "running" and order.before is not None and order.after is not None
    assert order.after.endswith("running.atypical")
    assert "running.early-pain" not in order.before  # removals are listed as rules, not here


def test_a_removed_decision_is_reported(shipped: RuleSet, edit_rules: Edit) -> None:
    """A decision only one side has is listed structurally and as only-in-a."""

    def drop(doc: Any) -> None:
        doc["decisions"].remove("load-management")

    rules = edit_rules("ruleset.yaml", drop)
    (rules / "load-management.yaml").unlink()
    report = diff(Side("a", shipped), Side("b", load_rules(rules)))
    assert "- decision load-management: Load management and prevention" in [
        str(c) for c in report.structural
    ]
    status = {d.decision_id: d.status for d in report.decisions or ()}
    assert status["load-management"] == "only-in-a"
    assert report.behaviour_differs


def test_json_output(early: DiffReport) -> None:
    """The JSON report carries the structural changes and every region with both answers."""
    data = json.loads(json.dumps(diff_json(early)))
    assert data["behaviour_differs"] is True
    irritability = next(d for d in data["decisions"] if d["decision_id"] == "irritability")
    outcome = next(r for r in irritability["regions"] if r["kind"] == "outcome")
    assert outcome["where"]["symptoms.minutes_into_run_before_pain"] == "20..29"
    assert outcome["a"]["outcomes"] == ["outside-guideline"]
    assert outcome["b"]["outcomes"] == ["less-irritable"]


# --------------------------------------------------------------------------------------------
# Command line


@pytest.fixture
def early_profile(tmp_path: Path) -> Path:
    path = tmp_path / "early.json"
    path.write_text(json.dumps({"less_irritable_onset_minutes": 20}), encoding="utf-8")
    return path


def test_cli_diff_profile_exits_0_unless_asked_to_fail(
    early_profile: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Differences are reported with exit 0; ``--fail-on-difference`` makes them exit 1."""
    assert main(["diff", "--profile", str(early_profile)]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.startswith("A: pht-core 1.0.0 from pht_rules/rules (bundled), default parameters")
    assert "B: pht-core 1.0.0 from pht_rules/rules (bundled), profile 'early'" in out
    assert "irritability, region" in out and "running, region" in out
    assert (
        main(["diff", "--profile", str(early_profile), "--fail-on-difference"]) == EXIT_CHECK_FAILED
    )
    capsys.readouterr()
    code = main(["diff", "--profile", str(early_profile), "--format", "json", "--structural-only"])
    assert code == EXIT_OK
    data = json.loads(capsys.readouterr().out)
    assert (
        data["decisions"] is None and data["structural"][0]["id"] == "less_irritable_onset_minutes"
    )


def test_cli_diff_two_directories(rules_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``diff A B`` on identical directories finds nothing and passes --fail-on-difference; one
    directory is compared with the bundled rules."""
    bundled = str(rules_copy)
    assert main(["diff", bundled, bundled, "--fail-on-difference"]) == EXIT_OK
    assert "Structural diff: 0 change(s)\n  none" in capsys.readouterr().out
    assert main(["diff", bundled, "--fail-on-difference"]) == EXIT_OK


def test_cli_diff_usage_and_rule_errors(
    edit_rules: Edit, capsys: pytest.CaptureFixture[str]
) -> None:
    """Wrong arguments exit 2; a bad directory exits 4 naming the directory, file and rule."""
    assert main(["diff"]) == EXIT_USAGE
    assert "diff needs two rule directories" in capsys.readouterr().err

    def typo(doc: Any) -> None:
        _rule(doc, "running.irritable-stop")["outcome"] = "stopp"

    rules = edit_rules("running.yaml", typo)
    assert main(["diff", str(rules), str(rules), str(rules)]) == EXIT_USAGE
    capsys.readouterr()
    assert main(["diff", str(rules)]) == EXIT_RULES
    err = capsys.readouterr().err
    assert f"{rules / 'running.yaml'}, line" in err
    assert "rule 'running.irritable-stop'" in err and "'stopp'" in err and "Traceback" not in err
