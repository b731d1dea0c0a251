"""Curation: a person accepts, rejects or edits one criterion of a stored trial.

Example::

    with sessions.begin() as session:     # one transaction: the trial and its audit row
        done = curate(session, "NCT03377387", "inc-0.b", Accept(), by="J. Doe")
    done.before.encoding, done.after.encoding          # ("suggested", "curated")
    done.after.curated_by                              # "J. Doe"

The actions (``trialmatch trials curate NCT CRITERION --accept | --reject | --edit FILE``):

- `Accept`: a suggested criterion becomes curated; its rule is kept.
- `Reject`: the suggested reading is wrong. The criterion becomes curated and review-only
  (``review: true``, no rule): a re-import keeps every curated criterion
  (`app.registry.reimport`), so the same suggestion is not made again. A ``text`` criterion
  can be rejected too: a person confirms that only a person can decide it.
- `Edit`: the criterion, whatever its encoding, becomes curated with a new rule (read by
  `app.eligibility.trial_file.read_rule_file`: the Rule model, compiled as in a trial file).
  When a re-import kept the registry's changed words beside a curated criterion
  (``registry_text``), the edit takes them up as its text: the curator read both.

Each sets ``curated_by`` and ``curated_at`` on the criterion, passes the whole trial through
the one trial-file validator (`validate_trial`) before anything is written, then upserts it
and appends one audit row (`app.store.audit`) in the caller's transaction: both or neither.
The row's route is the command's (`CLI`) unless the caller names its own `Channel` (the
curation page: its route template, ``POST``, the principal's method, status 303).
A refusal raises `CurationError` (a stable type, and a message about our own trial data).

The library index follows the curation. When the criterion is the one ``applies_to`` names,
a rejection drops ``applies_to`` (the trial is then offered to every patient, the safe
side), and an edit keeps it only when the new rule is a ``primary_cancer`` rule with sites,
taking those sites; otherwise it is dropped too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy.orm import Session

from app.eligibility.language import (
    Applicability,
    Criterion,
    PrimaryCancerRule,
    Rule,
    Trial,
)
from app.eligibility.trial_file import TrialFileError, validate_trial
from app.store.audit import AuditEvent, insert_event
from app.store.live_library import read_stored
from app.store.repository import get_trial, upsert_trial

ROUTE = "trials curate"  # the audit row's "route": the command
OUTCOMES = {"accept": "curation.accepted", "reject": "curation.rejected", "edit": "curation.edited"}
REJECTED_NOTE = "The suggested reading was rejected by a person: the record cannot settle it."


@dataclass(frozen=True)
class Accept:
    name: ClassVar[str] = "accept"


@dataclass(frozen=True)
class Reject:
    name: ClassVar[str] = "reject"


@dataclass(frozen=True)
class Edit:
    rule: Rule
    name: ClassVar[str] = "edit"


Action = Accept | Reject | Edit


@dataclass(frozen=True)
class Channel:
    """Where a curation came from, for its audit row: the command (`CLI`), or a page's
    route template, request method, how the person signed in and the page's answer."""

    route: str
    method: str = "cli"
    auth_method: str = "cli"
    status: int = 0


CLI = Channel(ROUTE)


class CurationError(ValueError):
    """A curation refused; nothing was written. ``type`` is stable."""

    def __init__(self, type_: str, message: str) -> None:
        super().__init__(message)
        self.type = type_


@dataclass(frozen=True)
class Curated:
    trial: Trial
    before: Criterion
    after: Criterion
    audit_id: int


