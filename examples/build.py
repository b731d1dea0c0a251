"""Build the bundled example patients in examples/patients/ (FHIR R4 collection Bundles).

Each patient shows one scenario against the seed trials, coded the way real EHR data is
(LOINC, SNOMED CT, ICD-10-CM, AJCC codes; some facts only in report text). Run
``python examples/build.py`` after changing a scenario; a test checks that the files on disk
match what this script builds.

The patients are invented; no real person is described.
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "patients"

LOINC = "http://loinc.org"
SCT = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
AJCC = "http://cancerstaging.org"
UCUM = "http://unitsofmeasure.org"
MCODE_HISTOLOGY = (
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior"
)

Resource = dict[str, Any]


def coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


class PatientBuilder:
    def __init__(self, pid: str, *, gender: str, birth_date: str) -> None:
        self.pid = pid
        self.subject = {"reference": f"Patient/{pid}"}
        self.resources: list[Resource] = [
            {
                "resourceType": "Patient",
                "id": pid,
                "gender": gender,
                "birthDate": birth_date,
                "name": [{"family": "Example", "given": [pid.replace("-", " ").title()]}],
            }
        ]
        self._n = 0

    def _id(self, prefix: str) -> str:
        self._n += 1
        return f"{self.pid}-{prefix}-{self._n}"

    def condition(
        self,
        codes: list[dict[str, str]],
        text: str,
        *,
        onset: str,
        histology: dict[str, str] | None = None,
        primary: bool = False,
        status: str = "active",
    ) -> None:
        res: Resource = {
            "resourceType": "Condition",
            "id": self._id("cond"),
            "clinicalStatus": {
                "coding": [
                    coding("http://terminology.hl7.org/CodeSystem/condition-clinical", status)
                ]
            },
            "verificationStatus": {
                "coding": [
                    coding(
                        "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                        "confirmed",
                    )
                ]
            },
            "category": [
                {
                    "coding": [
                        coding(
                            "http://terminology.hl7.org/CodeSystem/condition-category",
                            "problem-list-item",
                        )
                    ]
                }
            ],
            "code": {"coding": codes, "text": text},
            "subject": self.subject,
            "onsetDateTime": onset,
            "recordedDate": onset,
        }
        if primary:
            res["category"].append({"coding": [coding(SCT, "64572001", "Disease")]})
        if histology:
            res["extension"] = [
                {"url": MCODE_HISTOLOGY, "valueCodeableConcept": {"coding": [histology]}}
            ]
        self.resources.append(res)

    def observation(
        self,
        code: dict[str, str],
        when: str,
        *,
        category: str = "exam",
        value: dict[str, Any],
        reference_range: dict[str, Any] | None = None,
        method: dict[str, str] | None = None,
    ) -> None:
        res: Resource = {
            "resourceType": "Observation",
            "id": self._id("obs"),
            "status": "final",
            "category": [
                {
                    "coding": [
                        coding(
                            "http://terminology.hl7.org/CodeSystem/observation-category",
                            category,
                        )
                    ]
                }
            ],
            "code": {"coding": [code]},
            "subject": self.subject,
            "effectiveDateTime": when,
            **value,
        }
        if reference_range:
            res["referenceRange"] = [reference_range]
        if method:
            res["method"] = {"coding": [method]}
        self.resources.append(res)

    def stage(self, loinc: str, display: str, value: str, when: str) -> None:
        self.observation(
            coding(LOINC, loinc, display),
            when,
            category="survey",
            value={"valueCodeableConcept": {"coding": [coding(AJCC, value)]}},
            method=coding(SCT, "897275008", "AJCC Cancer Staging Manual 8th edition"),
        )

    def clinical_tnm(self, t: str, n: str, m: str, when: str) -> None:
        self.stage("21905-5", "Primary tumor.clinical [Class] Cancer", t, when)
        self.stage("21906-3", "Regional lymph nodes.clinical [Class] Cancer", n, when)
        self.stage("21907-1", "Distant metastases.clinical [Class] Cancer", m, when)

    def ecog(self, score: int, when: str) -> None:
        answers = ["LA9622-7", "LA9623-5", "LA9624-3", "LA9625-0", "LA9626-8", "LA9627-6"]
        self.observation(
            coding(LOINC, "89247-1", "ECOG Performance Status score"),
            when,
            category="survey",
            value={
                "valueCodeableConcept": {
                    "coding": [coding(LOINC, answers[score])],
                    "text": str(score),
                }
            },
        )

    def karnofsky(self, score: int, when: str) -> None:
        self.observation(
            coding(LOINC, "89243-0", "Karnofsky Performance Status score"),
            when,
            category="survey",
            value={"valueInteger": score},
        )

    def anal_verge(self, cm: float, when: str) -> None:
        self.observation(
            coding(LOINC, "33748-5", "Distance from anal verge"),
            when,
            category="imaging",
            value={"valueQuantity": {"value": cm, "unit": "cm", "system": UCUM, "code": "cm"}},
        )

    def lab(
        self,
        loinc: str,
        display: str,
        value: float,
        unit: str,
        when: str,
        *,
        low: float | None = None,
        high: float | None = None,
    ) -> None:
        rr: dict[str, Any] = {}
        if low is not None:
            rr["low"] = {"value": low, "unit": unit, "system": UCUM, "code": unit}
        if high is not None:
            rr["high"] = {"value": high, "unit": unit, "system": UCUM, "code": unit}
        self.observation(
            coding(LOINC, loinc, display),
            when,
            category="laboratory",
            value={"valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit}},
            reference_range=rr or None,
        )

    def normal_labs(self, when: str) -> None:
        self.lab("718-7", "Hemoglobin", 13.2, "g/dL", when, low=12.0, high=17.5)
        self.lab("777-3", "Platelets", 245, "10*3/uL", when, low=150, high=400)
        self.lab("6690-2", "Leukocytes", 6.8, "10*3/uL", when, low=4.0, high=10.0)
        self.lab("1742-6", "ALT", 22, "U/L", when, low=7, high=40)
        self.lab("1920-8", "AST", 25, "U/L", when, low=10, high=40)
        self.lab("1975-2", "Bilirubin.total", 0.7, "mg/dL", when, low=0.2, high=1.2)
        self.lab("2160-0", "Creatinine", 0.9, "mg/dL", when, low=0.6, high=1.3)

    def procedure(
        self,
        codes: list[dict[str, str]],
        text: str,
        when: str,
        *,
        body_site: dict[str, str] | None = None,
    ) -> None:
        res: Resource = {
            "resourceType": "Procedure",
            "id": self._id("proc"),
            "status": "completed",
            "code": {"coding": codes, "text": text},
            "subject": self.subject,
            "performedDateTime": when,
        }
        if body_site:
            res["bodySite"] = [{"coding": [body_site]}]
        self.resources.append(res)

    def report(self, code: dict[str, str], when: str, conclusion: str, *, category: str) -> None:
        self.resources.append(
            {
                "resourceType": "DiagnosticReport",
                "id": self._id("report"),
                "status": "final",
                "category": [
                    {"coding": [coding("http://terminology.hl7.org/CodeSystem/v2-0074", category)]}
                ],
                "code": {"coding": [code]},
                "subject": self.subject,
                "effectiveDateTime": when,
                "issued": f"{when}T12:00:00Z",
                "conclusion": conclusion,
                "presentedForm": [
                    {
                        "contentType": "text/plain",
                        "data": base64.b64encode(conclusion.encode()).decode(),
                    }
                ],
            }
        )

    def bundle(self) -> Resource:
        return {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [
                {"fullUrl": f"urn:trialmatch:{r['resourceType']}/{r['id']}", "resource": r}
                for r in self.resources
            ],
        }


RECTUM = [
    coding(ICD10, "C20", "Malignant neoplasm of rectum"),
    coding(SCT, "363351006", "Malignant neoplasm of rectum"),
]
ESOPHAGUS = [
    coding(ICD10, "C15.4", "Malignant neoplasm of middle third of esophagus"),
    coding(SCT, "363402007", "Malignant tumor of esophagus"),
]
ADENO = coding(SCT, "35917007", "Adenocarcinoma, no subtype")
SCC = coding(SCT, "28899001", "Squamous cell carcinoma, no ICD-O subtype")
BIOPSY_PATHOLOGY = coding(LOINC, "66117-3", "Pathology biopsy report")
SURGICAL_PATHOLOGY = coding(LOINC, "60567-5", "Comprehensive pathology report panel")
MRI_PELVIS = coding(LOINC, "30672-6", "MR Pelvis")


def early_low_rectal(pid: str = "rectal-early-low") -> PatientBuilder:
    """cT1N0M0 rectal adenocarcinoma 5 cm from the anal verge, ECOG 1: NCT06949098's patient."""
    p = PatientBuilder(pid, gender="male", birth_date="1962-03-14")
    p.condition(RECTUM, "Rectal adenocarcinoma", onset="2026-10-02", histology=ADENO, primary=True)
    p.procedure(
        [coding(SCT, "86273004", "Biopsy")], "Endoscopic biopsy of rectal tumour", "2026-10-02"
    )
    p.report(
        BIOPSY_PATHOLOGY,
        "2026-10-05",
        "Rectal biopsy: moderately differentiated adenocarcinoma.",
        category="SP",
    )
    p.report(
        MRI_PELVIS,
        "2026-10-12",
        "MRI pelvis: rectal tumour, lower edge 5 cm from the anal verge. mrT1N0. "
        "No suspicious mesorectal nodes.",
        category="RAD",
    )
    p.anal_verge(5.0, "2026-10-12")
    p.clinical_tnm("cT1", "cN0", "cM0", "2026-10-15")
    p.ecog(1, "2026-11-06")
    p.normal_labs("2026-11-06")
    return p


