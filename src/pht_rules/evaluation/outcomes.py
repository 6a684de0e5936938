# SPDX-License-Identifier: MIT
"""The outcomes-only result: what :meth:`Evaluator.evaluate` returns with ``detail="outcomes"``.

For population runs and for apps that only route on the outcome: each decision's outcome, the
rules that fired, the questions still open and the decisions the guideline does not cover,
without the evidence, advice texts and citations of a full :class:`~pht_rules.Assessment`. It
equals what the full assessment of the same patient says (a test checks this over the exhaustive
abstract domain), and it is a plain tuple of builtin containers: cheap to build, to send between
processes and to pickle.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from pht_rules.evaluation.assessment import Assessment

__all__ = ["GapKind", "Outcomes"]

GapKind = Literal["outside-guideline", "rule-set-gap"]


class Outcomes(NamedTuple):
    """Each decision's outcome, the rules that fired, open questions and guideline gaps.

    - ``outcomes``: decision id -> outcome (as :attr:`Assessment.outcomes`);
    - ``all_outcomes``: decision id -> every outcome (as ``DecisionResult.outcomes``; more than
      one only for a ``collect`` decision);
    - ``fired``: the ids of every rule that fired, decision by decision, highest precedence
      first (as the ``hits`` of each decision, outranked rules included);
    - ``needs_information``: the unknown fields worth asking about, most important first (the
      ``field`` of each :attr:`Assessment.needs_information` entry);
    - ``guideline_gaps``: decision id -> gap kind, for the decisions the guideline does not cover
      for this patient (as :attr:`Assessment.guideline_gaps`).
    """

    outcomes: dict[str, str]
    all_outcomes: dict[str, tuple[str, ...]]
    fired: tuple[str, ...]
    needs_information: tuple[str, ...]
    guideline_gaps: dict[str, GapKind]

    @classmethod
    def of(cls, assessment: Assessment) -> Outcomes:
        """The outcomes-only view of a full :class:`~pht_rules.Assessment`."""
        return cls(
            outcomes=assessment.outcomes,
            all_outcomes={d.decision_id: d.outcomes for d in assessment.decisions},
            fired=tuple(h.rule_id for d in assessment.decisions for h in d.hits),
            needs_information=tuple(n.field for n in assessment.needs_information),
            guideline_gaps={g.decision_id: g.kind for g in assessment.guideline_gaps},
        )
