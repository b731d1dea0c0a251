"""The reproductive family: pregnancy and breastfeeding, on the shared records' texts, near
misses that stay text, and at the FHIR level (women pregnant or not, breastfeeding or not,
postmenopausal with nothing recorded, and men)."""

from __future__ import annotations

from typing import Any

import pytest

from app.registry.suggest import suggest, wording
from app.registry.suggest.reading import Context
from tests.registry.suggest.imported import (
    LACTATING,
    NOT_LACTATING,
    NOT_PREGNANT,
    PREGNANT,
    criterion_texts,
    imported,
    lactation_status,
    matched,
    patient,
    pregnancy_status,
)

INCLUSION, EXCLUSION = Context("inclusion"), Context("exclusion")
PREGNANT_RULE = {"op": "pregnant"}
LACTATING_RULE = {"op": "lactating"}
EITHER = {"op": "any", "of": [PREGNANT_RULE, LACTATING_RULE]}


def negative_test(days: int | None) -> dict[str, Any]:
    within = f" within {days} days" if days is not None else ""
    pregnant: dict[str, Any] = {"op": "pregnant"}
    if days is not None:
        pregnant["within_days"] = days
    question = (
        f"Is a negative pregnancy test on record{within}, or is the patient not of "
        "childbearing potential?"
    )
    return {
        "op": "any",
        "of": [
            {"op": "sex", "one_of": ["male"]},
            {
                "op": "all",
                "of": [{"op": "not", "rule": pregnant}, {"op": "judgement", "question": question}],
            },
        ],
    }


@pytest.mark.parametrize(
    ("text", "context", "rule"),
    [
        ("Not pregnant or nursing", INCLUSION, {"op": "not", "rule": EITHER}),
        ("Pregnant patients or currently breast-feeding.", EXCLUSION, EITHER),
        ("Pregnant or lactating women", EXCLUSION, EITHER),
        ("Women must not be breastfeeding.", INCLUSION, {"op": "not", "rule": LACTATING_RULE}),
        ("Female participants who are breastfeeding.", EXCLUSION, LACTATING_RULE),
        (
            "Have a negative pregnancy test \u226414 days prior to initiating study treatment",
            INCLUSION,
            negative_test(14),
        ),
        ("Pregnant and lactating women;", EXCLUSION, EITHER),  # both groups
        (
            "Positive pregnancy test prior to the initiation of the study medications.",
            EXCLUSION,
            PREGNANT_RULE,
        ),
        (
            "Pregnancy test done within 14 days before randomization must be negative (for "
            "women of childbearing potential only)",
            INCLUSION,
            negative_test(14),
        ),
        ("Lactating women", EXCLUSION, LACTATING_RULE),
        (
            "Negative pregnancy test (urine or serum) for female patients with childbearing "
            "potential.",
            INCLUSION,
            negative_test(None),
        ),
        ("Woman who are pregnant or breast feeding;", EXCLUSION, EITHER),
        ("Pregnant women", EXCLUSION, PREGNANT_RULE),
        ("Females who are pregnant or breastfeeding.", EXCLUSION, EITHER),
        ("Are pregnant or breastfeeding.", EXCLUSION, EITHER),
        # forms the brief names
        ("Pregnant or breastfeeding women", EXCLUSION, EITHER),
        ("Pregnancy or lactation", EXCLUSION, EITHER),
        ("Women who are pregnant or nursing", EXCLUSION, EITHER),
        (
            "Negative pregnancy test within 7 days (for women of childbearing potential)",
            INCLUSION,
            negative_test(7),
        ),
        (
            "Women of childbearing potential must have a negative serum pregnancy test within "
            "7 days prior to registration",
            INCLUSION,
            negative_test(7),
        ),
    ],
)
def test_reproductive_texts_are_read(text: str, context: Context, rule: dict[str, Any]) -> None:
    found = suggest(text, context)
    assert found is not None and found.family == "reproductive"
    assert found.rule.model_dump(exclude_none=True, exclude_defaults=True) == rule


