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
from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from pht_rules.definitions.ruleset import RuleSet
from pht_rules.errors import RuleFileError, RuleProblem, UsageError
from pht_rules.loading._catalogue import _catalogue, _manifest
from pht_rules.loading._decisions import _decisions
from pht_rules.loading._parameters import _parameters
from pht_rules.loading._yaml import CATALOGUE, MANIFEST, PARAMETERS, _parse, _Problems
from pht_rules.patient.fields import FieldSpec, decision_field, input_fields

__all__ = ["bundled_rules", "bundled_ruleset", "load_rules", "rule_texts"]


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


@cache
def bundled_ruleset() -> RuleSet:
    """The bundled rules, loaded once per process (the one cache of them)."""
    return load_rules()


def _fingerprint(texts: Mapping[str, str]) -> str:
    digest = hashlib.sha256()
    for name in sorted(texts):
        digest.update(name.encode() + b"\0" + texts[name].encode("utf-8") + b"\0")
    return digest.hexdigest()[:16]


def rule_texts(ruleset: RuleSet) -> dict[str, str]:
    """The text of each rule file ``ruleset`` was loaded from, by file name.

    Raises :class:`~pht_rules.errors.UsageError` when the files changed since the rule set was
    loaded (their fingerprint no longer matches), so an export never mixes two versions.
    """
    directory = Path(ruleset.location)
    texts = _read_dir(directory if directory.is_dir() else bundled_rules())
    if _fingerprint(texts) != ruleset.fingerprint:
        raise UsageError(
            f"the rule files at {ruleset.location} no longer match the loaded rule set "
            f"(fingerprint {ruleset.fingerprint}); reload the rules before exporting"
        )
    return texts


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
        fingerprint=_fingerprint(texts),
        location=location,
    )
