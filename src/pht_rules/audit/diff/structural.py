# SPDX-License-Identifier: MIT
"""What changed in the rule files between two sides: decisions, rules, parameters, thresholds.

A *side* is a rule set with the parameters in force (its defaults, or a profile), so the same code
compares two rule directories, or one rule set under its defaults and under a profile.

The structural diff lists decisions, rules, parameters and catalogue entries added, removed or
changed (field by field: priority, condition, outcome, advice, details, citations ...), and the
effective thresholds: for each numeric field, the comparisons the rules make with it once
parameters are resolved.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pht_rules.audit.documents.clinical_logic import render_condition
from pht_rules.definitions.conditions import Compare, describe, leaves, resolve
from pht_rules.definitions.ruleset import Decision, Profile, Rule, RuleSet

__all__ = ["Change", "ChangeKind", "Side", "Subject", "effective_thresholds", "structural_diff"]


@dataclass(frozen=True, slots=True)
class Side:
    """One side of a comparison: a rule set, an optional profile, and a label for reports."""

    label: str
    ruleset: RuleSet
    profile: Profile | None = None

    def params(self) -> dict[str, int]:
        """The parameter values in force (validated; ProfileError if the profile is invalid)."""
        return self.ruleset.parameter_values(self.profile)


# --------------------------------------------------------------------------------------------
# Structural diff

ChangeKind = Literal["added", "removed", "changed"]
Subject = Literal["ruleset", "decision", "rule", "parameter", "threshold", "catalogue"]


@dataclass(frozen=True, slots=True)
class Change:
    """One structural change; ``rules`` names the rules a parameter or threshold change affects."""

    kind: ChangeKind
    subject: Subject
    id: str
    field: str = ""
    before: str | None = None
    after: str | None = None
    rules: tuple[str, ...] = ()

    def __str__(self) -> str:
        mark = {"added": "+", "removed": "-", "changed": "~"}[self.kind]
        head = f"{mark} {self.subject} {self.id}"
        if self.kind == "added":
            body = f": {self.after}" if self.after else ""
        elif self.kind == "removed":
            body = f": {self.before}" if self.before else ""
        else:
            body = f" {self.field}: {self.before} -> {self.after}"
        affected = f"  [affects {', '.join(self.rules)}]" if self.rules else ""
        return head + body + affected


def _rule_fields(rule: Rule) -> dict[str, str]:
    details = "; ".join(
        f"{k}={' / '.join(v) if isinstance(v, tuple) else v}" for k, v in rule.details
    )
    return {
        "decision": rule.decision,
        "title": rule.title,
        "priority": str(rule.priority),
        "when": render_condition(rule.when, {}, code=False),
        "outcome": rule.outcome,
        "advice": rule.advice,
        "details": details,
        "cites": ", ".join(rule.cites),
    }


def _decision_fields(d: Decision) -> dict[str, str]:
    return {
        "title": d.title,
        "question": d.question,
        "hit_policy": d.hit_policy,
        "outcomes": ", ".join(d.outcome_ids),
        "gaps": ", ".join(d.gap_outcomes),
        "reads": ", ".join(d.depends_on),
    }


def _changed(
    subject: Subject, ident: str, before: Mapping[str, str], after: Mapping[str, str]
) -> Iterator[Change]:
    for key in before:
        if before[key] != after.get(key):
            yield Change("changed", subject, ident, key, before[key], after.get(key))


def _cites_delta(before: Sequence[str], after: Sequence[str]) -> str:
    added = [c for c in after if c not in before]
    removed = [c for c in before if c not in after]
    parts = [f"+{c}" for c in added] + [f"-{c}" for c in removed]
    return ", ".join(parts) if parts else "reordered"


def effective_thresholds(
    ruleset: RuleSet, params: Mapping[str, int]
) -> dict[str, dict[str, tuple[str, ...]]]:
    """For each numeric field, each comparison made with it (``at least 30``) and the rules making
    it, with parameters resolved to ``params``."""
    out: dict[str, dict[str, list[str]]] = {}
    for r in ruleset.rules:
        for leaf in leaves(resolve(r.when, params)):
            if isinstance(leaf, Compare) and ruleset.fields[leaf.field].kind == "int":
                rules = out.setdefault(leaf.field, {}).setdefault(describe(leaf), [])
                if r.id not in rules:
                    rules.append(r.id)
    return {f: {t: tuple(rs) for t, rs in sorted(v.items())} for f, v in sorted(out.items())}


def structural_diff(a: Side, b: Side) -> tuple[Change, ...]:
    """Every structural change from ``a`` to ``b``, in a stable order: rule set, decisions, rules,
    parameters, effective thresholds, catalogue."""
    ra, rb = a.ruleset, b.ruleset
    out: list[Change] = []
    for key in ("name", "version", "title", "source"):
        old, new = str(getattr(ra, key)), str(getattr(rb, key))
        if old != new:
            out.append(Change("changed", "ruleset", ra.name, key, old, new))

    da = {d.id: d for d in ra.decisions}
    db = {d.id: d for d in rb.decisions}
    for did in [*da, *(d for d in db if d not in da)]:
        if did not in db:
            out.append(Change("removed", "decision", did, before=da[did].title))
        elif did not in da:
            out.append(Change("added", "decision", did, after=db[did].title))
        else:
            out.extend(
                _changed("decision", did, _decision_fields(da[did]), _decision_fields(db[did]))
            )
            # Order matters (collect order, ties); additions and removals are listed as rules.
            shared = {r.id for r in da[did].rules} & {r.id for r in db[did].rules}
            order_a = [r.id for r in da[did].rules if r.id in shared]
            order_b = [r.id for r in db[did].rules if r.id in shared]
            if order_a != order_b:
                out.append(
                    Change(
                        "changed",
                        "decision",
                        did,
                        "rule order",
                        ", ".join(order_a),
                        ", ".join(order_b),
                    )
                )

    rules_a = {r.id: r for r in ra.rules}
    rules_b = {r.id: r for r in rb.rules}
    for rid in [*rules_a, *(r for r in rules_b if r not in rules_a)]:
        if rid not in rules_b:
            r = rules_a[rid]
            out.append(Change("removed", "rule", rid, before=f"{r.title} -> {r.outcome}"))
        elif rid not in rules_a:
            r = rules_b[rid]
            out.append(Change("added", "rule", rid, after=f"{r.title} -> {r.outcome}"))
        else:
            fields_a, fields_b = _rule_fields(rules_a[rid]), _rule_fields(rules_b[rid])
            for change in _changed("rule", rid, fields_a, fields_b):
                if change.field == "cites":
                    delta = _cites_delta(rules_a[rid].cites, rules_b[rid].cites)
                    change = Change(
                        "changed", "rule", rid, "cites", change.before, f"{change.after} ({delta})"
                    )
                out.append(change)

    pa = {p.name: p for p in ra.parameters}
    pb = {p.name: p for p in rb.parameters}
    users_a, users_b = ra.parameter_users(), rb.parameter_users()
    va, vb = a.params(), b.params()
    profiled = a.profile is not None or b.profile is not None
    for name in [*pa, *(n for n in pb if n not in pa)]:
        affected = tuple(dict.fromkeys([*users_a.get(name, ()), *users_b.get(name, ())]))
        if name not in pb:
            out.append(
                Change("removed", "parameter", name, before=str(pa[name].value), rules=affected)
            )
            continue
        if name not in pa:
            out.append(
                Change("added", "parameter", name, after=str(pb[name].value), rules=affected)
            )
            continue
        x, y = pa[name], pb[name]
        for key, before, after in (
            ("default", f"{x.value} {x.unit}", f"{y.value} {y.unit}"),
            ("range", f"{x.minimum}..{x.maximum}", f"{y.minimum}..{y.maximum}"),
            ("provenance", x.provenance, y.provenance),
            ("sources", ", ".join(x.sources), ", ".join(y.sources)),
            ("description", x.description, y.description),
        ):
            if before != after:
                out.append(Change("changed", "parameter", name, key, before, after, affected))
        if profiled and va[name] != vb[name]:
            out.append(
                Change(
                    "changed",
                    "parameter",
                    name,
                    "value in force",
                    f"{va[name]} {x.unit}",
                    f"{vb[name]} {y.unit}",
                    affected,
                )
            )

    ta, tb = effective_thresholds(ra, va), effective_thresholds(rb, vb)
    for path in sorted(set(ta) | set(tb)):
        before_t, after_t = ta.get(path, {}), tb.get(path, {})
        if set(before_t) != set(after_t):
            moved = set(before_t) ^ set(after_t)
            affected = tuple(
                dict.fromkeys(
                    r for t in sorted(moved) for r in (*before_t.get(t, ()), *after_t.get(t, ()))
                )
            )
            out.append(
                Change(
                    "changed",
                    "threshold",
                    path,
                    "comparisons",
                    ", ".join(before_t) or "none",
                    ", ".join(after_t) or "none",
                    affected,
                )
            )

    ea = {e.id: e for e in ra.catalogue.entries}
    eb = {e.id: e for e in rb.catalogue.entries}
    for eid in [*ea, *(e for e in eb if e not in ea)]:
        if eid not in eb:
            out.append(Change("removed", "catalogue", eid, before=ea[eid].text))
        elif eid not in ea:
            out.append(Change("added", "catalogue", eid, after=eb[eid].text))
        else:
            x_e, y_e = ea[eid], eb[eid]
            fields_a = {
                k: str(getattr(x_e, k) or "")
                for k in ("kind", "text", "section", "citation", "rationale", "not_encoded")
            }
            fields_b = {k: str(getattr(y_e, k) or "") for k in fields_a}
            out.extend(_changed("catalogue", eid, fields_a, fields_b))
    return tuple(out)
