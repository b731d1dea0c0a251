"""Medications at the FHIR level: a Bundle in, MedicationFacts (and warnings) out."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from app.facts.model import MedicationFact, PatientFacts
from app.vocabulary.medications import DATA_FILE, DrugClass, drug_vocabulary
from tests.factories import concept, facts_of, warning_codes

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
SUBJECT = {"reference": "Patient/p1"}


def statement(rid: str, drug: dict[str, Any], status: str = "completed", **fields: Any) -> dict:
    return {
        "resourceType": "MedicationStatement",
        "id": rid,
        "status": status,
        "subject": SUBJECT,
        "medicationCodeableConcept": drug,
        **fields,
    }


def administration(rid: str, status: str = "completed", **fields: Any) -> dict[str, Any]:
    # effective[x] is required of a MedicationAdministration (R4: 1..1).
    when = {} if "effectivePeriod" in fields else {"effectiveDateTime": "2026-10-01"}
    return {"resourceType": "MedicationAdministration", "id": rid, "status": status,
            "subject": SUBJECT, **when, **fields}  # fmt: skip


def request(rid: str, status: str = "active", intent: str = "order", **fields: Any) -> dict:
    return {"resourceType": "MedicationRequest", "id": rid, "status": status, "intent": intent,
            "subject": SUBJECT, **fields}  # fmt: skip


def medication(mid: str, **fields: Any) -> dict[str, Any]:
    return {"resourceType": "Medication", "id": mid, **fields}


def meds(facts: PatientFacts) -> list[MedicationFact]:
    return sorted(facts.of_kind(MedicationFact), key=lambda f: (f.sources, f.ingredient or ""))


def only(facts: PatientFacts) -> MedicationFact:
    found = meds(facts)
    assert len(found) == 1, found
    return found[0]


# --- coding styles -------------------------------------------------------------------


def test_rxnorm_ingredient_code_names_the_drug_and_its_class() -> None:
    fact = only(facts_of(statement("s1", concept(RXNORM, "1547545"),
                                   effectiveDateTime="2026-03-02")))  # fmt: skip
    assert (fact.ingredient, fact.drug_classes, fact.read_from) == (
        "pembrolizumab",
        ["anti_pd1_pdl1"],
        "code",
    )
    assert fact.rxnorm == ["1547545"] and fact.sources == ["MedicationStatement/s1"]
    assert (fact.started, fact.ended) == (date(2026, 3, 2), date(2026, 3, 2))


def test_full_atc_code_names_the_ingredient_and_a_group_code_its_class() -> None:
    facts = facts_of(
        statement("s1", concept(ATC, "L01BC06")),
        statement("s2", concept(ATC, "L01FF09")),  # a PD-1 antibody not listed by name
        statement("s3", concept(ATC, "L01BC")),  # pyrimidine analogues: not all fluoropyrimidines
    )
    found = {f.sources[0]: (f.ingredient, f.drug_classes) for f in meds(facts)}
    assert found == {
        "MedicationStatement/s1": ("capecitabine", ["fluoropyrimidine"]),
        "MedicationStatement/s2": (None, ["anti_pd1_pdl1"]),
        "MedicationStatement/s3": (None, ["chemotherapy"]),
    }


def test_atc_before_the_2022_split_of_l01xc_still_names_the_antibody() -> None:
    fact = only(facts_of(statement("s1", concept(ATC, "L01XC06"))))
    assert (fact.ingredient, fact.drug_classes) == ("cetuximab", ["anti_egfr"])


def test_brand_name_as_text_is_read_from_text_and_says_so() -> None:
    fact = only(facts_of(statement("s1", {"text": "KEYTRUDA 200 mg IV q3w"})))
    assert (fact.ingredient, fact.drug_classes) == ("pembrolizumab", ["anti_pd1_pdl1"])
    assert fact.read_from == "text" and fact.note


def test_text_only_generic_name_with_a_local_code() -> None:
    drug = {"coding": [{"system": "urn:local:pharmacy", "code": "X1", "display": "5-FU bolus"}]}
    fact = only(facts_of(administration("a1", medicationCodeableConcept=drug,
                                        effectiveDateTime="2026-10-01")))  # fmt: skip
    assert (fact.ingredient, fact.drug_classes) == ("fluorouracil", ["fluoropyrimidine"])


def test_regimen_acronym_gives_each_of_its_drugs() -> None:
    facts = facts_of(statement("s1", {"text": "mFOLFOX6 cycle 3"}))
    assert [f.ingredient for f in meds(facts)] == ["fluorouracil", "leucovorin", "oxaliplatin"]


def test_unclassifiable_drug_is_kept_without_a_class_and_warned() -> None:
    facts = facts_of(statement("s1", concept(RXNORM, "999999999", "Drug Q")))
    fact = only(facts)
    assert fact.drug_classes == [] and fact.ingredient is None and fact.display == "Drug Q"
    assert "medication.unclassified" in warning_codes(facts, "MedicationStatement/s1")
    assert all("Drug Q" not in w.message for w in facts.warnings)  # never echoes the record


def test_atc_code_of_a_medicine_of_none_of_the_classes_is_classified_as_such() -> None:
    facts = facts_of(statement("s1", concept(ATC, "A04AA01")))  # ondansetron
    assert only(facts).drug_classes == ["other_medication"]
    assert "medication.unclassified" not in warning_codes(facts)


# --- references and products ---------------------------------------------------------


def test_referenced_medication_in_the_bundle() -> None:
    facts = facts_of(
        request("r1", medicationReference={"reference": "Medication/m1"}, authoredOn="2026-09"),
        medication("m1", code=concept(RXNORM, "32592")),
    )
    fact = only(facts)
    assert (fact.ingredient, fact.drug_classes) == ("oxaliplatin", ["platinum"])
    assert fact.sources == ["MedicationRequest/r1", "Medication/m1"]
    assert "bundle.no_subject" not in warning_codes(facts)  # a Medication has no subject


def test_urn_uuid_reference_to_a_medication() -> None:
    uuid = "0b1c8b9e-5c57-4c38-9f7d-3f6c0e0c2a11"
    facts = facts_of(
        request("r1", medicationReference={"reference": f"urn:uuid:{uuid}"}),
        medication(uuid, code={"text": "Erbitux"}),
    )
    assert only(facts).drug_classes == ["anti_egfr"]


def test_contained_medication() -> None:
    contained = medication("inline", code=concept(ATC, "L01CD02"))
    fact = only(facts_of(administration("a1", contained=[contained],
                                        medicationReference={"reference": "#inline"})))  # fmt: skip
    assert (fact.ingredient, fact.drug_classes) == ("docetaxel", ["taxane"])
    assert fact.sources == ["MedicationAdministration/a1"]


def test_combination_product_gives_one_fact_per_ingredient() -> None:
    product = medication(
        "lonsurf-like",
        code={"text": "combination tablet"},
        ingredient=[
            {"itemCodeableConcept": concept(RXNORM, "194000")},
            {"itemCodeableConcept": concept(ATC, "L01XA03")},
        ],
    )
    facts = facts_of(request("r1", medicationReference={"reference": "Medication/lonsurf-like"}),
                     product)  # fmt: skip
    assert {(f.ingredient, tuple(f.drug_classes)) for f in meds(facts)} == {
        ("capecitabine", ("fluoropyrimidine",)),
        ("oxaliplatin", ("platinum",)),
    }


def test_a_medication_not_in_the_record_is_kept_unclassified_and_warned() -> None:
    facts = facts_of(request("r1", medicationReference={"reference": "Medication/absent"}))
    assert only(facts).drug_classes == []
    assert warning_codes(facts, "MedicationRequest/r1") == ["medication.unclassified"]


# --- statuses ------------------------------------------------------------------------

PEMBRO = concept(RXNORM, "1547545")


@pytest.mark.parametrize(
    ("resource", "exposure"),
    [
        (administration("a", medicationCodeableConcept=PEMBRO), "recorded"),
        (administration("a", "in-progress", medicationCodeableConcept=PEMBRO), "recorded"),
        (administration("a", "not-done", medicationCodeableConcept=PEMBRO), None),
        (administration("a", "entered-in-error", medicationCodeableConcept=PEMBRO), None),
        (statement("s", PEMBRO, "active"), "recorded"),
        (statement("s", PEMBRO, "stopped"), "recorded"),
        (statement("s", PEMBRO, "intended"), None),
        (statement("s", PEMBRO, "not-taken"), None),
        (statement("s", PEMBRO, "unknown"), "uncertain"),
        (request("r", "completed", medicationCodeableConcept=PEMBRO), "recorded"),
        (request("r", "active", "original-order", medicationCodeableConcept=PEMBRO), "recorded"),
        (request("r", "draft", medicationCodeableConcept=PEMBRO), None),
        (request("r", "cancelled", medicationCodeableConcept=PEMBRO), None),
        (request("r", "active", "plan", medicationCodeableConcept=PEMBRO), None),
        (request("r", "active", "proposal", medicationCodeableConcept=PEMBRO), None),
        (request("r", "stopped", medicationCodeableConcept=PEMBRO), "uncertain"),
    ],
)
def test_only_what_was_given_or_taken_is_exposure(
    resource: dict[str, Any], exposure: str | None
) -> None:
    found = meds(facts_of(resource))
    assert [f.exposure for f in found] == ([exposure] if exposure else [])


# --- dates ---------------------------------------------------------------------------


def test_partial_dates_keep_their_precision() -> None:
    fact = only(facts_of(statement("s1", PEMBRO, effectivePeriod={"start": "2026-05",
                                                                   "end": "2026"})))  # fmt: skip
    assert (fact.started, fact.started_precision) == (date(2026, 5, 1), "month")
    assert (fact.ended, fact.ended_precision) == (date(2026, 1, 1), "year")
    assert not fact.ongoing


def test_active_without_an_end_is_ongoing() -> None:
    fact = only(facts_of(statement("s1", PEMBRO, "active",
                                   effectivePeriod={"start": "2026-09-01"})))  # fmt: skip
    assert fact.ongoing and fact.ended is None


def test_an_orders_period_is_its_dosage_bounds_else_authored_on() -> None:
    bounded = request(
        "r1",
        "completed",
        medicationCodeableConcept=PEMBRO,
        authoredOn="2026-08-30",
        dosageInstruction=[{"timing": {"repeat": {"boundsPeriod": {"start": "2026-09-01",
                                                                   "end": "2026-10-15"}}}}],
    )  # fmt: skip
    authored = request("r2", "completed", medicationCodeableConcept=PEMBRO, authoredOn="2026-07")
    found = {f.sources[0]: f for f in meds(facts_of(bounded, authored))}
    one, two = found["MedicationRequest/r1"], found["MedicationRequest/r2"]
    assert (one.started, one.ended) == (date(2026, 9, 1), date(2026, 10, 15))
    assert (two.started, two.started_precision, two.ended) == (date(2026, 7, 1), "month", None)


def test_date_asserted_is_not_read_as_the_exposure_date() -> None:
    fact = only(facts_of(statement("s1", PEMBRO, dateAsserted="2026-11-01")))
    assert (fact.started, fact.ended, fact.effective) == (None, None, None)


# --- the vocabulary file ---------------------------------------------------------------


def test_vocabulary_file_names_its_source_and_version_and_every_class() -> None:
    vocab = drug_vocabulary()
    assert vocab.data.source and vocab.data.version and vocab.data.description
    assert set(vocab.data.classes) == set(DrugClass.__args__)  # type: ignore[attr-defined]
    assert DATA_FILE.name == "medications.yaml"


def test_every_ingredient_is_found_by_each_of_its_codes_and_names() -> None:
    vocab = drug_vocabulary()
    for name, entry in vocab.data.ingredients.items():
        for code in entry.rxnorm:
            assert vocab.by_rxnorm(code) == name
        for code in [*entry.atc, *entry.legacy_atc]:
            assert vocab.by_atc(code) == (name, tuple(entry.classes))
        for written in entry.names:
            assert name in vocab.by_name(written), written


def test_every_class_descends_to_a_root_without_a_loop() -> None:
    vocab = drug_vocabulary()
    for drug_class in vocab.data.classes:
        chain = vocab.lineage(drug_class)
        assert chain[0] == drug_class and vocab.data.classes[chain[-1]].parent is None
    assert vocab.lineage("fluoropyrimidine") == (
        "fluoropyrimidine",
        "chemotherapy",
        "systemic_therapy",
    )
