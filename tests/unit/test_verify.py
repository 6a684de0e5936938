# SPDX-License-Identifier: MIT
"""``verify``: the shipped rules pass every exact check, and each kind of broken rule set is caught
and named (a removed rule, a contradicting rule, a dead rule, a shadowed rule, an unsafe rule)."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from pht_rules import RuleSet, load_rules
from pht_rules.audit import verify as verify_module
from pht_rules.audit.verify import (
    VerificationReport,
    render_verification,
    verification_json,
    verify,
)
from pht_rules.cli.commands import EXIT_CHECK_FAILED, EXIT_INPUT, EXIT_OK, EXIT_RULES, main

Edit = Callable[[str, Callable[[Any], None]], Path]


@pytest.fixture(scope="module")
def shipped() -> RuleSet:
    return load_rules()


@pytest.fixture(scope="module")
def shipped_report(shipped: RuleSet) -> VerificationReport:
    """The full verification of the shipped rules, engine cross-check included (run once)."""
    return verify(shipped)


def _rule(doc: Any, rule_id: str) -> dict[str, Any]:
    return next(r for r in doc["rules"] if r["id"] == rule_id)


def keep_only(rules: Path, *decisions: str) -> Path:
    """Restrict a rule directory to ``decisions`` (and what they need), to keep a test fast.

    Verification works decision by decision, so the decisions dropped add nothing to what a test
    of the decisions kept can find.
    """
    manifest = yaml.safe_load((rules / "ruleset.yaml").read_text(encoding="utf-8"))
    manifest["decisions"] = list(decisions)
    (rules / "ruleset.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False), "utf-8")
    for path in rules.glob("*.yaml"):
        fixed = ("ruleset.yaml", "parameters.yaml", "catalogue.yaml")
        if path.name not in fixed and path.stem not in decisions:
            path.unlink()
    return rules


def _verify(rules: Path) -> VerificationReport:
    return verify(load_rules(rules), cross_check_engine=False)


def _kinds(report: VerificationReport) -> set[str]:
    return {f.kind for f in report.findings}


def test_shipped_rules_pass_every_check(
    shipped_report: VerificationReport, capsys: pytest.CaptureFixture[str]
) -> None:
    """No gap, conflict, dead or shadowed rule, invariant violation or engine mismatch, over a
    non-empty domain, in well under the 60 s budget."""
    with capsys.disabled():
        print(
            f"\nverify (shipped rules): {shipped_report.domain_size} abstract states, "
            f"{shipped_report.states_checked} assessed, {shipped_report.seconds:.1f} s"
        )
    assert shipped_report.ok, [str(f) for f in shipped_report.findings]
    assert shipped_report.engine_cross_checked
    assert shipped_report.domain_size > shipped_report.states_checked > 0
    assert {d.decision_id for d in shipped_report.decisions} == {
        d.id for d in load_rules().decisions
    }
    assert shipped_report.seconds < 60


def test_a_removed_rule_leaves_a_gap_with_an_example(edit_rules: Edit) -> None:
    """Without the restricted-running rule, less irritable patients get no running outcome."""

    def drop(doc: Any) -> None:
        doc["rules"].remove(_rule(doc, "running.less-irritable-restricted"))

    rules = keep_only(edit_rules("running.yaml", drop), "presentation", "irritability", "running")
    report = _verify(rules)
    gaps = [f for f in report.findings if f.kind == "gap"]
    assert gaps and {f.decision_id for f in gaps} == {"running"}
    example = gaps[0].example
    assert example is not None
    assert example["abstract"]["decision.irritability"] == "less-irritable"
    assert example["patient"]["symptoms"]["pain_at_rest"] is False


def test_a_contradicting_rule_is_a_conflict_naming_both_rules(edit_rules: Edit) -> None:
    """A copy of the irritable rule at the same priority with another outcome conflicts with it."""

    def contradict(doc: Any) -> None:
        twin = copy.deepcopy(_rule(doc, "irritability.irritable"))
        twin["id"] = "irritability.irritable-twin"
        twin["outcome"] = "less-irritable"
        doc["rules"].append(twin)

    report = _verify(keep_only(edit_rules("irritability.yaml", contradict), "irritability"))
    conflicts = [f for f in report.findings if f.kind == "conflict"]
    assert len(conflicts) == 1
    assert set(conflicts[0].rule_ids) == {"irritability.irritable", "irritability.irritable-twin"}
    assert conflicts[0].decision_id == "irritability"
    assert "irritable" in conflicts[0].message and "less-irritable" in conflicts[0].message


def test_a_conflict_is_not_also_reported_as_dead_rules(edit_rules: Edit) -> None:
    """Regression: conflicting rules and the rules downstream of them are not called dead."""

    def contradict(doc: Any) -> None:
        twin = copy.deepcopy(_rule(doc, "irritability.irritable"))
        twin["id"] = "irritability.irritable-twin"
        twin["outcome"] = "less-irritable"
        doc["rules"].append(twin)

    report = _verify(edit_rules("irritability.yaml", contradict))
    assert [f.kind for f in report.findings] == ["conflict"]


def test_a_rule_that_can_never_fire_is_dead(edit_rules: Edit) -> None:
    """A condition no patient can meet (younger than 10 and older than 20) is a dead rule."""

    def add_dead(doc: Any) -> None:
        doc["rules"].append(
            {
                "id": "irritability.impossible",
                "title": "Impossible age",
                "priority": 3,
                "when": {
                    "all": [
                        {"field": "age_years", "below": 10},
                        {"field": "age_years", "above": 20},
                    ]
                },
                "outcome": "irritable",
                "advice": "Never given.",
                "cites": ["ART-IRR-1"],
            }
        )

    rules = keep_only(edit_rules("irritability.yaml", add_dead), "presentation", "irritability")
    report = _verify(rules)
    assert [(f.kind, f.rule_ids) for f in report.findings] == [
        ("dead-rule", ("irritability.impossible",))
    ]


def test_a_rule_always_outranked_is_shadowed(edit_rules: Edit) -> None:
    """A lower-priority rule that fires only where the irritable rule already decides is shadowed."""

    def add_shadowed(doc: Any) -> None:
        doc["rules"].append(
            {
                "id": "irritability.rest-pain-again",
                "title": "Pain at rest (again)",
                "priority": 5,
                "when": {"field": "symptoms.pain_at_rest", "is": True},
                "outcome": "irritable",
                "advice": "Irritable.",
                "cites": ["ART-IRR-1"],
            }
        )

    report = _verify(keep_only(edit_rules("irritability.yaml", add_shadowed), "irritability"))
    assert [(f.kind, f.rule_ids) for f in report.findings] == [
        ("shadowed-rule", ("irritability.rest-pain-again",))
    ]


def test_an_unsafe_outcome_breaks_the_irritable_invariant(edit_rules: Edit) -> None:
    """Letting irritable patients run (restricted) violates INV-IRRITABLE-NO-RUNNING."""

    def unsafe(doc: Any) -> None:
        _rule(doc, "running.irritable-stop")["outcome"] = "restricted"

    rules = keep_only(edit_rules("running.yaml", unsafe), "presentation", "irritability", "running")
    report = _verify(rules)
    assert _kinds(report) == {"invariant"}
    messages = [f.message for f in report.findings]
    assert any(
        m.startswith("INV-IRRITABLE-NO-RUNNING: irritable, yet running is 'restricted'")
        for m in messages
    )
    example = report.findings[0].example
    assert example is not None and example["abstract"]["decision.irritability"] == "irritable"


def test_text_report_gives_domain_size_time_and_result(shipped_report: VerificationReport) -> None:
    """The text report has a row per decision, the domain size, the time and the verdict."""
    text = render_verification(shipped_report)
    assert re.search(
        rf"domain: {shipped_report.domain_size} abstract states \({shipped_report.states_checked} "
        r"made into valid patients and assessed, \d+ combinations no valid patient can take\), "
        r"checked exhaustively in \d+\.\d s",
        text,
    )
    for d in shipped_report.decisions:
        assert re.search(
            rf"^{re.escape(d.decision_id)}\s+{len(d.variables)}\s+{d.domain_size}\s", text, re.M
        )
    assert "durable-rules agrees with the reference interpreter on every state" in text
    assert text.rstrip().endswith(
        "result: OK - no gap, conflict, dead or shadowed rule, invariant violation or engine mismatch"
    )


def test_text_report_groups_repeated_findings(edit_rules: Edit) -> None:
    """One gap found in many parts of the domain is printed once, with its count and example."""

    def drop(doc: Any) -> None:
        doc["rules"].remove(_rule(doc, "running.less-irritable-restricted"))

    rules = keep_only(edit_rules("running.yaml", drop), "presentation", "irritability", "running")
    report = _verify(rules)
    text = render_verification(report)
    assert f"result: FAILED - {len(report.findings)} finding(s)" in text
    assert text.count("gap in 'running'") == 1
    assert f"({len(report.findings)} distinct cases, the first shown" in text
    assert "decision.irritability=less-irritable" in text and "patient: {" in text
    assert "engine cross-check: skipped (--no-engine-check)" in text


def test_json_report(shipped_report: VerificationReport) -> None:
    """The JSON report carries the sizes, the time and the (empty) findings."""
    data = json.loads(json.dumps(verification_json(shipped_report)))
    assert data["ok"] is True and data["findings"] == []
    assert data["domain_size"] == shipped_report.domain_size
    assert sum(d["domain_size"] for d in data["decisions"]) == data["domain_size"]


def test_cli_verify_on_the_shipped_rules_exits_0(
    monkeypatch: pytest.MonkeyPatch,
    shipped_report: VerificationReport,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``pht-rules verify`` prints the report and exits 0 (reusing this module's full run)."""
    calls: list[tuple[Any, ...]] = []

    def fake(ruleset: RuleSet, profile: Any, *, cross_check_engine: bool) -> VerificationReport:
        calls.append((ruleset.name, profile, cross_check_engine))
        return shipped_report

    monkeypatch.setattr(verify_module, "verify", fake)
    assert main(["verify"]) == EXIT_OK
    assert calls == [("pht-core", None, True)]
    out = capsys.readouterr().out
    assert f"domain: {shipped_report.domain_size} abstract states" in out
    assert "result: OK" in out


