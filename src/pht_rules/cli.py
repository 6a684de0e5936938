# SPDX-License-Identifier: MIT
"""The ``pht-rules`` command.

Exit codes:

====  =================================================================
0     success
1     ``check``: at least one clinical case failed
2     usage error (unknown command or option)
3     invalid input: patient state or profile (one line on stderr)
4     invalid rule files or case files (one line per problem on stderr)
5     evaluation error (for example two rules in conflict)
6     a file could not be read
====  =================================================================
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pht_rules import __version__
from pht_rules._loader import load_rules
from pht_rules.assessment import assessment_json_schema
from pht_rules.cases import CaseRunner, load_cases
from pht_rules.errors import (
    EvaluationError,
    PatientStateError,
    ProfileError,
    RuleFileError,
)
from pht_rules.evaluator import Evaluator
from pht_rules.explain import render_explanation
from pht_rules.models import PatientState
from pht_rules.ruleset import Profile, RuleSet

EXIT_OK, EXIT_CHECK_FAILED, EXIT_USAGE, EXIT_INPUT, EXIT_RULES, EXIT_EVALUATION, EXIT_IO = range(7)


class _Fail(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _Fail(EXIT_IO, f"cannot read {path}: {exc.__class__.__name__}: {exc}") from None


def _ruleset(args: argparse.Namespace) -> RuleSet:
    return load_rules(args.rules) if args.rules else load_rules()


def _profile(args: argparse.Namespace) -> Profile | None:
    if not getattr(args, "profile", None):
        return None
    text = _read(args.profile)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _Fail(EXIT_INPUT, f"profile {args.profile} is not valid JSON: {exc}") from None
    if isinstance(data, dict) and "overrides" in data:
        return Profile(overrides=data["overrides"], name=data.get("name"))
    if isinstance(data, dict):
        return Profile(overrides=data, name=Path(args.profile).stem)
    raise _Fail(EXIT_INPUT, f"profile {args.profile} must be a JSON object")


def _evaluate(args: argparse.Namespace) -> Any:
    ruleset = _ruleset(args)
    text = _read(args.file)
    with Evaluator(ruleset, profile=_profile(args), engine=args.engine) as evaluator:
        return evaluator.evaluate(text)


def cmd_evaluate(args: argparse.Namespace) -> int:
    print(_evaluate(args).to_json(indent=args.indent))
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    sys.stdout.write(render_explanation(_evaluate(args)))
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    schemas = {"input": PatientState.model_json_schema(), "output": assessment_json_schema()}
    out = schemas if args.which == "both" else schemas[args.which]
    print(json.dumps(out, indent=2, sort_keys=True))
    return EXIT_OK


def cmd_rules(args: argparse.Namespace) -> int:
    ruleset = _ruleset(args)
    if args.format == "json":
        data = {
            "ruleset": {
                "name": ruleset.name,
                "version": ruleset.version,
                "fingerprint": ruleset.fingerprint,
            },
            "decisions": [
                {
                    "id": d.id,
                    "title": d.title,
                    "hit_policy": d.hit_policy,
                    "rules": [
                        {
                            "id": r.id,
                            "title": r.title,
                            "priority": r.priority,
                            "outcome": r.outcome,
                            "cites": list(r.cites),
                            "fields": list(r.fields),
                            "file": r.resource,
                            "line": r.line,
                        }
                        for r in d.rules
                    ],
                }
                for d in ruleset.decisions
            ],
        }
        print(json.dumps(data, indent=2))
        return EXIT_OK
    print(
        f"{ruleset.name} {ruleset.version} ({ruleset.fingerprint}): "
        f"{len(ruleset.decisions)} decisions, {len(ruleset.rules)} rules"
    )
    for d in ruleset.decisions:
        print(f"\n{d.id} - {d.title} (hit policy: {d.hit_policy})")
        for r in d.rules:
            print(f"  {r.priority:>3}  {r.id} -> {r.outcome}")
            print(f"       {r.title}")
            print(f"       cites {', '.join(r.cites)}  [{r.resource}:{r.line}]")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    cases = load_cases(args.path)
    runner = CaseRunner(_ruleset(args), engine=args.engine)
    try:
        results = runner.run_all(cases)
    finally:
        runner.close()
    failed = [r for r in results if not r.passed]
    for r in results:
        if not r.passed or args.verbose:
            print(f"{'FAIL' if r.failures else 'ok  '} {Path(r.case.source).name}::{r.case.id}")
            for failure in r.failures:
                print(f"       {failure}")
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    return EXIT_CHECK_FAILED if failed else EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``pht-rules``."""
    parser = argparse.ArgumentParser(
        prog="pht-rules",
        description="Clinical decision support for proximal hamstring tendinopathy "
        "(decision support, not a diagnosis).",
    )
    parser.add_argument("--version", action="version", version=f"pht-rules {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def with_rules(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--rules", metavar="DIR", help="a rule directory (default: the bundled rules)"
        )

    for name, helptext in (
        ("evaluate", "assess a patient state; JSON out"),
        ("explain", "assess a patient state; a readable trace"),
    ):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("file", metavar="FILE", help="patient state as JSON, or - for stdin")
        with_rules(p)
        p.add_argument("--profile", metavar="FILE", help="JSON parameter overrides")
        p.add_argument("--engine", choices=("durable", "interpreter"), default="durable")
        if name == "evaluate":
            p.add_argument("--indent", type=int, default=2, help="JSON indent (default 2)")
        p.set_defaults(func=cmd_evaluate if name == "evaluate" else cmd_explain)

    p = sub.add_parser("schema", help="JSON Schema of the input and output")
    p.add_argument("which", nargs="?", choices=("input", "output", "both"), default="both")
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser("rules", help="list the rules with their citations")
    with_rules(p)
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_rules)

    p = sub.add_parser("check", help="run clinical test cases (a file or a directory)")
    p.add_argument("path", metavar="PATH")
    with_rules(p)
    p.add_argument("--engine", choices=("durable", "interpreter"), default="durable")
    p.add_argument("-v", "--verbose", action="store_true", help="list passing cases too")
    p.set_defaults(func=cmd_check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (documented in this module's docstring)."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
        return code
    except _Fail as exc:
        print(f"pht-rules: {exc}", file=sys.stderr)
        return exc.code
    except (PatientStateError, ProfileError) as exc:
        print(f"pht-rules: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except RuleFileError as exc:
        for problem in exc.problems:
            print(f"pht-rules: {problem}", file=sys.stderr)
        return EXIT_RULES
    except EvaluationError as exc:
        print(f"pht-rules: {exc}", file=sys.stderr)
        return EXIT_EVALUATION
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
