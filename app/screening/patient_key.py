"""The patient a Bulk Data NDJSON line belongs to: its *patient key*.

A Bulk ``$export`` writes one resource per line and no Bundle, so the patient a resource
belongs to has to be read from the resource itself. The rules, which the DuckDB engine
repeats in SQL (`app.screening.duckdb_engine`, parity-tested), are:

- a Patient is keyed by its ``id`` (a FHIR id: 1-64 letters, digits, ``-`` or ``.``);
- any other resource by its ``subject`` reference, or ``patient`` when it has no ``subject``
  element (the name some resource types use), when that reference names a Patient:
  ``Patient/x``, ``https://ehr.example/fhir/Patient/x`` (any base) and the versioned
  ``Patient/x/_history/3`` all key to ``x``;
- ``urn:uuid:u`` keys to ``u``: a Bulk export that uses uuids names its Patients by them, so
  the Patient line with ``id`` ``u`` is the one it joins (a Patient line carries only its
  id; its ``identifier`` values are not keys). `read_bundle` takes ``urn:uuid:<id>`` as the
  Patient's own reference too, so the record is read without a foreign-subject warning;
- anything else has no key: no subject (a Medication, a resource that omits it), a
  contained reference (``#p1``), a reference to another type (``Group/g``, ``Device/d``),
  a logical reference by identifier only, or an id that is not a FHIR id. The engine counts
  these by resource type and reason (`Unkeyed`) and skips them.

Example::

    >>> patient_key({"resourceType": "Observation",
    ...              "subject": {"reference": "https://ehr.example/fhir/Patient/p1/_history/2"}})
    'p1'
    >>> unkeyed_reason({"resourceType": "Medication", "id": "m1"})
    'no_subject'
"""

from __future__ import annotations

import re
from typing import Any, Literal

# The DuckDB engine builds its SQL from these same patterns.
FHIR_ID_PATTERN = r"[A-Za-z0-9.\-]{1,64}"
# Full matches, ``.`` matching any character (a line break too).
PATIENT_REFERENCE_PATTERN = rf"(?:.*/)?Patient/({FHIR_ID_PATTERN})"
UUID_REFERENCE_PATTERN = rf"urn:uuid:({FHIR_ID_PATTERN})"
HISTORY = "/_history/"

_FHIR_ID = re.compile(FHIR_ID_PATTERN)
_PATIENT_REFERENCE = re.compile(PATIENT_REFERENCE_PATTERN, re.DOTALL)
_UUID_REFERENCE = re.compile(UUID_REFERENCE_PATTERN, re.DOTALL)

Unkeyed = Literal["no_subject", "not_a_patient", "invalid_patient_id", "not_a_resource"]


def reference_key(reference: str) -> str | None:
    """The Patient id a reference string names, or None when it names no Patient."""
    bare = reference.split(HISTORY, 1)[0]  # a version names the same Patient
    for pattern in (_PATIENT_REFERENCE, _UUID_REFERENCE):
        found = pattern.fullmatch(bare)
        if found:
            return found.group(1)
    return None


def subject_reference(resource: dict[str, Any]) -> str | None:
    """The reference string of ``subject`` (or ``patient`` when there is no ``subject``)."""
    element = resource["subject"] if "subject" in resource else resource.get("patient")
    if not isinstance(element, dict):
        return None
    reference = element.get("reference")
    return reference if isinstance(reference, str) else None


def patient_key(resource: Any) -> str | None:
    """The patient key of one parsed NDJSON line; None when it has none (`unkeyed_reason`)."""
    if not isinstance(resource, dict):
        return None
    if resource.get("resourceType") == "Patient":
        pid = resource.get("id")
        return pid if isinstance(pid, str) and _FHIR_ID.fullmatch(pid) else None
    reference = subject_reference(resource)
    return reference_key(reference) if reference is not None else None


def unkeyed_reason(resource: Any) -> Unkeyed | None:
    """Why a line has no patient key (None when it has one), for the skipped-lines report."""
    if not isinstance(resource, dict):
        return "not_a_resource"
    if patient_key(resource) is not None:
        return None
    if resource.get("resourceType") == "Patient":
        return "invalid_patient_id"
    return "no_subject" if subject_reference(resource) is None else "not_a_patient"
