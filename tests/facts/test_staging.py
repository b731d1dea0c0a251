"""Staging: values from every coding style, contexts, and conflicts kept visible."""

from __future__ import annotations

import pytest

from app.facts.model import MetastasisFact, StageFact
from app.facts.staging import parse_value
from tests.factories import (
    AJCC,
    SNOMED,
    UICC,
    concept,
    facts_of,
    fixture_facts,
    observation,
    warning_codes,
)

PREFIX_URL = (
    "https://www.medizininformatik-initiative.de/fhir/ext/modul-onko/"
    "StructureDefinition/mii-ex-onko-tnm-cp-praefix"
)


@pytest.mark.parametrize(
    ("text", "category", "expected"),
    [
        ("cT3", "T", ("c", "T3")),
        ("ypT1", "T", ("yp", "T1")),
        ("pTis", "T", ("p", "Tis")),
        ("Tx", "T", ("", "TX")),
        ("T4b", "T", ("", "T4b")),
        ("cN1a", "N", ("c", "N1a")),
        ("M1c", "M", ("", "M1c")),
        ("3C", "group", ("", "IIIC")),
        ("c3A", "group", ("c", "IIIA")),
        ("4", "group", ("", "IV")),
        ("IVC", "group", ("", "IVC")),
        ("Stage II", "group", ("", "II")),
        ("cN3", "T", None),
        ("banana", "group", None),
    ],
)
def test_parse_value(text: str, category: str, expected: tuple[str, str] | None) -> None:
    assert parse_value(text, category) == expected  # type: ignore[arg-type]


def only_stage(facts: object) -> StageFact:
    stages = facts.of_kind(StageFact)  # type: ignore[attr-defined]
    assert len(stages) == 1
    return stages[0]


def test_loinc_code_decides_clinical_and_ajcc_value_is_read() -> None:
    stage = only_stage(facts_of(observation("21905-5", value_code=(AJCC, "cT2"))))
    assert (stage.context, stage.category, stage.value, stage.system) == (
        "clinical",
        "T",
        "T2",
        "AJCC",
    )


def test_snomed_code_and_snomed_value_with_ajcc_8_method() -> None:
    obs = observation(
        "399534004",
        system=SNOMED,
        value_code=(SNOMED, "1229967007"),
        method=concept(SNOMED, "897275008"),
    )
    stage = only_stage(facts_of(obs))
    assert (stage.context, stage.category, stage.value, stage.system) == (
        "clinical",
        "N",
        "N0",
        "AJCC 8",
    )


def test_unknown_snomed_value_is_read_from_its_display_with_a_warning() -> None:
    obs = observation("384625004", system=SNOMED)
    obs["valueCodeableConcept"] = concept(
        SNOMED, "999999999", "American Joint Committee on Cancer pT2 (qualifier value)"
    )
    facts = facts_of(obs)
    stage = only_stage(facts)
    assert (stage.context, stage.value) == ("pathological", "T2")
    assert "staging.value_from_display" in warning_codes(facts)


def test_value_string_stage_group() -> None:
    stage = only_stage(facts_of(observation("21908-9", valueString="II")))
    assert (stage.context, stage.category, stage.value) == ("clinical", "group", "II")


@pytest.mark.parametrize(
    ("prefix", "context"),
    [
        ("c", "clinical"),
        ("p", "pathological"),
        ("u", "clinical"),
        ("y", "post_neoadjuvant"),
        ("yp", "post_neoadjuvant"),
    ],
)
def test_mii_prefix_extension_sets_the_context(prefix: str, context: str) -> None:
    obs = observation("399504009", system=SNOMED, value_code=(UICC, "T2"))
    obs["code"]["extension"] = [{"url": PREFIX_URL, "valueCodeableConcept": concept(UICC, prefix)}]
    stage = only_stage(facts_of(obs))
    assert stage.context == context
    assert (stage.note is not None) == (prefix == "u")


def test_yp_value_under_a_pathological_code_is_post_neoadjuvant() -> None:
    stage = only_stage(facts_of(observation("21899-0", value_code=(AJCC, "ypT1"))))
    assert stage.context == "post_neoadjuvant"


def test_value_prefix_contradicting_the_code_warns_and_the_code_wins() -> None:
    facts = facts_of(observation("21902-2", value_code=(AJCC, "c3A")))
    assert only_stage(facts).context == "pathological"
    assert "staging.prefix_conflict" in warning_codes(facts)


def test_m_category_gives_metastasis_present_or_absent() -> None:
    facts = facts_of(
        observation("21907-1", when="2026-01-01", value_code=(AJCC, "cM0")),
        observation("21907-1", when="2026-06-01", value_code=(AJCC, "cM1b")),
    )
    found = {(m.present, m.site, m.effective.isoformat()) for m in facts.of_kind(MetastasisFact)}  # type: ignore[union-attr]
    assert found == {(False, None, "2026-01-01"), (True, None, "2026-06-01")}


def test_condition_stage_summary_with_its_type() -> None:
    from tests.factories import condition

    cond = condition(SNOMED, "363351006", recordedDate="2026-02-01")
    cond["stage"] = [{"type": concept(SNOMED, "261023001"), "summary": concept(AJCC, "3B")}]
    stage = only_stage(facts_of(cond))
    assert (stage.context, stage.value, stage.sources) == (
        "pathological",
        "IIIB",
        [f"Condition/{cond['id']}"],
    )


def test_conflicting_stages_are_all_kept_and_the_newest_of_each_context_wins() -> None:
    facts = fixture_facts("rectal_cancer_conflicting_stages")
    clinical_t = {
        s.value for s in facts.of_kind(StageFact) if s.context == "clinical" and s.category == "T"
    }
    assert clinical_t == {"T2", "T3", "T4a"}  # January code, March code, March text
    # Newest clinical T is March; the coded T3 beats the text T4a of the same day.
    newest = facts.stage("clinical", "T")
    assert newest is not None and (newest.value, newest.read_from) == ("T3", "code")
    # Pathological T1 (June) is newer but never stands in for clinical.
    assert facts.stage("pathological", "T").value == "T1"  # type: ignore[union-attr]
    assert facts.stage("clinical", "N").value == "N1"  # type: ignore[union-attr]  # text, newer than Jan N0
    assert facts.stage("clinical", "group").value == "IIA"  # type: ignore[union-attr]
    assert facts.stage("pathological", "group").value == "I"  # type: ignore[union-attr]
    assert facts.stage("post_neoadjuvant", "T") is None


def test_stage_as_of_before_a_restaging_sees_the_earlier_value() -> None:
    from datetime import date

    facts = fixture_facts("rectal_cancer_conflicting_stages", as_of=date(2026, 2, 1))
    assert facts.stage("clinical", "T").value == "T2"  # type: ignore[union-attr]
    assert facts.stage("pathological", "T") is None
