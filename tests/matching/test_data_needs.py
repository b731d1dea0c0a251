"""The EHR is asked only for the Observation codes the trial library reads."""

from __future__ import annotations

import typing

from app.config import REPO_ROOT
from app.eligibility import language
from app.eligibility.library import load_library
from app.matching.data_needs import NO_OBSERVATION, OPERATOR_CONCEPTS, observation_codes

LIBRARY = load_library(REPO_ROOT / "criteria")


def all_operators() -> set[str]:
    ops: set[str] = set()
    for model in vars(language).values():
        if isinstance(model, type) and "op" in getattr(model, "model_fields", {}):
            ops.update(typing.get_args(model.model_fields["op"].annotation))
    return ops


def test_every_operator_of_the_language_is_mapped() -> None:
    ops = all_operators()
    assert ops, "no operators found in the rule language"
    assert ops <= set(OPERATOR_CONCEPTS) | NO_OBSERVATION


def test_the_seed_library_asks_for_what_its_criteria_read() -> None:
    codes = set(observation_codes(LIBRARY))
    assert "http://loinc.org|89247-1" in codes  # ECOG (NCT06949098 inc-2)
    assert "http://loinc.org|33748-5" in codes  # distance from the anal verge
    assert "http://loinc.org|21906-3" in codes  # clinical N category
    assert "http://loinc.org|718-7" in codes  # hemoglobin (NCT06122493 inc-6)
    assert "http://loinc.org|2160-0" in codes  # creatinine
    assert "http://loinc.org|63895-7" in codes  # breastfeeding status (exc: lactating)


def test_labs_no_criterion_reads_are_not_asked_for() -> None:
    codes = set(observation_codes(LIBRARY))
    assert "http://loinc.org|2039-6" not in codes  # CEA: no seed criterion reads it
    assert "http://loinc.org|24108-3" not in codes  # CA 19-9
