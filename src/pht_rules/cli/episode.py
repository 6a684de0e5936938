# SPDX-License-Identifier: MIT
"""``pht-rules episode``: evaluate an episode of care, render its report, export its CarePlan,
or verify the programme's state machine."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from pht_rules.cli.commands import EXIT_CHECK_FAILED, EXIT_INPUT, EXIT_IO, EXIT_OK, EXIT_USAGE
from pht_rules.definitions import Profile
from pht_rules.errors import ProfileError, UsageError
from pht_rules.loading import load_rules

__all__ = ["add_episode_arguments", "run_episode"]


def add_episode_arguments(p: argparse.ArgumentParser) -> None:
    """The ``episode`` subcommand's options."""
    p.add_argument(
        "file", metavar="FILE", nargs="?", help="episode as JSON (or a FHIR Bundle), - for stdin"
    )
    p.add_argument("--fhir", action="store_true", help="FILE is a Bundle of QuestionnaireResponses")
    p.add_argument("--report", metavar="OUT.html", help="also write the HTML report here")
    p.add_argument("--care-plan", metavar="OUT.json", help="also write the plan as a FHIR CarePlan")
    p.add_argument("--subject", metavar="REF", help="CarePlan subject, e.g. Patient/123")
    p.add_argument("--rules", metavar="DIR", help="a rule directory (default: the bundled rules)")
    p.add_argument("--profile", metavar="FILE", help="JSON parameter overrides")
    p.add_argument("--today", type=date.fromisoformat, help="latest allowed visit date (ISO)")
    p.add_argument("--indent", type=int, default=2, help="JSON indent, 0 for one line")
    p.add_argument("--schema", action="store_true", help="print the episode JSON Schema and exit")
    p.add_argument(
        "--verify-programme",
        action="store_true",
        help="check the programme's state machine over every visit sequence; exit 1 on a finding",
    )
    p.add_argument("--max-visits", type=int, default=8, help="bound for --verify-programme")


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    return Path(path).read_text(encoding="utf-8")


def _write(path: str, text: str) -> None:
    Path(path).write_text(text, encoding="utf-8")


def run_episode(args: argparse.Namespace) -> int:
    """Run ``pht-rules episode``; returns the exit code."""
    from pht_rules.episodes import EpisodeError, episode_json_schema, evaluate_episode
    from pht_rules.fhir import FhirInputError

    if args.schema:
        print(json.dumps(episode_json_schema(), indent=2, sort_keys=True))
        return EXIT_OK
    if args.verify_programme:
        from pht_rules.episodes.programme import verify_programme

        if not 1 <= args.max_visits <= 10:
            print("pht-rules: --max-visits must be between 1 and 10", file=sys.stderr)
            return EXIT_USAGE
        report = verify_programme(args.max_visits)
        print(report.summary())
        for v in report.violations[:20]:
            print(f"  {v}")
        return EXIT_OK if report.ok else EXIT_CHECK_FAILED
    if not args.file:
        print("pht-rules: episode needs FILE (or --schema / --verify-programme)", file=sys.stderr)
        return EXIT_USAGE
    try:
        text = _read(args.file)
        profile = None
        if args.profile:
            data = json.loads(_read(args.profile))
            if not isinstance(data, dict):
                print(f"pht-rules: profile {args.profile} must be a JSON object", file=sys.stderr)
                return EXIT_INPUT
            profile = Profile(data.get("overrides", data), name=data.get("name"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        print(f"pht-rules: cannot read input: {exc}", file=sys.stderr)
        return EXIT_IO
    try:
        rules = load_rules(args.rules) if args.rules else None
        if args.fhir:
            from pht_rules.fhir.episode import bundle_to_episode

            try:
                bundle = json.loads(text)
            except json.JSONDecodeError as exc:
                print(f"pht-rules: {args.file} is not valid JSON: {exc}", file=sys.stderr)
                return EXIT_INPUT
            episode = bundle_to_episode(bundle, today=args.today)
            result = evaluate_episode(episode, profile, rules=rules, today=args.today)
        else:
            result = evaluate_episode(text, profile, rules=rules, today=args.today)
        if args.report:
            from pht_rules.episodes.report import render_report

            _write(args.report, render_report(result))
        if args.care_plan:
            from pht_rules.fhir.episode import plan_to_care_plan

            _write(
                args.care_plan,
                json.dumps(plan_to_care_plan(result, subject=args.subject), indent=2) + "\n",
            )
    except (EpisodeError, ProfileError, FhirInputError) as exc:
        print(f"pht-rules: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except UsageError as exc:
        print(f"pht-rules: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"pht-rules: cannot write output: {exc}", file=sys.stderr)
        return EXIT_IO
    print(result.to_json(indent=args.indent or None))
    return EXIT_OK
