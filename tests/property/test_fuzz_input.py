# SPDX-License-Identifier: MIT
"""Fuzzing ``evaluate()`` with malformed JSON text and arbitrary Python values: only the library's
error type escapes, its message is bounded and printable on one line, and nothing partial is ever
returned. Each test prints how many inputs of each class it tried and how they ended."""

from __future__ import annotations

import json
import math
from collections import Counter
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import pht_rules
from pht_rules import Assessment, PhtRulesError
from pht_rules.testing import kit_settings, patient_dicts

MAX_MESSAGE = 6000  # ten problems at most, each with a cut path and value

_DECISIONS = 6


def _outcome(value: Any) -> str:
    """Evaluate ``value``; ``accepted`` or ``refused``; anything else fails the test."""
    try:
        result = pht_rules.evaluate(value)
    except PhtRulesError as exc:
        message = str(exc)
        assert len(message) <= MAX_MESSAGE, len(message)
        assert message.isprintable(), repr(message[:200])
        return "refused"
    assert isinstance(result, Assessment) and len(result.decisions) == _DECISIONS
    return "accepted"


def _report(
    name: str, counts: Counter[tuple[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    classes = sorted({c for c, _ in counts})
    shown = ", ".join(
        f"{c}: {counts[c, 'refused']} refused / {counts[c, 'accepted']} accepted" for c in classes
    )
    with capsys.disabled():
        print(f"\nfuzz {name}: {shown}")


def _deep(depth: int, kind: str) -> Any:
    node: Any = 1
    for _ in range(depth):
        node = [node] if kind == "list" else {"presentation": node}
    return node


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**4300, max_value=10**4400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.binary(max_size=30),
)
_python_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.frozensets(st.integers(), max_size=3),
        st.dictionaries(
            st.one_of(st.text(max_size=10), st.integers(), st.none()), inner, max_size=4
        ),
        st.builds(object),
        st.builds(bytearray, st.binary(max_size=5)),
    ),
    max_leaves=12,
)
_field_names = st.sampled_from(
    ["age_years", "symptom_duration_weeks", "presentation", "symptoms", "loading", "training"]
)


@st.composite
def _python_input(draw: st.DrawFn) -> tuple[str, Any]:
    kind = draw(
        st.sampled_from(["arbitrary", "state-with-junk", "huge-int", "deep", "nan", "bytes"])
    )
    if kind == "arbitrary":
        return kind, draw(_python_values)
    state = draw(patient_dicts())
    if kind == "state-with-junk":
        state[draw(_field_names)] = draw(_python_values)
    elif kind == "huge-int":
        state["age_years"] = 10 ** draw(st.integers(4300, 6000))
    elif kind == "deep":
        state["symptoms"] = _deep(
            draw(st.integers(30, 3000)), draw(st.sampled_from(["list", "dict"]))
        )
    elif kind == "nan":
        state["age_years"] = draw(st.sampled_from([math.nan, math.inf, -math.inf]))
    else:
        state["presentation"] = {"onset": draw(st.binary(max_size=8))}
    return kind, state


@st.composite
def _json_text(draw: st.DrawFn) -> tuple[str, str | bytes]:
    kind = draw(
        st.sampled_from(
            [
                "random-text",
                "truncated",
                "duplicate-key",
                "huge-number",
                "deep",
                "nan",
                "bad-utf8",
                "bom",
            ]
        )
    )
    text = json.dumps(draw(patient_dicts()))
    if kind == "random-text":
        return kind, draw(st.text(max_size=60))
    if kind == "truncated":
        return kind, text[: draw(st.integers(0, max(len(text) - 1, 0)))]
    if kind == "duplicate-key":
        # Repeat one top-level or nested key with another value, first or last.
        key = draw(st.sampled_from(["age_years", "presentation", "symptoms"]))
        value = {"age_years": "40", "presentation": '{"night_pain": true}', "symptoms": "{}"}[key]
        body = text[1:-1]
        return kind, "{" + (
            f'"{key}": {value}, {body}' if draw(st.booleans()) else f'{body}, "{key}": {value}'
        ) + "}"
    if kind == "huge-number":
        return kind, text[:-1] + ', "age_years": ' + "9" * draw(st.integers(31, 6000)) + "}"
    if kind == "deep":
        n = draw(st.integers(33, 100_000))
        return kind, "[" * n + "]" * n
    if kind == "nan":
        return (
            kind,
            text[:-1]
            + f', "age_years": {draw(st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999"]))}'
            + "}",
        )
    if kind == "bad-utf8":
        raw = text.encode()
        at = draw(st.integers(0, len(raw)))
        return kind, raw[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80"])) + raw[
            at:
        ]
    return kind, "\ufeff" + text


def test_fuzz_python_values(capsys: pytest.CaptureFixture[str]) -> None:
    """Any Python value: a full assessment or one bounded library error, nothing else."""
    counts: Counter[tuple[str, str]] = Counter()

    @kit_settings(5.0)
    @given(_python_input())
    def run(case: tuple[str, Any]) -> None:
        kind, value = case
        counts[kind, _outcome(value)] += 1

    run()
    _report("Python values", counts, capsys)
    assert counts["huge-int", "accepted"] == counts["nan", "accepted"] == 0
    assert counts["deep", "accepted"] == counts["bytes", "accepted"] == 0


def test_fuzz_json_text(capsys: pytest.CaptureFixture[str]) -> None:
    """Malformed JSON text and bytes: a full assessment or one bounded library error."""
    counts: Counter[tuple[str, str]] = Counter()

    @kit_settings(5.0)
    @given(_json_text())
    def run(case: tuple[str, str | bytes]) -> None:
        kind, text = case
        counts[kind, _outcome(text)] += 1

    run()
    _report("JSON text", counts, capsys)
    for kind in ("duplicate-key", "huge-number", "deep", "nan", "bad-utf8"):
        assert counts[kind, "accepted"] == 0, kind
    assert counts["bom", "refused"] == 0
