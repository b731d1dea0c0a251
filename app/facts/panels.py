"""Observation panels: results sent inside another Observation rather than on their own.

Two shapes real systems send:

- **Components.** A panel whose own code trialmatch does not read carries an ECOG, a
  Karnofsky, a lab or a staging code in ``component[]`` (the MII 2024 performance-status
  profile: code SNOMED 423690003, components ECOG 423740007 and Karnofsky 761869008; lab
  panels from LIS interfaces). Each such component becomes an Observation of its own for
  the concept readers: its code, value, interpretation and reference range, with the
  parent's id (so the fact's source is the parent), status, dates and subject.
- **hasMember.** A panel that only groups Observations sent separately in the Bundle is no
  fact itself: its members are read by their own codes. A member it names that is not in
  the record is a data-quality warning (`missing_members`).

Example::

    split_components(panel)   # -> [{"resourceType": "Observation", "id": panel id,
                              #      "code": <ECOG>, "valueCodeableConcept": ..., ...}]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from app.facts.reading import raw_codings
from app.fhir.record import FhirJson

# What a component lends its part-Observation; everything else comes from the parent.
_COMPONENT_ELEMENTS = ("code", "interpretation", "dataAbsentReason", "referenceRange")
# What the parent's own result was: never inherited by a part.
_PARENT_ONLY = (
    "code",
    "component",
    "hasMember",
    "derivedFrom",
    "interpretation",
    "dataAbsentReason",
    "referenceRange",
)


def split_components(raw: FhirJson, routed: Callable[[tuple[str, str]], bool]) -> list[FhirJson]:
    """One Observation per component whose code `routed` accepts; [] when there is none."""
    components = raw.get("component")
    if not isinstance(components, list):
        return []
    parts: list[FhirJson] = []
    for component in components:
        if not isinstance(component, dict):
            continue
        if not any(routed(pair) for pair in raw_codings(component.get("code"))):
            continue
        part: FhirJson = {
            key: value
            for key, value in raw.items()
            if key not in _PARENT_ONLY and not key.startswith("value")
        }
        for key, value in component.items():
            if key in _COMPONENT_ELEMENTS or key.startswith("value"):
                part[key] = value
        parts.append(part)
    return parts


def member_references(raw: FhirJson) -> list[str]:
    """The references of ``hasMember`` (contained members, '#id', are not counted)."""
    members = raw.get("hasMember")
    if not isinstance(members, list):
        return []
    found = []
    for member in members:
        ref = member.get("reference") if isinstance(member, dict) else None
        if isinstance(ref, str) and ref and not ref.startswith("#"):
            found.append(ref)
    return found


def missing_members(panel_refs: Iterable[str], observation_ids: set[str]) -> list[str]:
    """The member references that name no Observation of the record.

    A member is found by its id: 'Observation/123', an absolute URL ending so, or
    'urn:uuid:<id>' (the Bundle's fullUrl of a resource whose id is that uuid). A member
    of another type (a QuestionnaireResponse) is not looked for."""
    found = []
    for ref in panel_refs:
        rid = _id_of(ref)
        if rid is not None and rid not in observation_ids:
            found.append(ref)
    return found


def _id_of(ref: str) -> str | None:
    ref = ref.split("/_history/", 1)[0]
    if ref.startswith("urn:uuid:"):
        return ref.removeprefix("urn:uuid:")
    kind, _, rid = ref.rstrip("/").rpartition("/")
    return rid if kind.endswith("Observation") else None
