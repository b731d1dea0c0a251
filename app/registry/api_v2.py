"""ClinicalTrials.gov API v2 JSON: one study (``protocolSection``) or a page
(``{"studies": [...]}``). Unknown keys are ignored. Example::

    records = read_studies(json.loads(path.read_bytes()))   # list of RegistryRecord
"""

from __future__ import annotations

from typing import Any

from app.registry.json_fields import boolean, items, mapping, number, strings, text
from app.registry.record import (
    RecordError,
    RegistryArm,
    RegistryRecord,
    RegistrySite,
    study_url,
)


def is_v2(data: Any) -> bool:
    return isinstance(data, dict) and ("protocolSection" in data or "studies" in data)


def read_studies(data: Any) -> list[RegistryRecord | RecordError]:
    """Every study of a v2 document; a study that cannot be read is its RecordError."""
    studies = data.get("studies") if isinstance(data, dict) and "studies" in data else [data]
    if not isinstance(studies, list):
        return [RecordError("'studies' is not a list")]
    out: list[RegistryRecord | RecordError] = []
    for index, study in enumerate(studies):
        try:
            out.append(read_study(study))
        except RecordError as exc:
            out.append(RecordError(f"study {index + 1}: {exc}"))
    return out


def read_study(study: Any) -> RegistryRecord:
    protocol = mapping(study, "protocolSection")
    ident = mapping(protocol, "identificationModule")
    nct_id = text(ident, "nctId")
    if nct_id is None:
        raise RecordError("no identificationModule.nctId")
    title = text(ident, "briefTitle") or text(ident, "officialTitle")
    if title is None:
        raise RecordError(f"{nct_id}: no title")
    status = mapping(protocol, "statusModule")
    eligibility = mapping(protocol, "eligibilityModule")
    design = mapping(protocol, "designModule")
    return RegistryRecord(
        nct_id=nct_id,
        brief_title=title,
        official_title=text(ident, "officialTitle"),
        status=text(status, "overallStatus") or "UNKNOWN",
        status_is_legacy=False,
        phases=strings(design, "phases"),
        phases_are_legacy=False,
        start_date=text(mapping(status, "startDateStruct"), "date"),
        completion_date=text(mapping(status, "completionDateStruct"), "date"),
        sponsor=text(
            mapping(mapping(protocol, "sponsorCollaboratorsModule"), "leadSponsor"), "name"
        ),
        conditions=strings(mapping(protocol, "conditionsModule"), "conditions"),
        arms=tuple(
            RegistryArm(label=label, type=text(arm, "type"), description=text(arm, "description"))
            for arm in items(mapping(protocol, "armsInterventionsModule"), "armGroups")
            if (label := text(arm, "label"))
        ),
        sites=tuple(_sites(mapping(protocol, "contactsLocationsModule"))),
        eligibility_text=text(eligibility, "eligibilityCriteria") or "",
        eligibility_style="markdown",
        sex=text(eligibility, "sex"),
        minimum_age=text(eligibility, "minimumAge"),
        maximum_age=text(eligibility, "maximumAge"),
        healthy_volunteers=boolean(eligibility, "healthyVolunteers"),
        source_url=study_url(nct_id),
    )


def _sites(module: dict[str, Any]) -> list[RegistrySite]:
    sites = []
    for location in items(module, "locations"):
        facility = text(location, "facility")
        if facility is None:
            continue
        point = mapping(location, "geoPoint")
        sites.append(
            RegistrySite(
                facility=facility,
                city=text(location, "city"),
                state=text(location, "state"),
                country=text(location, "country"),
                status=text(location, "status"),
                latitude=number(point, "lat"),
                longitude=number(point, "lon"),
            )
        )
    return sites
