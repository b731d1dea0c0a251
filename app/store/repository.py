"""Reading and writing trials in the store; every function takes the caller's Session.

Example::

    with sessions.begin() as session:
        upsert_trial(session, trial, source="NCT01234567.yaml")   # "created"
        upsert_trial(session, trial, source="NCT01234567.yaml")   # "unchanged"
    with sessions() as session:
        page = list_trials(session, condition="rectal", statuses=["RECRUITING"], limit=20)
        library_phases(session)                                   # ["PHASE2", "PHASE3"]
        page.total, [row.nct_id for row in page.items]
        get_trial(session, "NCT01234567")                         # TrialRow, or None
    with sessions.begin() as session:
        remove_trial(session, "NCT01234567")                      # True, or False if absent

A trial is identified by its NCT id. Its ``content_hash`` covers the validated document
(`app.eligibility.fingerprint`, the one definition the match response names too), so an
upsert of the same content writes nothing, and any change replaces the trial's
conditions, sites, arms and criteria as a whole.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.eligibility.fingerprint import content_hash, trial_document
from app.eligibility.language import Trial
from app.store.models import ArmRow, ConditionRow, CriterionRow, SiteRow, TrialRow

UpsertOutcome = Literal["created", "updated", "unchanged"]


@dataclass(frozen=True)
class TrialPage:
    items: list[TrialRow]
    total: int
    limit: int
    offset: int


def list_trials(
    session: Session,
    *,
    condition: str | None = None,
    statuses: Collection[str] = (),
    phases: Collection[str] = (),
    limit: int = 20,
    offset: int = 0,
) -> TrialPage:
    """Trials ordered by NCT id. `condition` matches any part of a condition, any case;
    `statuses` and `phases` match exactly (any of them)."""
    query = select(TrialRow)
    if condition:
        query = query.where(
            TrialRow.conditions.any(ConditionRow.key.contains(condition.lower(), autoescape=True))
        )
    if statuses:
        query = query.where(TrialRow.status.in_(list(statuses)))
    if phases:
        query = query.where(TrialRow.phase.in_(list(phases)))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.options(selectinload(TrialRow.conditions))
        .order_by(TrialRow.nct_id)
        .limit(limit)
        .offset(offset)
    ).all()
    return TrialPage(items=list(rows), total=total, limit=limit, offset=offset)


def get_trial(session: Session, nct_id: str) -> TrialRow | None:
    """The trial with every child loaded, or None."""
    return session.scalar(
        select(TrialRow)
        .where(TrialRow.nct_id == nct_id)
        .options(
            selectinload(TrialRow.conditions),
            selectinload(TrialRow.sites),
            selectinload(TrialRow.arms),
            selectinload(TrialRow.criteria),
        )
    )


def library_phases(session: Session) -> list[str]:
    """The phases the stored trials name, sorted: the choices of a phase filter."""
    rows = session.scalars(
        select(TrialRow.phase)
        .where(TrialRow.phase.is_not(None))
        .distinct()
        .order_by(TrialRow.phase)
    )
    return [phase for phase in rows if phase is not None]


def count_trials(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(TrialRow)) or 0


def iter_documents(session: Session) -> Iterator[tuple[dict[str, Any], str]]:
    """Every stored trial document with its content hash, by NCT id: what the eligibility
    library compiles, and the hash a match response names for it."""
    rows = session.execute(
        select(TrialRow.document, TrialRow.content_hash).order_by(TrialRow.nct_id)
    )
    yield from rows


def remove_trial(session: Session, nct_id: str) -> bool:
    """Delete the trial and its children; False when no trial has this id. A running
    service drops it on its next library refresh (the store's fingerprint changed)."""
    row = session.scalar(select(TrialRow).where(TrialRow.nct_id == nct_id))
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def upsert_trial(session: Session, trial: Trial, *, source: str | None = None) -> UpsertOutcome:
    """Insert or replace `trial`; "unchanged" (and nothing written) when its content is."""
    document = trial_document(trial)
    digest = content_hash(document)
    row = session.scalar(select(TrialRow).where(TrialRow.nct_id == trial.nct_id))
    if row is not None and row.content_hash == digest and row.source == source:
        return "unchanged"
    now = datetime.now(UTC)
    outcome: UpsertOutcome = "updated"
    if row is None:
        row = TrialRow(nct_id=trial.nct_id, created_at=now)
        session.add(row)
        outcome = "created"
    row.title = trial.title
    row.official_title = trial.official_title
    row.phase = trial.phase
    row.status = trial.status
    row.start_date = trial.start_date
    row.end_date = trial.end_date
    row.sponsor = trial.sponsor
    row.minimum_age = trial.minimum_age
    row.maximum_age = trial.maximum_age
    row.document = document
    row.content_hash = digest
    row.source = source
    row.updated_at = now
    if outcome == "updated":
        # Old children go before new ones arrive: the (trial, criterion id) pair is unique.
        row.conditions.clear()
        row.sites.clear()
        row.arms.clear()
        row.criteria.clear()
        session.flush()
    row.conditions = [
        ConditionRow(position=i, name=name, key=name.lower())
        for i, name in enumerate(trial.conditions)
    ]
    row.sites = [
        SiteRow(
            position=i,
            facility=site.facility,
            city=site.city,
            state=site.state,
            country=site.country,
            status=site.status,
            latitude=site.latitude,
            longitude=site.longitude,
        )
        for i, site in enumerate(trial.sites)
    ]
    row.arms = [
        ArmRow(position=i, label=arm.label, type=arm.type, description=arm.description)
        for i, arm in enumerate(trial.arms)
    ]
    # The rule is stored as the document holds it, in its JSON form: the store does not
    # interpret the rule language.
    row.criteria = [
        CriterionRow(
            position=i,
            criterion_id=criterion.id,
            type=criterion.type,
            text=criterion.text,
            review=criterion.review,
            rule=document["criteria"][i]["rule"],
        )
        for i, criterion in enumerate(trial.criteria)
    ]
    session.flush()
    return outcome
