# SPDX-License-Identifier: MIT
"""The population subcommands of ``pht-rules``: ``batch``, ``synth``, ``population-report``, and
the ``--population`` option of ``diff``.

Each ``add_*`` function fills an argparse parser and each ``run_*`` runs it, returning the exit
code of ``pht-rules`` (0 ok, 1 counts do not balance, 3 invalid input, 6 unreadable file).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from pht_rules.definitions import Profile
from pht_rules.engine import ENGINE_NAMES
from pht_rules.errors import PhtRulesError
from pht_rules.loading import load_rules
from pht_rules.population._batch import RuleChoice, available_cpus
from pht_rules.population._records import INPUT_FORMATS, InputFormat, RecordError
from pht_rules.population._run import read_results, run_file
from pht_rules.population.diff import PopulationDiff, population_diff
from pht_rules.population.report import render_html, render_markdown, summarise
from pht_rules.population.synth import DEFAULT_MIX, write_cohort

# The exit codes of pht_rules.cli, repeated here because this package sits above the CLI.
EXIT_OK, EXIT_MISMATCH, EXIT_INPUT, EXIT_IO = 0, 1, 3, 6


def _workers(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    return value


def read_profile(path: str | None) -> Profile | None:
    """A JSON profile file (overrides, or ``{"name": ..., "overrides": {...}}``), or ``None``."""
    if not path:
        return None
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RecordError(f"cannot read profile {path}: {exc}", [("<profile>", str(exc))]) from None
    if isinstance(data, dict) and "overrides" in data:
        return Profile(overrides=data["overrides"], name=data.get("name"))
    if isinstance(data, dict):
        return Profile(overrides=data, name=Path(path).stem)
    raise RecordError(f"profile {path} must be a JSON object", [("<profile>", "not an object")])


def add_batch_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``pht-rules batch``."""
    p.add_argument(
        "input", metavar="INPUT", help="patients: .jsonl, .csv, .parquet, or FHIR NDJSON"
    )
    p.add_argument("-o", "--output", required=True, metavar="FILE", help=".jsonl or .parquet")
    p.add_argument("--input-format", choices=INPUT_FORMATS, help="default: from the file name")
    p.add_argument(
        "--errors", metavar="FILE", help="rejected records (default: OUTPUT.errors.jsonl)"
    )
    p.add_argument(
        "--workers",
        type=_workers,
        default=None,
        metavar="N",
        help="worker processes (default: the CPUs available to this process)",
    )
    p.add_argument("--full", action="store_true", help="keep each full assessment (JSON) too")
    p.add_argument("--rules", metavar="DIR", help="a rule directory (default: the bundled rules)")
    p.add_argument("--profile", metavar="FILE", help="JSON parameter overrides")
    p.add_argument(
        "--engine",
        choices=ENGINE_NAMES,
        default="auto",
        help="rule engine (default auto: durable-rules where it imports, else the interpreter)",
    )
    bar = p.add_mutually_exclusive_group()
    bar.add_argument(
        "--progress",
        dest="progress",
        action="store_true",
        default=None,
        help="show a progress bar even when stderr is not a terminal",
    )
    bar.add_argument(
        "--no-progress",
        dest="progress",
        action="store_false",
        help="progress bar (default: only when stderr is a terminal)",
    )
    p.add_argument(
        "--spark",
        metavar="MASTER",
        help="run on Apache Spark instead (for example local[2]; needs the 'spark' extra); "
        "OUTPUT is then a directory of Parquet part files",
    )


def run_batch(args: argparse.Namespace) -> int:
    """Run ``pht-rules batch``."""
    try:
        profile = read_profile(args.profile)
        choice = RuleChoice.of(args.rules, profile, args.engine)
        fmt: InputFormat | None = args.input_format
        if args.spark:
            from pht_rules.population.spark import run_spark_file

            summary = run_spark_file(
                args.input,
                args.output,
                master=args.spark,
                input_format=fmt,
                errors=args.errors,
                rules=choice,
                full=args.full,
            )
        else:
            progress = sys.stderr.isatty() if args.progress is None else args.progress
            summary = run_file(
                args.input,
                args.output,
                input_format=fmt,
                errors=args.errors,
                rules=choice,
                workers=args.workers or available_cpus(),
                full=args.full,
                progress=progress,
            )
    except OSError as exc:
        print(f"pht-rules: {exc}", file=sys.stderr)
        return EXIT_IO
    except RecordError as exc:
        print(f"pht-rules: {exc}", file=sys.stderr)
        return EXIT_INPUT
    print(f"pht-rules: {summary.describe()}", file=sys.stderr)
    return EXIT_OK if summary.balanced else EXIT_MISMATCH


