"""A library trial as an R4 ResearchStudy, with its sites and eligibility contained.

    study = research_study(trial)                      # GET /fhir/ResearchStudy/{nct}
    study = research_study(trial, match, urls)         # one $match result, with verdicts

- ``identifier``: the NCT id under https://clinicaltrials.gov; ``id`` is the NCT id too.
- ``status``: the R4 code of the recruitment status, ``phase``: the R4 research-study-phase
  code (both from data/fhir_research_study.yaml; a phase the table does not hold is left out).
- ``description``: the registry gives us no brief summary, so it says what we hold: the
  official title, the conditions and the sponsor.
- ``site``: each site a contained Location (``#location-N``) with its position, when the
  registry gave one; ``enrollment``: a contained Group (``#eligibility``) with one
  characteristic per criterion (an exclusion criterion is ``exclude: true``), its
  ``display`` the criteria text, which is where MITRE's app reads it.
- ``sponsor``: a contained Organization.

A match adds two extensions of ours (`canonical.VERDICT`, `canonical.MATCH_STATUS`): the
trial's status for this patient, and one verdict per criterion (outcome, needs, reason,
encoding, evidence and what would decide it), defined in `definitions`; a match with an
origin (`location`) adds a third, `canonical.NEAREST_SITE`: the nearest site with a
position, its distance in miles, whether it is in the travel radius, and how many sites
have no position.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.eligibility.language import Site, Trial
from app.eligibility.verdict import CriterionVerdict
from app.fhir_api.location import SiteDistance
from app.matching.models import TrialMatch
from app.registry.terms import phase_code
from app.vocabulary import research_study as vocabulary

FhirJson = dict[str, Any]

ELIGIBILITY_ID = "eligibility"
SPONSOR_ID = "sponsor"


@dataclass(frozen=True)
class ExtensionUrls:
    verdict: str
    match_status: str
    nearest_site: str = ""


def api_v2_phases(phase: str | None) -> str | None:
    """A stored phase ('Phase 2', 'PHASE1/PHASE2') as API v2 codes joined with '/'."""
    if not phase:
        return None
    codes = []
    for part in phase.split("/"):
        part = part.strip()
        code = part if vocabulary.r4_phase(part) is not None else phase_code(part)
        if code is None:
            return None
        codes.append(code)
    return "/".join(codes)


def phase_concept(phase: str | None) -> FhirJson | None:
    r4 = vocabulary.r4_phase(api_v2_phases(phase) or "")
    if r4 is None:
        return None
    coding = {"system": vocabulary.phase_system(), "code": r4.code, "display": r4.display}
    return {"coding": [coding], "text": r4.display}


def research_study(
    trial: Trial,
    match: TrialMatch | None = None,
    urls: ExtensionUrls | None = None,
    distance: SiteDistance | None = None,
) -> FhirJson:
    status = vocabulary.r4_status(trial.status)
    if status is None:  # the loader checks the table covers every status; fail loudly
        raise ValueError(f"no R4 status for {trial.status}")
    locations = [_location(i, site) for i, site in enumerate(trial.sites, start=1)]
    contained: list[FhirJson] = [*locations, _eligibility_group(trial)]
    study: FhirJson = {"resourceType": "ResearchStudy", "id": trial.nct_id}
    if match is not None and urls is not None:
        study["extension"] = [
            {"url": urls.match_status, "valueCode": match.status},
            *(_verdict_extension(urls.verdict, verdict) for verdict in match.criteria),
        ]
        if distance is not None:
            study["extension"].append(
                _nearest_site_extension(urls.nearest_site, distance, locations)
            )
    study["identifier"] = [
        {"use": "official", "system": "https://clinicaltrials.gov", "value": trial.nct_id}
    ]
    study["title"] = trial.title
    study["status"] = status
    phase = phase_concept(trial.phase)
    if phase is not None:
        study["phase"] = phase
    if trial.conditions:
        study["condition"] = [{"text": condition} for condition in trial.conditions]
    study["description"] = _description(trial)
    study["enrollment"] = [
        {
            "reference": f"#{ELIGIBILITY_ID}",
            "type": "Group",
            "display": "\n".join(f"{c.id}: {c.text}" for c in trial.criteria),
        }
    ]
    period = {
        key: value.isoformat()
        for key, value in (("start", trial.start_date), ("end", trial.end_date))
        if value is not None
    }
    if period:
        study["period"] = period
    if trial.sponsor:
        contained.append({"resourceType": "Organization", "id": SPONSOR_ID, "name": trial.sponsor})
        study["sponsor"] = {
            "reference": f"#{SPONSOR_ID}",
            "type": "Organization",
            "display": trial.sponsor,
        }
    if locations:
        study["site"] = [
            {"reference": f"#{loc['id']}", "type": "Location", "display": loc["name"]}
            for loc in locations
        ]
    if trial.arms:
        study["arm"] = [_arm(arm.label, arm.type, arm.description) for arm in trial.arms]
    study["contained"] = contained
    return study


def _description(trial: Trial) -> str:
    lines = [trial.official_title or trial.title]
    if trial.conditions:
        lines.append(f"Conditions: {', '.join(trial.conditions)}.")
    if trial.sponsor:
        lines.append(f"Sponsor: {trial.sponsor}.")
    return "\n\n".join(lines)


def _location(index: int, site: Site) -> FhirJson:
    location: FhirJson = {"resourceType": "Location", "id": f"location-{index}"}
    status = vocabulary.location_status(site.status) if site.status else None
    if status is not None:
        location["status"] = status
    location["name"] = site.facility
    address = {
        key: value
        for key, value in (("city", site.city), ("state", site.state), ("country", site.country))
        if value
    }
    if address:
        location["address"] = {"use": "work", **address}
    if site.latitude is not None and site.longitude is not None:
        location["position"] = {"latitude": site.latitude, "longitude": site.longitude}
    return location


def _eligibility_group(trial: Trial) -> FhirJson:
    return {
        "resourceType": "Group",
        "id": ELIGIBILITY_ID,
        "type": "person",
        "actual": False,
        "name": f"Eligibility criteria of {trial.nct_id}",
        "characteristic": [
            {
                "id": criterion.id,
                "code": {"text": f"{criterion.type} criterion {criterion.id}"},
                "valueCodeableConcept": {"text": criterion.text},
                # A Group member has an inclusion's characteristic, never an exclusion's.
                "exclude": criterion.type == "exclusion",
            }
            for criterion in trial.criteria
        ],
    }


def _arm(label: str, kind: str | None, description: str | None) -> FhirJson:
    arm: FhirJson = {"name": label}
    if kind:
        arm["type"] = {"text": kind}
    if description:
        arm["description"] = description
    return arm


def _verdict_extension(url: str, verdict: CriterionVerdict) -> FhirJson:
    parts: list[FhirJson] = [
        {"url": "criterion", "valueString": verdict.id},
        {"url": "type", "valueCode": verdict.type},
        {"url": "outcome", "valueCode": verdict.outcome},
    ]
    if verdict.needs is not None:
        parts.append({"url": "needs", "valueCode": verdict.needs})
    parts.append({"url": "reason", "valueString": verdict.reason})
    parts.append({"url": "encoding", "valueCode": verdict.encoding})
    parts += [{"url": "evidence", "valueReference": {"reference": ref}} for ref in verdict.evidence]
    parts += [{"url": "missingData", "valueString": item} for item in verdict.missing_data]
    parts += [
        {"url": "triggeredBy", "valueReference": {"reference": ref}} for ref in verdict.triggered_by
    ]
    parts += [{"url": "assumption", "valueString": text} for text in verdict.assumptions]
    return {"url": url, "extension": parts}


# UCUM's international mile, as FHIR writes a Quantity of miles.
MILES = {"unit": "mi", "system": "http://unitsofmeasure.org", "code": "[mi_i]"}


def _nearest_site_extension(
    url: str, distance: SiteDistance, locations: list[FhirJson]
) -> FhirJson:
    parts: list[FhirJson] = []
    if distance.nearest_index is not None and distance.miles is not None:
        location = locations[distance.nearest_index - 1]
        parts.append(
            {
                "url": "site",
                "valueReference": {
                    "reference": f"#{location['id']}",
                    "type": "Location",
                    "display": location["name"],
                },
            }
        )
        parts.append({"url": "distance", "valueQuantity": {"value": distance.miles, **MILES}})
    if distance.within_radius is not None:
        parts.append({"url": "withinRadius", "valueBoolean": distance.within_radius})
    parts.append({"url": "unpositionedSites", "valueInteger": distance.unpositioned_sites})
    return {"url": url, "extension": parts}