def _curated(
    criterion: Criterion, action: Action, by: str, at: datetime, note: str | None
) -> Criterion:
    """The criterion once curated. The note says why the rule reads the text as it does:
    the curator's `note` when given; else an accepted rule keeps its note, a rejected
    suggestion says it was rejected (a rejected text criterion keeps its note), and an
    edited rule has no note but the curator's (the old one explained another rule; the
    audit row keeps it)."""
    if isinstance(action, Accept):
        if criterion.encoding != "suggested":
            raise CurationError(
                "curation.not_suggested",
                f"{criterion.id} is {criterion.encoding}: only a suggested criterion can be "
                "accepted (use --edit to give it a rule)",
            )
        update: dict[str, Any] = {"note": note or criterion.note}
    elif isinstance(action, Reject):
        if criterion.encoding == "curated":
            raise CurationError(
                "curation.already_curated",
                f"{criterion.id} is already curated: use --edit to change its rule",
            )
        kept = criterion.note if criterion.encoding == "text" else REJECTED_NOTE
        update = {"rule": None, "review": True, "note": note or kept}
    else:
        update = {"rule": action.rule, "review": False, "note": note}
        if criterion.registry_text is not None:
            # The curator edits against the registry's current words (the page shows both).
            update |= {"text": criterion.registry_text, "registry_text": None}
    update |= {"encoding": "curated", "curated_by": by, "curated_at": at}
    return Criterion.model_validate(criterion.model_copy(update=update).model_dump())


def _applies_to(trial: Trial, after: Criterion) -> Applicability | None:
    """``applies_to`` once `after` replaces the criterion of the same id."""
    current = trial.applies_to
    if current is None or current.criterion != after.id:
        return current
    rule = after.rule
    if after.type == "inclusion" and isinstance(rule, PrimaryCancerRule) and rule.sites:
        return Applicability(cancer_sites=rule.sites, criterion=after.id)
    return None


def _state(criterion: Criterion) -> dict[str, Any]:
    return criterion.model_dump(mode="json", include={"encoding", "review", "rule", "note"})


def curate(
    session: Session,
    nct_id: str,
    criterion_id: str,
    action: Action,
    *,
    by: str,
    note: str | None = None,
    now: datetime | None = None,
    channel: Channel = CLI,
) -> Curated:
    """Curate one criterion of a stored trial, and append its audit row; raises
    CurationError (nothing written, if the caller's transaction ends with the error)."""
    started = time.monotonic()
    at = (now or datetime.now(UTC)).replace(microsecond=0)
    row = get_trial(session, nct_id)
    if row is None:
        raise CurationError("curation.trial_not_found", f"no trial {nct_id} in the store")
    stored = read_stored(row.document)
    if not isinstance(stored, Trial):
        raise CurationError(
            "curation.stored_invalid", f"the stored {nct_id} does not validate ({stored.message})"
        )
    before = next((c for c in stored.criteria if c.id == criterion_id), None)
    if before is None:
        ids = ", ".join(c.id for c in stored.criteria)
        raise CurationError(
            "curation.criterion_not_found", f"{nct_id} has no criterion {criterion_id} ({ids})"
        )
    after = _curated(before, action, by, at, note)
    candidate = stored.model_copy(
        update={
            "criteria": [after if c.id == criterion_id else c for c in stored.criteria],
            "applies_to": _applies_to(stored, after),
        }
    )
    try:
        trial = validate_trial(candidate)
    except TrialFileError as exc:
        found = "; ".join(f"{p.type}: {p.message} ({p.where})" for p in exc.problems)
        raise CurationError(
            "curation.invalid_trial", f"the curated trial is refused: {found}"
        ) from None
    upsert_trial(session, trial, source=row.source)
    audit_id = insert_event(
        session,
        AuditEvent(
            at=at,
            client_id=by,
            auth_method=channel.auth_method,
            method=channel.method,
            route=channel.route,
            patient_ref=None,
            status=channel.status,
            outcome=OUTCOMES[action.name],
            trials_returned=None,
            duration_ms=round((time.monotonic() - started) * 1000),
            trial_ref=nct_id,
            criterion_ref=criterion_id,
            change={"before": _state(before), "after": _state(after)},
        ),
    )
    return Curated(trial, before, after, audit_id)
