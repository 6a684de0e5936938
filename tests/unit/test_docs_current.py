# SPDX-License-Identifier: MIT
"""Docs that cannot drift: every rule-set fingerprint, every count of the shipped rules and their
domain, every usage line and the command lists in README.md and docs/ match the code."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from pht_rules import RuleSet
from pht_rules.audit.verify import VerificationReport
from pht_rules.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted([ROOT / "README.md", ROOT / "CHANGELOG.md", *(ROOT / "docs").glob("*.md")])

# Fingerprints of rule sets other than the shipped one, shown on purpose, and where.
OTHER_RULE_SETS = {
    "88d43139498ae1a9": ("audit.md", "a copy with a conflicting rule, verified to show findings"),
    "6becc4fad8dee45a": ("audit.md", "a changed copy (version 1.1.0), side B of a diff"),
}

_FINGERPRINT = re.compile(
    r"(?:fingerprint[`'\"=: ]{0,3}|pht-core 1\.0\.0[ (]{1,2}|RuleSetInfo\([^)]*fingerprint=')"
    r"([0-9a-f]{12,16})\b"
)


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("no subcommands")


def test_every_fingerprint_quoted_is_the_shipped_one(ruleset: RuleSet) -> None:
    """A fingerprint in the docs is (a prefix of) the shipped rules' one, or one of the listed
    other rule sets shown on purpose."""
    stale: list[str] = []
    others: set[str] = set()
    for path in DOCS:
        for number, line in enumerate(_text(path).splitlines(), 1):
            for found in _FINGERPRINT.findall(line):
                if found in OTHER_RULE_SETS and OTHER_RULE_SETS[found][0] == path.name:
                    others.add(found)
                elif not ruleset.fingerprint.startswith(found):
                    stale.append(f"{path.name}:{number}: {found}")
    assert stale == [], f"stale fingerprints (the shipped one is {ruleset.fingerprint})"
    assert others == set(OTHER_RULE_SETS), "an exempted fingerprint is no longer quoted"


def test_rule_and_decision_counts(ruleset: RuleSet) -> None:
    """'N decisions, M rules' and 'M rules in N decisions' say what the shipped rules have."""
    rules, decisions = len(ruleset.rules), len(ruleset.decisions)
    patterns = [
        (re.compile(r"(\d+) decisions, (\d+) rules"), (decisions, rules)),
        (re.compile(r"(\d+) rules in (\d+) decisions"), (rules, decisions)),
        (re.compile(r"escalation\), (\d+) rules, each citing"), (rules,)),
    ]
    seen = 0
    for path in DOCS:
        text = " ".join(_text(path).split())
        for pattern, expected in patterns:
            for match in pattern.finditer(text):
                seen += 1
                got = tuple(int(g) for g in match.groups())
                assert got == expected, f"{path.name}: {match.group(0)!r}"
    assert seen >= 3


def test_domain_sizes_quoted_for_the_shipped_rules(
    shipped_verification: VerificationReport,
) -> None:
    """'On the shipped rules: N abstract states (M valid patients, K impossible ...' matches
    the session's verification of the shipped rules."""
    report = shipped_verification
    impossible = report.domain_size - report.states_checked
    pattern = re.compile(
        r"On the shipped rules: \**([\d,]+) abstract states\**[^(]*\(([\d,]+) valid patients"
        r"(?:, ([\d,]+) impossible)?"
    )
    seen = 0
    for path in DOCS:
        for match in pattern.finditer(" ".join(_text(path).split())):
            seen += 1
            size, valid, skipped = (int(g.replace(",", "")) if g else None for g in match.groups())
            assert (size, valid) == (report.domain_size, report.states_checked), path.name
            assert skipped in (None, impossible), path.name
    assert seen >= 2


def test_usage_lines_are_the_parser_s(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ``usage: pht-rules ...`` block in the docs is what the parser prints (80 columns)."""
    monkeypatch.setenv("COLUMNS", "80")
    parsers = {"": build_parser(), **{f" {k}": v for k, v in _subcommands().items()}}
    usage = re.compile(r"^usage: pht-rules(?: (\w+))?.*(?:\n {10,}.*)*", re.M)
    seen = 0
    for path in DOCS:
        for match in usage.finditer(_text(path)):
            seen += 1
            name = f" {match.group(1)}" if match.group(1) in _subcommands() else ""
            # Compared word by word: Python versions wrap usage lines differently.
            assert match.group(0).split() == parsers[name].format_usage().split(), path.name
    assert seen >= 2


def test_command_lists_name_every_command() -> None:
    """The README's command list and api.md's command table name every subcommand."""
    commands = set(_subcommands())
    readme = _text(ROOT / "README.md")
    block = readme[readme.index("Command line:") :].split("```")[1]
    listed = set(re.findall(r"(?:^pht-rules |\| )([\w-]+)", block, re.M))
    assert listed == commands
    api = _text(ROOT / "docs" / "api.md")
    table = api[api.index("## Command line: `pht-rules`") :].split("### ")[0]
    assert set(re.findall(r"^\| `(\w[\w-]*)", table, re.M)) == commands