def rectal_local_excision_high_risk() -> PatientBuilder:
    """pT1 sm3 with LVI after TEM, 2.5 cm, cN0M0 7 cm from the verge: NCT06043999's patient."""
    p = PatientBuilder("rectal-te-pt1-high-risk", gender="male", birth_date="1968-07-02")
    p.condition(RECTUM, "Rectal adenocarcinoma", onset="2026-08-20", histology=ADENO, primary=True)
    p.report(
        MRI_PELVIS,
        "2026-08-25",
        "Staging MRI: lower edge of the tumour 7 cm from the anal verge. mrT1N0.",
        category="RAD",
    )
    p.anal_verge(7.0, "2026-08-25")
    p.clinical_tnm("cT1", "cN0", "cM0", "2026-08-28")
    p.procedure(
        [coding(SCT, "314610005", "Transanal excision of neoplasm of rectal submucosa")],
        "Transanal endoscopic microsurgery (TEM) local excision of rectal tumour",
        "2026-09-15",
    )
    p.report(
        SURGICAL_PATHOLOGY,
        "2026-09-22",
        "TEM specimen: adenocarcinoma, poorly differentiated, greatest dimension 2.5 cm. "
        "pT1 sm3, lymphovascular invasion present, no perineural invasion. "
        "Margins clear (R0).",
        category="SP",
    )
    p.ecog(0, "2026-11-02")
    p.normal_labs("2026-11-02")
    return p


