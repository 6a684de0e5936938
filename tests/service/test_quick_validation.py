# SPDX-License-Identifier: MIT
"""The quick QuestionnaireResponse check never accepts what fhir.resources refuses."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pht_rules.fhir import state_to_response
from pht_rules.fhir._quick import quick_valid_response
from pht_rules.fhir.validation import _model

from .conftest import EXAMPLES, example_state

_RESPONSES = [
    state_to_response(
        example_state(p),
        response_id=f"qr-{i}",
        subject="Patient/1",
        authored="2026-03-01T09:30:00Z",
    )
    for i, p in enumerate(EXAMPLES)
]
_ODD_VALUES: list[Any] = [
    None,
    "",
    " x",
    "x ",
    1.5,
    2**31,
    True,
    [],
    {},
    "2026-13-01",
    "2026-03-01T25:00:00Z",
    "bad id!",
    {"reference": ""},
    [{}],
    "a\u00a0b",
    0,
    "text",
]


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, (*prefix, i))
    return out


def _fully_valid(resource: dict[str, Any]) -> bool:
    model = _model("QuestionnaireResponse")
    assert model is not None
    try:
        model.model_validate(resource)
    except Exception:
        return False
    return True


def test_the_shipped_kinds_of_response_pass_the_quick_check() -> None:
    assert all(quick_valid_response(r) for r in _RESPONSES)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(range(len(_RESPONSES))),
    st.data(),
    st.sampled_from([*_ODD_VALUES, "extra-key"]),
)
def test_quick_acceptance_implies_full_validity(which: int, data: st.DataObject, odd: Any) -> None:
    """Replace any element (or add a key) by an odd value: quick 'valid' means valid."""
    response = copy.deepcopy(_RESPONSES[which])
    path = data.draw(st.sampled_from(_paths(response)))
    node: Any = response
    for step in path[:-1]:
        node = node[step]
    if odd == "extra-key" and isinstance(node, dict):
        node["unknownElement"] = 1
    else:
        node[path[-1]] = odd
    if quick_valid_response(response):
        assert _fully_valid(response), path
