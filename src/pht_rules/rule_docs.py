# SPDX-License-Identifier: MIT
"""The per-rule reference (``docs/rules.md``), generated from the rule files.

One section per rule, in rule-set order: its id, title, decision, priority, outcome, the condition
as a readable nested list, the advice and details (placeholders shown with their default values),
every catalogue entry it cites with that entry's text, and the file and line that define it. The
text depends only on the loaded rule set, so the same rule files always give the same document::

    python -m pht_rules.rule_docs [--rules DIR] > docs/rules.md

The condition renderers here are also used by :mod:`pht_rules.diff` to show what changed.
"""

from __future__ import annotations

import string
import sys
from collections.abc import Iterator, Mapping, Sequence

from pht_rules.catalogue import CatalogueEntry
from pht_rules.conditions import AllOf, Compare, Condition, IsUnknown, Not, ParamRef
from pht_rules.conditions import describe as describe_test
from pht_rules.reference import document_main
from pht_rules.ruleset import Decision, Rule, RuleSet

__all__ = ["condition_lines", "condition_text", "main", "render_rule_reference", "with_values"]

REGENERATE = "python -m pht_rules.rule_docs > docs/rules.md"


# --------------------------------------------------------------------------------------------
# Conditions


def _leaf(leaf: Compare | IsUnknown, params: Mapping[str, int] | None) -> str:
    text = f"{leaf.field} {describe_test(leaf)}"
    if isinstance(leaf, Compare) and isinstance(leaf.value, ParamRef) and params is not None:
        value = params.get(leaf.value.name)
        if value is not None:
            text += f" (={value})"
    return text


def condition_text(cond: Condition, params: Mapping[str, int] | None = None) -> str:
    """A one-line form of a condition, e.g. ``(a is yes OR b is yes) AND c at least {p} (=30)``.

    A parameter reference is shown by name, followed by its value in ``params`` when given.
    """
    return _one_line(cond, params, nested=False)


def _one_line(cond: Condition, params: Mapping[str, int] | None, *, nested: bool) -> str:
    if isinstance(cond, Compare | IsUnknown):
        return _leaf(cond, params)
    if isinstance(cond, Not):
        return f"NOT ({_one_line(cond.part, params, nested=False)})"
    if len(cond.parts) == 1:
        return _one_line(cond.parts[0], params, nested=nested)
    joiner = " AND " if isinstance(cond, AllOf) else " OR "
    text = joiner.join(_one_line(p, params, nested=True) for p in cond.parts)
    return f"({text})" if nested else text


def condition_lines(cond: Condition, params: Mapping[str, int] | None = None) -> list[str]:
    """A condition as a Markdown bullet list: ``all of:`` / ``any of:`` / ``not:`` groups, nested
    by indentation, each test on its own line with its field in code style."""
    return list(_lines(cond, params, depth=0))


def _lines(cond: Condition, params: Mapping[str, int] | None, *, depth: int) -> Iterator[str]:
    pad = "  " * depth
    if isinstance(cond, Compare | IsUnknown):
        text = _leaf(cond, params)
        field, _, test = text.partition(" ")
        yield f"{pad}- `{field}` {test}"
        return
    if isinstance(cond, Not):
        yield f"{pad}- not:"
        yield from _lines(cond.part, params, depth=depth + 1)
        return
    yield f"{pad}- {'all' if isinstance(cond, AllOf) else 'any'} of:"
    for part in cond.parts:
        yield from _lines(part, params, depth=depth + 1)


# --------------------------------------------------------------------------------------------
# The document


def _prose(text: str) -> str:
    """Text from the rule files, made safe for Markdown (no raw HTML)."""
    return text.replace("<", "&lt;")


def with_values(text: str, params: Mapping[str, int]) -> str:
    """``text`` with each ``{name}`` placeholder followed by its value: ``{name} (=value)``."""
    out: list[str] = []
    for literal, name, _spec, _conversion in string.Formatter().parse(text):
        out.append(literal)
        if name is not None:
            value = params.get(name)
            out.append("{" + name + "}" + ("" if value is None else f" (={value})"))
    return "".join(out)