def esophageal_cn3() -> PatientBuilder:
    """Esophageal SCC cT3N3M0, ECOG 1, adequate organs: NCT06122493's patient."""
    p = PatientBuilder("esophageal-scc-cn3", gender="male", birth_date="1966-11-30")
    p.condition(
        ESOPHAGUS,
        "Esophageal squamous cell carcinoma",
        onset="2026-09-10",
        histology=SCC,
        primary=True,
    )
    p.report(
        BIOPSY_PATHOLOGY,
        "2026-09-12",
        "Oesophageal biopsy: squamous cell carcinoma.",
        category="SP",
    )
    p.clinical_tnm("cT3", "cN3", "cM0", "2026-09-20")
    p.ecog(1, "2026-11-02")
    p.karnofsky(80, "2026-11-02")
    p.normal_labs("2026-11-03")
    return p


def rectal_liver_metastases() -> PatientBuilder:
    """Stage IV rectal cancer with liver metastases: fails both rectal trials' N0M0 criteria."""
    p = early_low_rectal("rectal-stage-iv-liver")
    p.resources = [
        r
        for r in p.resources
        if r["resourceType"] != "Observation" or r["code"]["coding"][0]["code"] != "21907-1"
    ]
    p.stage("21907-1", "Distant metastases.clinical [Class] Cancer", "cM1a", "2026-10-15")
    p.condition(
        [
            coding(ICD10, "C78.7", "Secondary malignant neoplasm of liver"),
            coding(SCT, "94381002", "Secondary malignant neoplasm of liver"),
        ],
        "Liver metastases",
        onset="2026-10-14",
    )
    return p


