"""Match reports kept for CDS Hooks links (app/store/match_reports.py), on both backends."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.config import REPO_ROOT
from app.eligibility.library import load_library
from app.fhir.bundle import read_bundle
from app.matching.models import MatchResponse
from app.matching.service import MatchOptions, match_record
from app.store.match_reports import REPORT_ID, load_report, purge_expired, save_report
from app.store.models import MatchReportRow

EXAMPLE = REPO_ROOT / "examples" / "patients" / "rectal_early_low_eligible.json"
NOW = 1_800_000_000.0


def a_response() -> MatchResponse:
    record = read_bundle(EXAMPLE.read_bytes())
    library = load_library(REPO_ROOT / "criteria")
    options = MatchOptions(as_of=date(2026, 11, 23), include_ineligible=True)
    return match_record(record, library, options)


def keep(session: Session, response: MatchResponse, *, ttl_seconds: float, now: float) -> str:
    """As the CDS Hooks service keeps its answer (app/cds_hooks/routes.py)."""
    return save_report(
        session,
        response.model_dump(mode="json"),
        patient_ref=response.patient,
        ttl_seconds=ttl_seconds,
        now=now,
    )


def rows(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.execute(select(func.count()).select_from(MatchReportRow)).scalar_one())


def test_a_saved_report_reads_back_whole_until_it_expires(sessions: sessionmaker[Session]) -> None:
    response = a_response()
    with sessions.begin() as session:
        report_id = keep(session, response, ttl_seconds=600, now=NOW)
    assert REPORT_ID.fullmatch(report_id)
    with sessions() as session:
        kept = load_report(session, report_id, now=NOW + 599)
        assert kept is not None
        assert (
            MatchResponse.model_validate(kept.response) == response
        )  # facts, verdicts, library version: all of it
        assert kept.patient_ref == "Patient/rectal-early-low"
        assert kept.expires_at == NOW + 600
        assert load_report(session, report_id, now=NOW + 600) is None


def test_the_id_is_not_in_the_store_and_each_save_gets_a_new_one(
    sessions: sessionmaker[Session],
) -> None:
    response = a_response()
    with sessions.begin() as session:
        first = keep(session, response, ttl_seconds=600, now=NOW)
        second = keep(session, response, ttl_seconds=600, now=NOW)
    assert first != second
    with sessions() as session:
        keys = set(session.execute(select(MatchReportRow.key)).scalars())
    assert len(keys) == 2 and first not in keys and second not in keys


def test_unknown_and_malformed_ids_find_nothing(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        report_id = keep(session, a_response(), ttl_seconds=600, now=NOW)
    with sessions() as session:
        assert load_report(session, "A" * 43, now=NOW) is None
        assert load_report(session, report_id[:-1], now=NOW) is None
        assert load_report(session, report_id + "x", now=NOW) is None
        assert load_report(session, "' OR 1=1 --" + "a" * 32, now=NOW) is None


def test_expired_reports_are_deleted_when_another_is_saved(
    sessions: sessionmaker[Session],
) -> None:
    response = a_response()
    with sessions.begin() as session:
        old = keep(session, response, ttl_seconds=60, now=NOW)
        keep(session, response, ttl_seconds=3600, now=NOW)
    assert rows(sessions) == 2
    with sessions.begin() as session:
        fresh = keep(session, response, ttl_seconds=60, now=NOW + 61)
    assert rows(sessions) == 2  # the first expired and went; the long one and the new stay
    with sessions() as session:
        assert load_report(session, old, now=NOW + 61) is None
        assert load_report(session, fresh, now=NOW + 61) is not None
    with sessions.begin() as session:
        assert purge_expired(session, now=NOW + 10_000) == 2
    assert rows(sessions) == 0
