"""A hook call's patient record: from ``prefetch``, else pulled from ``fhirServer``.

Per prefetch key (CDS Hooks 2.0, section Prefetch)::

    key missing                      the EHR did not (or could not) fetch it: we fetch it
    key null, or a zero-entry Bundle the EHR holds no such data (the spec's MUST): none;
                                     re-read from fhirServer when one is given
    an OperationOutcome, or a Bundle the EHR's query failed: we fetch it
    holding an error outcome
    patient key null                 no patient to match: we fetch it

Anything still to fetch with no ``fhirServer`` to fetch it from is 412
``cds.prefetch_unavailable``. Example::

    gathered = gather(call.prefetch, patient_id="123", can_fetch=call.fhirServer is not None)
    if gathered.to_fetch:
        record = await client.fetch_record("123", ...)   # the whole record, pulled
    else:
        record = gathered.record("123")                  # read as a posted Bundle is

When anything must be fetched the whole record is pulled (the EHR-pull client reads a
patient whole, never in part) and the prefetch is not mixed in: one source per record. A
prefetched resource whose subject names another patient is left out with a ``fhir.foreign_subject``
warning, as the pull client does. Messages name prefetch keys, never their contents.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.cds_hooks.discovery import PATIENT_KEY, PREFETCH, PREFETCH_TYPES
from app.data_quality import DataQualityWarning
from app.errors import ApiError, InvalidInput
from app.fhir.bundle import read_bundle
from app.fhir.record import SUBJECTLESS_TYPES, FhirJson, PatientRecord


class PrefetchUnavailable(ApiError):
    status_code = 412

    def __init__(self, keys: list[str] | None = None, cause: str | None = None) -> None:
        named = f" ({', '.join(keys)})" if keys else ""
        why = f"; the pull from fhirServer failed: {cause}" if cause else ""
        super().__init__(
            "cds.prefetch_unavailable",
            f"The patient's data{named} was neither prefetched nor could it be read from "
            f"fhirServer{why}.",
            loc=["body", "prefetch"],
        )


def _invalid(key: str, msg: str) -> InvalidInput:
    return InvalidInput("cds.prefetch_invalid", msg, loc=["body", "prefetch", key])


def _is_error_outcome(resource: Any) -> bool:
    if not isinstance(resource, dict) or resource.get("resourceType") != "OperationOutcome":
        return False
    issues = resource.get("issue")
    return not isinstance(issues, list) or any(
        isinstance(i, dict) and i.get("severity") in ("error", "fatal") for i in issues
    )


@dataclass
class Gathered:
    """What the prefetch gave, by key, and the keys that must be fetched."""

    resources: dict[str, list[FhirJson]] = field(default_factory=dict)
    to_fetch: list[str] = field(default_factory=list)

    def record(self, patient_id: str) -> PatientRecord:
        """The prefetched record, read as a posted Bundle is (`read_bundle`)."""
        [patient] = self.resources[PATIENT_KEY]
        kept: list[FhirJson] = []
        warnings: list[DataQualityWarning] = []
        for key, resources in self.resources.items():
            if key == PATIENT_KEY:
                continue
            for resource in resources:
                kind = resource.get("resourceType")
                if kind in SUBJECTLESS_TYPES or not _foreign(resource, patient_id):
                    kept.append(resource)
                    continue
                warnings.append(
                    DataQualityWarning(
                        code="fhir.foreign_subject",
                        message="A prefetched resource names another subject; it was left out.",
                        source=f"{kind}/{resource.get('id', 'unknown')}",
                    )
                )
        entries = [{"resource": patient}, *({"resource": r} for r in _unique(kept))]
        record = read_bundle({"resourceType": "Bundle", "type": "collection", "entry": entries})
        record.warnings.extend(warnings)
        return record


def gather(prefetch: Mapping[str, Any] | None, *, patient_id: str, can_fetch: bool) -> Gathered:
    gathered = Gathered()
    sent = prefetch or {}
    for key in PREFETCH:
        if key not in sent:
            gathered.to_fetch.append(key)
            continue
        value = sent[key]
        if value is None:
            # No such data at the EHR. The patient cannot be absent, and a server at hand
            # is asked again, so the record is whole either way.
            if key == PATIENT_KEY or can_fetch:
                gathered.to_fetch.append(key)
            else:
                gathered.resources[key] = []
            continue
        if _is_error_outcome(value):
            gathered.to_fetch.append(key)
            continue
        found = _patient(key, value, patient_id) if key == PATIENT_KEY else _bundle(key, value)
        if found is None:
            gathered.to_fetch.append(key)  # the Bundle carries the EHR's query error
        else:
            gathered.resources[key] = found
    return gathered


def _patient(key: str, value: Any, patient_id: str) -> list[FhirJson]:
    if not isinstance(value, dict) or value.get("resourceType") != "Patient":
        raise _invalid(key, "The patient prefetch is not a Patient resource.")
    if value.get("id") != patient_id:
        raise _invalid(key, "The patient prefetch is not the patient of context.patientId.")
    return [value]


def _bundle(key: str, value: Any) -> list[FhirJson] | None:
    """The resources of a prefetched search Bundle; None if it reports a query error."""
    if not isinstance(value, dict) or value.get("resourceType") != "Bundle":
        raise _invalid(key, f"The {key} prefetch is not a Bundle.")
    entries = value.get("entry") or []
    if not isinstance(entries, list):
        raise _invalid(key, f"The {key} prefetch Bundle has a malformed entry list.")
    wanted = PREFETCH_TYPES[key]
    found: list[FhirJson] = []
    for entry in entries:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            raise _invalid(key, f"The {key} prefetch Bundle has an entry with no resource.")
        if _is_error_outcome(resource):
            return None
        if resource.get("resourceType") in wanted:
            found.append(resource)
    return found


def _foreign(resource: FhirJson, patient_id: str) -> bool:
    """The resource's subject names another patient. One with no subject reference is the
    patient's (read_bundle says so in a ``resource.no_subject`` warning)."""
    subject = resource.get("subject")
    reference = subject.get("reference") if isinstance(subject, dict) else None
    if not isinstance(reference, str):
        return False
    reference = reference.split("/_history/", 1)[0]
    mine = reference == f"Patient/{patient_id}" or reference.endswith(f"/Patient/{patient_id}")
    return not mine


def _unique(resources: list[FhirJson]) -> list[FhirJson]:
    """Without repeats of one resource (a Medication included by two searches)."""
    seen: set[tuple[str, str]] = set()
    kept: list[FhirJson] = []
    for resource in resources:
        rid = resource.get("id")
        key = (str(resource.get("resourceType")), str(rid))
        if rid is not None and key in seen:
            continue
        seen.add(key)
        kept.append(resource)
    return kept
