# SPDX-License-Identifier: MIT
"""A synthetic cohort: realistic-looking patient states for benchmarks, demos and Spark tests.

The case mix below is an **assumption** made for this generator, not an epidemiological figure:
no source gives the shares of red flags, irritability or loading phases among people presenting
with proximal hamstring tendinopathy. It exists so that every decision and most rules are
exercised in plausible proportions. The same ``seed`` always gives the same cohort.
"""

from __future__ import annotations

import json
import random
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from pht_rules.errors import UsageError, UsageTypeError
from pht_rules.patient import PatientState

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True, slots=True)
class CaseMix:
    """The shares the generator draws from; every one is an assumption (see the module docstring)."""

    red_flag: float = 0.03
    """Share with at least one red flag (neurological or cauda equina symptoms, night pain,
    systemic symptoms, or an acute pop or bruising)."""
    atypical: float = 0.07
    """Share, among the rest, with a sudden onset or pain away from the sitting bone."""
    irritable: float = 0.30
    """Share with pain at rest or on walking."""
    runner: float = 0.85
    """Share who run (pain when running is answered)."""
    phases: tuple[tuple[str, float], ...] = (
        ("not-started", 0.35),
        ("isometric", 0.30),
        ("heavy-load", 0.20),
        ("plyometric", 0.15),
    )
    """Loading phase shares."""
    unknown: float = 0.08
    """Chance that any one answer is unknown (not asked or not answered), outside the screen."""
    screen_unknown: float = 0.01
    """Chance that one answer of the red-flag screen (presentation) is unknown."""

    def describe(self) -> str:
        """The case mix as one line, labelled as assumed."""
        phases = ", ".join(f"{name} {share:.0%}" for name, share in self.phases)
        return (
            f"case mix (assumed, not from a source): red flags {self.red_flag:.0%}, atypical "
            f"{self.atypical:.0%}, irritable {self.irritable:.0%}, runners {self.runner:.0%}; "
            f"loading phase {phases}; each answer unknown with probability {self.unknown:.0%} "
            f"({self.screen_unknown:.0%} in the red-flag screen)"
        )


DEFAULT_MIX = CaseMix()

_RED_FLAGS = (
    "neurological_symptoms",
    "cauda_equina_symptoms",
    "night_pain",
    "systemic_symptoms",
    "acute_event_pop_or_bruising",
)


def _patient(rng: random.Random, mix: CaseMix) -> dict[str, Any]:
    chance = rng.random
    flag = rng.choice(_RED_FLAGS) if chance() < mix.red_flag else None
    atypical = flag is None and chance() < mix.atypical
    presentation: dict[str, Any] = {
        "onset": "sudden" if atypical and chance() < 0.5 else "gradual",
        "pain_site": "elsewhere" if atypical and chance() < 0.6 else "ischial-tuberosity",
        **{name: name == flag for name in _RED_FLAGS},
    }
    irritable = chance() < mix.irritable
    runs = chance() < mix.runner
    at_rest = irritable and chance() < 0.6
    symptoms: dict[str, Any] = {
        "pain_at_rest": at_rest,
        "pain_at_rest_nrs": rng.randint(1, 6) if at_rest else 0,
        "pain_on_walking": irritable and (not at_rest or chance() < 0.5),
        "pain_on_sitting": irritable and chance() < 0.7,
        "pain_during_activity_nrs": rng.randint(4, 8) if irritable else rng.randint(1, 5),
        "pain_when_running": runs,
        "minutes_into_run_before_pain": rng.choice((0, 5, 10, 20, 30, 45)) if runs else None,
        "eases_with_warm_up": chance() < 0.6,
    }
    training: dict[str, Any] = {
        "weekly_volume_increase_percent": rng.choice((0, 0, 5, 10, 15, 25, 40)),
        "speed_work_added": chance() < 0.3,
        "hill_work_introduced": chance() < 0.2,
        "weeks_continuous_flat_running": rng.randint(0, 8),
        "cross_training": chance() < 0.5,
        "planned_recovery_weeks": chance() < 0.4,
    }
    phase = rng.choices([p for p, _ in mix.phases], [w for _, w in mix.phases])[0]
    duration = rng.randint(2, 60)
    started = phase != "not-started"
    loading: dict[str, Any] = {
        "current_phase": phase,
        "weeks_in_phase": rng.randint(0, 10) if started else None,
        "exercise_pain_nrs": rng.randint(0, 7) if started else None,
        "pain_settled_next_day": chance() < 0.75 if started else None,
        "weeks_adherent_loading": min(duration, rng.randint(0, 16)) if started else 0,
        "programme_completed": phase == "plyometric" and chance() < 0.3,
        "symptoms_improving": chance() < 0.6,
    }
    treatments = {
        "injection": rng.choices(("not-tried", "helped", "no-lasting-benefit"), (8, 1, 1))[0],
        "shockwave": rng.choices(("not-tried", "helped", "no-lasting-benefit"), (8, 1, 1))[0],
    }
    state: dict[str, Any] = {
        "age_years": rng.randint(18, 70),
        "symptom_duration_weeks": duration,
        "presentation": presentation,
        "symptoms": symptoms,
        "training": training,
        "loading": loading,
        "treatments": treatments,
    }
    for key, value in list(state.items()):
        if isinstance(value, dict):
            p_unknown = mix.screen_unknown if key == "presentation" else mix.unknown
            for leaf in value:
                if chance() < p_unknown:
                    value[leaf] = None
        elif chance() < mix.unknown:
            state[key] = None
    _repair(state)
    return state


