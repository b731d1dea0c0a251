"""Realistic FHIR R4 patient Bundles for the scenario tests, built step by step.

A `Chart` is one patient's record in the shape hospitals send it: US Core / mCODE
(SNOMED CT, LOINC, AJCC codes, ICD-10-CM), German MII Onkologie (ICD-10-GM, UICC values
with the ``cp-praefix`` extension) or text only (a DiagnosticReport conclusion and
nothing coded). Each method adds one resource and returns its id, so a scenario can
change or remove it. Example::

    chart = Chart("rectal-pt1-after-tem", gender="male", birth_date="1968-07-02")
    chart.primary_cancer(RECTUM_US, "Rectal adenocarcinoma", onset="2026-08-20", histology=ADENO)
    chart.clinical_tnm("cT1", "cN0", "cM0", "2026-08-28")
    body = chart.bundle()

The codes are the ones the examples in examples/build.py and tests/factories.py already use
(LOINC, SNOMED CT, ICD-10, AJCC), each named beside its constant.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable
from typing import Any

from tests.factories import AJCC, ICD10, LOINC, SNOMED, UCUM, UICC

Resource = dict[str, Any]

ICD10_GM = "http://fhir.de/CodeSystem/bfarm/icd-10-gm"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074"
MCODE_HISTOLOGY = (
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior"
)
MCODE_PRIMARY = "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-primary-cancer-condition"
MII_PREFIX = (
    "https://www.medizininformatik-initiative.de/fhir/ext/modul-onko/"
    "StructureDefinition/mii-ex-onko-tnm-cp-praefix"
)


def coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


# Primary cancers (ICD-10 C20 / C15.4; SNOMED 363351006, 363402007; ICD-10-GM C20).
RECTUM_US = [
    coding(ICD10, "C20", "Malignant neoplasm of rectum"),
    coding(SNOMED, "363351006", "Malignant neoplasm of rectum"),
]
RECTUM_GM = [coding(ICD10_GM, "C20", "Bösartige Neubildung des Rektums")]
ESOPHAGUS_US = [
    coding(ICD10, "C15.4", "Malignant neoplasm of middle third of esophagus"),
    coding(SNOMED, "363402007", "Malignant tumor of esophagus"),
]
SIGMOID_COLON = [coding(ICD10, "C18.7", "Malignant neoplasm of sigmoid colon")]
BREAST = [coding(ICD10, "C50.9", "Malignant neoplasm of breast, unspecified")]
# Histology (SNOMED morphologic abnormalities 35917007, 28899001).
ADENO = coding(SNOMED, "35917007", "Adenocarcinoma, no subtype")
SCC = coding(SNOMED, "28899001", "Squamous cell carcinoma, no ICD-O subtype")
# Report codes (LOINC 66117-3 biopsy report, 60567-5 pathology report panel, 30672-6 MR pelvis).
BIOPSY_REPORT = coding(LOINC, "66117-3", "Pathology biopsy report")
PATHOLOGY_REPORT = coding(LOINC, "60567-5", "Comprehensive pathology report panel")
MRI_PELVIS = coding(LOINC, "30672-6", "MR Pelvis")
# Staging observables (LOINC 21905-5 / 21906-3 / 21907-1 clinical T/N/M, 21908-9 group;
# 21899-0 / 21900-6 pathological T / N). AJCC 8th edition method: SNOMED 897275008.
CLINICAL_T, CLINICAL_N, CLINICAL_M, CLINICAL_GROUP = "21905-5", "21906-3", "21907-1", "21908-9"
PATHOLOGICAL_T, PATHOLOGICAL_N = "21899-0", "21900-6"
AJCC_8 = coding(SNOMED, "897275008", "AJCC Cancer Staging Manual 8th edition")
# SNOMED staging observables used by MII (clinical T 399504009, N 399534004, M 399387003).
SNOMED_CLINICAL = {"T": "399504009", "N": "399534004", "M": "399387003"}
# ECOG (LOINC 89247-1 with answer list LL529-9), Karnofsky (LOINC 89243-0).
ECOG_ANSWERS = ["LA9622-7", "LA9623-5", "LA9624-3", "LA9625-0", "LA9626-8", "LA9627-6"]


class Chart:
    """One patient's record, as a hospital would send it."""

    def __init__(
        self,
        pid: str,
        *,
        gender: str = "male",
        birth_date: str | None = "1962-03-14",
        **patient_fields: Any,
    ) -> None:
        self.pid = pid
        self.subject = {"reference": f"Patient/{pid}"}
        person: Resource = {"resourceType": "Patient", "id": pid, "gender": gender}
        if birth_date is not None:
            person["birthDate"] = birth_date
        person.update(patient_fields)
        self.resources: list[Resource] = [person]
        self._n = 0

    # --- bookkeeping ---------------------------------------------------------------
    @property
    def patient(self) -> Resource:
        return self.resources[0]

    def _id(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}-{self._n}"

    def add(self, resource: Resource) -> str:
        self.resources.append(resource)
        return str(resource["id"])

    def get(self, rid: str) -> Resource:
        return next(r for r in self.resources if r.get("id") == rid)

    def drop(self, keep: Callable[[Resource], bool]) -> Chart:
        """Remove every resource (never the Patient) for which ``keep`` is false."""
        self.resources = [self.resources[0]] + [r for r in self.resources[1:] if keep(r)]
        return self

    def drop_codes(self, *observation_codes: str) -> Chart:
        """Remove every Observation coded with one of these codes."""

        def keep(r: Resource) -> bool:
            found = {c.get("code") for c in r.get("code", {}).get("coding", [])}
            return r["resourceType"] != "Observation" or not found & set(observation_codes)

        return self.drop(keep)

    def drop_type(self, resource_type: str) -> Chart:
        return self.drop(lambda r: r["resourceType"] != resource_type)

    def bundle(self) -> Resource:
        return {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [
                {"fullUrl": f"urn:scenario:{r['resourceType']}/{r['id']}", "resource": r}
                for r in copy.deepcopy(self.resources)
            ],
        }

    # --- Conditions ----------------------------------------------------------------
    def condition(
        self,
        codes: list[dict[str, str]] | None,
        text: str | None = None,
        *,
        onset: str | None = "2020-01-15",
        status: str | None = "active",
        verification: str = "confirmed",
        **fields: Any,
    ) -> str:
        concept: dict[str, Any] = {}
        if codes:
            concept["coding"] = codes
        if text:
            concept["text"] = text
        res: Resource = {
            "resourceType": "Condition",
            "id": self._id("cond"),
            "verificationStatus": {"coding": [coding(CONDITION_VERIFICATION, verification)]},
            "code": concept,
            "subject": self.subject,
            **fields,
        }
        if status is not None:
            res["clinicalStatus"] = {"coding": [coding(CONDITION_CLINICAL, status)]}
        if onset is not None:
            res["onsetDateTime"] = onset
        return self.add(res)

    def primary_cancer(
        self,
        codes: list[dict[str, str]],
        text: str,
        *,
        onset: str,
        histology: dict[str, str] | None = None,
        status: str = "active",
    ) -> str:
        extra: dict[str, Any] = {"meta": {"profile": [MCODE_PRIMARY]}}
        if histology:
            extra["extension"] = [
                {"url": MCODE_HISTOLOGY, "valueCodeableConcept": {"coding": [histology]}}
            ]
        return self.condition(codes, text, onset=onset, status=status, **extra)

    # --- Observations --------------------------------------------------------------
    def observation(
        self,
        code: dict[str, str],
        when: str | None,
        *,
        category: str = "exam",
        status: str = "final",
        **value: Any,
    ) -> str:
        res: Resource = {
            "resourceType": "Observation",
            "id": self._id("obs"),
            "status": status,
            "category": [{"coding": [coding(OBSERVATION_CATEGORY, category)]}],
            "code": {"coding": [code]},
            "subject": self.subject,
            **value,
        }
        if when is not None:
            res["effectiveDateTime"] = when
        return self.add(res)

    def stage(self, loinc: str, value: str, when: str, *, system: str = AJCC) -> str:
        return self.observation(
            coding(LOINC, loinc),
            when,
            category="survey",
            valueCodeableConcept={"coding": [coding(system, value)]},
            method={"coding": [AJCC_8]},
        )

    def clinical_tnm(self, t: str, n: str, m: str, when: str) -> list[str]:
        """US Core / mCODE style: three LOINC-coded AJCC 8th edition observations."""
        return [
            self.stage(CLINICAL_T, t, when),
            self.stage(CLINICAL_N, n, when),
            self.stage(CLINICAL_M, m, when),
        ]

    def uicc_tnm(self, prefix: str, t: str, n: str, m: str, when: str) -> list[str]:
        """MII style: SNOMED observables, UICC values, the c/p prefix as an extension."""
        ids = []
        for category, value in (("T", t), ("N", n), ("M", m)):
            code: dict[str, Any] = {
                "coding": [coding(SNOMED, SNOMED_CLINICAL[category])],
                "extension": [
                    {"url": MII_PREFIX, "valueCodeableConcept": {"coding": [coding(UICC, prefix)]}}
                ],
            }
            res: Resource = {
                "resourceType": "Observation",
                "id": self._id("obs"),
                "status": "final",
                "code": code,
                "subject": self.subject,
                "effectiveDateTime": when,
                "valueCodeableConcept": {"coding": [coding(UICC, value)]},
            }
            ids.append(self.add(res))
        return ids

    def ecog(self, score: int, when: str | None) -> str:
        return self.observation(
            coding(LOINC, "89247-1", "ECOG Performance Status score"),
            when,
            category="survey",
            valueCodeableConcept={
                "coding": [coding(LOINC, ECOG_ANSWERS[score])],
                "text": str(score),
            },
        )

    def karnofsky(self, score: int, when: str) -> str:
        return self.observation(
            coding(LOINC, "89243-0", "Karnofsky Performance Status score"),
            when,
            category="survey",
            valueInteger=score,
        )

    def anal_verge(self, cm: float, when: str) -> str:
        return self.observation(
            coding(LOINC, "33748-5", "Distance from anal verge"),
            when,
            category="imaging",
            valueQuantity={"value": cm, "unit": "cm", "system": UCUM, "code": "cm"},
        )

    def lab(
        self,
        loinc: str,
        value: float | None,
        unit: str,
        when: str,
        *,
        low: float | None = None,
        high: float | None = None,
        status: str = "final",
        **fields: Any,
    ) -> str:
        extra: dict[str, Any] = dict(fields)
        if value is not None:
            extra["valueQuantity"] = {"value": value, "unit": unit, "system": UCUM, "code": unit}
        rr: dict[str, Any] = {}
        if low is not None:
            rr["low"] = {"value": low, "unit": unit, "system": UCUM, "code": unit}
        if high is not None:
            rr["high"] = {"value": high, "unit": unit, "system": UCUM, "code": unit}
        if rr:
            extra["referenceRange"] = [rr]
        return self.observation(
            coding(LOINC, loinc), when, category="laboratory", status=status, **extra
        )

    def normal_labs(self, when: str) -> None:
        """A blood count and chemistry within every seed trial's limits (LOINC, UCUM)."""
        self.lab("718-7", 13.2, "g/dL", when, low=12.0, high=17.5)
        self.lab("777-3", 245, "10*3/uL", when, low=150, high=400)
        self.lab("6690-2", 6.8, "10*3/uL", when, low=4.0, high=10.0)
        self.lab("1742-6", 22, "U/L", when, low=7, high=40)
        self.lab("1920-8", 25, "U/L", when, low=10, high=40)
        self.lab("1975-2", 0.7, "mg/dL", when, low=0.2, high=1.2)
        self.lab("2160-0", 0.9, "mg/dL", when, low=0.6, high=1.3)

    # --- Procedures and reports ----------------------------------------------------
    def procedure(
        self,
        codes: list[dict[str, str]] | None,
        text: str,
        when: str | None,
        *,
        status: str = "completed",
        body_site: dict[str, str] | None = None,
        **fields: Any,
    ) -> str:
        concept: dict[str, Any] = {"text": text}
        if codes:
            concept["coding"] = codes
        res: Resource = {
            "resourceType": "Procedure",
            "id": self._id("proc"),
            "status": status,
            "code": concept,
            "subject": self.subject,
            **fields,
        }
        if when is not None:
            res["performedDateTime"] = when
        if body_site:
            res["bodySite"] = [{"coding": [body_site]}]
        return self.add(res)

    def report(self, code: dict[str, str], when: str, text: str, *, category: str = "SP") -> str:
        return self.add(
            {
                "resourceType": "DiagnosticReport",
                "id": self._id("report"),
                "status": "final",
                "category": [{"coding": [coding(V2_0074, category)]}],
                "code": {"coding": [code]},
                "subject": self.subject,
                "effectiveDateTime": when,
                "issued": f"{when}T12:00:00Z",
                "conclusion": text,
                "presentedForm": [
                    {
                        "contentType": "text/plain",
                        "data": base64.b64encode(text.encode()).decode(),
                    }
                ],
            }
        )
