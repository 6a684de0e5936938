# SPDX-License-Identifier: MIT
"""The decisions and their rules: outcomes, priorities, advice, details and placeholders."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, cast

from pht_rules.definitions.catalogue import Catalogue
from pht_rules.definitions.ruleset import Decision, DetailValue, HitPolicy, Parameter, Rule
from pht_rules.definitions.text import placeholder_names
from pht_rules.errors import closest
from pht_rules.loading._catalogue import _cites
from pht_rules.loading._conditions import _condition
from pht_rules.loading._yaml import (
    _HIT_POLICIES,
    MANIFEST,
    _check_keys,
    _line,
    _mapping,
    _Problems,
    _RuleContext,
    _text,
)
from pht_rules.patient.fields import decision_field, input_fields

__all__: list[str] = []

_RULE_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


def _decisions(
    docs: Mapping[str, Any],
    manifest: Mapping[str, Any],
    catalogue: Catalogue,
    parameters: tuple[Parameter, ...],
    problems: _Problems,
) -> tuple[Decision, ...]:
    order = [d for d in manifest.get("decisions", []) if isinstance(d, str)]
    headers: dict[str, tuple[str, Mapping[str, Any], Mapping[str, Any]]] = {}
    for resource, doc in docs.items():
        node = _mapping(doc, resource, problems, "a decision file")
        _check_keys(
            node, ("decision", "rules", "phases"), ("decision", "rules"), resource, problems
        )
        header = _mapping(node.get("decision", {}), resource, problems, "'decision'")
        _check_keys(
            header,
            ("id", "title", "question", "hit_policy", "outcomes", "gaps"),
            ("id", "title", "question", "hit_policy", "outcomes"),
            resource,
            problems,
        )
        did = header.get("id")
        if not isinstance(did, str):
            continue
        if did in headers:
            problems.add(
                resource, f"decision '{did}' is also defined in {headers[did][0]}", at=header
            )
            continue
        if did not in order:
            problems.add(resource, f"decision '{did}' is not listed in {MANIFEST}", at=header)
        headers[did] = (resource, header, node)
    for did in order:
        if did not in headers:
            problems.add(MANIFEST, f"lists decision '{did}', but no rule file defines it")

    param_sources = {p.name: p.sources for p in parameters}
    outcomes_of: dict[str, tuple[str, ...]] = {}
    for did, (resource, header, _) in headers.items():
        outcomes = header.get("outcomes")
        if not isinstance(outcomes, dict) or not outcomes:
            problems.add(resource, "'outcomes' must map each outcome to its meaning", at=header)
            outcomes_of[did] = ()
            continue
        outcomes_of[did] = tuple(str(o) for o in outcomes)
        if header.get("hit_policy") not in _HIT_POLICIES:
            problems.add(
                resource,
                f"hit_policy must be one of {', '.join(_HIT_POLICIES)}, got "
                f"{header.get('hit_policy')!r}",
                at=header,
            )
    policies = {did: h[1].get("hit_policy") for did, h in headers.items()}

    base_fields = {f.path: f for f in input_fields()}
    decision_fields = {
        f"decision.{did}": decision_field(did, outs, str(headers[did][1].get("title", did)))
        for did, outs in outcomes_of.items()
        if policies.get(did) != "collect"
    }
    seen_rules: dict[str, str] = {}
    built: dict[str, Decision] = {}
    for did, (resource, header, node) in headers.items():
        rules_raw = node.get("rules")
        if not isinstance(rules_raw, list) or not rules_raw:
            problems.add(resource, "'rules' must be a non-empty list", at=node)
            continue
        ctx = _RuleContext(resource, did, base_fields, decision_fields, param_sources, problems)
        rules: list[Rule] = []
        for raw in rules_raw:
            rule = _rule(raw, ctx, outcomes_of[did], catalogue, seen_rules)
            if rule is not None:
                rules.append(rule)
        built[did] = Decision(
            id=did,
            title=_text(header.get("title", did)),
            question=_text(header.get("question", "")),
            hit_policy=cast(HitPolicy, header.get("hit_policy", "first")),
            outcomes=tuple((str(k), _text(v)) for k, v in (header.get("outcomes") or {}).items()),
            rules=tuple(rules),
            resource=resource,
            gap_outcomes=_gap_outcomes(header, outcomes_of[did], resource, problems),
        )
    return _order_by_dependencies(built, order, problems)


def _gap_outcomes(
    header: Mapping[str, Any], outcomes: tuple[str, ...], resource: str, problems: _Problems
) -> tuple[str, ...]:
    """The outcomes declared as guideline gaps; ``outside-guideline`` always is one."""
    declared = header.get("gaps", [])
    if not isinstance(declared, list) or not all(isinstance(g, str) for g in declared):
        problems.add(resource, "'gaps' must be a list of outcomes", at=header)
        return ()
    for gap in declared:
        if gap not in outcomes:
            problems.add(resource, f"'gaps' names '{gap}', which is not an outcome", at=header)
    implied = ["outside-guideline"] if "outside-guideline" in outcomes else []
    return tuple(dict.fromkeys([*implied, *declared]))


def _order_by_dependencies(
    built: Mapping[str, Decision], order: list[str], problems: _Problems
) -> tuple[Decision, ...]:
    deps = {
        did: tuple(
            dict.fromkeys(
                f.split(".", 1)[1] for r in d.rules for f in r.fields if f.startswith("decision.")
            )
        )
        for did, d in built.items()
    }
    stage: dict[str, int] = {}

    def visit(did: str, trail: tuple[str, ...]) -> int:
        if did in stage:
            return stage[did]
        if did in trail:
            cycle = " -> ".join((*trail[trail.index(did) :], did))
            problems.add(built[did].resource, f"decisions depend on each other in a cycle: {cycle}")
            return 1
        s = 1 + max((visit(d, (*trail, did)) for d in deps[did] if d in built), default=0)
        stage[did] = s
        return s

    for did in built:
        visit(did, ())
    ordered = [did for did in order if did in built] + [did for did in built if did not in order]
    return tuple(replace(built[did], stage=stage[did], depends_on=deps[did]) for did in ordered)


_RULE_KEYS = ("id", "title", "priority", "when", "outcome", "advice", "details", "cites")


_RULE_REQUIRED = ("id", "title", "priority", "when", "outcome", "advice", "cites")


def _rule(
    raw: Any,
    ctx: _RuleContext,
    outcomes: tuple[str, ...],
    catalogue: Catalogue,
    seen: dict[str, str],
) -> Rule | None:
    node = _mapping(raw, ctx.resource, ctx.problems, "a rule")
    rid = node.get("id")
    ctx.rule_id = rid if isinstance(rid, str) else None
    ctx.used_params = {}
    _check_keys(node, _RULE_KEYS, _RULE_REQUIRED, ctx.resource, ctx.problems, rule_id=ctx.rule_id)
    if not isinstance(rid, str) or not _RULE_ID.match(rid):
        ctx.add(f"rule id {rid!r} must be lower-case letters, digits, '.', '-' or '_'", node)
        return None
    if not rid.startswith(ctx.decision_id + "."):
        ctx.add(f"rule id must start with its decision id '{ctx.decision_id}.'", node)
    if rid in seen:
        ctx.add(f"duplicate rule id (also in {seen[rid]})", node)
        return None
    seen[rid] = ctx.resource
    priority = node.get("priority")
    if isinstance(priority, bool) or not isinstance(priority, int) or not 0 <= priority <= 9999:
        ctx.add(f"priority must be a whole number from 0 to 9999, got {priority!r}", node)
        priority = 0
    outcome = node.get("outcome")
    if outcome not in outcomes:
        ctx.add(
            f"outcome {outcome!r} is not an outcome of decision '{ctx.decision_id}'",
            node,
            suggestion=closest(str(outcome), outcomes),
        )
    cites = _cites(node.get("cites"), catalogue, ctx.resource, ctx.problems, node, ctx.rule_id)
    advice = _text(node.get("advice", ""))
    _check_placeholders(advice, ctx, node, "advice")
    details = _details(node.get("details"), ctx, node)
    when = _condition(node.get("when"), ctx, node) if "when" in node else None
    if when is None or outcome not in outcomes or not cites:
        return None
    # A rule also cites where every threshold it uses comes from, so its provenance travels with
    # each recommendation.
    sources = (s for name in ctx.used_params for s in ctx.param_sources[name])
    cites = tuple(dict.fromkeys((*cites, *sources)))
    return Rule(
        id=rid,
        title=_text(node.get("title", rid)),
        decision=ctx.decision_id,
        priority=priority,
        when=when,
        outcome=str(outcome),
        advice=advice,
        cites=cites,
        details=details,
        resource=ctx.resource,
        line=_line(node),
    )


def _check_placeholders(text: str, ctx: _RuleContext, at: object, where: str) -> None:
    try:
        names = placeholder_names(text)
    except ValueError as exc:
        ctx.add(f"{where}: malformed placeholder ({exc})", at)
        return
    for name in names:
        if name not in ctx.params:
            ctx.add(
                f"{where}: placeholder '{{{name}}}' is not a parameter",
                at,
                suggestion=closest(name, ctx.params),
            )
        else:
            ctx.used_params[name] = None


def _details(raw: Any, ctx: _RuleContext, at: object) -> tuple[tuple[str, DetailValue], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        ctx.add("'details' must map names to text or lists of text", at)
        return ()
    out: list[tuple[str, DetailValue]] = []
    for key, value in raw.items():
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            items = tuple(_text(v) for v in value)
            for item in items:
                _check_placeholders(item, ctx, at, f"details.{key}")
            out.append((str(key), items))
        elif isinstance(value, str | int):
            text = _text(value)
            _check_placeholders(text, ctx, at, f"details.{key}")
            out.append((str(key), text))
        else:
            ctx.add(f"details.{key} must be text or a list of text", at)
    return tuple(out)
