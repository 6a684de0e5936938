# SPDX-License-Identifier: MIT
"""``audit``: traceability both ways, provenance, profile deviations, guideline drift, reports."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml

from pht_rules import ProfileError, RuleFileError, RuleSet, load_rules
from pht_rules.audit import drift as audit_module
from pht_rules.audit.drift import check_drift, fingerprint_sections, split_sections
from pht_rules.audit.rendering import render_audit
from pht_rules.audit.report import AuditReport
from pht_rules.audit.traceability import audit
from pht_rules.cli.commands import EXIT_CHECK_FAILED, EXIT_INPUT, EXIT_OK, EXIT_RULES, main
from pht_rules.definitions.catalogue import normalise
from pht_rules.loading import bundled_rules, read_source_sections

Edit = Callable[[str, Callable[[Any], None]], Path]

# The source article itself is not copied into this repository: it is read from the project's
# shared material beside the checkout (or from PHT_RULES_SOURCE_ARTICLE).
# test_source_article_is_the_fingerprinted_one proves it is the text recorded in catalogue.yaml.
ARTICLE_PATH = Path(
    os.environ.get(
        "PHT_RULES_SOURCE_ARTICLE",
        Path(__file__).resolve().parents[3] / "shared/seed/proximal-hamstring-tendinopathy.txt",
    )
)
if not ARTICLE_PATH.is_file():  # pragma: no cover - a broken checkout layout, said plainly
    raise RuntimeError(
        f"source article not found at {ARTICLE_PATH}; set PHT_RULES_SOURCE_ARTICLE to its path"
    )
ARTICLE = ARTICLE_PATH.read_text(encoding="utf-8")

RUN = "Can I run with proximal hamstring tendinopathy?"
TREATMENT = "Treatment options"


@pytest.fixture(scope="module")
def shipped() -> RuleSet:
    return load_rules()


@pytest.fixture(scope="module")
def report(shipped: RuleSet) -> AuditReport:
    return audit(shipped, sections=read_source_sections(), source_text=ARTICLE)


def _rule(doc: Any, rule_id: str) -> dict[str, Any]:
    return next(r for r in doc["rules"] if r["id"] == rule_id)


def _statement(doc: Any, entry_id: str) -> dict[str, Any]:
    return next(s for s in doc["statements"] if s["id"] == entry_id)


# --------------------------------------------------------------------------------------------
# The shipped rules


def test_shipped_rules_pass_the_audit(
    report: AuditReport, shipped: RuleSet, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every article statement is encoded or explained, nothing dangles, nothing drifted."""
    counts = report.counts()
    with capsys.disabled():
        print(f"\naudit (shipped rules): {counts}")
    assert report.ok, [str(f) for f in report.errors]
    assert report.warnings == ()
    assert counts["statements"] == len(shipped.catalogue.statements) > 0
    assert counts["statements_unexplained"] == 0
    assert counts["statements_encoded"] + counts["statements_not_encoded"] == counts["statements"]
    assert counts["rules"] == len(shipped.rules)
    assert report.drift is not None and {d.status for d in report.drift} == {"unchanged"}


def test_traceability_runs_both_ways(report: AuditReport, shipped: RuleSet) -> None:
    """Statement -> rules citing it, and rule -> entries it cites, agree with the rule files."""
    by_id = {s.id: s for s in report.statements}
    assert "irritability.irritable" in by_id["ART-IRR-1"].rules
    assert by_id["ART-ADMIN-1"].status == "not-encoded" and by_id["ART-ADMIN-1"].rules == ()
    for trace in report.rules:
        rule = shipped.rule(trace.id)
        assert tuple(c for c, _ in trace.cites) == rule.cites
        assert trace.location == f"{rule.resource}:{rule.line}"
        for cid, kind in trace.cites:
            assert kind == shipped.catalogue.get(cid).kind  # type: ignore[union-attr]
            if kind == "article":
                assert trace.id in by_id[cid].rules


def test_parameter_table_with_provenance(report: AuditReport, shipped: RuleSet) -> None:
    """Each parameter has its provenance, sources with their kinds, and the rules using it."""
    rows = {p.name: p for p in report.parameters}
    assert set(rows) == {p.name for p in shipped.parameters}
    onset = rows["less_irritable_onset_minutes"]
    assert onset.provenance == "article" and ("ART-RUN-3", "article") in onset.sources
    assert "irritability.late-run-pain" in onset.rules
    counts = report.counts()
    for kind in ("article", "literature", "assumption"):
        assert counts[f"parameters_{kind}"] == sum(p.provenance == kind for p in shipped.parameters)
    assert all(p.rules for p in report.parameters)


