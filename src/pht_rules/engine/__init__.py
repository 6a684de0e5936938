# SPDX-License-Identifier: MIT
"""Rule engines: which rules of a stage are TRUE for a snapshot.

The interface, the reference interpreter and the conditions compiled to Python code; the
durable-rules adapter and its compiler are private and reached through :func:`create_engine`.
"""

from pht_rules.engine.compiled import CompiledEngine
from pht_rules.engine.interface import (
    ENGINE_NAMES,
    EngineName,
    InterpreterEngine,
    ResolvedEngine,
    RuleEngine,
    create_engine,
    durable_available,
    durable_import_error,
    engine_description,
    resolve_engine,
)

__all__ = [
    "ENGINE_NAMES",
    "CompiledEngine",
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
