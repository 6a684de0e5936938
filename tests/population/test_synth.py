# SPDX-License-Identifier: MIT
"""The synthetic cohort: valid, reproducible per seed, and close to its stated case mix."""

from __future__ import annotations

from pathlib import Path

import pytest

import pht_rules
from pht_rules.population import DEFAULT_MIX, decode, read_raw, synthetic_cohort, write_cohort


def test_same_seed_same_cohort_other_seed_other_cohort() -> None:
    """A seed fixes the cohort; a slice can be made on its own."""
    a = list(synthetic_cohort(200, seed=5))
    assert a == list(synthetic_cohort(200, seed=5))
    assert a != list(synthetic_cohort(200, seed=6))
    assert a[150:] == list(synthetic_cohort(50, seed=5, start=150))


def test_every_patient_is_valid() -> None:
    """Each record validates as a patient state once its id is taken off."""
    for record in synthetic_cohort(2000, seed=1):
        state = {k: v for k, v in record.items() if k != "id"}
        pht_rules.parse_state(state)


def test_case_mix_is_near_the_stated_shares() -> None:
    """Red flags, irritability and phases occur at about the assumed shares (5,000 patients)."""
    n = 5000
    cohort = list(synthetic_cohort(n, seed=3))
    flags = ("neurological_symptoms", "cauda_equina_symptoms", "night_pain", "systemic_symptoms")
    red = sum(
        any(r["presentation"][f] for f in (*flags, "acute_event_pop_or_bruising")) for r in cohort
    )
    assert abs(red / n - DEFAULT_MIX.red_flag) < 0.01
    phases = [r["loading"]["current_phase"] for r in cohort]
    started = sum(p == "not-started" for p in phases) / n
    assert abs(started - 0.35 * (1 - DEFAULT_MIX.unknown)) < 0.03
    unknown = sum(r["age_years"] is None for r in cohort) / n
    assert abs(unknown - DEFAULT_MIX.unknown) < 0.02
    assert "assumed" in DEFAULT_MIX.describe()


@pytest.mark.parametrize("name", ["c.jsonl", "c.parquet"])
def test_written_cohort_reads_back(tmp_path: Path, name: str) -> None:
    """JSON Lines and Parquet cohorts decode to the same patients."""
    path = tmp_path / name
    assert write_cohort(path, 120, seed=9, batch=50) == 120
    fmt = "parquet" if name.endswith("parquet") else "jsonl"
    decoded = [decode(fmt, r) for r in read_raw(path, fmt)]
    expected = [
        (r["id"], pht_rules.parse_state({k: v for k, v in r.items() if k != "id"}))
        for r in synthetic_cohort(120, seed=9)
    ]
    assert decoded == expected
