# SPDX-License-Identifier: MIT
"""Many threads at once get exactly the answers one thread gets."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pht_rules
from pht_rules import Evaluator, RuleSet
from pht_rules.testing import patient_dicts


@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.large_base_example,
        HealthCheck.data_too_large,
    ],
)
@given(st.lists(patient_dicts(unknown_weight=0.2), min_size=40, max_size=40))
def test_eight_threads_match_one_thread(states: list[dict[str, object]]) -> None:
    """8 threads evaluating different patients through one evaluator agree with one thread."""
    ruleset: RuleSet = pht_rules.load_rules()
    with Evaluator(ruleset) as shared:
        expected = [shared.evaluate(s).to_json() for s in states]
        barrier = threading.Barrier(8)

        def work(offset: int) -> list[tuple[int, str]]:
            barrier.wait()
            out = []
            for round_ in range(5):
                for i in range(len(states)):
                    j = (i + offset * 5 + round_) % len(states)
                    out.append((j, shared.evaluate(states[j]).to_json()))
            return out

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = [r for chunk in pool.map(work, range(8)) for r in chunk]
    assert len(results) == 8 * 5 * len(states)
    wrong = [j for j, text in results if text != expected[j]]
    assert wrong == []


def test_module_level_evaluate_is_thread_safe() -> None:
    """The cached default evaluator behind pht_rules.evaluate() is safe from many threads."""
    states = [{"symptoms": {"pain_at_rest": i % 2 == 0}, "age_years": 20 + i} for i in range(16)]
    expected = [pht_rules.evaluate(s).to_json() for s in states]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda s: pht_rules.evaluate(s).to_json(), states * 20))
    assert got == expected * 20