@pytest.mark.parametrize(
    ("text", "context"),
    [
        # records' texts that hold more
        (
            "Pregnancy or breastfeeding, or intention of becoming pregnant during the study",
            EXCLUSION,
        ),
        (
            "Women of child-bearing potential who are pregnant or breastfeeding because of the "
            "potentially dangerous effects of the treatment on the fetus or infant.",
            EXCLUSION,
        ),
        (
            "Pregnant women, or women of childbearing potential without a negative pregnancy "
            "test within 14 days prior to randomization.",
            EXCLUSION,
        ),
        (
            "For females, is not pregnant or breastfeeding AND one of the following applies:",
            INCLUSION,
        ),
        (
            "Patients who are pregnant or breastfeeding. Female participants of childbearing "
            "potential must have a negative serum pregnancy test before the first dose of study "
            "intervention. Serum pregnancy tests will be carried out every 4 weeks during study "
            "treatment.",
            EXCLUSION,
        ),
        (
            "Negative urine or serum pregnancy test done \u22647 days prior to registration, for "
            "women of childbearing potential only -  NOTE: In the rare case that a woman "
            "enrolling on study is of childbearing potential, a pregnancy test is required prior "
            "to enrollment on study.",
            INCLUSION,
        ),
        (
            "Women of childbearing potential must have a negative serum test result within 28 "
            "days prior to initiation of study treatment. If a urine pregnancy test is positive, "
            "it must be confirmed by a serum pregnancy test.",
            INCLUSION,
        ),
        # near misses
        ("Not pregnant or nursing", EXCLUSION),  # a negation in an exclusion
        ("Pregnant or breastfeeding women", INCLUSION),  # a state as an inclusion
        ("Women who had a pregnancy", EXCLUSION),  # in the past
        ("History of pregnancy", EXCLUSION),
        ("Non-pregnant women", EXCLUSION),  # "non-pregnant" is not "pregnant"
        ("Pregnancy-related complications", EXCLUSION),
        ("Pregnant women and men", EXCLUSION),  # men are never a subject here
        ("Women who are pregnant and breastfeeding", EXCLUSION),  # both at once?
        ("Not pregnant and nursing", INCLUSION),  # "not" over both, or one?
        ("Negative serum pregnancy test within 72 hours", INCLUSION),  # hours: no exact days
        ("Negative pregnancy test within 7 days of surgery", INCLUSION),  # another clock
        ("Pregnant or breastfeeding, or", EXCLUSION),  # the rest in the next criterion
        ("Pregnant women unless approved by the sponsor", EXCLUSION),  # hedged
        ("Women who plan to become pregnant", EXCLUSION),
    ],
)
def test_texts_that_are_not_only_pregnancy_or_breastfeeding_stay_text(
    text: str, context: Context
) -> None:
    assert suggest(text, context) is None


def test_no_reproductive_suggestion_on_a_hedged_text() -> None:
    hedged = [t for t in criterion_texts() if wording.hedged(wording.normalize(t["text"]))]
    assert len(hedged) > 100
    for t in hedged:
        found = suggest(t["text"], Context(t["type"]))
        assert found is None or found.family != "reproductive", t


# --- at the FHIR level ----------------------------------------------------------------------


def test_pregnant_or_lactating_exclusion() -> None:
    trial = imported("NCT05288205")  # exc-7: Pregnant or lactating women; no site inferred
    pregnant = matched(trial, pregnancy_status(patient("lung"), PREGNANT))
    assert pregnant.outcome("exc-7") == "fail" and pregnant.status == "ineligible"
    nursing = matched(trial, lactation_status(patient("lung"), LACTATING))
    assert nursing.outcome("exc-7") == "fail" and nursing.status == "ineligible"

    neither = lactation_status(pregnancy_status(patient("lung"), NOT_PREGNANT), NOT_LACTATING)
    found = matched(trial, neither)
    assert found.outcome("exc-7") == "pass" and found.status == "possibly_eligible"
    man = matched(trial, patient("lung", gender="male"))
    assert man.outcome("exc-7") == "pass" and man.status == "possibly_eligible"
    # a woman with nothing recorded: neither state is known
    assert matched(trial, patient("lung")).outcome("exc-7") == "unknown"


def test_not_pregnant_or_nursing_inclusion() -> None:
    trial = imported("NCT00023673")  # inc-24: Not pregnant or nursing; lung cancer
    nursing = matched(trial, lactation_status(patient("lung"), LACTATING))
    assert nursing.outcome("inc-24") == "fail" and nursing.status == "ineligible"
    neither = lactation_status(pregnancy_status(patient("lung"), NOT_PREGNANT), NOT_LACTATING)
    assert matched(trial, neither).outcome("inc-24") == "pass"
    assert matched(trial, patient("lung", gender="male")).outcome("inc-24") == "pass"


def test_must_not_be_breastfeeding_passes_a_man() -> None:
    trial = imported("NCT05482516")  # inc-15: Women must not be breastfeeding
    nursing = matched(trial, lactation_status(patient("colon"), LACTATING))
    assert nursing.outcome("inc-15") == "fail" and nursing.status == "ineligible"
    man = matched(trial, patient("colon", gender="male"))
    assert man.outcome("inc-15") == "pass" and man.status == "possibly_eligible"


def test_negative_pregnancy_test_never_fails_a_woman_the_protocol_admits() -> None:
    trial = imported("NCT05699746")  # inc-8: negative test within 14 days, WOCBP only; CRC
    pregnant = matched(trial, pregnancy_status(patient("colon", birth_date="1990-02-02"), PREGNANT))
    assert pregnant.outcome("inc-8") == "fail" and pregnant.status == "ineligible"
    # postmenopausal, nothing recorded: she needs no test; a person decides, never a fail
    older = matched(trial, patient("colon", birth_date="1958-05-04"))
    assert older.outcome("inc-8") == "unknown" and older.status == "possibly_eligible"
    # a "not pregnant" status is not the test the protocol asks for: still for a person
    status_only = pregnancy_status(patient("colon", birth_date="1990-02-02"), NOT_PREGNANT)
    assert matched(trial, status_only).outcome("inc-8") == "unknown"
    man = matched(trial, patient("colon", gender="male"))
    assert man.outcome("inc-8") == "pass" and man.status == "possibly_eligible"


def test_a_pregnancy_older_than_the_window_is_unknown_not_a_fail() -> None:
    trial = imported("NCT05699746")
    old = pregnancy_status(patient("colon", birth_date="1990-02-02"), PREGNANT, when="2026-10-01")
    assert matched(trial, old).outcome("inc-8") == "unknown"
