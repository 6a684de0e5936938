# SPDX-License-Identifier: MIT
# Over 400 lines: one argparse tree and the small handler of each subcommand, read together.
"""The ``pht-rules`` command.

Exit codes:

====  =================================================================
0     success (``diff``: also when the two sides differ, unless ``--fail-on-difference``)
1     ``check``: at least one clinical case failed; ``verify``: a gap, conflict, dead or shadowed
      rule, invariant violation or engine mismatch; ``audit``: an error finding (an article
      statement neither encoded nor explained, a dangling citation, guideline drift);
      ``diff --fail-on-difference``: some patient gets different advice
      ``episode --verify-programme``: a property of the programme does not hold
2     usage error (unknown command or option)
3     invalid input: patient state, episode, FHIR input or profile (one line on stderr)
4     invalid rule files or case files (one line per problem on stderr)
5     evaluation error (for example two rules in conflict)
6     a file could not be read
====  =================================================================
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from pht_rules._version import __version__
from pht_rules.definitions.ruleset import Profile, RuleSet, read_profile
from pht_rules.engine import ENGINE_NAMES, engine_description, resolve_engine
from pht_rules.errors import (
    EvaluationError,
    PatientStateError,
    ProfileError,
    RuleFileError,
    RuleProblem,
)
from pht_rules.evaluation.assessment import assessment_json_schema
from pht_rules.evaluation.evaluator import Evaluator
from pht_rules.evaluation.explanation import render_explanation
from pht_rules.loading import bundled_rules, load_rules, read_source_sections
from pht_rules.patient.model import PatientState
from pht_rules.patient.strict_json import shown_text

__all__ = [
    "EXIT_CHECK_FAILED",
    "EXIT_EVALUATION",
    "EXIT_INPUT",
    "EXIT_IO",
    "EXIT_OK",
    "EXIT_RULES",
    "EXIT_USAGE",
    "build_parser",
    "cmd_audit",
    "cmd_check",
    "cmd_diff",
    "cmd_evaluate",
    "cmd_explain",
    "cmd_rules",
    "cmd_schema",
    "cmd_verify",
    "main",
    "show_progress",
    "version_text",
]

EXIT_OK, EXIT_CHECK_FAILED, EXIT_USAGE, EXIT_INPUT, EXIT_RULES, EXIT_EVALUATION, EXIT_IO = range(7)


class _Fail(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def _read(path: str) -> bytes:
    """The bytes of ``path`` (``-``: standard input); decoding is the strict reader's job, so a
    file and a pipe give the same answer whatever the locale."""
    if path == "-":
        if sys.stdin.isatty():
            print("pht-rules: reading JSON from standard input (end with Ctrl-D)", file=sys.stderr)
        stream = getattr(sys.stdin, "buffer", None)
        return stream.read() if stream is not None else sys.stdin.read().encode("utf-8")
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise _Fail(
            EXIT_IO, f"cannot read {shown_text(path)}: {exc.__class__.__name__}: {exc.strerror}"
        ) from None


def _read_text(path: str) -> str:
    """A text file (the source article), UTF-8 with or without a byte-order mark."""
    try:
        return _read(path).decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise _Fail(
            EXIT_INPUT, f"{shown_text(path)} is not UTF-8 text (invalid byte at {exc.start})"
        ) from None


def show_progress() -> bool:
    """Whether to draw progress bars: on a terminal only, never on a pipe or in CI."""
    if os.environ.get("CI") or os.environ.get("TERM") == "dumb":
        return False
    return sys.stderr.isatty()


@contextlib.contextmanager
def _progress(what: str, decisions: int) -> Iterator[Callable[[str], None]]:
    """A progress bar on standard error over ``decisions`` steps, if :func:`show_progress`."""
    if not show_progress():
        yield lambda _decision: None
        return
    from tqdm import tqdm

    with tqdm(total=decisions, desc=what, unit="decision", file=sys.stderr, leave=False) as bar:

        def step(decision: str) -> None:
            bar.set_postfix_str(decision, refresh=False)
            bar.update(1)

        yield step


def _ruleset(args: argparse.Namespace) -> RuleSet:
    return load_rules(args.rules or None)


def _profile(args: argparse.Namespace) -> Profile | None:
    if not getattr(args, "profile", None):
        return None
    return read_profile(_read(args.profile), default_name=Path(args.profile).stem)


def _evaluate(args: argparse.Namespace) -> Any:
    ruleset = _ruleset(args)
    text = _read(args.file)
    with Evaluator(ruleset, profile=_profile(args), engine=args.engine) as evaluator:
        return evaluator.evaluate(text)


def cmd_evaluate(args: argparse.Namespace) -> int:
    print(_evaluate(args).to_json(indent=args.indent or None))
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
    from pht_rules.audit.cases import CaseRunner, load_cases

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


def _write(path: str | None, text: str) -> None:
    if path is None:
        sys.stdout.write(text)
        return
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise _Fail(EXIT_IO, f"cannot write {path}: {exc.__class__.__name__}: {exc}") from None


def cmd_audit(args: argparse.Namespace) -> int:
    from pht_rules.audit.rendering import render_audit
    from pht_rules.audit.traceability import audit

    ruleset = _ruleset(args)
    sections = read_source_sections(args.rules or bundled_rules())
    source_text = _read_text(args.source) if args.source else None
    report = audit(
        ruleset,
        profile=_profile(args),
        sections=sections,
        source_text=source_text,
        source_file=args.source,
    )
    _write(args.output, render_audit(report, args.format))
    if args.output is not None:
        counts = report.counts()
        print(
            f"audit {'passed' if report.ok else 'FAILED'}: {counts['errors']} error(s), "
            f"{counts['warnings']} warning(s); report written to {args.output}"
        )
        for finding in report.errors:
            print(f"  {finding}")
    return EXIT_OK if report.ok else EXIT_CHECK_FAILED


def cmd_verify(args: argparse.Namespace) -> int:
    from pht_rules.audit import verify as verification

    ruleset = _ruleset(args)
    profile = _profile(args)
    with _progress("verify", len(ruleset.decisions)) as step:
        report = verification.verify(
            ruleset, profile, cross_check_engine=not args.no_engine_check, progress=step
        )
    if args.format == "json":
        print(json.dumps(verification.verification_json(report), indent=2))
    else:
        sys.stdout.write(
            verification.render_verification(report, profile=profile.name if profile else None)
        )
    return EXIT_OK if report.ok else EXIT_CHECK_FAILED


def _load_side(directory: str | None) -> RuleSet:
    """Load one side of a diff; problems name the directory, since there are two."""
    if directory is None:
        return load_rules()
    try:
        return load_rules(directory)
    except RuleFileError as exc:
        raise RuleFileError(
            [
                RuleProblem(
                    str(Path(directory) / p.resource), p.message, p.line, p.rule_id, p.field_path
                )
                for p in exc.problems
            ]
        ) from None


def _label(ruleset: RuleSet, profile: Profile | None) -> str:
    params = "default parameters" if profile is None else f"profile '{profile.name}'"
    return f"{ruleset.name} {ruleset.version} from {ruleset.location}, {params}"


def cmd_diff(args: argparse.Namespace) -> int:
    from pht_rules.audit.diff import Side, diff, diff_json, render_diff

    dirs: list[str] = args.dirs
    profile = _profile(args)
    if len(dirs) > 2:
        raise _Fail(EXIT_USAGE, "diff takes at most two rule directories (A and B)")
    if len(dirs) == 2 and args.rules:
        raise _Fail(EXIT_USAGE, "diff A B compares two directories; --rules is not used with them")
    if not dirs and profile is None:
        raise _Fail(
            EXIT_USAGE,
            "diff needs two rule directories (A B), one (compared with --rules or the "
            "bundled rules), or --profile FILE",
        )
    sides: tuple[tuple[str | None, Profile | None], tuple[str | None, Profile | None]]
    if dirs:
        first = dirs[0] if len(dirs) == 2 else args.rules
        a_rules, b_rules = _load_side(first), _load_side(dirs[-1])
        a = Side(_label(a_rules, profile), a_rules, profile)
        b = Side(_label(b_rules, profile), b_rules, profile)
        sides = ((first, profile), (dirs[-1], profile))
    else:
        ruleset = _load_side(args.rules)
        a = Side(_label(ruleset, None), ruleset)
        b = Side(_label(ruleset, profile), ruleset, profile)
        sides = ((args.rules, None), (args.rules, profile))
    a.params()  # validate the profile against both sides before any work
    b.params()
    with _progress("diff", len(b.ruleset.decisions)) as step:
        report = diff(a, b, behaviour=not args.structural_only, progress=step)
    population = None
    if args.population:
        from pht_rules.population.cli import run_population_diff

        population = run_population_diff(args, *sides)
    if args.format == "json":
        data = diff_json(report)
        if population is not None:
            data["population"] = population.to_json()
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(render_diff(report))
        if population is not None:
            sys.stdout.write("\n" + population.render())
    differs = bool(report.structural) if report.decisions is None else report.behaviour_differs
    if population is not None:
        differs = differs or population.changed > 0
    return EXIT_CHECK_FAILED if args.fail_on_difference and differs else EXIT_OK


def _indent(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 16:
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to 16, got {text!r}")
    return value


def version_text() -> str:
    """``pht-rules --version``: the package version and the engine ``auto`` runs here."""
    engine = resolve_engine("auto")
    why = "" if engine == "durable" else " (durable-rules not importable)"
    return f"pht-rules {__version__}, engine: {engine_description(engine)}{why}"


def _engine_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--engine",
        choices=ENGINE_NAMES,
        default="auto",
        help="rule engine: auto (default: durable-rules where it imports, else the reference "
        "interpreter), durable or interpreter; both give identical assessments",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``pht-rules``."""
    parser = argparse.ArgumentParser(
        prog="pht-rules",
        description="Clinical decision support for proximal hamstring tendinopathy "
        "(decision support, not a diagnosis).",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=version_text(),
        help="print the version and the engine that runs here, then exit",
    )
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
        _engine_argument(p)
        if name == "evaluate":
            p.add_argument(
                "--indent",
                type=_indent,
                default=2,
                help="JSON indent, 0 for compact one-line JSON (default 2)",
            )
        p.set_defaults(func=cmd_evaluate if name == "evaluate" else cmd_explain)

    p = sub.add_parser("schema", help="JSON Schema of the input and output")
    p.add_argument(
        "which",
        nargs="?",
        choices=("input", "output", "both"),
        default="both",
        help="the schema of the patient state (input), the assessment (output) or both (default)",
    )
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser("rules", help="list the rules with their citations")
    with_rules(p)
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    p.set_defaults(func=cmd_rules)

    p = sub.add_parser("check", help="run clinical test cases (a file or a directory)")
    p.add_argument("path", metavar="PATH", help="a case file (YAML) or a directory of them")
    with_rules(p)
    _engine_argument(p)
    p.add_argument("-v", "--verbose", action="store_true", help="list passing cases too")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser(
        "audit",
        help="traceability, parameter provenance, profile deviations and guideline drift; "
        "exit 1 on an error finding",
    )
    with_rules(p)
    p.add_argument("--profile", metavar="FILE", help="list this profile's deviations")
    p.add_argument("--source", metavar="FILE", help="the source article's text, checked for drift")
    p.add_argument(
        "--format",
        choices=("markdown", "json", "html"),
        default="markdown",
        help="report format (default markdown)",
    )
    p.add_argument("--output", metavar="FILE", help="write the report here (default: stdout)")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser(
        "verify",
        help="exhaustive checks over the whole input domain (gaps, conflicts, dead rules, "
        "invariants); exit 1 on a finding",
    )
    with_rules(p)
    p.add_argument("--profile", metavar="FILE", help="JSON parameter overrides")
    p.add_argument(
        "--no-engine-check",
        action="store_true",
        help="do not cross-check durable-rules against the reference interpreter",
    )
    p.add_argument("--format", choices=("text", "json"), default="text", help="report format")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser(
        "diff",
        help="structural and behavioural differences between rule sets, or defaults vs a profile",
    )
    p.add_argument(
        "dirs",
        nargs="*",
        metavar="DIR",
        help="A and B; with one DIR, A is --rules (or the bundled rules); with none, --profile "
        "is compared with the defaults",
    )
    with_rules(p)
    p.add_argument(
        "--profile",
        metavar="FILE",
        help="JSON parameter overrides: alone, B is A under this profile; with directories, "
        "applied to both",
    )
    p.add_argument("--format", choices=("text", "json"), default="text", help="report format")
    p.add_argument("--structural-only", action="store_true", help="skip the behavioural diff")
    p.add_argument(
        "--fail-on-difference",
        action="store_true",
        help="exit 1 when some patient gets different advice (with --structural-only: when "
        "anything changed)",
    )
    p.set_defaults(func=cmd_diff)

    # Population scale (pht_rules.population): batch, synth, population-report, diff --population.
    from pht_rules.population import cli as population_cli

    population_cli.add_population_diff_arguments(p)
    p = sub.add_parser(
        "batch", help="assess a file of patients on all cores: one result row per patient"
    )
    population_cli.add_batch_arguments(p)
    p.set_defaults(func=population_cli.run_batch)
    p = sub.add_parser("synth", help="write a synthetic cohort (assumed case mix), reproducible")
    population_cli.add_synth_arguments(p)
    p.set_defaults(func=population_cli.run_synth)
    p = sub.add_parser(
        "population-report", help="outcomes, rule firing, open questions and gaps over results"
    )
    population_cli.add_report_arguments(p)
    p.set_defaults(func=population_cli.run_report)
    # The CDS Hooks service lives in its own package so that its dependencies (the 'service'
    # extra) are imported only when the command runs.
    from pht_rules.fhir.cli import add_fhir_arguments
    from pht_rules.service.cli import add_serve_arguments, run_serve

    p = sub.add_parser("serve", help="run the CDS Hooks service (needs the 'service' extra)")
    add_serve_arguments(p)
    p.set_defaults(func=run_serve)

    p = sub.add_parser(
        "fhir", help="the FHIR resources: Questionnaire, mappings, RequestGroup, ..."
    )
    add_fhir_arguments(p)
    p.set_defaults(func=_run_fhir)

    # Episodes of care: the command's imports happen when it runs.
    from pht_rules.cli.episode import add_episode_arguments, run_episode

    p = sub.add_parser(
        "episode",
        help="assess an episode of care (visits over time); --report writes an HTML timeline",
    )
    add_episode_arguments(p)
    p.set_defaults(func=run_episode)
    return parser


def _run_fhir(args: argparse.Namespace) -> int:
    from pht_rules.fhir.cli import run_fhir

    return run_fhir(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (documented in this module's docstring)."""
    for stream in (sys.stdout, sys.stderr):
        # Whatever the locale: a character the terminal cannot show is escaped, never a crash.
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
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
