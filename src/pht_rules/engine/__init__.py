# SPDX-License-Identifier: MIT
"""Rule engines: which rules of a stage are TRUE for a snapshot.

The interface, the reference interpreter and the conditions compiled to Python code; the
durable-rules adapter and its compiler are private and reached through :func:`create_engine`.
"""

from pht_rules.engine.compiled import CompiledEngine
from pht_rules.engine.interface import (
    EngineName,
    InterpreterEngine,
    RuleEngine,
    create_engine,
)

__all__ = [
    "CompiledEngine",
    "EngineName",
    "InterpreterEngine",
    "RuleEngine",
    "create_engine",
]
