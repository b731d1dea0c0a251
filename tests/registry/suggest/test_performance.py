"""The performance family: ECOG (WHO, Zubrod) and Karnofsky limits, on the shared records'
texts, near misses that stay text, and at the FHIR level through the evaluator."""

from __future__ import annotations

from typing import Any

import pytest

from app.registry.suggest import suggest, wording
from app.registry.suggest.reading import Context
from tests.registry.suggest.imported import (
    criterion_texts,
    imported,
    matched,
    patient,
    with_ecog,
    with_karnofsky,
)

INCLUSION, EXCLUSION = Context("inclusion"), Context("exclusion")


def ecog(**bounds: Any) -> dict[str, Any]:
    return {"op": "performance", "scale": "ecog", **bounds}


def karnofsky(**bounds: Any) -> dict[str, Any]:
    return {"op": "performance", "scale": "karnofsky", **bounds}


@pytest.mark.parametrize(
    ("text", "context", "rule"),
    [
        ("Zubrod 0-1", INCLUSION, ecog(lte=1)),
        (
            "Eastern Cooperative Oncology Group (ECOG) performance status 0 or 1",
            INCLUSION,
            ecog(lte=1),
        ),
        ("ECOG performance status 0-1.", INCLUSION, ecog(lte=1)),
        (
            "Eastern Cooperative Oncology Group (ECOG) performance status =< 2",
            INCLUSION,
            ecog(lte=2),
        ),
        ("Eastern Cooperative Oncology Group (ECOG) status of 0 to 1", INCLUSION, ecog(lte=1)),
        ("ECOG Performance Status of 0, 1, or 2", INCLUSION, ecog(lte=2)),
        ("Clinical performance status of ECOG 0 or 1", INCLUSION, ecog(lte=1)),
        (
            "Have a performance status of 0 or 1 on the Eastern Cooperative Oncology Group "
            "(ECOG) Performance within 7 days prior to allocation",
            INCLUSION,
            ecog(lte=1, within_days=7),
        ),
        (
            "Eastern Cooperative Oncology Group (ECOG) performance status =< 2 (Karnofsky >= 60%)",
            INCLUSION,
            {"op": "any", "of": [ecog(lte=2), karnofsky(gte=60)]},
        ),
        (
            "Eastern Cooperative Oncology Group (ECOG) performance status 0 or 1 at screening.",
            INCLUSION,
            ecog(lte=1),
        ),
        ("Karnofsky Performance Status > 80", INCLUSION, karnofsky(gt=80)),
        ("Karnofsky Performance Status < 80", EXCLUSION, karnofsky(lt=80)),
        ("ECOG PS 0-2;", INCLUSION, ecog(lte=2)),
        ("Eastern Cooperative Oncology Group performance status \u2264 1;", INCLUSION, ecog(lte=1)),
        ("ECOG performance status 0, 1.", INCLUSION, ecog(lte=1)),
        (
            "ECOG\uff08Eastern Cooperative Oncology Group\uff09PS\uff08Performance Status\uff09"
            ":0-1 scores.",
            INCLUSION,
            ecog(lte=1),
        ),
        ("WHO performance status of \u22641;", INCLUSION, ecog(lte=1)),
        ("WHO performance status 0 or 1", INCLUSION, ecog(lte=1)),
        ("Eastern Cooperative Oncology Group (ECOG) score 0-1.", INCLUSION, ecog(lte=1)),
        ("Eastern Cooperative Oncology Group (ECOG) performance status 0.", INCLUSION, ecog(lte=0)),
        (
            "Eastern Cooperative Oncology Group (ECOG) performance status (PS) 0-1",
            INCLUSION,
            ecog(lte=1),
        ),
        # forms the brief names, not in the records
        ("ECOG PS of 0 or 1", INCLUSION, ecog(lte=1)),
        ("ECOG <= 2", INCLUSION, ecog(lte=2)),
        ("KPS >= 70", INCLUSION, karnofsky(gte=70)),
        ("Karnofsky performance status of at least 60%", INCLUSION, karnofsky(gte=60)),
        ("ECOG 1-2", INCLUSION, ecog(gte=1, lte=2)),
        ("ECOG 2 or more", EXCLUSION, ecog(gte=2)),
        ("ECOG performance status > 2", EXCLUSION, ecog(gt=2)),
        (
            "ECOG 0-1 or KPS >= 70",
            INCLUSION,
            {"op": "any", "of": [ecog(lte=1), karnofsky(gte=70)]},
        ),
        (
            "ECOG > 2 or Karnofsky < 70",
            EXCLUSION,
            {"op": "any", "of": [ecog(gt=2), karnofsky(lt=70)]},
        ),
    ],
)
def test_performance_texts_are_read(text: str, context: Context, rule: dict[str, Any]) -> None:
    found = suggest(text, context)
    assert found is not None and found.family == "performance"
    assert found.rule.model_dump(exclude_none=True, exclude_defaults=True) == rule


