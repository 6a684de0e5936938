# SPDX-License-Identifier: MIT
"""Rule files -> a validated :class:`~pht_rules.definitions.ruleset.RuleSet`.

A rule directory holds ``ruleset.yaml`` (name, version, decisions in report order),
``parameters.yaml``, ``catalogue.yaml`` and one ``<decision>.yaml`` per decision. Every rule is
checked against the patient model when it loads: unknown fields, operators or parameters, values of
the wrong type or out of range, uncited rules, dangling citations and duplicate ids are all reported
together, each with its file, line, rule and field.
"""

from __future__ import annotations

import hashlib
import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import replace
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, cast

import yaml

from pht_rules.definitions.catalogue import Catalogue, CatalogueEntry, EntryKind
from pht_rules.definitions.conditions import (
    OPERATORS,
    ORDERING_OPERATORS,
    SET_OPERATORS,
    AllOf,
    AnyOf,
    Compare,
    Condition,
    IsUnknown,
    Not,
    Operator,
    ParamRef,
)
from pht_rules.definitions.ruleset import Decision, DetailValue, HitPolicy, Parameter, Rule, RuleSet
from pht_rules.errors import RuleFileError, RuleProblem, closest
from pht_rules.patient.fields import UNDETERMINED, FieldSpec, decision_field, input_fields

__all__ = ["CATALOGUE", "MANIFEST", "PARAMETERS", "bundled_rules", "load_rules"]

MANIFEST, PARAMETERS, CATALOGUE = "ruleset.yaml", "parameters.yaml", "catalogue.yaml"
_RULE_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_ENTRY_ID = re.compile(r"^[A-Z][A-Z0-9-]*$")
_PARAM_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_HIT_POLICIES: tuple[HitPolicy, ...] = ("unique", "first", "collect")
_PROVENANCES = ("article", "literature", "assumption")
_EVIDENCE_STATUS = ("literature", "secondary", "not-verified")
_CONSTRAINT = re.compile(r"^\s*([a-z][a-z0-9_]*)\s*(<=|<)\s*([a-z][a-z0-9_]*)\s*$")


class _LineDict(dict[str, Any]):
    """A YAML mapping that remembers the line it starts on."""

    line: int | None = None


# libyaml's parser (same data, same line numbers) reads the rule files about 7x faster than the
# pure-Python one; PyYAML wheels ship it, and the pure-Python loader is the fallback.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """A safe loader whose mappings remember their line numbers."""


def _construct_line_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> _LineDict:
    mapping = _LineDict(cast(dict[str, Any], loader.construct_mapping(node, deep=True)))
    mapping.line = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_line_mapping)


def _line(obj: object) -> int | None:
    return obj.line if isinstance(obj, _LineDict) else None


class _Problems:
    """Collects problems so that one load reports all of them."""

    def __init__(self) -> None:
        self.items: list[RuleProblem] = []

    def add(
        self,
        resource: str,
        message: str,
        *,
        at: object = None,
        rule_id: str | None = None,
        field_path: str | None = None,
        suggestion: str | None = None,
    ) -> None:
        self.items.append(
            RuleProblem(resource, message, _line(at), rule_id, field_path, suggestion)
        )


# --------------------------------------------------------------------------------------------
# Reading files


def bundled_rules() -> Traversable:
    """The rule directory shipped inside the package."""
    return files("pht_rules").joinpath("rules")


def _read_dir(directory: Traversable) -> dict[str, str]:
    texts: dict[str, str] = {}
    if not directory.is_dir():
        raise RuleFileError([RuleProblem(str(directory), "is not a rule directory")])
    for entry in sorted(directory.iterdir(), key=lambda e: e.name):
        if entry.name.endswith((".yaml", ".yml")) and entry.is_file():
            try:
                texts[entry.name] = entry.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise RuleFileError([RuleProblem(entry.name, f"cannot be read: {exc}")]) from None
    return texts


