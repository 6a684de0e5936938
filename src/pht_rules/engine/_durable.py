# SPDX-License-Identifier: MIT
"""The durable-rules engine behind :class:`~pht_rules.engine.RuleEngine`.

The only module that imports durable-rules. It uses the C module directly with the recipe that is
known to be safe: one compiled ruleset, one fixed working memory (sid), and for each evaluation
assert one fact, drain every activation, retract the fact. It never uses durable's ``Host`` (which
starts polling threads and keeps global state), never creates a sid per evaluation and never calls
``delete_state`` (which can crash the process). Calls are serialised by a lock: the C calls hold
the GIL anyway, and a shared sid must not see two facts at once. After any engine error the handle
is discarded and rebuilt, because an interrupted action loop leaves the sid leased.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Sequence

import durable_rules_engine as dre

from pht_rules.definitions.ruleset import ResolvedRuleSet
from pht_rules.engine._compiler import STAGE_KEY, compile_ruleset, fact_key
from pht_rules.errors import EvaluationError
from pht_rules.patient.fields import Snapshot

__all__ = ["DurableEngine"]

_SID = "pht"
_FACT_ID = "snapshot"
_NOTHING_MATCHED = 1


class DurableEngine:
    """One compiled durable-rules ruleset for one rule set and parameter values; thread-safe."""

    def __init__(self, resolved: ResolvedRuleSet) -> None:
        self._text = json.dumps(compile_ruleset(resolved), ensure_ascii=True, allow_nan=False)
        # The same ensure_ascii for rules and facts, or non-ASCII equality never matches.
        self._encode = json.JSONEncoder(
            ensure_ascii=True, allow_nan=False, check_circular=False
        ).encode
        # Only the fields a stage's rules read go into that stage's fact.
        self._stage_keys: dict[int, tuple[tuple[str, str], ...]] = {}
        for decision in resolved.ruleset.decisions:
            paths = dict.fromkeys(self._stage_keys.get(decision.stage, ()))
            for rule in decision.rules:
                paths.update(dict.fromkeys((f, fact_key(f)) for f in rule.fields))
            self._stage_keys[decision.stage] = tuple(paths)
        self._retract = json.dumps({"sid": _SID, "id": _FACT_ID})
        self._lock = threading.Lock()
        self._handle: int | None = None
        self._closed = False
        with self._lock:
            self._build()

    def _build(self) -> None:
        try:
            handle = dre.create_ruleset("pht_rules", self._text)
            # Creating the sid asserts durable's own state fact; drain whatever it activated so
            # that no evaluation ever sees those activations.
            warm = json.dumps({"sid": _SID, "id": "warm-up", STAGE_KEY: 0})
            result = dre.assert_fact(handle, warm)
            offset = result[1] if isinstance(result, tuple | list) else 0
            started = dre.start_action_for_state(handle, offset)
            message = None if started is None else started[1]
            while message is not None:
                message = dre.complete_and_start_action(handle, offset)
            dre.retract_fact(handle, warm)
        except dre.error as exc:
            raise EvaluationError(f"the rule engine rejected the compiled rules: {exc}") from None
        self._handle = handle

    def _discard(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            with contextlib.suppress(dre.error):  # already unusable; nothing more to free
                dre.delete_ruleset(handle)

    def matches(self, stage: int, snapshot: Snapshot) -> Sequence[str]:
        get = snapshot.get
        fact = {
            key: value
            for path, key in self._stage_keys.get(stage, ())
            if (value := get(path)) is not None
        }
        fact[STAGE_KEY] = stage
        fact["sid"] = _SID
        fact["id"] = _FACT_ID
        text = self._encode(fact)
        with self._lock:
            if self._closed:
                raise EvaluationError("this engine has been closed")
            if self._handle is None:
                self._build()
            handle = self._handle
            assert handle is not None
            fired: list[str] = []
            try:
                code, offset = dre.assert_fact(handle, text)
                if code == _NOTHING_MATCHED:
                    return fired
                if code != 0:
                    raise EvaluationError(f"the rule engine reported code {code}")
                started = dre.start_action_for_state(handle, offset)
                message = None if started is None else started[1]
                while message is not None:  # message is '{"<rule id>":{"m":{...}}}'
                    name = message[2 : message.index('"', 2)]
                    if name not in fired:  # $or fires once per true branch
                        fired.append(name)
                    message = dre.complete_and_start_action(handle, offset)
                dre.retract_fact(handle, self._retract)
            except BaseException as exc:
                # Never reuse a ruleset whose action loop was interrupted.
                self._discard()
                if isinstance(exc, EvaluationError):
                    raise
                if isinstance(exc, dre.error):
                    raise EvaluationError(f"the rule engine failed: {exc}") from None
                raise
            return fired

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._discard()

    def __del__(self) -> None:
        # Unreachable, so no other thread can be inside matches(): free the C ruleset. Plain
        # try/except because module globals such as contextlib may be gone at interpreter exit.
        try:  # noqa: SIM105
            self._discard()
        except Exception:
            pass
