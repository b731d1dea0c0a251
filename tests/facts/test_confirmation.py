"""How a cancer was proven: pathology reports give `confirmed_by` to the primary cancer."""

from __future__ import annotations

from typing import Any

from app.facts.model import DiagnosisConfirmationFact, PrimaryCancerFact
from tests.factories import ICD10, LOINC, concept, condition, facts_of, report

ADENO_EXTENSION = {
    "url": "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior",
    "valueCodeableConcept": concept("http://snomed.info/sct", "35917007"),
}


def rectal_cancer(**fields: Any) -> dict[str, Any]:
    return condition(ICD10, "C20", **fields)


def pathology(text: str, *, code: str = "66117-3", status: str = "final") -> dict[str, Any]:
    resource = report(text)
    resource["code"] = concept(LOINC, code)
    resource["status"] = status
    return resource


def primary(*resources: dict[str, Any]) -> PrimaryCancerFact:
    [found] = facts_of(*resources).of_kind(PrimaryCancerFact)
    return found


def test_a_biopsy_report_naming_the_histology_proves_the_cancer_by_biopsy() -> None:
    proof = pathology("Rectal biopsy: moderately differentiated adenocarcinoma.")
    fact = primary(rectal_cancer(extension=[ADENO_EXTENSION]), proof)
    assert fact.confirmed_by == "biopsy"
    assert f"DiagnosticReport/{proof['id']}" in fact.sources
    assert fact.note and "confirmed_by" in fact.note


def test_a_resection_specimen_proves_it_by_resection() -> None:
    proof = pathology("TEM specimen: adenocarcinoma, pT1 sm3, R0.", code="60567-5")
    assert primary(rectal_cancer(), proof).confirmed_by == "resection"


def test_a_primary_without_histology_takes_the_report_histology() -> None:
    fact = primary(rectal_cancer(), pathology("Biopsy: adenocarcinoma."))
    assert (fact.histology, fact.confirmed_by) == ("adenocarcinoma", "biopsy")


def test_a_negated_histology_proves_nothing() -> None:
    fact = primary(rectal_cancer(), pathology("Biopsy: no adenocarcinoma seen; adenoma."))
    assert fact.confirmed_by is None


def test_a_radiology_report_is_not_a_proof() -> None:
    mri = report("MRI pelvis: appearances of a rectal adenocarcinoma; biopsy advised.")
    mri["code"] = concept(LOINC, "30672-6")
    assert primary(rectal_cancer(), mri).confirmed_by is None


def test_a_preliminary_report_is_not_a_proof() -> None:
    proof = pathology("Biopsy: adenocarcinoma.", status="preliminary")
    assert primary(rectal_cancer(), proof).confirmed_by is None


def test_a_report_of_another_histology_does_not_prove_this_cancer() -> None:
    proof = pathology("Biopsy: squamous cell carcinoma.")
    fact = primary(rectal_cancer(extension=[ADENO_EXTENSION]), proof)
    assert fact.confirmed_by is None
    # The proof itself stays visible as a fact.
    facts = facts_of(rectal_cancer(extension=[ADENO_EXTENSION]), proof)
    [seen] = facts.of_kind(DiagnosisConfirmationFact)
    assert seen.histology == "squamous_cell_carcinoma" and seen.read_from == "text"
