"""Shared records imported as `trials import` drafts them, matched against FHIR charts.

The suggestion families' FHIR-level tests: a real record's draft trial, a patient Bundle in
(`tests.scenarios.charts.Chart`), the trial's status and one criterion's outcome out,
through the real normalizer and evaluator. Example::

    trial = imported("NCT03587740")
    verdict = matched(trial, breast_patient().lab(NEUTROPHILS, 1.4, "10*3/uL", RECENT))
    verdict.status, verdict.outcome("inc-12.a")   # -> ("ineligible", "fail")
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from app.eligibility.language import Trial
from app.eligibility.library import Library
from app.fhir.bundle import read_bundle
from app.matching.models import TrialMatch
from app.matching.service import MatchOptions, match_record
from app.registry.draft import draft_trial
from app.registry.record import RecordError
from app.registry.sources import read_records
from tests.factories import ICD10, LOINC, SNOMED
from tests.registry.conftest import record_files
from tests.scenarios.charts import BREAST, RECTUM_US, SIGMOID_COLON, Chart, coding
from tests.scenarios.patients import AS_OF

RECENT = "2026-11-20"  # three days before AS_OF: fresh for every window read here
LUNG = [coding(ICD10, "C34.90", "Malignant neoplasm of unspecified part of lung")]
PANCREAS = [coding(ICD10, "C25.9", "Malignant neoplasm of pancreas, unspecified")]
SITES = {"breast": BREAST, "rectum": RECTUM_US, "colon": SIGMOID_COLON, "lung": LUNG}
SITES["pancreas"] = PANCREAS
# LOINC lab codes (labs.yaml): neutrophils 751-8, platelets 777-3, hemoglobin 718-7,
# total bilirubin 1975-2, creatinine 2160-0, ALT 1742-6, AST 1920-8, albumin 1751-7.
NEUTROPHILS, PLATELETS, HEMOGLOBIN = "751-8", "777-3", "718-7"
BILIRUBIN, CREATININE, ALT, AST, ALBUMIN = "1975-2", "2160-0", "1742-6", "1920-8", "1751-7"
# Pregnancy status (LOINC 82810-3: SNOMED 77386006 pregnant, 60001007 not pregnant);
# breastfeeding status (LOINC 63895-7: LA29252-6 yes, LA29253-4 no).
PREGNANCY, PREGNANT, NOT_PREGNANT = "82810-3", "77386006", "60001007"
LACTATION, LACTATING, NOT_LACTATING = "63895-7", "LA29252-6", "LA29253-4"
LIVER_METASTASIS = coding(SNOMED, "94381002", "Secondary malignant neoplasm of liver")


@cache
def _drafts() -> dict[str, Trial]:
    trials = {}
    for path in record_files():
        for record in read_records(path):
            assert not isinstance(record, RecordError)
            trials[record.nct_id] = draft_trial(record).trial
    return trials


def imported(nct_id: str) -> Trial:
    return _drafts()[nct_id]


def all_imported() -> list[Trial]:
    return list(_drafts().values())


def criterion_texts() -> list[dict[str, Any]]:
    """The 1,062 criteria texts of the 40 records as the import drafts them (the registry's
    structured fields as ``inc-0.*``, then the eligibility text as the splitter cuts it)."""
    texts = [
        {"nct": t.nct_id, "id": c.id, "type": c.type, "text": c.text}
        for t in all_imported()
        for c in t.criteria
    ]
    assert len(texts) == 1062
    return texts


@dataclass(frozen=True)
class Verdict:
    match: TrialMatch

    @property
    def status(self) -> str:
        return self.match.status

    def outcome(self, criterion_id: str) -> str:
        (found,) = [c for c in self.match.criteria if c.id == criterion_id]
        assert found.encoding == "suggested", found
        return found.outcome


def matched(trial: Trial, chart: Chart) -> Verdict:
    options = MatchOptions(as_of=AS_OF, include_ineligible=True, include_closed=True)
    response = match_record(read_bundle(chart.bundle()), Library.from_trials([trial]), options)
    (found,) = response.matches
    return Verdict(found)


def patient(site: str, *, gender: str = "female", birth_date: str = "1958-05-04") -> Chart:
    """An adult (68 at AS_OF) with a primary cancer at ``site``, nothing else recorded."""
    chart = Chart(f"{site}-{gender}", gender=gender, birth_date=birth_date)
    chart.primary_cancer(SITES[site], f"{site} cancer", onset="2026-06-10")
    return chart


def with_ecog(chart: Chart, score: int, when: str = RECENT) -> Chart:
    chart.ecog(score, when)
    return chart


def with_karnofsky(chart: Chart, score: int, when: str = RECENT) -> Chart:
    chart.karnofsky(score, when)
    return chart


def pregnancy_status(chart: Chart, answer: str, when: str = RECENT) -> Chart:
    chart.observation(
        coding(LOINC, PREGNANCY, "Pregnancy status"),
        when,
        category="social-history",
        valueCodeableConcept={"coding": [coding(SNOMED, answer)]},
    )
    return chart


def lactation_status(chart: Chart, answer: str, when: str = RECENT) -> Chart:
    chart.observation(
        coding(LOINC, LACTATION, "Breastfeeding status"),
        when,
        category="social-history",
        valueCodeableConcept={"coding": [coding(LOINC, answer)]},
    )
    return chart
