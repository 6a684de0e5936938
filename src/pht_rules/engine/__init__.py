# SPDX-License-Identifier: MIT
"""Rule engines: which rules of a stage are TRUE for a snapshot.

The interface, the reference interpreter and the conditions compiled to Python code; the
durable-rules adapter and its compiler are private and reached through :func:`create_engine`.
"""

from pht_rules.engine.compiled import (
    Blocking,
    CompiledEngine,
    StageMatcher,
    compile_blocking,
    compile_stage,
)
from pht_rules.engine.interface import (
    EngineName,
    InterpreterEngine,
    RuleEngine,
    create_engine,
)

__all__ = [
    "Blocking",
    "CompiledEngine",
    "EngineName",
    "InterpreterEngine",
    "RuleEngine",
    "StageMatcher",
    "compile_blocking",
    "compile_stage",
    "create_engine",
]
