"""The match workflow pages: who is where on one trial, and a form to record what happened.

Example::

    GET  /ui/trials/NCT06949098/workflow?status=screened
    -> text/html: each patient's current status (patient, status, note, by, when), a status
       filter, a "Download CSV" link, and per patient a form to record the next status

    POST /ui/trials/NCT06949098/workflow    patient=Patient/123&status=contacted&note=...
    -> 303 to /ui/trials/NCT06949098/workflow?recorded=1 (never a patient in the URL)

    GET  /ui/trials/NCT06949098/workflow.csv?status=screened   the API's own CSV

The form is the partial ``_workflow_form.html`` (with ``trial_id`` and ``patient_ref``), which
other pages (the match report) include per trial. The pages read and write through the same
functions as ``/v1/trials/{nct_id}/workflow`` (app/api/workflow.py, app/store/workflow.py) and
need the same scopes: ``trialmatch/patient.read`` to see the list (it names patients),
``trialmatch/workflow.write`` to record. Every request is audited like the API's; the status
filter is not patient data, so it may sit in the URL.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from app.api.audit import AuditedRequest, RequestAudit
from app.api.deps import SessionDep
from app.api.workflow import event_out, workflow_csv_response
from app.errors import InvalidInput, NotFound
from app.store.models import TrialRow
from app.store.repository import get_trial
from app.store.workflow import (
    NOTE_MAX,
    PATIENT_REF,
    UnknownTrial,
    WorkflowStatus,
    current_statuses,
    record_status,
)
from app.ui.access import CsrfChecked, PatientReadUiPrincipal, WorkflowUiPrincipal
from app.ui.pages import redirect, render, templates
from app.ui.routes import NCT_ID

PAGE_SIZE = 100

router = APIRouter(prefix="/ui/trials", include_in_schema=False)

# For _workflow_form.html wherever it is included (the match report too): the choices are
# the store's statuses, in their order, with people's labels.
templates.env.globals["workflow_statuses"] = [(s.value, s.label) for s in WorkflowStatus]


def _trial(session: Session, audit: RequestAudit, nct_id: str) -> TrialRow:
    """The trial the page is about (named in the audit row), or a 404 page."""
    row = get_trial(session, nct_id) if NCT_ID.fullmatch(nct_id) else None
    if row is None:
        raise NotFound("trial.not_found", "No trial has this id.", loc=["path", "nct_id"])
    audit.set_trial(nct_id)
    return row


def _status_filter(value: str | None) -> WorkflowStatus | None:
    # The form's "Any" sends an empty value; anything else must be one of the statuses.
    if value is None or not value.strip():
        return None
    try:
        return WorkflowStatus(value.strip())
    except ValueError:
        raise InvalidInput(
            "request.enum", "Unknown workflow status.", loc=["query", "status"]
        ) from None


StatusQuery = Annotated[str | None, Query(max_length=40)]


@router.get("/{nct_id}/workflow", response_class=HTMLResponse)
def workflow_page(
    request: Request,
    principal: PatientReadUiPrincipal,
    audit: AuditedRequest,
    session: SessionDep,
    nct_id: str,
    status: StatusQuery = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    recorded: Annotated[bool, Query()] = False,
) -> HTMLResponse:
    trial = _trial(session, audit, nct_id)
    selected = _status_filter(status)
    page = current_statuses(session, nct_id, selected, limit=PAGE_SIZE, offset=offset)
    kept = {"status": selected.value} if selected else {}

    def link(to: int) -> str:
        return "?" + urlencode(kept | {"offset": to})

    context: dict[str, Any] = {
        "trial": {"nct_id": trial.nct_id, "title": trial.title},
        "selected": selected,
        "items": [event_out(event) for event in page.items],
        "total": page.total,
        "first": offset + 1,
        "last": offset + len(page.items),
        "previous": link(max(offset - PAGE_SIZE, 0)) if offset > 0 else None,
        "next": link(offset + PAGE_SIZE) if offset + PAGE_SIZE < page.total else None,
        "csv_link": f"/ui/trials/{nct_id}/workflow.csv" + ("?" + urlencode(kept) if kept else ""),
        "recorded": recorded,
    }
    return render(request, "workflow.html", context)


@router.get("/{nct_id}/workflow.csv")
def workflow_download(
    principal: PatientReadUiPrincipal,
    audit: AuditedRequest,
    session: SessionDep,
    nct_id: str,
    status: StatusQuery = None,
) -> Response:
    _trial(session, audit, nct_id)
    return workflow_csv_response(session, nct_id, _status_filter(status))


# status_code: what the audit row records (it cannot see the returned redirect's own).
@router.post("/{nct_id}/workflow", status_code=303, dependencies=[CsrfChecked])
def record_from_page(
    request: Request,
    principal: WorkflowUiPrincipal,
    audit: AuditedRequest,
    session: SessionDep,
    nct_id: str,
    patient: Annotated[str, Form(max_length=256, pattern=f"^{PATIENT_REF.pattern}$")],
    status: Annotated[WorkflowStatus, Form()],
    note: Annotated[str, Form(max_length=NOTE_MAX)] = "",
) -> Response:
    audit.set_patient(patient)
    _trial(session, audit, nct_id)
    try:
        record_status(
            session,
            nct_id=nct_id,
            patient_ref=patient,
            status=status,
            note=note,
            recorded_by=principal.client_id,
        )
    except UnknownTrial:  # withdrawn since the check above
        raise NotFound("trial.not_found", "No trial has this id.", loc=["path", "nct_id"]) from None
    session.commit()
    # Back to the list, which shows the new status first; the patient stays out of the URL.
    return redirect(request, f"/ui/trials/{nct_id}/workflow?recorded=1")
