# SPDX-License-Identifier: MIT
"""Rule engines: which rules of a stage are TRUE for a snapshot.

The interface and the reference interpreter; the durable-rules adapter and its compiler are
private and reached through :func:`create_engine`.
"""

from pht_rules.engine.interface import (
    EngineName,
    InterpreterEngine,
    RuleEngine,
    create_engine,
)

__all__ = [
    "EngineName",
    "InterpreterEngine",
    "RuleEngine",
    "create_engine",
]
