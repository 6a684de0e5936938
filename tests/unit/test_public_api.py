# SPDX-License-Identifier: MIT
"""The public surface: ``__all__`` matches what the package exports, and the types are precise."""

from __future__ import annotations

import types

import pht_rules
import pht_rules.testing


def test_all_matches_public_names() -> None:
    """Every public, non-module name is in __all__ and __all__ is sorted."""
    for module in (pht_rules, pht_rules.testing):
        public = {
            name
            for name, value in vars(module).items()
            if not name.startswith("_") and not isinstance(value, types.ModuleType)
        }
        assert sorted(module.__all__) == module.__all__
        assert set(module.__all__) == public


def test_typed_marker_ships() -> None:
    """py.typed is installed with the package."""
    from importlib.resources import files

    assert files("pht_rules").joinpath("py.typed").is_file()


def test_schemas_are_exposed() -> None:
    """Input and output JSON Schemas are available from the package."""
    assert pht_rules.patient_state_json_schema()["title"] == "PatientState"
    out = pht_rules.assessment_json_schema()
    assert "decisions" in out["properties"]