def _parse(name: str, text: str, problems: _Problems) -> Any:
    try:
        return yaml.load(text, Loader=_LineLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        column = f" (column {mark.column + 1})" if mark is not None else ""
        problems.items.append(RuleProblem(name, f"is not valid YAML: {what}{column}", line))
        return None


def load_rules(directory: str | Path | Traversable | None = None) -> RuleSet:
    """Load and validate a rule directory (default: the rules shipped with the package).

    Raises :class:`~pht_rules.errors.RuleFileError` listing every problem found.
    """
    if directory is None:
        source: Traversable = bundled_rules()
        location = "pht_rules/rules (bundled)"
    elif isinstance(directory, str | Path):
        source = Path(directory)
        location = str(directory)
    else:
        source = directory
        location = str(directory)
    texts = _read_dir(source)
    return _build(texts, location)


def _build(texts: Mapping[str, str], location: str) -> RuleSet:
    problems = _Problems()
    for required in (MANIFEST, PARAMETERS, CATALOGUE):
        if required not in texts:
            problems.add(required, f"is missing from the rule directory {location}")
    if problems.items:
        raise RuleFileError(problems.items)
    docs = {name: _parse(name, text, problems) for name, text in texts.items()}
    if problems.items:
        raise RuleFileError(problems.items)

    manifest = _manifest(docs[MANIFEST], problems)
    catalogue = _catalogue(docs[CATALOGUE], problems)
    parameters, constraints = _parameters(docs[PARAMETERS], catalogue, problems)
    decision_docs = {n: d for n, d in docs.items() if n not in (MANIFEST, PARAMETERS, CATALOGUE)}
    decisions = _decisions(decision_docs, manifest, catalogue, parameters, problems)
    if problems.items:
        raise RuleFileError(problems.items)

    fields: dict[str, FieldSpec] = {f.path: f for f in input_fields()}
    for d in decisions:
        fields[f"decision.{d.id}"] = decision_field(d.id, d.outcome_ids, d.title)
    digest = hashlib.sha256()
    for name in sorted(texts):
        digest.update(name.encode() + b"\0" + texts[name].encode("utf-8") + b"\0")
    return RuleSet(
        name=str(manifest["name"]),
        version=str(manifest["version"]),
        title=str(manifest.get("title", manifest["name"])),
        source=str(manifest.get("source", "")),
        decisions=decisions,
        parameters=parameters,
        constraints=constraints,
        catalogue=catalogue,
        fields=fields,
        fingerprint=digest.hexdigest()[:16],
        location=location,
    )


def _mapping(doc: Any, resource: str, problems: _Problems, what: str) -> Mapping[str, Any]:
    if not isinstance(doc, dict):
        problems.add(resource, f"{what} must be a mapping, got {type(doc).__name__}", at=doc)
        return {}
    return cast(Mapping[str, Any], doc)


def _check_keys(
    node: Mapping[str, Any],
    allowed: Iterable[str],
    required: Iterable[str],
    resource: str,
    problems: _Problems,
    *,
    rule_id: str | None = None,
    what: str = "",
) -> None:
    allowed = tuple(allowed)
    for key in node:
        if key not in allowed:
            problems.add(
                resource,
                f"unknown key '{key}'{what}",
                at=node,
                suggestion=closest(str(key), allowed),
                rule_id=rule_id,
            )
    for key in required:
        if key not in node:
            problems.add(resource, f"missing key '{key}'{what}", at=node, rule_id=rule_id)


def _text(value: Any) -> str:
    return " ".join(str(value).split())


# --------------------------------------------------------------------------------------------
# Manifest, catalogue and parameters


def _manifest(doc: Any, problems: _Problems) -> Mapping[str, Any]:
    node = _mapping(doc, MANIFEST, problems, "the manifest")
    _check_keys(
        node,
        ("name", "version", "title", "source", "decisions"),
        ("name", "version", "decisions"),
        MANIFEST,
        problems,
    )
    decisions = node.get("decisions")
    if "decisions" in node and (
        not isinstance(decisions, list) or not all(isinstance(d, str) for d in decisions)
    ):
        problems.add(MANIFEST, "'decisions' must be a list of decision ids", at=node)
    return node


def _catalogue(doc: Any, problems: _Problems) -> Catalogue:
    node = _mapping(doc, CATALOGUE, problems, "the catalogue")
    _check_keys(
        node,
        ("source", "statements", "evidence", "assumptions"),
        ("source", "statements"),
        CATALOGUE,
        problems,
    )
    source = _mapping(node.get("source", {}), CATALOGUE, problems, "'source'")
    entries: list[CatalogueEntry] = []
    seen: set[str] = set()

    def entry_id(item: Mapping[str, Any]) -> str | None:
        raw = item.get("id")
        if not isinstance(raw, str) or not _ENTRY_ID.match(raw):
            problems.add(CATALOGUE, f"entry id {raw!r} must look like 'ART-RUN-2'", at=item)
            return None
        if raw in seen:
            problems.add(CATALOGUE, f"duplicate catalogue id '{raw}'", at=item)
            return None
        seen.add(raw)
        return raw

    sections = {
        "statements": (("id", "section", "text", "not_encoded"), ("id", "section", "text")),
        "evidence": (
            ("id", "status", "citation", "finding"),
            ("id", "status", "citation", "finding"),
        ),
        "assumptions": (("id", "text", "rationale"), ("id", "text", "rationale")),
    }
    for section, (allowed, required) in sections.items():
        items = node.get(section, [])
        if not isinstance(items, list):
            problems.add(CATALOGUE, f"'{section}' must be a list", at=node)
            continue
        for item in items:
            item = _mapping(item, CATALOGUE, problems, f"an entry of '{section}'")
            _check_keys(item, allowed, required, CATALOGUE, problems)
            eid = entry_id(item)
            if eid is None or any(k not in item for k in required):
                continue
            if section == "statements":
                entries.append(
                    CatalogueEntry(
                        id=eid,
                        kind="article",
                        text=_text(item["text"]),
                        section=str(item["section"]),
                        not_encoded=_text(item["not_encoded"]) if "not_encoded" in item else None,
                    )
                )
            elif section == "evidence":
                status = item["status"]
                if status not in _EVIDENCE_STATUS:
                    problems.add(
                        CATALOGUE,
                        f"entry '{eid}': status must be one of {', '.join(_EVIDENCE_STATUS)}",
                        at=item,
                    )
                    continue
                entries.append(
                    CatalogueEntry(
                        id=eid,
                        kind=cast(EntryKind, status),
                        text=_text(item["finding"]),
                        citation=_text(item["citation"]),
                    )
                )
            else:
                entries.append(
                    CatalogueEntry(
                        id=eid,
                        kind="assumption",
                        text=_text(item["text"]),
                        rationale=_text(item["rationale"]),
                    )
                )
    return Catalogue(
        source_title=str(source.get("title", "")),
        source_publisher=str(source.get("publisher", "")),
        entries=tuple(entries),
    )


def _cites(
    raw: Any,
    catalogue: Catalogue,
    resource: str,
    problems: _Problems,
    at: object,
    rule_id: str | None,
) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw:
        problems.add(resource, "must cite at least one catalogue entry", at=at, rule_id=rule_id)
        return ()
    out: list[str] = []
    for cid in raw:
        if not isinstance(cid, str) or cid not in catalogue:
            problems.add(
                resource,
                f"cites '{cid}', which is not in the catalogue",
                at=at,
                suggestion=closest(str(cid), (e.id for e in catalogue.entries)),
                rule_id=rule_id,
            )
        elif cid not in out:
            out.append(cid)
    return tuple(out)


def _parameters(
    doc: Any, catalogue: Catalogue, problems: _Problems
) -> tuple[tuple[Parameter, ...], tuple[tuple[str, str, str], ...]]:
    node = _mapping(doc, PARAMETERS, problems, "the parameter file")
    _check_keys(node, ("parameters", "constraints"), ("parameters",), PARAMETERS, problems)
    items = node.get("parameters", [])
    out: list[Parameter] = []
    seen: set[str] = set()
    allowed = (
        "name",
        "value",
        "unit",
        "minimum",
        "maximum",
        "provenance",
        "sources",
        "description",
    )
    for item in items if isinstance(items, list) else []:
        item = _mapping(item, PARAMETERS, problems, "a parameter")
        _check_keys(item, allowed, allowed, PARAMETERS, problems)
        name = item.get("name")
        if not isinstance(name, str) or not _PARAM_NAME.match(name):
            problems.add(PARAMETERS, f"parameter name {name!r} must be snake_case", at=item)
            continue
        if name in seen:
            problems.add(PARAMETERS, f"duplicate parameter '{name}'", at=item)
            continue
        seen.add(name)
        nums = [item.get(k) for k in ("value", "minimum", "maximum")]
        if not all(isinstance(n, int) and not isinstance(n, bool) for n in nums):
            problems.add(
                PARAMETERS,
                f"parameter '{name}': value, minimum and maximum must be whole numbers",
                at=item,
            )
            continue
        value, lo, hi = cast(list[int], nums)
        if not lo <= value <= hi:
            problems.add(
                PARAMETERS,
                f"parameter '{name}': value {value} is outside its own range {lo}..{hi}",
                at=item,
            )
        provenance = item.get("provenance")
        if provenance not in _PROVENANCES:
            problems.add(
                PARAMETERS,
                f"parameter '{name}': provenance must be one of {', '.join(_PROVENANCES)}",
                at=item,
            )
            continue
        sources = _cites(item.get("sources"), catalogue, PARAMETERS, problems, item, None)
        out.append(
            Parameter(
                name=name,
                value=value,
                unit=str(item.get("unit", "")),
                minimum=lo,
                maximum=hi,
                provenance=provenance,
                sources=sources,
                description=_text(item.get("description", "")),
            )
        )
    constraints: list[tuple[str, str, str]] = []
    raw_constraints = node.get("constraints", [])
    for raw in raw_constraints if isinstance(raw_constraints, list) else [raw_constraints]:
        match = _CONSTRAINT.match(str(raw))
        if match is None or match.group(1) not in seen or match.group(3) not in seen:
            problems.add(
                PARAMETERS,
                f"constraint {raw!r} must read '<parameter> <= <parameter>' "
                "(or <) with known parameters",
                at=node,
            )
            continue
        low, op, high = match.group(1), match.group(2), match.group(3)
        constraints.append((low, op, high))
        defaults = {p.name: p.value for p in out}
        if low in defaults and high in defaults:
            a, b = defaults[low], defaults[high]
            if not (a < b if op == "<" else a <= b):
                problems.add(
                    PARAMETERS,
                    f"the defaults break the constraint '{low} {op} {high}' ({a} vs {b})",
                    at=node,
                )
    return tuple(out), tuple(constraints)


# --------------------------------------------------------------------------------------------
# Decisions and rules


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


class _RuleContext:
    def __init__(
        self,
        resource: str,
        decision_id: str,
        base_fields: Mapping[str, FieldSpec],
        decision_fields: Mapping[str, FieldSpec],
        param_sources: Mapping[str, tuple[str, ...]],
        problems: _Problems,
    ) -> None:
        self.resource = resource
        self.decision_id = decision_id
        self.fields = {
            **base_fields,
            **{k: v for k, v in decision_fields.items() if k != f"decision.{decision_id}"},
        }
        self.params = set(param_sources)
        self.param_sources = param_sources
        self.used_params: dict[str, None] = {}  # parameters the current rule uses
        self.problems = problems
        self.rule_id: str | None = None

    def add(
        self,
        message: str,
        at: object,
        field_path: str | None = None,
        *,
        suggestion: str | None = None,
    ) -> None:
        self.problems.add(
            self.resource,
            message,
            at=at,
            rule_id=self.rule_id,
            field_path=field_path,
            suggestion=suggestion,
        )


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
        names = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
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


_LEAF_KEYS = ("field", "unknown", *OPERATORS)


def _condition(raw: Any, ctx: _RuleContext, parent: object) -> Condition | None:
    if not isinstance(raw, dict) or len(raw) == 0:
        ctx.add("a condition must be a mapping with 'all', 'any', 'not' or 'field'", parent)
        return None
    at = raw if isinstance(raw, _LineDict) else parent
    groups = [k for k in ("all", "any", "not") if k in raw]
    if groups:
        if len(raw) != 1:
            ctx.add(
                f"'{groups[0]}' must stand alone in its condition; found also "
                f"{', '.join(repr(k) for k in raw if k != groups[0])}",
                at,
            )
            return None
        key = groups[0]
        if key == "not":
            part = _condition(raw["not"], ctx, at)
            return None if part is None else Not(part)
        items = raw[key]
        if not isinstance(items, list) or not items:
            ctx.add(f"'{key}' must be a non-empty list of conditions", at)
            return None
        parts = [_condition(item, ctx, at) for item in items]
        if any(p is None for p in parts):
            return None
        done = tuple(p for p in parts if p is not None)
        return AllOf(done) if key == "all" else AnyOf(done)
    return _leaf(raw, ctx, at)


def _leaf(raw: Mapping[str, Any], ctx: _RuleContext, at: object) -> Condition | None:
    for key in raw:
        if key not in _LEAF_KEYS:
            ctx.add(f"unknown operator '{key}'", at, suggestion=closest(str(key), _LEAF_KEYS))
            return None
    path = raw.get("field")
    if not isinstance(path, str):
        ctx.add("a test needs 'field' naming a patient-state field", at)
        return None
    spec = ctx.fields.get(path)
    if spec is None:
        if path == f"decision.{ctx.decision_id}":
            ctx.add(f"a decision cannot read its own outcome ('{path}')", at, path)
        elif path.startswith("decision."):
            ctx.add(
                f"unknown field '{path}' (no such decision, or a 'collect' decision, whose "
                "outcome cannot be read)",
                at,
                path,
            )
        else:
            ctx.add(f"unknown field '{path}'", at, path, suggestion=closest(path, ctx.fields))
        return None
    ops = [k for k in raw if k != "field"]
    if len(ops) != 1:
        ctx.add(
            f"a test on '{path}' needs exactly one operator, found "
            f"{', '.join(ops) if ops else 'none'}; combine tests with 'all'",
            at,
            path,
        )
        return None
    op = ops[0]
    value = raw[op]
    if op == "unknown":
        if not isinstance(value, bool):
            ctx.add(f"'unknown' on '{path}' takes true or false", at, path)
            return None
        return IsUnknown(path, value)
    return _compare(path, spec, cast(Operator, op), value, ctx, at)


def _compare(
    path: str, spec: FieldSpec, op: Operator, value: Any, ctx: _RuleContext, at: object
) -> Condition | None:
    if op in ORDERING_OPERATORS and spec.kind != "int":
        ctx.add(f"operator '{op}' needs a numeric field; '{path}' is {spec.kind}", at, path)
        return None
    if op in SET_OPERATORS:
        if not isinstance(value, list) or not value:
            ctx.add(f"'{op}' on '{path}' takes a non-empty list", at, path)
            return None
        checked = [_value(path, spec, v, ctx, at) for v in value]
        if any(v is None for v in checked):
            return None
        return Compare(path, op, tuple(v for v in checked if v is not None))
    if isinstance(value, dict):
        if set(value) != {"param"} or not isinstance(value["param"], str):
            ctx.add(f"value for '{path}' must be a constant or {{param: <name>}}", at, path)
            return None
        name = value["param"]
        if name not in ctx.params:
            ctx.add(f"unknown parameter '{name}'", at, path, suggestion=closest(name, ctx.params))
            return None
        if spec.kind != "int":
            ctx.add(f"parameters are numbers; '{path}' is {spec.kind}", at, path)
            return None
        ctx.used_params[name] = None
        return Compare(path, op, ParamRef(name))
    checked_value = _value(path, spec, value, ctx, at)
    return None if checked_value is None else Compare(path, op, checked_value)


def _value(
    path: str, spec: FieldSpec, value: Any, ctx: _RuleContext, at: object
) -> bool | int | str | None:
    if spec.kind == "bool" and not isinstance(value, bool):
        ctx.add(f"'{path}' is yes/no; compare it with true or false, not {value!r}", at, path)
        return None
    if spec.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            ctx.add(f"'{path}' is a whole number; got {value!r}", at, path)
            return None
        if not spec.admits(value):
            ctx.add(
                f"{value} is outside the range of '{path}' ({spec.minimum}..{spec.maximum})",
                at,
                path,
            )
            return None
    if spec.kind == "enum" and (not isinstance(value, str) or value not in spec.values):
        allowed = ", ".join(spec.values)
        extra = (
            " ('undetermined' reads as unknown: use 'unknown: true')"
            if value == UNDETERMINED
            else ""
        )
        ctx.add(f"{value!r} is not a value of '{path}' (one of: {allowed}){extra}", at, path)
        return None
    return cast(bool | int | str, value)
