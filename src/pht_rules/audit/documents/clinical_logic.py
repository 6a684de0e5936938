# SPDX-License-Identifier: MIT
# Over 400 lines: one generated document, section by section, in the order it is read.
"""The clinical logic of a rule set as a Markdown reference, generated from the rule data alone.

For each decision: its question, hit policy, outcomes and rules (conditions rendered from the
condition tree, parameters shown with their default values, citations); then which rules cite each
catalogue entry, and every parameter with its provenance. The text depends only on the loaded rule
set, so the same rule files always give the same document::

    python -m pht_rules.reference [--rules DIR] > docs/clinical-logic.md
"""

from __future__ import annotations

import argparse
import string
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import get_args

from pht_rules.definitions.catalogue import CatalogueEntry, EntryKind
from pht_rules.definitions.conditions import (
    AllOf,
    Compare,
    Condition,
    IsUnknown,
    Not,
    ParamRef,
    describe,
)
from pht_rules.definitions.ruleset import Decision, Provenance, Rule, RuleSet
from pht_rules.errors import RuleFileError
from pht_rules.loading import load_rules

__all__ = [
    "document_main",
    "leaf_text",
    "main",
    "prose",
    "render_clinical_logic",
    "render_condition",
    "with_values",
]

_HIT_POLICY_MEANING = {
    "unique": "at most one outcome may match; two matching rules with different outcomes are an "
    "error",
    "first": "the matching rule with the lowest priority number wins; a tie between different "
    "outcomes at that priority is an error",
    "collect": "every matching rule contributes its outcome, highest priority (lowest number) "
    "first",
}
_ENTRY_KINDS: tuple[str, ...] = get_args(EntryKind)
_NONE = "none"


# --------------------------------------------------------------------------------------------
# Text helpers


def prose(text: str) -> str:
    """Text from the rule files, made safe for Markdown (no raw HTML)."""
    return text.replace("<", "&lt;")


