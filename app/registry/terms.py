"""Registry words to trialmatch's, read from app/vocabulary/data/ctgov_terms.yaml.

Example::

    overall_status("Active, not recruiting")   # -> "ACTIVE_NOT_RECRUITING"
    overall_status("Available")                # -> None (not a recruitment status we hold)
    phase_code("Phase 1")                      # -> "PHASE1"
    condition_site("Colorectal Cancer")        # -> "colorectal"
    condition_site("Solid Tumor")              # -> None (no sure site)
"""

from __future__ import annotations

from functools import cache
from typing import get_args

from app.eligibility.language import RecruitmentStatus
from app.vocabulary import sites
from app.vocabulary.files import VocabularyError, load, section

FILE = "ctgov_terms"


def _key(text: str) -> str:
    return " ".join(text.lower().split())


@cache
def _statuses() -> dict[str, str]:
    table = {_key(k): str(v) for k, v in section(load(FILE), "overall_statuses").items()}
    allowed = set(get_args(RecruitmentStatus))
    for value in table.values():
        if value not in allowed:
            raise VocabularyError(f"{FILE}: {value!r} is not an overall status")
    return table


@cache
def _phases() -> dict[str, str]:
    return {_key(k): str(v) for k, v in section(load(FILE), "phases").items()}


@cache
def _condition_sites() -> dict[str, str]:
    known = set(sites.names())
    table: dict[str, str] = {}
    for site, terms in section(load(FILE), "condition_sites").items():
        if site not in known:
            raise VocabularyError(f"{FILE}: {site!r} is not a cancer site")
        for term in terms:
            if _key(term) in table:
                raise VocabularyError(f"{FILE}: condition term {term!r} listed twice")
            table[_key(term)] = site
    return table


def overall_status(legacy: str) -> str | None:
    """The API v2 status of a legacy label; None when it is none we hold."""
    return _statuses().get(_key(legacy))


def is_status(value: str) -> bool:
    return value in get_args(RecruitmentStatus)


def phase_code(legacy: str) -> str | None:
    return _phases().get(_key(legacy))


def condition_site(condition: str) -> str | None:
    """The cancer site a condition name names beyond doubt (the whole name), else None."""
    return _condition_sites().get(_key(condition))


def version() -> str:
    return load(FILE).version
