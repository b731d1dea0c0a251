"""The retired classic API's JSON (``FullStudiesResponse``), PascalCase modules with
legacy labels ("Completed", "Phase 2", "July 2001"). No coordinates. Example::

    records = read_full_studies(json.loads(path.read_bytes()))
"""

from __future__ import annotations

from typing import Any

from app.registry.json_fields import items, mapping, strings, text
from app.registry.record import (
    RecordError,
    RegistryArm,
    RegistryRecord,
    RegistrySite,
    study_url,
)


def is_classic(data: Any) -> bool:
    return isinstance(data, dict) and "FullStudiesResponse" in data


def read_full_studies(data: Any) -> list[RegistryRecord | RecordError]:
    studies = items(mapping(data, "FullStudiesResponse"), "FullStudies")
    if not studies:
        return [RecordError("FullStudiesResponse holds no FullStudies")]
    out: list[RegistryRecord | RecordError] = []
    for index, entry in enumerate(studies):
        try:
            out.append(_study(mapping(mapping(entry, "Study"), "ProtocolSection")))
        except RecordError as exc:
            out.append(RecordError(f"study {index + 1}: {exc}"))
    return out


def _study(protocol: dict[str, Any]) -> RegistryRecord:
    ident = mapping(protocol, "IdentificationModule")
    nct_id = text(ident, "NCTId")
    if nct_id is None:
        raise RecordError("no IdentificationModule.NCTId")
    title = text(ident, "BriefTitle") or text(ident, "OfficialTitle")
    if title is None:
        raise RecordError(f"{nct_id}: no title")
    status = mapping(protocol, "StatusModule")
    eligibility = mapping(protocol, "EligibilityModule")
    volunteers = text(eligibility, "HealthyVolunteers")
    return RegistryRecord(
        nct_id=nct_id,
        brief_title=title,
        official_title=text(ident, "OfficialTitle"),
        status=text(status, "OverallStatus") or "Unknown status",
        status_is_legacy=True,
        phases=strings(mapping(mapping(protocol, "DesignModule"), "PhaseList"), "Phase"),
        phases_are_legacy=True,
        start_date=text(mapping(status, "StartDateStruct"), "StartDate"),
        completion_date=text(mapping(status, "CompletionDateStruct"), "CompletionDate"),
        sponsor=text(
            mapping(mapping(protocol, "SponsorCollaboratorsModule"), "LeadSponsor"),
            "LeadSponsorName",
        ),
        conditions=strings(
            mapping(mapping(protocol, "ConditionsModule"), "ConditionList"), "Condition"
        ),
        arms=tuple(
            RegistryArm(
                label=label,
                type=text(arm, "ArmGroupType"),
                description=text(arm, "ArmGroupDescription"),
            )
            for arm in items(
                mapping(mapping(protocol, "ArmsInterventionsModule"), "ArmGroupList"), "ArmGroup"
            )
            if (label := text(arm, "ArmGroupLabel"))
        ),
        sites=tuple(
            RegistrySite(
                facility=facility,
                city=text(location, "LocationCity"),
                state=text(location, "LocationState"),
                country=text(location, "LocationCountry"),
                status=text(location, "LocationStatus"),
            )
            for location in items(
                mapping(mapping(protocol, "ContactsLocationsModule"), "LocationList"), "Location"
            )
            if (facility := text(location, "LocationFacility"))
        ),
        eligibility_text=text(eligibility, "EligibilityCriteria") or "",
        eligibility_style="plain",
        sex=(text(eligibility, "Gender") or "").upper() or None,
        minimum_age=text(eligibility, "MinimumAge"),
        maximum_age=text(eligibility, "MaximumAge"),
        healthy_volunteers=None
        if volunteers is None
        else volunteers.lower().startswith(("yes", "accepts")),
        source_url=study_url(nct_id),
    )
