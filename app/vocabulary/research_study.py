"""ClinicalTrials.gov words to R4 ResearchStudy and Location codes, read from
``data/fhir_research_study.yaml``. Example::

    r4_status("ACTIVE_NOT_RECRUITING")     # -> "closed-to-accrual"
    r4_phase("PHASE1/PHASE2")              # -> Phase("phase-1-phase-2", "Phase 1/Phase 2")
    ctgov_statuses("active")               # -> frozenset({"RECRUITING", "ENROLLING_BY_INVITATION"})
    location_status("SUSPENDED")           # -> "suspended"
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from app.vocabulary.files import VocabularyError, load, section

FILE = "fhir_research_study"


@dataclass(frozen=True)
class Phase:
    code: str
    display: str


@cache
def r4_status_codes() -> frozenset[str]:
    """Every code of the R4 research-study-status value set (a required binding)."""
    return frozenset(str(code) for code in section(load(FILE), "r4_statuses"))


@cache
def _statuses() -> dict[str, str]:
    table = {str(k): str(v) for k, v in section(load(FILE), "statuses").items()}
    for value in table.values():
        if value not in r4_status_codes():
            raise VocabularyError(f"{FILE}: {value!r} is not an R4 research-study-status code")
    return table


@cache
def _phases() -> dict[str, Phase]:
    return {
        str(k): Phase(str(v["code"]), str(v["display"]))
        for k, v in section(load(FILE), "phases").items()
    }


def phase_system() -> str:
    return str(section(load(FILE), "phase_system"))


def ctgov_status_names() -> list[str]:
    """The overall statuses the file maps, in file order."""
    return list(_statuses())


def r4_status(overall_status: str) -> str | None:
    """The R4 ResearchStudy.status of a ClinicalTrials.gov API v2 overall status."""
    return _statuses().get(overall_status)


def ctgov_statuses(r4_code: str) -> frozenset[str]:
    """The overall statuses that read as this R4 status (empty for a code none maps to)."""
    return frozenset(k for k, v in _statuses().items() if v == r4_code)


def r4_phase(api_v2_phases: str) -> Phase | None:
    """The R4 phase of API v2 phase codes joined with '/' (``PHASE2``, ``PHASE1/PHASE2``)."""
    return _phases().get(api_v2_phases)


def r4_phases() -> list[Phase]:
    return list(_phases().values())


def phase_for_code(r4_code: str) -> str | None:
    """The API v2 phase codes ('/'-joined) of an R4 phase code."""
    return next((k for k, v in _phases().items() if v.code == r4_code), None)


def location_status(site_status: str) -> str | None:
    """R4 Location.status of a site's recruitment status; None for one not listed."""
    table = section(load(FILE), "site_statuses")
    value = table.get(site_status)
    return str(value) if value is not None else None
