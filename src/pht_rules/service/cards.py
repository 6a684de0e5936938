# SPDX-License-Identifier: MIT
"""An :class:`~pht_rules.Assessment` as CDS Hooks 2.0 cards.

One card per decision that has something to say (decisions withheld behind a red flag, or still
undetermined, are folded into the red-flag card and the questions card), plus one card listing the
questions still to ask. Indicators follow the clinical weight (:func:`~pht_rules.fhir.clinical_weight`):
a red flag calling for referral is ``critical``; stopping running, escalation and further
assessment before loading are ``warning``; everything else ``info``.

Card and suggestion ``uuid``\\ s are derived (UUID 5) from the rule-set fingerprint, the service,
the input (response id, version and content) and the decision, outcome and rule ids, so the same
input always gives the same cards, and feedback on a card can be traced to its rules.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pht_rules.definitions.ruleset import RuleSet
from pht_rules.definitions.text import show_value
from pht_rules.evaluation.assessment import Assessment, Citation, DecisionResult
from pht_rules.fhir.codes import (
    BASE,
    CATALOGUE_SYSTEM,
    OVERRIDE_REASONS,
    OVERRIDE_REASONS_SYSTEM,
    QUESTIONNAIRE_URL,
    QUESTIONNAIRE_VERSION,
)
from pht_rules.fhir.output import citation_url, clinical_weight
from pht_rules.service.store import IssuedCard

__all__ = [
    "CARD_NAMESPACE",
    "SUMMARY_LIMIT",
    "CardSet",
    "assessment_cards",
    "missing_input_card",
]

CARD_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, f"{BASE}/cds-hooks/cards")
SUMMARY_LIMIT = 139
"""CDS Hooks: a summary is under 140 characters."""

_HALTED = {"withheld"}
_UNDECIDED = {"undetermined"}
_ORDER = {"critical": 0, "warning": 1, "info": 2}
_OVERRIDE_REASONS = [
    {"system": OVERRIDE_REASONS_SYSTEM, "code": c, "display": d} for c, d in OVERRIDE_REASONS
]


@dataclass(frozen=True, slots=True)
class CardSet:
    """The cards to return, and what to remember about each for feedback."""

    cards: list[dict[str, Any]]
    issued: list[IssuedCard]


def _summary(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_LIMIT else text[: SUMMARY_LIMIT - 1].rstrip() + "…"


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(CARD_NAMESPACE, "|".join(parts)))


def _source(
    cites: Sequence[str], by_id: dict[str, Citation], ruleset: RuleSet, guideline_url: str | None
) -> dict[str, Any]:
    entries = [by_id[c] for c in cites if c in by_id]
    articles = [e for e in entries if e.kind == "article"]
    if not entries:
        return {"label": f"pht_rules {ruleset.name} {ruleset.version}"}
    chosen = (articles or entries)[0]
    if chosen.kind == "article":
        where = f", '{chosen.section}'" if chosen.section else ""
        label = f"{chosen.id}: {ruleset.catalogue.source_title}{where}"
        url = guideline_url
    elif chosen.kind == "assumption":
        label = f"{chosen.id}: pht_rules assumption (no confirmed source)"
        url = None
    else:
        label = f"{chosen.id}: {(chosen.reference or chosen.text).split('. ')[0]}"
        url = citation_url(chosen.reference)
    source: dict[str, Any] = {
        "label": label,
        "topic": {"system": CATALOGUE_SYSTEM, "code": chosen.id, "display": chosen.text[:200]},
    }
    if url:
        source["url"] = url
    return source


def _sources_md(cites: Sequence[str], by_id: dict[str, Citation], ruleset: RuleSet) -> list[str]:
    lines = []
    for cid in dict.fromkeys(cites):
        c = by_id.get(cid)
        if c is None:
            continue
        if c.kind == "article":
            where = f", section *{c.section}*" if c.section else ""
            lines.append(f"- **{c.id}** ({ruleset.catalogue.source_title}{where}): {c.text}")
        elif c.kind == "assumption":
            why = f" *Rationale:* {c.rationale}" if c.rationale else ""
            lines.append(f"- **{c.id}** (assumption): {c.text}{why}")
        else:
            link = citation_url(c.reference)
            ref = f" [{link}]({link})" if link else ""
            lines.append(f"- **{c.id}** ({c.kind}): {c.reference or ''}{ref}")
    return lines


def _decision_detail(
    result: DecisionResult,
    assessment: Assessment,
    by_id: dict[str, Citation],
    ruleset: RuleSet,
    halted: Sequence[DecisionResult],
) -> str:
    selected = [h for h in result.hits if h.selected]
    out = [f"**{result.question}**", ""]
    out += [f"- {advice}" for advice in result.advice]
    for hit in selected:
        for key, value in hit.details.items():
            shown = "; ".join(value) if isinstance(value, tuple) else value
            out.append(f"- *{key.replace('_', ' ').capitalize()}:* {shown}")
    if halted:
        names = ", ".join(d.title.lower() for d in halted)
        out += ["", f"Advice on {names} is withheld until this is dealt with."]
    evidence = [(ev, hit.rule_id) for hit in selected for ev in hit.evidence]
    if evidence:
        out += ["", "**Why** (answers behind the suggestion):"]
        seen: set[tuple[str, str]] = set()
        for ev, _rule in evidence:
            if (ev.field, ev.test) in seen:
                continue
            seen.add((ev.field, ev.test))
            out.append(f"- `{ev.field}` = {show_value(ev.value)} ({ev.test})")
    if result.provisional_on:
        fields = ", ".join(f"`{f}`" for f in result.provisional_on)
        out += ["", f"**Provisional:** answers to {fields} could change this."]
    sources = _sources_md([c for h in selected for c in h.cites], by_id, ruleset)
    if sources:
        out += ["", "**Sources**", *sources]
    rules = ", ".join(f"`{h.rule_id}`" for h in selected) or "none"
    info = assessment.ruleset
    out += [
        "",
        f"Rule set {info.name} {info.version} (fingerprint `{info.fingerprint}`); rules: {rules}.",
        "",
        f"*{assessment.disclaimer}*",
    ]
    return "\n".join(out)


def _outcome_text(ruleset: RuleSet, result: DecisionResult) -> list[str]:
    try:
        texts = dict(ruleset.decision(result.decision_id).outcomes)
    except KeyError:
        texts = {}
    return [texts.get(o, o.replace("-", " ")) for o in result.outcomes]


def _decision_summary(ruleset: RuleSet, result: DecisionResult) -> str:
    texts = _outcome_text(ruleset, result)
    full = f"{result.title}: {' '.join(texts)}"
    if len(full) <= SUMMARY_LIMIT:
        return full
    short = ", ".join(o.replace("-", " ") for o in result.outcomes)
    return _summary(f"{result.title}: {short}")


def _card(
    uuid_: str,
    summary: str,
    detail: str,
    indicator: str,
    source: dict[str, Any],
    suggestion: str | None,
) -> dict[str, Any]:
    card: dict[str, Any] = {
        "uuid": uuid_,
        "summary": _summary(summary),
        "detail": detail,
        "indicator": indicator,
        "source": source,
    }
    if suggestion is not None:
        card["suggestions"] = [
            {"label": suggestion, "uuid": _uuid(uuid_, "accept"), "isRecommended": True}
        ]
        card["selectionBehavior"] = "at-most-one"
    card["overrideReasons"] = [dict(r) for r in _OVERRIDE_REASONS]
    return card


def _issued(
    card: dict[str, Any],
    service_id: str,
    ruleset: RuleSet,
    decision_id: str | None,
    outcomes: Sequence[str],
    rule_ids: Sequence[str],
) -> IssuedCard:
    return IssuedCard(
        uuid=card["uuid"],
        service_id=service_id,
        decision_id=decision_id,
        outcomes=tuple(outcomes),
        rule_ids=tuple(rule_ids),
        suggestion_uuids=tuple(s["uuid"] for s in card.get("suggestions", ())),
        ruleset_name=ruleset.name,
        ruleset_version=ruleset.version,
        ruleset_fingerprint=ruleset.fingerprint,
    )


def assessment_cards(
    assessment: Assessment,
    *,
    ruleset: RuleSet,
    service_id: str,
    input_key: str,
    guideline_url: str | None = None,
) -> CardSet:
    """The cards for ``assessment``; ``input_key`` identifies the input (for stable uuids)."""
    by_id = {c.id: c for c in assessment.citations}
    fp = assessment.ruleset.fingerprint
    halted = [d for d in assessment.decisions if d.outcome in _HALTED]
    undecided = [d for d in assessment.decisions if d.outcome in _UNDECIDED]
    ranked: list[tuple[int, int, dict[str, Any], IssuedCard]] = []
    for index, result in enumerate(assessment.decisions):
        if result.outcome in _HALTED or result.outcome in _UNDECIDED:
            continue
        weights = [clinical_weight(result.decision_id, o) for o in result.outcomes]
        indicator = min(weights, key=_ORDER.__getitem__)
        selected = [h for h in result.hits if h.selected]
        rule_ids = [h.rule_id for h in selected]
        card_id = _uuid(
            fp,
            service_id,
            input_key,
            result.decision_id,
            ",".join(result.outcomes),
            ",".join(rule_ids),
        )
        detail = _decision_detail(
            result, assessment, by_id, ruleset, halted if indicator == "critical" else ()
        )
        texts = _outcome_text(ruleset, result)
        card = _card(
            card_id,
            _decision_summary(ruleset, result),
            detail,
            indicator,
            _source([c for h in selected for c in h.cites], by_id, ruleset, guideline_url),
            _summary(f"Accept: {' '.join(texts)}"),
        )
        issued = _issued(card, service_id, ruleset, result.decision_id, result.outcomes, rule_ids)
        ranked.append((_ORDER[indicator], index, card, issued))
    if assessment.needs_information:
        card, issued = _questions_card(
            assessment, undecided, by_id, ruleset, service_id, input_key, guideline_url
        )
        ranked.append((_ORDER["info"], len(assessment.decisions), card, issued))
    ranked.sort(key=lambda r: (r[0], r[1]))
    return CardSet([r[2] for r in ranked], [r[3] for r in ranked])


def _questions_card(
    assessment: Assessment,
    undecided: Sequence[DecisionResult],
    by_id: dict[str, Citation],
    ruleset: RuleSet,
    service_id: str,
    input_key: str,
    guideline_url: str | None,
) -> tuple[dict[str, Any], IssuedCard]:
    needs = assessment.needs_information
    n = len(needs)
    plural = "s" if n != 1 else ""
    if undecided:
        summary = (
            f"{n} question{plural} to ask: {len(undecided)} decision"
            + ("s" if len(undecided) != 1 else "")
            + " cannot be made yet"
        )
    else:
        summary = f"{n} unanswered question{plural} could change these suggestions"
    lines = [
        "Unknown answers are never read as 'no'. Ask, update the questionnaire, and reopen.",
        "",
    ]
    lines += [
        f"- {need.question} (`{need.field}`; for {', '.join(need.decisions)})" for need in needs
    ]
    if undecided:
        lines += ["", "**Waiting for answers:**"]
        for d in undecided:
            lines.append(f"- {d.title}: {' '.join(d.advice) or 'undetermined'}")
    selected = [h for d in undecided for h in d.hits if h.selected]
    rule_ids = [h.rule_id for h in selected]
    cites = [c for h in selected for c in h.cites]
    info = assessment.ruleset
    lines += ["", f"Rule set {info.name} {info.version} (fingerprint `{info.fingerprint}`).", ""]
    lines.append(f"*{assessment.disclaimer}*")
    card_id = _uuid(
        info.fingerprint, service_id, input_key, "questions", ",".join(n.field for n in needs)
    )
    card = _card(
        card_id,
        summary,
        "\n".join(lines),
        "info",
        _source(cites, by_id, ruleset, guideline_url),
        _summary(f"Ask the {n} question{plural}"),
    )
    return card, _issued(card, service_id, ruleset, None, ("questions",), rule_ids)


def missing_input_card(
    *, patient_id: str, ruleset: RuleSet, service_id: str, prefetch_template: str, reason: str
) -> CardSet:
    """The card returned when no completed questionnaire response was available.

    Its uuid differs from patient to patient (feedback on it is about one patient's record): a
    UUID 5 of a digest of ``patient_id``, which holds no readable identifier.
    """
    digest = hashlib.sha256(patient_id.encode("utf-8")).hexdigest()
    card_id = _uuid(ruleset.fingerprint, service_id, "missing-input", digest)
    detail = "\n".join(
        [
            f"{reason} The proximal hamstring tendinopathy suggestions need the patient's latest "
            "completed response to the pht_rules intake questionnaire:",
            "",
            f"- Questionnaire: `{QUESTIONNAIRE_URL}|{QUESTIONNAIRE_VERSION}`",
            f"- Prefetch query: `{prefetch_template}`",
            "",
            "Have the intake questionnaire completed (every question may be answered *Asked But "
            "Unknown*), then reopen the patient's record.",
        ]
    )
    card = _card(
        card_id,
        "PHT suggestions need the intake questionnaire: no completed response found",
        detail,
        "info",
        {"label": f"pht_rules {ruleset.name} {ruleset.version}: intake questionnaire"},
        None,
    )
    return CardSet([card], [_issued(card, service_id, ruleset, None, ("missing-input",), ())])
