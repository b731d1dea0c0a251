"""Conditions and Procedures the vocabulary cannot place, kept as facts so absence stays honest.

A record that says "Chronic pain syndrome" in SNOMED only, or "Z.n. Bestrahlung" as text, may
or may not hold the diagnosis or treatment a criterion asks about. Rather than drop it (and
let "no record of X counts as absent" pass), the normalizer keeps it as an `UnclassifiedFact`
with the record's own name and codes and warns; criteria that rest on absence then ask a
person. Read from the raw JSON: the resource may be one that failed validation. Example::

    read_raw({"resourceType": "Condition", "id": "c9", "code": {"text": "Herzschwäche"}})
    # -> UnclassifiedFact(resource_type="Condition", display="Herzschwäche", ...)

A resource coded in ICD-10 is never unclassified: ICD-10 is a classification, so a code
outside every category's ranges is known to be none of them.
"""

from __future__ import annotations

from typing import Any, Literal

from app.facts.model import ConditionStatus, UnclassifiedFact
from app.facts.reading import latest_day, raw_codings, reference, to_date

_STATUSES: frozenset[str] = frozenset(
    {"active", "recurrence", "relapse", "inactive", "remission", "resolved"}
)
_SYSTEM_LABELS = {"http://snomed.info/sct": "SNOMED"}


def _display(concept: Any) -> str | None:
    if not isinstance(concept, dict):
        return None
    if isinstance(concept.get("text"), str) and concept["text"].strip():
        return str(concept["text"]).strip()
    for coding in concept.get("coding") or []:
        if isinstance(coding, dict) and isinstance(coding.get("display"), str):
            return str(coding["display"])
    return None


def _status(raw: dict[str, Any]) -> ConditionStatus | None:
    for _, code in raw_codings(raw.get("clinicalStatus")):
        if code in _STATUSES:
            return code  # type: ignore[return-value]  # checked against the Literal's values
    return None


def read_raw(
    raw: dict[str, Any], resource_type: Literal["Condition", "Procedure"]
) -> UnclassifiedFact:
    if resource_type == "Condition":
        when: Any = raw.get("onsetDateTime") or raw.get("recordedDate")
    else:
        period = raw.get("performedPeriod")
        when = raw.get("performedDateTime") or (
            period.get("start") if isinstance(period, dict) else None
        )
    onset = to_date(when)
    return UnclassifiedFact(
        resource_type=resource_type,
        display=_display(raw.get("code")),
        clinical_status=_status(raw) if resource_type == "Condition" else None,
        onset=onset,
        onset_latest=latest_day(when),
        codes=[
            f"{_SYSTEM_LABELS.get(system, system or 'unknown')}|{code}"
            for system, code in raw_codings(raw.get("code"))
        ],
        sources=[reference(raw)],
        effective=onset,
    )