def test_source_article_is_the_fingerprinted_one(shipped: RuleSet) -> None:
    """The catalogue fingerprints every section its statements cite, and this copy matches."""
    recorded = read_source_sections()
    cited = {normalise(s.section or "") for s in shipped.catalogue.statements}
    assert {s.heading for s in recorded} == cited
    headings = [s.heading for s in recorded]
    assert fingerprint_sections(ARTICLE, headings) == recorded


# --------------------------------------------------------------------------------------------
# Failing audits


def test_statement_without_reason_fails_naming_it(
    edit_rules: Edit, capsys: pytest.CaptureFixture[str]
) -> None:
    """Removing a statement's reason for not being encoded fails the audit, naming it."""

    def unexplain(doc: Any) -> None:
        del _statement(doc, "ART-PRES-4")["not_encoded"]

    rules = edit_rules("catalogue.yaml", unexplain)
    result = audit(load_rules(rules), sections=read_source_sections(rules))
    assert not result.ok
    assert [(f.kind, f.subject) for f in result.errors] == [("unexplained-statement", "ART-PRES-4")]
    assert main(["audit", "--rules", str(rules)]) == EXIT_CHECK_FAILED
    out = capsys.readouterr().out
    assert "Result: **FAIL**" in out
    assert "| error | unexplained-statement | `ART-PRES-4` |" in out


def test_statement_whose_only_rule_stops_citing_it_fails(edit_rules: Edit) -> None:
    """ART-TX-1 is encoded only by loading.start; when that rule stops citing it, audit fails."""

    def uncite(doc: Any) -> None:
        rule = _rule(doc, "loading.start")
        rule["cites"] = [c for c in rule["cites"] if c != "ART-TX-1"]

    result = audit(load_rules(edit_rules("loading.yaml", uncite)))
    assert [(f.kind, f.subject) for f in result.errors] == [("unexplained-statement", "ART-TX-1")]


def test_dangling_citation_is_reported_cleanly(
    edit_rules: Edit, capsys: pytest.CaptureFixture[str], shipped: RuleSet
) -> None:
    """A citation to nothing stops the load (exit 4, file, line, rule, no traceback); audit()
    given such a rule set names the rule."""

    def dangle(doc: Any) -> None:
        _rule(doc, "running.irritable-stop")["cites"] = ["ART-RUN-2", "ART-RUN-99"]

    rules = edit_rules("running.yaml", dangle)
    assert main(["audit", "--rules", str(rules)]) == EXIT_RULES
    err = capsys.readouterr().err
    assert err.startswith("pht-rules: running.yaml, line ")
    assert "rule 'running.irritable-stop': cites 'ART-RUN-99', which is not in the catalogue" in err
    assert "Traceback" not in err

    # audit() checks citations itself too, for rule sets built without the loader.
    rule = shipped.rule("running.irritable-stop")
    broken_rule = dataclasses.replace(rule, cites=(*rule.cites, "ART-RUN-99"))
    running = shipped.decision("running")
    broken_decision = dataclasses.replace(
        running, rules=tuple(broken_rule if r.id == rule.id else r for r in running.rules)
    )
    broken = dataclasses.replace(
        shipped,
        decisions=tuple(broken_decision if d.id == "running" else d for d in shipped.decisions),
    )
    errors = audit(broken).errors
    assert [(f.kind, f.subject, f.entry_ids) for f in errors] == [
        ("dangling-citation", "running.irritable-stop", ("ART-RUN-99",))
    ]


