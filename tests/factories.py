"""Factories for FHIR test data: small dicts built by name, and fixture loading.

Example::

    record = record_of(observation("21905-5", value_code=(AJCC, "cT2")))
    facts = normalize(record, AS_OF)
"""

from __future__ import annotations

import base64
import itertools
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from app.facts.model import PatientFacts
from app.facts.normalize import normalize
from app.fhir.bundle import read_bundle
from app.fhir.record import PatientRecord

FIXTURES = Path(__file__).parent / "fixtures" / "fhir"
SHARED = FIXTURES / "shared"
AS_OF = date(2026, 11, 22)

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
AJCC = "http://cancerstaging.org"
UICC = "https://www.uicc.org/resources/tnm"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"

_ids = itertools.count(1)


def concept(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    coding: dict[str, Any] = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding]}


def quantity(value: float, unit: str, *, ucum: bool = True) -> dict[str, Any]:
    q: dict[str, Any] = {"value": value, "unit": unit}
    if ucum:
        q.update(system=UCUM, code=unit)
    return q


def patient(pid: str = "p1", **fields: Any) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": pid, "gender": "female", **fields}


def observation(
    code: str,
    *,
    system: str = LOINC,
    when: str = "2026-11-01",
    value_code: tuple[str, str] | None = None,
    subject: str | None = "Patient/p1",
    **fields: Any,
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": f"obs-{next(_ids)}",
        "status": "final",
        "code": concept(system, code),
        "effectiveDateTime": when,
        **fields,
    }
    if subject:
        resource["subject"] = {"reference": subject}
    if value_code:
        resource["valueCodeableConcept"] = concept(*value_code)
    return resource


def lab(
    code: str, value: float, unit: str, *, when: str = "2026-11-01", **fields: Any
) -> dict[str, Any]:
    return observation(code, when=when, valueQuantity=quantity(value, unit), **fields)


def condition(system: str, code: str, **fields: Any) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": f"cond-{next(_ids)}",
        "subject": {"reference": "Patient/p1"},
        "code": concept(system, code),
        **fields,
    }


def report(text: str, *, when: str = "2026-10-01", presented: bool = False) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "DiagnosticReport",
        "id": f"report-{next(_ids)}",
        "status": "final",
        "code": concept(LOINC, "60567-5"),
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": when,
    }
    if presented:
        data = base64.b64encode(text.encode()).decode()
        resource["presentedForm"] = [{"contentType": "text/plain", "data": data}]
    else:
        resource["conclusion"] = text
    return resource


def bundle(*resources: dict[str, Any], the_patient: dict[str, Any] | None = None) -> dict[str, Any]:
    entries = [{"fullUrl": "urn:uuid:p1", "resource": the_patient or patient()}]
    entries += [{"resource": r} for r in resources]
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def record_of(*resources: dict[str, Any], **kwargs: Any) -> PatientRecord:
    return read_bundle(bundle(*resources, **kwargs))


def facts_of(*resources: dict[str, Any], as_of: date = AS_OF, **kwargs: Any) -> PatientFacts:
    return normalize(record_of(*resources, **kwargs), as_of)


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads(path.read_bytes())
    return data


def fixture_facts(name: str, as_of: date = AS_OF) -> PatientFacts:
    return normalize(read_bundle((FIXTURES / f"{name}.json").read_bytes()), as_of)


def warning_codes(facts: PatientFacts, source: str | None = None) -> list[str]:
    return [w.code for w in facts.warnings if source is None or w.source == source]