def test_cli_verify_names_a_broken_rule_and_exits_1(
    edit_rules: Edit, capsys: pytest.CaptureFixture[str]
) -> None:
    """On a broken rule set ``verify`` exits 1 and names the rule; JSON output too."""

    def add_shadowed(doc: Any) -> None:
        doc["rules"].append(
            {
                "id": "irritability.sitting-again",
                "title": "Sitting pain (again)",
                "priority": 6,
                "when": {"field": "symptoms.pain_on_sitting", "is": True},
                "outcome": "irritable",
                "advice": "Irritable.",
                "cites": ["ART-IRR-1"],
            }
        )

    rules = keep_only(edit_rules("irritability.yaml", add_shadowed), "irritability")
    assert main(["verify", "--rules", str(rules), "--no-engine-check"]) == EXIT_CHECK_FAILED
    out = capsys.readouterr().out
    assert "shadowed-rule in 'irritability' [irritability.sitting-again]" in out
    code = main(["verify", "--rules", str(rules), "--no-engine-check", "--format", "json"])
    assert code == EXIT_CHECK_FAILED
    data = json.loads(capsys.readouterr().out)
    assert data["findings"][0]["rule_ids"] == ["irritability.sitting-again"]


def test_cli_verify_with_a_profile(
    tmp_path: Path, rules_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A valid profile is verified and named; an invalid one exits 3 with one line, no traceback."""
    rules = keep_only(rules_copy, "irritability")
    profile = tmp_path / "early.json"
    profile.write_text(json.dumps({"less_irritable_onset_minutes": 20}), encoding="utf-8")
    assert (
        main(["verify", "--rules", str(rules), "--profile", str(profile), "--no-engine-check"])
        == EXIT_OK
    )
    assert "profile 'early'" in capsys.readouterr().out
    profile.write_text(json.dumps({"less_irritable_onset_minutes": 5}), encoding="utf-8")
    assert main(["verify", "--rules", str(rules), "--profile", str(profile)]) == EXIT_INPUT
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "less_irritable_onset_minutes" in err and "Traceback" not in err


def test_cli_verify_bad_rule_file_exits_4(
    edit_rules: Edit, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad rule file is reported with file, line, rule and field, exit 4, no traceback."""

    def typo(doc: Any) -> None:
        _rule(doc, "irritability.irritable")["when"]["any"][0]["field"] = "symptoms.pain_at_rst"

    rules = edit_rules("irritability.yaml", typo)
    assert main(["verify", "--rules", str(rules)]) == EXIT_RULES
    err = capsys.readouterr().err
    assert "irritability.yaml, line" in err
    assert "rule 'irritability.irritable'" in err and "symptoms.pain_at_rst" in err