def add_synth_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``pht-rules synth``."""
    p.add_argument("n", type=int, metavar="N", help="number of patients")
    p.add_argument("--seed", type=int, default=0, help="the same seed gives the same cohort")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help=".jsonl or .parquet")


def run_synth(args: argparse.Namespace) -> int:
    """Run ``pht-rules synth``."""
    if args.n < 0:
        print("pht-rules: N must not be negative", file=sys.stderr)
        return EXIT_INPUT
    try:
        written = write_cohort(args.output, args.n, seed=args.seed)
    except OSError as exc:
        print(f"pht-rules: {exc}", file=sys.stderr)
        return EXIT_IO
    print(
        f"pht-rules: wrote {written:,} synthetic patients (seed {args.seed}) to {args.output}; "
        f"{DEFAULT_MIX.describe()}",
        file=sys.stderr,
    )
    return EXIT_OK


def add_report_arguments(p: argparse.ArgumentParser) -> None:
    """Arguments of ``pht-rules population-report``."""
    p.add_argument("results", metavar="RESULTS", help="results of 'batch' (.jsonl or .parquet)")
    p.add_argument("--rules", metavar="DIR", help="the rule set the results came from")
    p.add_argument("--html", metavar="FILE", help="write the HTML report here")
    p.add_argument("--markdown", metavar="FILE", help="write the Markdown report here")


def run_report(args: argparse.Namespace) -> int:
    """Run ``pht-rules population-report``: Markdown to stdout unless files are named."""
    ruleset = load_rules(args.rules) if args.rules else load_rules()
    try:
        summary = summarise(read_results(args.results), ruleset)
        outputs: list[tuple[str, str]] = []
        if args.markdown or not args.html:
            outputs.append((args.markdown or "-", render_markdown(summary)))
        if args.html:
            outputs.append((args.html, render_html(summary)))
        for path, text in outputs:
            if path == "-":
                sys.stdout.write(text)
            else:
                Path(path).write_text(text, encoding="utf-8")
    except (OSError, ValueError) as exc:
        print(f"pht-rules: cannot read {args.results}: {exc}", file=sys.stderr)
        return EXIT_IO
    except PhtRulesError as exc:
        print(f"pht-rules: {exc}", file=sys.stderr)
        return EXIT_INPUT
    return EXIT_OK


def add_population_diff_arguments(p: argparse.ArgumentParser) -> None:
    """The ``--population`` options of ``pht-rules diff``."""
    p.add_argument(
        "--population",
        metavar="FILE",
        help="also run both sides over these patients and count whose advice changes",
    )
    p.add_argument("--population-format", choices=INPUT_FORMATS, help="default: from the name")
    p.add_argument("--workers", type=_workers, default=1, metavar="N", help="for --population")


def run_population_diff(
    args: argparse.Namespace,
    a: tuple[str | None, Profile | None],
    b: tuple[str | None, Profile | None],
) -> PopulationDiff:
    """The population diff of ``diff A B --population FILE`` (each side: directory, profile)."""
    return population_diff(
        args.population,
        RuleChoice.of(a[0], a[1]),
        RuleChoice.of(b[0], b[1]),
        input_format=args.population_format,
        workers=args.workers,
    )


def population_diff_json(report: PopulationDiff) -> dict[str, Any]:
    """JSON of a population diff, for the ``population`` key of ``diff --format json``."""
    return report.to_json()


__all__ = [
    "EXIT_INPUT",
    "EXIT_IO",
    "EXIT_MISMATCH",
    "EXIT_OK",
    "add_batch_arguments",
    "add_population_diff_arguments",
    "add_report_arguments",
    "add_synth_arguments",
    "population_diff_json",
    "read_profile",
    "run_batch",
    "run_population_diff",
    "run_report",
    "run_synth",
]
