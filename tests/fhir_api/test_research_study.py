"""A trial as a ResearchStudy: sites with positions, phases combined, every status R4."""

from __future__ import annotations

from typing import get_args

import pytest

from app.config import REPO_ROOT
from app.eligibility.language import RecruitmentStatus, Site
from app.eligibility.library import load_trial_file
from app.fhir_api.research_study import research_study
from tests.fhir_api.conftest import R4_STUDY_STATUSES, r4

SEED = load_trial_file(REPO_ROOT / "criteria" / "NCT06949098.yaml")


def test_a_site_with_coordinates_is_a_contained_location_with_its_position() -> None:
    sites = [
        Site(
            facility="Centre Léon Bérard",
            city="Lyon",
            country="France",
            status="RECRUITING",
            latitude=45.7428,
            longitude=4.8807,
        ),
        Site(facility="Hôpital Nord", city="Marseille", country="France", status="SUSPENDED"),
    ]
    study = r4(research_study(SEED.model_copy(update={"sites": sites})))
    assert study["site"] == [
        {"reference": "#location-1", "type": "Location", "display": "Centre Léon Bérard"},
        {"reference": "#location-2", "type": "Location", "display": "Hôpital Nord"},
    ]
    locations = {r["id"]: r for r in study["contained"] if r["resourceType"] == "Location"}
    assert locations["location-1"]["position"] == {"latitude": 45.7428, "longitude": 4.8807}
    assert locations["location-1"]["status"] == "active"
    assert locations["location-1"]["address"] == {
        "use": "work",
        "city": "Lyon",
        "country": "France",
    }
    assert "position" not in locations["location-2"]
    assert locations["location-2"]["status"] == "suspended"


@pytest.mark.parametrize(
    ("phase", "code"),
    [
        ("Phase 2", "phase-2"),
        ("PHASE1/PHASE2", "phase-1-phase-2"),  # not truncated to its first phase
        ("Phase 2/Phase 3", "phase-2-phase-3"),
        ("EARLY_PHASE1", "early-phase-1"),
        ("NA", "n-a"),
        ("Phase 7", None),
        (None, None),
    ],
)
def test_phase_is_the_r4_code_of_the_whole_phase(phase: str | None, code: str | None) -> None:
    study = r4(research_study(SEED.model_copy(update={"phase": phase})))
    assert (study["phase"]["coding"][0]["code"] if "phase" in study else None) == code


@pytest.mark.parametrize("status", get_args(RecruitmentStatus))
def test_every_recruitment_status_has_an_r4_status(status: str) -> None:
    study = r4(research_study(SEED.model_copy(update={"status": status})))
    assert study["status"] in R4_STUDY_STATUSES
    # Only a trial that recruits reads as active: MITRE's app keeps only those.
    assert (study["status"] == "active") is (status in {"RECRUITING", "ENROLLING_BY_INVITATION"})
