# SPDX-License-Identifier: MIT
"""``pht-rules fhir`` (or ``python -m pht_rules.fhir``): the FHIR resources on the command line.

    python -m pht_rules.fhir questionnaire            # the intake Questionnaire (generated)
    python -m pht_rules.fhir code-systems             # the project's CodeSystems (a Bundle)
    python -m pht_rules.fhir to-response STATE.json   # PatientState JSON -> QuestionnaireResponse
    python -m pht_rules.fhir to-state RESPONSE.json   # QuestionnaireResponse -> PatientState JSON
    python -m pht_rules.fhir request-group FILE       # a state or response, assessed: RequestGroup
    python -m pht_rules.fhir plan-definition | library

Errors name the linkId at fault; exit code 1 for invalid input, 2 for usage errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pht_rules.errors import PatientStateError
from pht_rules.evaluation import evaluate
from pht_rules.fhir.errors import FhirInputError
from pht_rules.fhir.output import (
    assessment_to_request_group,
    ruleset_to_library,
    ruleset_to_plan_definition,
)
from pht_rules.fhir.questionnaire import build_code_systems, build_questionnaire
from pht_rules.fhir.response import response_to_state, state_to_response
from pht_rules.fhir.terminology import code_systems_bundle, ruleset_code_systems
from pht_rules.patient.model import PatientState, parse_state

__all__ = ["add_fhir_arguments", "main", "run_fhir"]


def _read(path: str) -> Any:
    text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    return json.loads(text)


def _state(data: Any) -> PatientState:
    if isinstance(data, dict) and data.get("resourceType") == "QuestionnaireResponse":
        return response_to_state(data)
    return parse_state(data)


def add_fhir_arguments(parser: argparse.ArgumentParser) -> None:
    """The FHIR subcommands, on ``parser`` (``pht-rules fhir`` or ``python -m pht_rules.fhir``)."""
    sub = parser.add_subparsers(dest="fhir_command", required=True)
    sub.add_parser("questionnaire", help="the intake Questionnaire")
    sub.add_parser("code-systems", help="the project's CodeSystems, as a collection Bundle")
    p = sub.add_parser("to-response", help="PatientState JSON -> QuestionnaireResponse")
    p.add_argument("file")
    p.add_argument("--id", dest="response_id")
    p.add_argument("--subject", help="e.g. Patient/123")
    p.add_argument("--authored", help="FHIR dateTime")
    p.add_argument(
        "--explicit-unknown", action="store_true", help="answer unknowns Asked But Unknown"
    )
    p = sub.add_parser("to-state", help="QuestionnaireResponse -> PatientState JSON")
    p.add_argument("file")
    p = sub.add_parser("request-group", help="assess a state or response: RequestGroup")
    p.add_argument("file")
    p.add_argument("--subject")
    p.add_argument("--guideline-url")
    p = sub.add_parser("plan-definition", help="the rule set as a PlanDefinition")
    p.add_argument("--guideline-url")
    sub.add_parser("library", help="the rule set as a Library (rule files, thresholds, catalogue)")


def run_fhir(args: argparse.Namespace) -> int:
    """Run the FHIR subcommand parsed by :func:`add_fhir_arguments`; returns the exit code."""
    try:
        result: Any
        if args.fhir_command == "questionnaire":
            # The generator's output: the same as the shipped file, and how to regenerate it.
            result = build_questionnaire()
        elif args.fhir_command == "code-systems":
            # The generator's output: the same as the shipped code-systems.json.
            result = code_systems_bundle(build_code_systems() + ruleset_code_systems())
        elif args.fhir_command == "to-response":
            result = state_to_response(
                parse_state(_read(args.file)),
                response_id=args.response_id,
                subject=args.subject,
                authored=args.authored,
                explicit_unknown=args.explicit_unknown,
            )
        elif args.fhir_command == "to-state":
            result = response_to_state(_read(args.file)).model_dump(mode="json")
        elif args.fhir_command == "request-group":
            result = assessment_to_request_group(
                evaluate(_state(_read(args.file))),
                subject=args.subject,
                guideline_url=args.guideline_url,
            )
        elif args.fhir_command == "plan-definition":
            result = ruleset_to_plan_definition(guideline_url=args.guideline_url)
        else:
            result = ruleset_to_library()
    except (FhirInputError, PatientStateError) as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    json.dump(result, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``python -m pht_rules.fhir``; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m pht_rules.fhir", description=__doc__)
    add_fhir_arguments(parser)
    return run_fhir(parser.parse_args(argv))
