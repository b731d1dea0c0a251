"""Proof belongs to its cancer: a pathology report confirms a primary only when its organ
and date fit that primary (FHIR in, verdict out, on NCT06122493 inc-1: "confirmed through
histopathology")."""

from __future__ import annotations

import base64
from typing import Any

from tests.safety.harness import criterion, example, match_bundle, resources

ESOPHAGEAL = "esophageal_scc_cn3_eligible"


def _with_report(conclusion: str, when: str = "2026-09-12") -> dict[str, Any]:
    bundle = example(ESOPHAGEAL)
    (report,) = resources(bundle, "DiagnosticReport")
    report["conclusion"] = conclusion
    report["presentedForm"][0]["data"] = base64.b64encode(conclusion.encode()).decode()
    report["effectiveDateTime"] = when
    report["issued"] = f"{when}T12:00:00Z"
    return bundle


def _inc_1(bundle: dict[str, Any]) -> tuple[str, str | None]:
    verdict = criterion(match_bundle(bundle)["NCT06122493"], "inc-1")
    return verdict.outcome, verdict.needs


def test_a_biopsy_of_the_esophagus_proves_the_esophageal_cancer() -> None:
    assert _inc_1(_with_report("Oesophageal biopsy: squamous cell carcinoma.")) == ("pass", None)
    # German and English spellings name the same organ.
    assert _inc_1(_with_report("Ösophagus-Biopsie: squamous cell carcinoma.")) == ("pass", None)


def test_a_biopsy_of_another_organ_proves_nothing_about_this_cancer() -> None:
    bundle = _with_report("Lung biopsy: squamous cell carcinoma.")
    assert _inc_1(bundle) == ("unknown", "data")


def test_a_report_from_years_before_the_diagnosis_proves_nothing() -> None:
    bundle = _with_report("Oesophageal biopsy: squamous cell carcinoma.", when="2012-04-02")
    assert _inc_1(bundle) == ("unknown", "data")


def test_a_report_naming_no_organ_proves_the_only_primary() -> None:
    assert _inc_1(_with_report("Biopsy: squamous cell carcinoma.")) == ("pass", None)


def test_a_report_naming_no_organ_proves_neither_of_two_primaries() -> None:
    bundle = _with_report("Biopsy: squamous cell carcinoma.")
    bundle["entry"].append(
        {
            "resource": {
                "resourceType": "Condition",
                "id": "second-primary",
                "code": {
                    "coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C34.1"}]
                },
                "subject": {"reference": "Patient/esophageal-scc-cn3"},
                "onsetDateTime": "2026-08-01",
            }
        }
    )
    assert _inc_1(bundle) == ("unknown", "data")
