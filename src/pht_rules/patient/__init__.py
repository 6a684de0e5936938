# SPDX-License-Identifier: MIT
"""What a patient is: the pydantic patient-state model and the fields a rule may read."""

from pht_rules.patient.fields import (
    UNDETERMINED,
    FieldKind,
    FieldSpec,
    Scalar,
    Snapshot,
    decision_field,
    input_fields,
)
from pht_rules.patient.model import (
    LoadingHistory,
    LoadingPhase,
    Onset,
    PainSite,
    PatientState,
    Presentation,
    Symptoms,
    TrainingLoad,
    TreatmentOutcome,
    TreatmentsTried,
    parse_state,
)

__all__ = [
    "UNDETERMINED",
    "FieldKind",
    "FieldSpec",
    "LoadingHistory",
    "LoadingPhase",
    "Onset",
    "PainSite",
    "PatientState",
    "Presentation",
    "Scalar",
    "Snapshot",
    "Symptoms",
    "TrainingLoad",
    "TreatmentOutcome",
    "TreatmentsTried",
    "decision_field",
    "input_fields",
    "parse_state",
]
