"""A `/v1/match` response as the IG's TrialMatchResultSet: a searchset Bundle.

    bundle = searchset(response, trials, links, notes=[...], distances={nct: ...})

One entry per ranked trial, in the order of ``/v1/match``, with ``search.mode = match`` and
``search.score`` from `search_score`; then, when there is anything to say, one
OperationOutcome entry (``search.mode = outcome``) with the record's data-quality warnings,
the data that would decide an unknown criterion, and any request `notes`.

The score. ``/v1/match`` orders by status, then by its own score (the share of decidable
criteria that pass), so that score alone does not follow the order. ``search.score`` puts
each status in a band of its own and places the trial's score inside it::

    eligible            0.75 + 0.25 x score   (0.75 .. 1)
    possibly_eligible   0.01 + 0.73 x score   (0.01 .. 0.74)
    ineligible          0.009 x score         (0 .. 0.009)

so it never rises down the list, and MITRE's app reads the bands as it means them: at least
0.75 "high likelihood", at least 0.01 "possible", under 0.01 "no match".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.eligibility.language import Trial
from app.eligibility.verdict import TrialStatus
from app.fhir_api.canonical import ERROR_SYSTEM
from app.fhir_api.location import SiteDistance
from app.fhir_api.research_study import ExtensionUrls, research_study
from app.matching.models import MatchResponse

FhirJson = dict[str, Any]

SCORE_BANDS: dict[TrialStatus, tuple[float, float]] = {
    "eligible": (0.75, 0.25),
    "possibly_eligible": (0.01, 0.73),
    "ineligible": (0.0, 0.009),
}


def search_score(status: TrialStatus, score: float) -> float:
    low, width = SCORE_BANDS[status]
    return round(low + width * min(max(score, 0.0), 1.0), 4)


@dataclass(frozen=True)
class Links:
    fhir_base: str
    extensions: ExtensionUrls


def searchset(
    response: MatchResponse,
    trials: Mapping[str, Trial],
    links: Links,
    *,
    notes: Iterable[FhirJson] = (),
    distances: Mapping[str, SiteDistance] | None = None,
) -> FhirJson:
    """`distances`: each trial's nearest site, when the request named an origin."""
    entries: list[FhirJson] = [
        {
            "fullUrl": f"{links.fhir_base}/ResearchStudy/{match.trial}",
            "resource": research_study(
                trials[match.trial],
                match,
                links.extensions,
                distances.get(match.trial) if distances is not None else None,
            ),
            "search": {"mode": "match", "score": search_score(match.status, match.score)},
        }
        for match in response.matches
    ]
    issues = [
        *_warnings(response),
        *_missing_data(response),
        *_unknown_distances(response, distances or {}),
        *notes,
    ]
    total = len(entries)
    if issues:
        entries.append(
            {
                "resource": {"resourceType": "OperationOutcome", "issue": issues},
                "search": {"mode": "outcome"},
            }
        )
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "total": total,
        "entry": entries,
    }


def _issue(severity: str, code: str, our_code: str, text: str) -> FhirJson:
    return {
        "severity": severity,
        "code": code,
        "details": {"coding": [{"system": ERROR_SYSTEM, "code": our_code}], "text": text},
    }


def _warnings(response: MatchResponse) -> list[FhirJson]:
    issues = []
    for warning in response.warnings:
        # The message is ours (never the record's words); the source is a reference.
        issue = _issue("warning", "informational", warning.code, warning.message)
        if warning.source:
            issue["diagnostics"] = f"source: {warning.source}"
        issues.append(issue)
    return issues


def _missing_data(response: MatchResponse) -> list[FhirJson]:
    """One issue per piece of missing data, naming the criteria it would decide."""
    wanted: dict[str, list[str]] = {}
    for match in response.matches:
        for verdict in match.criteria:
            if verdict.outcome == "unknown" and verdict.needs == "data":
                for item in verdict.missing_data or [verdict.reason]:
                    wanted.setdefault(item, []).append(f"{match.trial} {verdict.id}")
    return [
        _issue(
            "information",
            "incomplete",
            "data.missing",
            f"Missing: {item}. It would decide {', '.join(criteria)}.",
        )
        for item, criteria in wanted.items()
    ]


def _unknown_distances(
    response: MatchResponse, distances: Mapping[str, SiteDistance]
) -> list[FhirJson]:
    """A warning for each trial kept although no site of it is known to be in range."""
    issues = []
    for match in response.matches:
        distance = distances.get(match.trial)
        if distance is None or not distance.distance_unknown:
            continue
        if distance.nearest_index is None:
            text = f"{match.trial}: no site has a position, so its distance is unknown"
        else:
            text = (
                f"{match.trial}: {distance.unpositioned_sites} site(s) have no position and "
                "may be nearer than its nearest measured site"
            )
        issues.append(
            _issue(
                "warning",
                "incomplete",
                "fhir.site_distance_unknown",
                text + "; it is kept for a person to check.",
            )
        )
    return issues