def rectal_poor_performance() -> PatientBuilder:
    """ECOG 3: fails NCT06949098's ECOG 0-1 and NCT06043999's ECOG > 2 exclusion."""
    p = early_low_rectal("rectal-ecog-3")
    p.ecog(3, "2026-11-12")
    return p


def rectal_missing_data() -> PatientBuilder:
    """Rectal cancer with no staging, no anal-verge distance, no ECOG: decisions need data."""
    p = PatientBuilder("rectal-missing-data", gender="female", birth_date="1971")
    p.condition(RECTUM, "Rectal adenocarcinoma", onset="2026-10-30", histology=ADENO, primary=True)
    return p


def esophageal_prior_chest_radiotherapy() -> PatientBuilder:
    """Esophageal SCC cN3 after earlier chest radiotherapy: fails NCT06122493 exc-3."""
    p = esophageal_cn3()
    p.pid = "esophageal-prior-chest-rt"
    for r in p.resources:
        r["id"] = r["id"].replace("esophageal-scc-cn3", p.pid)
        if "subject" in r:
            r["subject"] = {"reference": f"Patient/{p.pid}"}
    p.subject = {"reference": f"Patient/{p.pid}"}
    p.procedure(
        [coding(SCT, "108290001", "Radiation oncology AND/OR radiotherapy")],
        "External beam radiotherapy to chest wall (breast cancer)",
        "2014-05-01",
        body_site=coding(SCT, "51185008", "Thoracic structure"),
    )
    return p


def esophageal_low_hemoglobin() -> PatientBuilder:
    """Hemoglobin 9.0 g/dL with no chronic anemia history: fails the hematology criterion."""
    p = PatientBuilder("esophageal-low-hb", gender="female", birth_date="1959-02-11")
    p.condition(
        ESOPHAGUS,
        "Esophageal squamous cell carcinoma",
        onset="2026-09-01",
        histology=SCC,
        primary=True,
    )
    p.clinical_tnm("cT2", "cN3", "cM0", "2026-09-10")
    p.ecog(1, "2026-11-02")
    p.normal_labs("2026-11-03")
    p.lab("718-7", "Hemoglobin", 9.0, "g/dL", "2026-11-10", low=12.0, high=16.0)
    return p


SCENARIOS: dict[str, Callable[[], PatientBuilder]] = {
    "rectal_early_low_eligible": early_low_rectal,
    "rectal_local_excision_pt1_high_risk": rectal_local_excision_high_risk,
    "esophageal_scc_cn3_eligible": esophageal_cn3,
    "rectal_stage_iv_liver_metastases": rectal_liver_metastases,
    "rectal_ecog_3": rectal_poor_performance,
    "rectal_missing_staging_and_performance": rectal_missing_data,
    "esophageal_prior_chest_radiotherapy": esophageal_prior_chest_radiotherapy,
    "esophageal_low_hemoglobin": esophageal_low_hemoglobin,
}


def render(name: str) -> str:
    return json.dumps(SCENARIOS[name]().bundle(), indent=2) + "\n"


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for name in SCENARIOS:
        (OUT / f"{name}.json").write_text(render(name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