@pytest.mark.parametrize(
    ("text", "context"),
    [
        ("Patient fit for surgery (ECOG 0 or 1).", INCLUSION),  # "fit for surgery": a judgement
        ("Patient unfit for surgery (ECOG 2 or more).", EXCLUSION),
        ("ECOG Performance Status (PS) 0-2. See Appendix F.", INCLUSION),  # a reference
        ("ECOG 0 or 2", INCLUSION),  # a gap: not a range
        ("ECOG 0-5", INCLUSION),  # the whole scale: no limit
        ("ECOG 0-1 unless approved by the sponsor", INCLUSION),  # hedged
        ("ECOG 0-1 or 2 with sponsor approval", INCLUSION),  # an alternative left unread
        ("ECOG <= 1 (<= 2 for patients over 70)", INCLUSION),  # an exception
        ("ECOG 0-1 and KPS >= 70", INCLUSION),  # "and" of two scales: not read
        ("ECOG <= 2 (Karnofsky >= 60%)", EXCLUSION),  # restated limit in an exclusion
        ("ECOG 0-1 within 14 days of surgery", INCLUSION),  # a window from another event
        ("Not ECOG 0-1", INCLUSION),  # a negation
        ("Patients who score 2 or more", INCLUSION),  # "who" is not WHO
        ("ECOG 7", INCLUSION),  # off the scale
        ("Karnofsky 65-100", INCLUSION),  # Karnofsky moves in tens
        ("Lansky play-performance scale >= 50", INCLUSION),  # a scale the facts do not hold
        ("ECOG 0-1 or", INCLUSION),  # the other alternative is in the next criterion
        ("ECOG 0-1 or KPS >= 70 within 14 days prior to registration", INCLUSION),
    ],
)
def test_texts_that_are_not_only_a_performance_limit_stay_text(text: str, context: Context) -> None:
    assert suggest(text, context) is None


def test_no_performance_suggestion_on_a_hedged_text() -> None:
    hedged = [t for t in criterion_texts() if wording.hedged(wording.normalize(t["text"]))]
    assert len(hedged) > 100  # the guard below checks something
    for t in hedged:
        found = suggest(t["text"], Context(t["type"]))
        assert found is None or found.family != "performance", t


# --- at the FHIR level ----------------------------------------------------------------------


def test_ecog_or_karnofsky_inclusion_fails_ecog_3_and_passes_ecog_1() -> None:
    trial = imported("NCT05685602")  # inc-4: ECOG =< 2 (Karnofsky >= 60%), pancreas
    worse = matched(trial, with_ecog(patient("pancreas"), 3))
    assert worse.outcome("inc-4") == "fail" and worse.status == "ineligible"

    fit = matched(trial, with_ecog(patient("pancreas"), 1))
    assert fit.outcome("inc-4") == "pass" and fit.status == "possibly_eligible"


def test_karnofsky_alone_decides_the_either_scale_inclusion() -> None:
    trial = imported("NCT05685602")
    assert matched(trial, with_karnofsky(patient("pancreas"), 40)).outcome("inc-4") == "fail"
    # Karnofsky 50 maps to ECOG 2 or 3: the ECOG part cannot be settled, so neither can "any"
    assert matched(trial, with_karnofsky(patient("pancreas"), 50)).outcome("inc-4") == "unknown"
    assert matched(trial, with_karnofsky(patient("pancreas"), 70)).outcome("inc-4") == "pass"


def test_karnofsky_exclusion_excludes_70_and_admits_90() -> None:
    trial = imported("NCT05688033")  # exc-3: Karnofsky < 80, rectal cancer
    excluded = matched(trial, with_karnofsky(patient("rectum"), 70))
    assert excluded.outcome("exc-3") == "fail" and excluded.status == "ineligible"

    admitted = matched(trial, with_karnofsky(patient("rectum"), 90))
    assert admitted.outcome("exc-3") == "pass" and admitted.outcome("inc-4") == "pass"
    assert admitted.status == "possibly_eligible"


def test_zubrod_is_read_on_the_ecog_scale() -> None:
    trial = imported("NCT00023673")  # inc-16: Zubrod 0-1, lung cancer
    assert matched(trial, with_ecog(patient("lung"), 2)).status == "ineligible"
    found = matched(trial, with_ecog(patient("lung"), 1))
    assert found.outcome("inc-16") == "pass" and found.status == "possibly_eligible"


def test_a_window_in_the_text_is_applied() -> None:
    trial = imported("NCT05382364")  # inc-3: ECOG 0 or 1 within 7 days prior to allocation
    assert matched(trial, with_ecog(patient("breast"), 2)).outcome("inc-3") == "fail"
    assert matched(trial, with_ecog(patient("breast"), 0)).outcome("inc-3") == "pass"
    # 13 days old: within the operator's 28 days, not within the protocol's 7
    old = matched(trial, with_ecog(patient("breast"), 0, "2026-11-10"))
    assert old.outcome("inc-3") == "unknown"