def _cell(text: str) -> str:
    """Text for one table cell: one line, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")


def _code(text: str) -> str:
    return f"`{text}`"


def _codes(items: Iterable[str]) -> str:
    shown = ", ".join(_code(i) for i in items)
    return shown or _NONE


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines.extend("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows)
    return lines


def with_values(text: str, params: Mapping[str, int]) -> str:
    """``text`` with each ``{name}`` placeholder followed by its value: ``{name} (=value)``."""
    out: list[str] = []
    for literal, name, _spec, _conversion in string.Formatter().parse(text):
        out.append(literal)
        if name is not None:
            value = params.get(name)
            out.append("{" + name + "}" + ("" if value is None else f" (={value})"))
    return "".join(out)


# --------------------------------------------------------------------------------------------
# Conditions


def leaf_text(leaf: Compare | IsUnknown, params: Mapping[str, int], *, code: bool = True) -> str:
    """One test as ``field test``, e.g. ``symptoms.pain_at_rest is yes``; a parameter is shown as
    ``{name} (=value)`` when ``params`` has its value. ``code`` puts the field in code style."""
    text = f"{_code(leaf.field) if code else leaf.field} {describe(leaf)}"
    if isinstance(leaf, Compare) and isinstance(leaf.value, ParamRef):
        value = params.get(leaf.value.name)
        if value is not None:
            text += f" (={value})"
    return text


def render_condition(cond: Condition, params: Mapping[str, int], *, code: bool = True) -> str:
    """A readable one-line form of a condition tree, as written (parameters not resolved).

    Leaves read as :func:`leaf_text`; groups are joined with ``AND`` / ``OR`` and put in
    parentheses when nested.
    """
    return _render(cond, params, code, nested=False)


def _render(cond: Condition, params: Mapping[str, int], code: bool, *, nested: bool) -> str:
    if isinstance(cond, Compare | IsUnknown):
        return leaf_text(cond, params, code=code)
    if isinstance(cond, Not):
        return f"NOT ({_render(cond.part, params, code, nested=False)})"
    if len(cond.parts) == 1:
        return _render(cond.parts[0], params, code, nested=nested)
    joiner = " AND " if isinstance(cond, AllOf) else " OR "
    text = joiner.join(_render(p, params, code, nested=True) for p in cond.parts)
    return f"({text})" if nested else text


# --------------------------------------------------------------------------------------------
# Sections


def _by_priority(decision: Decision) -> list[Rule]:
    order = {r.id: i for i, r in enumerate(decision.rules)}
    return sorted(decision.rules, key=lambda r: (r.priority, order[r.id]))


def _header(ruleset: RuleSet) -> list[str]:
    entries = ruleset.catalogue.entries
    kinds = ", ".join(
        f"{sum(1 for e in entries if e.kind == kind)} {kind}" for kind in _ENTRY_KINDS
    )
    lines = [
        f"# Clinical logic of {ruleset.name} {ruleset.version}",
        "",
        "<!-- Generated by `python -m pht_rules.reference` from the rule files.",
        "     Do not edit by hand: change the rules and regenerate. -->",
        "",
        f"Rule set `{ruleset.name}` version {ruleset.version}, fingerprint "
        f"`{ruleset.fingerprint}`: {prose(ruleset.title)}.",
    ]
    if ruleset.source:
        lines += ["", f"Source article: {prose(ruleset.source)}."]
    lines += [
        "",
        f"{len(ruleset.decisions)} decisions, {len(ruleset.rules)} rules, "
        f"{len(ruleset.parameters)} parameters and {len(entries)} catalogue entries ({kinds}).",
        "",
        "How to read the rule tables: a condition is three-valued. A test on an unknown field is "
        "unknown, never false; a rule fires only when its whole condition is true, and only "
        "`is unknown` / `is known` look at whether a field was answered. `decision.<id>` is the "
        "outcome of an earlier decision (an `undetermined` outcome reads as unknown). "
        "`{name} (=value)` is a parameter with its default value; a profile may change it within "
        "its allowed range (see Parameters). Rules are listed by priority, then file order. An "
        "outcome marked (guideline gap) is reported in the assessment's guideline gaps: the "
        "guideline does not cover the patient, and clinician judgement is needed.",
        "",
        "This document describes decision support for a clinician, not a diagnosis.",
        "",
        "## Decisions",
        "",
    ]
    lines += _table(
        ("Stage", "Decision", "Question", "Hit policy", "Rules", "Reads the outcome of"),
        (
            (
                str(d.stage),
                f"{prose(d.title)} ({_code(d.id)})",
                prose(d.question),
                _code(d.hit_policy),
                str(len(d.rules)),
                _codes(d.depends_on),
            )
            for d in ruleset.decisions
        ),
    )
    lines += [
        "",
        "A decision in a later stage runs after the decisions whose outcomes it reads.",
    ]
    return lines


def _decision(number: int, decision: Decision, params: Mapping[str, int]) -> list[str]:
    lines = [
        "",
        f"## {number}. {prose(decision.title)} (`{decision.id}`)",
        "",
        f"Question: {prose(decision.question)}",
        "",
        f"Hit policy: `{decision.hit_policy}` - "
        f"{_HIT_POLICY_MEANING.get(decision.hit_policy, 'see the rule file')}.",
        "",
        f"Stage {decision.stage}; reads the outcome of: {_codes(decision.depends_on)}; "
        f"defined in `{decision.resource}`.",
        "",
        "Outcomes:",
        "",
    ]
    gaps = set(decision.gap_outcomes)
    lines += [
        f"- `{outcome}`{' (guideline gap)' if outcome in gaps else ''}: {prose(meaning)}"
        for outcome, meaning in decision.outcomes
    ]
    lines += ["", f"Rules ({len(decision.rules)}):", ""]
    rules = _by_priority(decision)
    lines += _table(
        ("Priority", "Rule", "Title", "Outcome", "Condition", "Cites"),
        (
            (
                str(r.priority),
                _code(r.id),
                prose(r.title),
                _code(r.outcome),
                render_condition(r.when, params),
                _codes(r.cites),
            )
            for r in rules
        ),
    )
    lines += ["", "Advice (placeholders shown with their default values):", ""]
    for r in rules:
        lines.append(f"- `{r.id}`: {prose(with_values(r.advice, params))}")
        for key, value in r.details:
            label = key.replace("_", " ")
            if isinstance(value, tuple):
                items = "; ".join(prose(with_values(v, params)) for v in value)
                lines.append(f"  - {label}: {items}")
            else:
                lines.append(f"  - {label}: {prose(with_values(value, params))}")
    return lines


def _traceability(ruleset: RuleSet) -> list[str]:
    rules_citing, params_citing = ruleset.rules_citing(), ruleset.parameters_citing()
    entries = ruleset.catalogue.entries
    statements = [e for e in entries if e.kind == "article"]
    encoded = sum(1 for e in statements if rules_citing[e.id])
    reasoned = sum(1 for e in statements if not rules_citing[e.id] and e.not_encoded)
    missing = len(statements) - encoded - reasoned

    def encoded_by(e: CatalogueEntry) -> str:
        cited = rules_citing[e.id]
        if cited:
            text = _codes(cited)
            note = f" (also marked not encoded: {prose(e.not_encoded)})" if e.not_encoded else ""
            return text + note
        if e.not_encoded:
            return f"not encoded: {prose(e.not_encoded)}"
        return "**not cited by any rule, and no reason recorded**"

    lines = [
        "",
        "## Traceability: catalogue entry -> rules citing it",
        "",
        f"### Article statements ({len(statements)})",
        "",
        f"{encoded} encoded by at least one rule, {reasoned} not encoded with the reason recorded, "
        f"{missing} with neither. The statement text is the project's paraphrase of the article.",
        "",
    ]
    lines += _table(
        ("Entry", "Section", "Statement", "Rules citing it", "Parameters citing it"),
        (
            (
                _code(e.id),
                prose(e.section or ""),
                prose(e.text),
                encoded_by(e),
                _codes(params_citing[e.id]),
            )
            for e in statements
        ),
    )
    evidence = [e for e in entries if e.kind in ("literature", "secondary", "not-verified")]
    lines += [
        "",
        f"### Published evidence ({len(evidence)})",
        "",
        "Status: `literature` (bibliographic details confirmed), `secondary` (figure reported by a "
        "summary; primary text not inspected), `not-verified` (a detail could not be confirmed).",
        "",
    ]
    lines += _table(
        ("Entry", "Status", "Finding", "Citation", "Rules citing it", "Parameters citing it"),
        (
            (
                _code(e.id),
                e.kind,
                prose(e.text),
                prose(e.citation or ""),
                _codes(rules_citing[e.id]),
                _codes(params_citing[e.id]),
            )
            for e in evidence
        ),
    )
    assumptions = [e for e in entries if e.kind == "assumption"]
    lines += [
        "",
        f"### Assumptions ({len(assumptions)})",
        "",
        "Engineering defaults with no confirmed source.",
        "",
    ]
    lines += _table(
        ("Entry", "Assumption", "Rationale", "Rules citing it", "Parameters citing it"),
        (
            (
                _code(e.id),
                prose(e.text),
                prose(e.rationale or ""),
                _codes(rules_citing[e.id]),
                _codes(params_citing[e.id]),
            )
            for e in assumptions
        ),
    )
    return lines


def _sources(ruleset: RuleSet, ids: Sequence[str]) -> str:
    """Catalogue ids with the kind of each entry, e.g. ``LIT-NIELSEN-2014`` (not-verified)."""
    shown = []
    for cid in ids:
        entry = ruleset.catalogue.get(cid)
        shown.append(_code(cid) + ("" if entry is None else f" ({entry.kind})"))
    return ", ".join(shown) or _NONE


def _parameters(ruleset: RuleSet) -> list[str]:
    counts = ", ".join(
        f"{kind} {sum(1 for p in ruleset.parameters if p.provenance == kind)}"
        for kind in get_args(Provenance)
    )
    lines = [
        "",
        f"## Parameters ({len(ruleset.parameters)})",
        "",
        f"By provenance: {counts}. `article`: stated in the source article; `literature`: set from "
        "published evidence (the kind of each source is shown: some is secondary or not verified); "
        "`assumption`: an engineering default with no confirmed source. A profile may set a value "
        "within the allowed range.",
        "",
    ]
    lines += _table(
        ("Parameter", "Default", "Unit", "Allowed range", "Provenance", "Sources", "Description"),
        (
            (
                _code(p.name),
                str(p.value),
                p.unit,
                f"{p.minimum}..{p.maximum}",
                p.provenance,
                _sources(ruleset, p.sources),
                prose(p.description),
            )
            for p in ruleset.parameters
        ),
    )
    if ruleset.constraints:
        lines += ["", "A profile must also keep:", ""]
        lines += [f"- `{low} {op} {high}`" for low, op, high in ruleset.constraints]
    return lines


def render_clinical_logic(ruleset: RuleSet) -> str:
    """The clinical logic of ``ruleset`` as a Markdown document, from its rule data only.

    Decisions come in rule-set order, each with its question, hit policy, outcomes, a table of its
    rules and the advice they give; then the catalogue-to-rule traceability tables (every article
    statement, with the recorded reason for any that no rule encodes) and the parameter table.
    The result is deterministic: the same rule files always give the same text.
    """
    params = ruleset.defaults
    lines = _header(ruleset)
    for number, decision in enumerate(ruleset.decisions, start=1):
        lines += _decision(number, decision, params)
    lines += _traceability(ruleset)
    lines += _parameters(ruleset)
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# Command line


def document_main(
    prog: str, description: str, render: Callable[[RuleSet], str], argv: Sequence[str] | None
) -> int:
    """Shared command line of the generated documents: ``[--rules DIR]``, Markdown to stdout;
    0 on success, 4 (as ``pht-rules``) for invalid rule files."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument(
        "--rules", metavar="DIR", help="a rule directory (default: the bundled rules)"
    )
    args = parser.parse_args(argv)
    try:
        ruleset = load_rules(args.rules or None)
    except RuleFileError as exc:
        for problem in exc.problems:
            print(f"{prog}: {problem}", file=sys.stderr)
        return 4
    sys.stdout.write(render(ruleset))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Write the clinical-logic document to standard output; 0 on success, 4 for bad rule files."""
    return document_main(
        "python -m pht_rules.reference",
        "Write the clinical logic of a rule set as Markdown to standard output.",
        render_clinical_logic,
        argv,
    )


if __name__ == "__main__":
    sys.exit(main())
