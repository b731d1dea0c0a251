"""The curation pages: a person accepts, rejects or edits what the registry import drafted.

Example::

    GET  /ui/trials/NCT03377387/curate
    -> text/html: the trial's encoding counts, then every criterion: the registry's verbatim
       text beside the suggested rule (YAML), its encoding, note and curator, and three
       forms: Accept, Reject, Edit (a textarea holding the rule's YAML)

    POST /ui/trials/NCT03377387/criteria/inc-0.b/curation   action=accept&csrf_token=...
    -> 303 to /ui/trials/NCT03377387/curate#criterion-inc-0.b (the counts updated)

Both need the scope ``trialmatch/trials.curate`` (the page is the forms); the POST also its
CSRF token. A curation goes through the one code path the command uses,
`app.store.curation.curate`: the trial-file validator, then the trial and its audit row in
one transaction, attributed to the principal's client id, the row's route the POST's route
template. A refusal (a `CurationError`, or a rule whose YAML does not parse or validate)
writes nothing and shows the page again with the stable type and our message beside the
criterion, the typed rule kept in its form (409 for an action the criterion's encoding does
not allow, 422 for a bad rule, 404 for an unknown trial or criterion).

A criterion whose registry text changed after a person curated it (a re-import keeps the
new words as ``registry_text``, app/registry/reimport.py) is highlighted with both texts.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.exc import SQLAlchemyError

from app.api.deps import SessionDep
from app.api.route_template import route_template
from app.api.trials import trial_summary
from app.eligibility.language import Trial
from app.eligibility.rule_yaml import rule_yaml
from app.eligibility.trial_file import TrialFileError, parse_rule
from app.store.curation import Accept, Action, Channel, CurationError, Edit, Reject, curate
from app.store.live_library import read_stored
from app.store.models import TrialRow
from app.store.repository import get_trial
from app.ui.access import CsrfChecked, CurateUiPrincipal, store_sessions
from app.ui.pages import error_page, redirect, render
from app.ui.routes import NCT_ID

router = APIRouter(prefix="/ui/trials", include_in_schema=False)

CRITERION_ID = re.compile(r"(inc|exc)-\d+(\.[a-z])?")
RULE_MAX = 20_000
NOTE_MAX = 2_000
NOT_FOUND = {"curation.trial_not_found", "curation.criterion_not_found"}
BAD_INPUT = {"curation.invalid_trial", "curation.invalid_rule", "curation.unknown_action"}


def curate_path(nct_id: str) -> str:
    return f"/ui/trials/{nct_id}/curate"


def _status(error_type: str) -> int:
    if error_type in NOT_FOUND:
        return 404
    return 422 if error_type in BAD_INPUT else 409


def _stored(row: TrialRow) -> Trial | None:
    stored = read_stored(row.document)
    return stored if isinstance(stored, Trial) else None


def _page(
    request: Request,
    row: TrialRow,
    trial: Trial,
    *,
    refused: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The curation page; `refused` (criterion, type, message, typed rule) shows a refusal
    beside its criterion."""
    # The rule as the trial file holds it: the stored document's (as the trial page shows).
    rules = {
        c.get("id"): c.get("rule")
        for c in (row.document.get("criteria", []) if isinstance(row.document, dict) else [])
    }
    criteria = [
        {
            "criterion": c,
            "anchor": f"criterion-{c.id}",
            "rule_yaml": None if rules.get(c.id) is None else rule_yaml(rules[c.id]),
            "action": f"/ui/trials/{trial.nct_id}/criteria/{c.id}/curation",
            "refused": refused if refused and refused["criterion"] == c.id else None,
        }
        for c in trial.criteria
    ]
    context = {
        "trial": trial,
        "encodings": trial_summary(row).encodings,
        "criteria": criteria,
        "changed": [c for c in trial.criteria if c.registry_text is not None],
    }
    return render(request, "curate.html", context, status_code=status_code)


@router.get("/{nct_id}/curate", response_class=HTMLResponse)
def curate_page(
    request: Request, principal: CurateUiPrincipal, session: SessionDep, nct_id: str
) -> HTMLResponse:
    row = get_trial(session, nct_id) if NCT_ID.fullmatch(nct_id) else None
    if row is None:
        shown = nct_id if NCT_ID.fullmatch(nct_id) else None
        return render(request, "not_found.html", {"nct_id": shown}, status_code=404)
    trial = _stored(row)
    if trial is None:
        return error_page(
            request, 409, "curation.stored_invalid", "The stored trial does not validate."
        )
    return _page(request, row, trial)


def _action(action: str, rule: str) -> Action:
    if action == "accept":
        return Accept()
    if action == "reject":
        return Reject()
    if action != "edit":
        raise CurationError("curation.unknown_action", "Choose accept, reject or edit.")
    if not rule.strip():
        raise CurationError("curation.invalid_rule", "Give the rule as YAML to edit it.")
    try:
        return Edit(parse_rule(rule, Path("rule")))
    except TrialFileError as exc:
        # Our own words on the curator's rule (line, type, message): no patient data.
        found = "; ".join(
            f"line {p.line}: {p.type}: {p.message}" if p.line else f"{p.type}: {p.message}"
            for p in exc.problems
        )
        raise CurationError("curation.invalid_rule", f"The rule is refused: {found}") from None


@router.post("/{nct_id}/criteria/{criterion_id}/curation", dependencies=[CsrfChecked])
def curation(
    request: Request,
    principal: CurateUiPrincipal,
    nct_id: str,
    criterion_id: str,
    action: Annotated[str, Form(max_length=10)],
    rule: Annotated[str, Form(max_length=RULE_MAX)] = "",
    note: Annotated[str, Form(max_length=NOTE_MAX)] = "",
) -> Response:
    if not NCT_ID.fullmatch(nct_id) or not CRITERION_ID.fullmatch(criterion_id):
        return error_page(request, 404, "curation.criterion_not_found", "No such criterion.")
    sessions = store_sessions(request)
    channel = Channel(
        route=route_template(request) or "/ui/trials/{nct_id}/criteria/{criterion_id}/curation",
        method="POST",
        auth_method=principal.method,
        status=303,
    )
    try:
        chosen = _action(action, rule)
        with sessions.begin() as session:  # the trial and its audit row, or neither
            curate(
                session,
                nct_id,
                criterion_id,
                chosen,
                by=principal.client_id,
                note=note.strip() or None,
                channel=channel,
            )
    except CurationError as exc:
        return _refused(request, nct_id, criterion_id, exc, rule)
    except SQLAlchemyError:
        return error_page(request, 503, "store.write_failed", "The store refused the write.")
    return redirect(request, f"{curate_path(nct_id)}#criterion-{criterion_id}")


def _refused(
    request: Request, nct_id: str, criterion_id: str, exc: CurationError, rule: str
) -> Response:
    status = _status(exc.type)
    with store_sessions(request)() as session:
        row = get_trial(session, nct_id)
        trial = None if row is None else _stored(row)
        if row is None or trial is None or exc.type in NOT_FOUND:
            return error_page(request, status, exc.type, str(exc))
        refused = {"criterion": criterion_id, "type": exc.type, "message": str(exc), "rule": rule}
        return _page(request, row, trial, refused=refused, status_code=status)
