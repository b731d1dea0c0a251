"""Read a posted FHIR R4 Bundle into a `PatientRecord`.

Any ``Bundle.type`` is accepted (collection, transaction, searchset, ...). The Bundle must
hold exactly one Patient; it is taken to be that patient's record. Condition, Observation,
DiagnosticReport, Procedure, MedicationRequest, MedicationStatement, MedicationAdministration
and Medication resources are kept as raw JSON (the normalizer validates only those whose
codes matter); every other resource type is ignored. A Medication has no subject: it is
read only where a medication resource of the patient names it.

Real senders are sloppy: public MITRE fixtures reference several patient ids in a
one-patient Bundle, or none. A resource whose ``subject`` names someone else is still
read, with a data-quality warning; ``strict=True`` makes it a 422 instead. A resource
with no subject reference (R4 makes ``subject`` required on Condition and Procedure) is
read as the one Patient's, in both modes: its ``subject`` is set to that Patient on a copy
(the posted resource is not changed) and a ``resource.no_subject`` warning names it, so
it is not lost to validation. Example::

    record = read_bundle(request_body)          # bytes or an already parsed dict
    record.reference                            # -> "Patient/123"
    record.of_type("Observation")               # -> [ {...}, ... ]

Errors (all `InvalidInput`, 422; messages never carry patient data):
``bundle.invalid`` (not JSON, not a Bundle), ``bundle.no_patient``,
``bundle.multiple_patients``, ``bundle.invalid_patient_id`` (a ``Patient.id`` that is not
a FHIR id: 1-64 letters, digits, ``-`` or ``.``; it is never stored nor echoed),
``bundle.foreign_subject`` (strict only).
"""

from __future__ import annotations

from typing import Any

import orjson

from app.data_quality import DataQualityWarning
from app.errors import InvalidInput
from app.fhir.record import FHIR_ID, READ_TYPES, SUBJECTLESS_TYPES, FhirJson, PatientRecord


def read_bundle(data: bytes | dict[str, Any], *, strict: bool = False) -> PatientRecord:
    """Split a Bundle into its one Patient and the resources trialmatch reads."""
    bundle = _load(data)
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise InvalidInput("bundle.invalid", "Bundle.entry is not a list.", loc=["body", "entry"])

    patients: list[tuple[int, FhirJson, str | None]] = []
    kept: list[tuple[int, FhirJson]] = []
    for index, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            continue  # e.g. a transaction DELETE entry: nothing to read
        kind = resource.get("resourceType")
        if kind == "Patient":
            full_url = entry.get("fullUrl")
            patients.append((index, resource, full_url if isinstance(full_url, str) else None))
        elif kind in READ_TYPES:
            kept.append((index, resource))

    if not patients:
        raise InvalidInput("bundle.no_patient", "The Bundle holds no Patient.", loc=["body"])
    if len(patients) > 1:
        raise InvalidInput(
            "bundle.multiple_patients",
            "The Bundle holds more than one Patient; post one patient's record.",
            loc=["body"],
        )

    patient_index, patient, full_url = patients[0]
    pid = patient.get("id")
    if pid is not None and not (isinstance(pid, str) and FHIR_ID.fullmatch(pid)):
        # It would become the audit row's patient reference and every fact's source.
        raise InvalidInput(
            "bundle.invalid_patient_id",
            "Patient.id is not a FHIR id: 1-64 letters, digits, '-' or '.'.",
            loc=["body", "entry", patient_index, "resource", "id"],
        )
    record = PatientRecord(patient=patient)
    own = _own_references(patient, full_url)
    own_ref = f"Patient/{pid}" if isinstance(pid, str) and pid else full_url
    seen: set[tuple[str, str]] = set()
    for index, resource in kept:
        kind = str(resource["resourceType"])
        ref = _reference(resource)
        rid = resource.get("id")
        if isinstance(rid, str):
            if (kind, rid) in seen:
                record.warnings.append(
                    DataQualityWarning(
                        code="bundle.duplicate_resource",
                        message="The same resource appears twice in the Bundle; read once.",
                        source=ref,
                    )
                )
                continue
            seen.add((kind, rid))
        if kind in SUBJECTLESS_TYPES:
            record.resources[kind].append(resource)
            continue
        subject = _subject_reference(resource)
        if subject is None:
            record.warnings.append(
                DataQualityWarning(
                    code="resource.no_subject",
                    message="The resource names no subject; read as this patient's.",
                    source=ref,
                )
            )
            if own_ref is not None and not _has_subject_element(resource):
                resource = {**resource, "subject": {"reference": own_ref}}
        elif subject not in own and not _is_own_url(subject, own):
            if strict:
                raise InvalidInput(
                    "bundle.foreign_subject",
                    "A resource's subject is not the Bundle's Patient.",
                    loc=["body", "entry", index, "resource", "subject"],
                )
            record.warnings.append(
                DataQualityWarning(
                    code="bundle.foreign_subject",
                    message="The resource's subject is not the Bundle's Patient; "
                    "read as this patient's.",
                    source=ref,
                )
            )
        record.resources[kind].append(resource)
    return record


def _load(data: bytes | dict[str, Any]) -> FhirJson:
    if isinstance(data, dict):
        bundle: Any = data
    else:
        try:
            bundle = orjson.loads(data)
        except orjson.JSONDecodeError:
            # The decoder's message may quote the body: never pass it on.
            raise InvalidInput("bundle.invalid", "The body is not JSON.", loc=["body"]) from None
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise InvalidInput("bundle.invalid", "The body is not a FHIR Bundle.", loc=["body"])
    return bundle


def _own_references(patient: FhirJson, full_url: str | None) -> set[str]:
    refs: set[str] = set()
    pid = patient.get("id")
    if isinstance(pid, str) and pid:
        refs.update({f"Patient/{pid}", f"urn:uuid:{pid}", pid})
    if full_url:
        refs.add(full_url)
    return refs


def _is_own_url(subject: str, own: set[str]) -> bool:
    # An absolute reference "https://ehr.example/fhir/Patient/123" names Patient/123.
    return "/Patient/" in subject and "Patient/" + subject.rsplit("/Patient/", 1)[1] in own


def _has_subject_element(resource: FhirJson) -> bool:
    # A subject given only by identifier or display still names the patient: kept as sent.
    return isinstance(resource.get("subject"), dict) or isinstance(resource.get("patient"), dict)


def _subject_reference(resource: FhirJson) -> str | None:
    # The types read here use ``subject``; ``patient`` is its name in some others.
    subject = resource.get("subject", resource.get("patient"))
    if not isinstance(subject, dict):
        return None
    reference = subject.get("reference")
    if not isinstance(reference, str) or not reference:
        return None
    return reference.split("/_history/", 1)[0]  # a versioned reference names the same Patient


def _reference(resource: FhirJson) -> str:
    return f"{resource.get('resourceType')}/{resource.get('id', 'unknown')}"