def test_malformed_section_fingerprint_names_its_line_and_field(
    edit_rules: Edit, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad source.sections entry is a rule-file error with line and field, exit 4."""

    def corrupt(doc: Any) -> None:
        doc["source"]["sections"][1]["sha256"] = "not-a-hash"

    rules = edit_rules("catalogue.yaml", corrupt)
    with pytest.raises(RuleFileError) as info:
        read_source_sections(rules)
    assert info.value.field_path == "source.sections[1].sha256"
    assert info.value.line is not None
    assert main(["audit", "--rules", str(rules)]) == EXIT_RULES
    assert "catalogue.yaml, line" in capsys.readouterr().err


def test_section_without_fingerprint_fails(edit_rules: Edit) -> None:
    """A statement citing a section the catalogue never fingerprinted fails the audit."""

    def drop_section(doc: Any) -> None:
        doc["source"]["sections"] = [s for s in doc["source"]["sections"] if s["heading"] != RUN]

    rules = edit_rules("catalogue.yaml", drop_section)
    result = audit(load_rules(rules), sections=read_source_sections(rules))
    failing = {f.subject for f in result.errors if f.kind == "unfingerprinted-section"}
    assert failing == {
        "ART-RUN-1",
        "ART-RUN-2",
        "ART-RUN-3",
        "ART-RUN-4",
        "ART-ADMIN-1",
        "ART-ADMIN-2",
    }


# --------------------------------------------------------------------------------------------
# Drift


def _edited_article() -> str:
    """The article with a sentence of the running section changed and the treatment section gone."""
    changed = ARTICLE.replace("it is ok to run for 20 minutes", "it is ok to run for 40 minutes")
    start = changed.index(TREATMENT)
    end = changed.index("Proximal Hamstring Tendinopathy Exercises")
    assert changed != ARTICLE
    return changed[:start] + changed[end:]


def test_drift_names_changed_and_vanished_sections_with_statements_and_rules(
    shipped: RuleSet,
) -> None:
    """A changed running section and a deleted treatment section are reported with what rests on
    them; the other sections are unchanged."""
    drift = {d.heading: d for d in check_drift(shipped, read_source_sections(), _edited_article())}
    assert drift[RUN].status == "changed"
    assert drift[RUN].statements == (
        "ART-RUN-1",
        "ART-RUN-2",
        "ART-RUN-3",
        "ART-RUN-4",
        "ART-ADMIN-1",
        "ART-ADMIN-2",
    )
    assert {"running.irritable-stop", "running.less-irritable-restricted"} <= set(drift[RUN].rules)
    assert "restricted_run_minutes" in drift[RUN].parameters
    assert drift[TREATMENT].status == "vanished" and drift[TREATMENT].current is None
    assert drift[TREATMENT].statements == (
        "ART-TX-1",
        "ART-TX-2",
        "ART-TX-3",
        "ART-TX-4",
        "ART-TX-5",
    )
    assert {"escalation.adjuncts", "loading.start"} <= set(drift[TREATMENT].rules)
    others = {h: d.status for h, d in drift.items() if h not in (RUN, TREATMENT)}
    assert set(others.values()) == {"unchanged"} and len(others) == 3


def test_rewrapped_text_is_not_drift(shipped: RuleSet) -> None:
    """Only words count: re-wrapping lines and changing spacing leaves every fingerprint intact."""
    rewrapped = ARTICLE.replace(". ", ".\n   ").replace("\n\n", "\n\n\n")
    drift = check_drift(shipped, read_source_sections(), rewrapped)
    assert {d.status for d in drift} == {"unchanged"}


def test_cli_audit_source_reports_drift_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``audit --source`` fails on drift, naming the sections, statements and rules."""
    source = tmp_path / "article.txt"
    source.write_text(_edited_article(), encoding="utf-8")
    assert main(["audit", "--source", str(source)]) == EXIT_CHECK_FAILED
    out = capsys.readouterr().out
    assert "| error | section-changed | `Can I run with proximal hamstring tendinopathy?` |" in out
    assert "| error | section-vanished | `Treatment options` |" in out
    assert "statements resting on it: ART-TX-1, ART-TX-2, ART-TX-3, ART-TX-4, ART-TX-5" in out
    source.write_text(ARTICLE, encoding="utf-8")
    assert main(["audit", "--source", str(source)]) == EXIT_OK
    assert "5 sections checked, 0 changed or vanished" in capsys.readouterr().out


def test_no_fingerprints_means_drift_cannot_be_checked(edit_rules: Edit) -> None:
    """Without fingerprints drift cannot be checked: a warning, and an error with a source."""

    def drop(doc: Any) -> None:
        del doc["source"]["sections"]

    rules = edit_rules("catalogue.yaml", drop)
    assert read_source_sections(rules) == ()
    result = audit(load_rules(rules), sections=(), source_text=ARTICLE)
    assert [f.kind for f in result.errors] == ["no-section-fingerprints"]
    unchecked = audit(load_rules(rules), sections=())
    assert unchecked.ok
    assert [f.kind for f in unchecked.warnings] == ["no-section-fingerprints"]


def test_split_sections_runs_heading_to_heading() -> None:
    """A section is its heading line to the next heading; a heading inside a line is text."""
    text = "Intro\nA\none  two\nB\nthree A\n"
    assert split_sections(text, ["A", "B"]) == {"A": "A one two", "B": "B three A"}
    assert split_sections(text, ["C"]) == {}


def test_fingerprints_command_prints_the_recorded_block(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``python -m pht_rules.audit fingerprints`` prints exactly the block in catalogue.yaml."""
    source = tmp_path / "article.txt"
    source.write_text(ARTICLE, encoding="utf-8")
    assert audit_module.main(["fingerprints", str(source)]) == 0
    printed = yaml.safe_load("source:\n" + capsys.readouterr().out)["source"]["sections"]
    catalogue = yaml.safe_load(bundled_rules().joinpath("catalogue.yaml").read_text("utf-8"))
    assert printed == catalogue["source"]["sections"]
    source.write_text("nothing here", encoding="utf-8")
    assert audit_module.main(["fingerprints", str(source)]) == 1


# --------------------------------------------------------------------------------------------
# Profiles and reports


def test_profile_deviations(shipped: RuleSet) -> None:
    """Every parameter a profile moves from its default is listed with the rules it affects."""
    result = audit(shipped, profile={"less_irritable_onset_minutes": 20, "stop_running_days": 14})
    assert [(d.name, d.default, d.value) for d in result.deviations] == [
        ("less_irritable_onset_minutes", 30, 20)
    ]
    assert "irritability.early-run-pain" in result.deviations[0].rules
    assert result.ok
    with pytest.raises(ProfileError):
        audit(shipped, profile={"less_irritable_onset_minutes": 500})


def test_cli_audit_profile_and_output_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--profile`` lists deviations; ``--output`` writes the report and prints a summary."""
    profile = tmp_path / "clinic.json"
    profile.write_text(
        json.dumps({"name": "clinic", "overrides": {"stop_running_days": 21}}), "utf-8"
    )
    target = tmp_path / "audit.md"
    assert main(["audit", "--profile", str(profile), "--output", str(target)]) == EXIT_OK
    assert capsys.readouterr().out.startswith("audit passed: 0 error(s), 0 warning(s)")
    text = target.read_text(encoding="utf-8")
    assert "- Profile `clinic`: 1 deviation(s) from the defaults." in text
    assert "| `stop_running_days` | 14 days | 21 days | 10..21 | article |" in text
    profile.write_text(json.dumps({"stop_running_days": 99}), "utf-8")
    assert main(["audit", "--profile", str(profile)]) == EXIT_INPUT


def test_markdown_report_has_the_matrix_and_tables(report: AuditReport) -> None:
    """The Markdown report has the verdict, statements x decisions, rules, parameters, drift."""
    text = render_audit(report, "markdown")
    assert "Result: **PASS**" in text
    assert "| Statement | Section | presentation | irritability | running |" in text
    assert (
        "| `ART-IRR-1` | What are the possible causes? |  | irritable, daily-activities-unknown |"
        in text
    )
    assert "## Parameters and provenance" in text and "## Source drift" in text
    assert render_audit(report, "markdown") == text  # deterministic


def test_json_report_is_complete(report: AuditReport) -> None:
    """The JSON report has counts, the matrix, rules, parameters and drift."""
    data = json.loads(render_audit(report, "json"))
    assert data["ok"] is True and data["counts"] == report.counts()
    assert data["matrix"]["ART-RUN-2"] == list(
        next(s.rules for s in report.statements if s.id == "ART-RUN-2")
    )
    assert {p["provenance"] for p in data["parameters"]} == {"article", "literature", "assumption"}
    assert [d["status"] for d in data["drift"]] == ["unchanged"] * 5


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.external += [v for k, v in attrs if k in ("src", "href") and v]
        if tag not in ("meta", "br"):
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack.pop() == tag, tag


def test_html_report_is_self_contained(report: AuditReport) -> None:
    """The HTML page is well nested, loads nothing external, and marks each citation."""
    page = render_audit(report, "html")
    parser = _Tags()
    parser.feed(page)
    assert parser.stack == [] and parser.external == []
    assert page.count('class="x"') == sum(len(s.rules) for s in report.statements)
    assert '<table class="matrix">' in page
