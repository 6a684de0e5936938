# SPDX-License-Identifier: MIT
"""What a patient is: the pydantic patient-state model and the fields a rule may read.

The sub-models (``Presentation``, ``Symptoms``, ...) are in :mod:`pht_rules.patient.model`; the
field catalogue (``FieldSpec``, ``input_fields``, ``Snapshot``) in :mod:`pht_rules.patient.fields`.
"""

from pht_rules.patient.fields import FieldSpec, Scalar, Snapshot, input_fields
from pht_rules.patient.model import PatientState, parse_state

__all__ = ["FieldSpec", "PatientState", "Scalar", "Snapshot", "input_fields", "parse_state"]