_MIN_COMPLETED_WEEKS = 2  # plausibility's floor for a completed programme (any profile)


def _repair(state: dict[str, Any]) -> None:
    # Unknowns drawn independently can leave an answer its premise no longer supports (an NRS of
    # 0 beside pain at rest); blank the dependent answer, as a clinician would not record it.
    sy, ld = state["symptoms"], state["loading"]
    if sy["pain_at_rest"] is True and sy["pain_at_rest_nrs"] == 0:
        sy["pain_at_rest_nrs"] = None
    if sy["pain_when_running"] is not True:
        sy["minutes_into_run_before_pain"] = None
    # The library refuses implausible histories (pht_rules.patient.plausibility): no more weeks
    # in a phase or of adherent loading than weeks of symptoms, and no completed programme on
    # fewer adherent weeks than any phase path takes.
    duration = state["symptom_duration_weeks"]
    for name in ("weeks_adherent_loading", "weeks_in_phase"):
        weeks = ld.get(name)
        if duration is not None and weeks is not None and weeks > duration:
            ld[name] = duration
    adherent = ld.get("weeks_adherent_loading")
    if ld.get("programme_completed") is True and (
        adherent is None or adherent < _MIN_COMPLETED_WEEKS
    ):
        ld["programme_completed"] = False


def synthetic_cohort(
    n: int, *, seed: int = 0, mix: CaseMix = DEFAULT_MIX, start: int = 0
) -> Iterator[dict[str, Any]]:
    """``n`` synthetic patient records (``id`` plus the state), reproducible per ``seed``.

    Patient ``i`` depends only on ``seed`` and ``i``, so any slice (``start``) can be made alone.
    Every record is a valid :class:`~pht_rules.PatientState` with an ``id``.
    """
    if n < 0:
        raise UsageError(f"n must not be negative, got {n}")
    for i in range(start, start + n):
        rng = random.Random(f"{seed}:{i}")
        yield {"id": f"p{i:08d}", **_patient(rng, mix)}


def _arrow_type(annotation: Any) -> pa.DataType:
    import pyarrow as pa

    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    inner = args[0] if args else annotation
    if inner is bool:
        return pa.bool_()
    if inner is int:
        return pa.int64()
    if typing.get_origin(inner) is Literal or inner is str:
        return pa.string()
    raise UsageTypeError(f"no Arrow type for {annotation!r}")


def state_schema() -> pa.Schema:
    """The Arrow schema of patient records: ``id``, top-level answers, one struct per group."""
    import pyarrow as pa

    fields = [pa.field("id", pa.string(), nullable=False)]
    for name, info in PatientState.model_fields.items():
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            fields.append(
                pa.field(
                    name,
                    pa.struct(
                        [
                            pa.field(k, _arrow_type(v.annotation))
                            for k, v in ann.model_fields.items()
                        ]
                    ),
                )
            )
        else:
            fields.append(pa.field(name, _arrow_type(ann)))
    return pa.schema(fields)


def write_cohort(
    path: str | Path, n: int, *, seed: int = 0, mix: CaseMix = DEFAULT_MIX, batch: int = 10_000
) -> int:
    """Write ``n`` synthetic records to ``path`` (Parquet for ``.parquet``, else JSON Lines)."""
    records = synthetic_cohort(n, seed=seed, mix=mix)
    written = 0
    if str(path).lower().endswith((".parquet", ".pq")):
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = state_schema()
        with pq.ParquetWriter(path, schema) as writer:
            while rows := [r for _, r in zip(range(batch), records, strict=False)]:
                writer.write_table(pa.Table.from_pylist(rows, schema=schema))
                written += len(rows)
        return written
    with open(path, "w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, separators=(",", ":")))
            fh.write("\n")
            written += 1
    return written


__all__ = ["DEFAULT_MIX", "CaseMix", "state_schema", "synthetic_cohort", "write_cohort"]