def _anchor(rule_id: str) -> str:
    """The anchor GitHub-style renderers give a ``### `id` ...`` heading's id part."""
    return "".join(c for c in rule_id.lower() if c.isalnum() or c in "-_")


def _entry(entry: CatalogueEntry | None, cid: str) -> str:
    if entry is None:  # cannot happen for a loaded rule set; kept so rendering never fails
        return f"- `{cid}` (not in the catalogue)"
    where = f', section "{_prose(entry.section)}"' if entry.section else ""
    text = f"- `{cid}` ({entry.kind}{where}): {_prose(entry.text)}"
    if entry.citation:
        text += f" Reference: {_prose(entry.citation)}"
    if entry.rationale:
        text += f" Rationale: {_prose(entry.rationale)}"
    return text


def _rule(rule: Rule, decision: Decision, ruleset: RuleSet, params: Mapping[str, int]) -> list[str]:
    meaning = dict(decision.outcomes).get(rule.outcome, "")
    location = f"{rule.resource}:{rule.line}" if rule.line is not None else rule.resource
    lines = [
        "",
        f"### `{rule.id}`",
        "",
        f"**{_prose(rule.title)}**",
        "",
        f"- Decision: {_prose(decision.title)} (`{decision.id}`, hit policy `{decision.hit_policy}`)",
        f"- Priority: {rule.priority}",
        f"- Outcome: `{rule.outcome}` - {_prose(meaning)}",
        f"- Defined in: `{location}`",
        "",
        "Condition:",
        "",
        *condition_lines(rule.when, params),
        "",
        f"Advice: {_prose(with_values(rule.advice, params))}",
    ]
    if rule.details:
        lines += ["", "Details:", ""]
        for key, value in rule.details:
            label = key.replace("_", " ")
            if isinstance(value, tuple):
                lines.append(f"- {label}:")
                lines += [f"  - {_prose(with_values(v, params))}" for v in value]
            else:
                lines.append(f"- {label}: {_prose(with_values(value, params))}")
    lines += ["", f"Cites ({len(rule.cites)}):", ""]
    lines += [_entry(ruleset.catalogue.get(cid), cid) for cid in rule.cites]
    return lines


def render_rule_reference(ruleset: RuleSet) -> str:
    """The per-rule reference of ``ruleset`` as Markdown, from its rule data only.

    An index of every rule by decision, then one section per rule (decisions in rule-set order,
    rules in file order). Deterministic: the same rule files always give the same text.
    """
    params = ruleset.defaults
    lines = [
        f"# Rule reference: {ruleset.name} {ruleset.version}",
        "",
        "<!-- Generated by `python -m pht_rules.rule_docs` from the rule files.",
        "     Do not edit by hand: change the rules and regenerate. -->",
        "",
        f"Rule set `{ruleset.name}` version {ruleset.version}, fingerprint "
        f"`{ruleset.fingerprint}`: {len(ruleset.rules)} rules in {len(ruleset.decisions)} "
        "decisions. One section per rule; parameters are shown as `{name} (=default)`. A test on "
        "an unknown field is unknown, never false, and a rule fires only when its whole condition "
        "is true. For the decision-level view see `clinical-logic.md`; for the checks that run "
        "over these rules see `audit.md`.",
        "",
        "## Index",
        "",
    ]
    for d in ruleset.decisions:
        rules = ", ".join(f"[`{r.id}`](#{_anchor(r.id)})" for r in d.rules)
        lines.append(f"- {_prose(d.title)} (`{d.id}`): {rules}")
    for d in ruleset.decisions:
        lines += ["", f"## {_prose(d.title)} (`{d.id}`)", "", f"Question: {_prose(d.question)}"]
        for r in d.rules:
            lines += _rule(r, d, ruleset, params)
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Write the rule reference to standard output; 0 on success, 4 for bad rule files."""
    return document_main(
        "python -m pht_rules.rule_docs",
        "Write the per-rule reference of a rule set as Markdown to standard output.",
        render_rule_reference,
        argv,
    )


if __name__ == "__main__":
    sys.exit(main())
