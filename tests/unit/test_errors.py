# SPDX-License-Identifier: MIT
"""The error tree: the one drawn in pht_rules.errors is the real one, and problems are records."""

from __future__ import annotations

import ast
import builtins
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import pht_rules
import pht_rules.errors as errors
from pht_rules import PatientStateError, ProfileError, RuleFileError, load_rules
from pht_rules.errors import FieldProblem, PhtRulesError, Problem, ProblemsError, RuleProblem
from pht_rules.fhir.errors import FhirInputError, FhirProblem

SRC = Path(pht_rules.__file__).parent
_TREE_LINE = re.compile(r"^(?P<indent>[ │├└─]*)(?P<name>[A-Z]\w+)(?: \(also (?P<also>\w+)\))?")


def _all_modules() -> list[str]:
    return ["pht_rules"] + [
        m.name
        for m in pkgutil.walk_packages(pht_rules.__path__, "pht_rules.")
        if not m.name.endswith("__main__")
    ]


def _library_errors() -> dict[str, type[BaseException]]:
    found: dict[str, type[BaseException]] = {}
    for name in _all_modules():
        module = importlib.import_module(name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseException)
                and value.__module__.startswith("pht_rules")
                and not value.__name__.startswith("_")
            ):
                found[value.__name__] = value
    return found


def _drawn_tree() -> list[tuple[int, str, str | None]]:
    doc = errors.__doc__ or ""
    block = doc.split("::", 1)[1].split("\n\n", 2)[1]
    rows = []
    for line in block.splitlines():
        m = _TREE_LINE.match(line.strip("\n")[4:])
        assert m, line
        rows.append((len(m.group("indent")) // 4, m.group("name"), m.group("also")))
    return rows


def test_the_drawn_tree_is_the_class_tree() -> None:
    """Each error in the docstring's tree derives from the one drawn above it, and no other."""
    known = _library_errors()
    parents: list[str] = []
    for depth, name, also in _drawn_tree():
        parents[depth:] = [name]
        cls = known[name]
        if depth:
            assert parents[depth - 1] in {b.__name__ for b in cls.__mro__[1:]}, name
            assert cls.__bases__[0].__name__ in (parents[depth - 1], "ProblemsError"), name
        if also is not None:
            assert issubclass(cls, getattr(builtins, also)), name


def test_every_public_error_is_in_the_tree_under_the_root() -> None:
    """Every public exception class of the library derives from PhtRulesError and is drawn."""
    drawn = {name for _, name, _ in _drawn_tree()}
    for name, cls in _library_errors().items():
        if issubclass(cls, AssertionError):
            assert name == "SafetyViolation"  # a test failure, drawn apart in the docstring
            assert name in (errors.__doc__ or "")
            continue
        assert issubclass(cls, PhtRulesError), name
        assert name in drawn, name


_ALLOWED_BUILTIN_RAISES = {
    # Problem.path is abstract: a subclass that forgets it is a programming error.
    ("errors.py", "NotImplementedError"),
    # A module's __getattr__ must raise AttributeError for a name it does not have.
    ("service/__init__.py", "AttributeError"),
    ("testing/__init__.py", "AttributeError"),
    # A missing optional dependency is an ImportError, as for any import.
    ("testing/__init__.py", "ImportError"),
    # An internal "cannot happen" guard of the differential check.
    ("testing/differential.py", "AssertionError"),
}


def test_the_library_raises_no_bare_builtin_error() -> None:
    """No module raises a builtin exception: callers can catch PhtRulesError alone."""
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and node.exc is not None:
                target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                if isinstance(target, ast.Name) and isinstance(
                    getattr(builtins, target.id, None), type
                ):
                    where = (str(path.relative_to(SRC)), target.id)
                    assert target.id == "SystemExit" or where in _ALLOWED_BUILTIN_RAISES, where


def test_problems_are_records_with_code_path_message_and_suggestion() -> None:
    """Every problem type carries the same four facts, and str() reads as before."""
    rule = RuleProblem("running.yaml", "unknown field 'x.y'", 9, "run.a", "x.y", suggestion="x.z")
    field = FieldProblem("symptoms.pain", "must be a number")
    fhir = FhirProblem("not a number", link_id="pain")
    for problem in (rule, field, fhir):
        assert isinstance(problem, Problem)
        assert problem.code == "invalid"
    assert (rule.path, field.path, fhir.path) == ("running.yaml:9", "symptoms.pain", "pain")
    assert str(rule) == (
        "running.yaml, line 9, rule 'run.a': unknown field 'x.y' (did you mean 'x.z'?)"
    )
    assert str(field) == "symptoms.pain: must be a number"
    assert str(fhir) == "linkId 'pain': not a number"


def test_every_list_error_shares_the_problems_base() -> None:
    """Rule files, profiles, patient states, FHIR input and case files list problems alike."""
    for cls in (
        RuleFileError,
        ProfileError,
        PatientStateError,
        FhirInputError,
        errors.CaseFileError,
    ):
        assert issubclass(cls, ProblemsError)
        assert issubclass(cls, ValueError)
    err = PatientStateError([FieldProblem("a", "bad"), FieldProblem("b", "worse")])
    assert str(err) == "invalid patient state (2 problems): a: bad; b: worse"
    assert err.codes == ("invalid", "invalid")


def test_a_near_miss_is_a_suggestion_not_only_text(tmp_path: Path) -> None:
    """A misspelt profile parameter carries the suggestion as an attribute."""
    with pytest.raises(ProfileError) as info:
        load_rules().parameter_values({"stop_runing_days": 14})
    (problem,) = info.value.problems
    assert problem.suggestion == "stop_running_days"
    assert problem.message == "unknown parameter"
    assert "(did you mean 'stop_running_days'?)" in str(info.value)
