# SPDX-License-Identifier: MIT
"""The engine interface: which rules of a stage are TRUE for a snapshot.

Three implementations: :class:`DurableEngine` (the durable-rules C engine),
:class:`InterpreterEngine` (the reference interpreter, also used for verification and differential
checks) and :class:`CompiledEngine` (the conditions compiled to Python code once, at load: a fast
engine for outcomes-only and population work, proven identical on the exhaustive domain).
Everything above this interface - hit policies, evidence, the assessment - is shared, so replacing
durable-rules one day means writing one class.

``engine="auto"`` (the default everywhere) picks durable-rules where its C module imports (CPython
3.11 and 3.12 with the ``durable-rules`` dependency installed) and the reference interpreter
otherwise; all engines give identical assessments on the whole input domain (``pht-rules verify``).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import metadata
from typing import Literal, Protocol

from pht_rules.definitions.conditions import Condition, Truth
from pht_rules.definitions.ruleset import ResolvedRuleSet
from pht_rules.engine.interpreter import truth
from pht_rules.errors import EngineUnavailableError, EvaluationError, UsageError
from pht_rules.patient.fields import Snapshot

__all__ = [
    "ENGINE_NAMES",
    "EngineName",
    "InterpreterEngine",
    "ResolvedEngine",
    "RuleEngine",
    "create_engine",
    "durable_available",
    "durable_import_error",
    "engine_description",
    "resolve_engine",
]

EngineName = Literal["auto", "durable", "interpreter", "compiled"]
"""An engine to ask for: ``auto`` is durable-rules where it imports, else the interpreter."""

ResolvedEngine = Literal["durable", "interpreter", "compiled"]
"""The engine that actually runs (named in every assessment)."""

ENGINE_NAMES: tuple[EngineName, ...] = ("auto", "durable", "interpreter", "compiled")


@cache
def durable_import_error() -> str | None:
    """Why durable-rules' C module cannot be imported here, or ``None`` when it can."""
    try:
        import durable_rules_engine  # noqa: F401
    except ImportError as exc:
        return f"{exc.__class__.__name__}: {exc}"
    return None


def durable_available() -> bool:
    """True when durable-rules' C module imports on this Python."""
    return durable_import_error() is None


def resolve_engine(name: str) -> ResolvedEngine:
    """The engine that ``name`` runs on this Python; a clear error when it cannot run."""
    if name == "interpreter":
        return "interpreter"
    if name == "compiled":
        return "compiled"
    if name == "auto":
        return "durable" if durable_available() else "interpreter"
    if name == "durable":
        problem = durable_import_error()
        if problem is not None:
            raise EngineUnavailableError(
                "engine 'durable' is not available on this Python: durable-rules does not import "
                f"({problem[:200]}); use engine 'auto' or 'interpreter', which give identical "
                "assessments (docs/api.md, 'Engines')"
            )
        return "durable"
    raise UsageError(
        f"unknown engine {str(name)[:40]!r}; choose 'auto', 'durable' or 'interpreter', "
        "or 'compiled'"
    )


def engine_description(name: ResolvedEngine) -> str:
    """The engine in words, with durable-rules' version, e.g. for ``pht-rules --version``."""
    if name == "durable":
        try:
            return f"durable-rules {metadata.version('durable-rules')}"
        except metadata.PackageNotFoundError:  # pragma: no cover - imported but not installed
            return "durable-rules"
    if name == "compiled":
        return "compiled conditions (generated Python)"
    return "reference interpreter"


class RuleEngine(Protocol):
    """Finds the rules of one stage whose conditions are TRUE for a snapshot.

    Implementations must be safe to call from several threads at once and must return rule ids in
    rule-set order.
    """

    def matches(self, stage: int, snapshot: Snapshot) -> Sequence[str]:
        """Ids of the rules of ``stage`` whose condition is TRUE over ``snapshot``."""
        ...

    def close(self) -> None:
        """Release the engine's resources; later calls may fail."""
        ...


class InterpreterEngine:
    """The reference interpreter behind the engine interface: slow, simple and obviously right."""

    def __init__(self, resolved: ResolvedRuleSet) -> None:
        self._closed = False
        self._stages: dict[int, list[tuple[str, Condition]]] = {}
        for decision in resolved.ruleset.decisions:
            bucket = self._stages.setdefault(decision.stage, [])
            bucket.extend((r.id, resolved.conditions[r.id]) for r in decision.rules)

    def matches(self, stage: int, snapshot: Snapshot) -> Sequence[str]:
        if self._closed:
            raise EvaluationError("this engine has been closed")
        return [
            rid for rid, cond in self._stages.get(stage, ()) if truth(cond, snapshot) is Truth.TRUE
        ]

    def close(self) -> None:
        self._closed = True


def create_engine(name: EngineName, resolved: ResolvedRuleSet) -> RuleEngine:
    """Build the engine called ``name`` for a rule set under its resolved parameter values.

    Raises :class:`~pht_rules.errors.EngineUnavailableError` for ``durable`` where durable-rules
    does not import, and :class:`~pht_rules.errors.UsageError` for an unknown name.
    """
    chosen = resolve_engine(name)
    if chosen == "interpreter":
        return InterpreterEngine(resolved)
    if chosen == "compiled":
        from pht_rules.engine.compiled import CompiledEngine

        return CompiledEngine(resolved)
    from pht_rules.engine._durable import DurableEngine

    return DurableEngine(resolved)
