"""The match workflow over HTTP: record what happened to a patient's match to a trial, list
the trial's current statuses, and export them as CSV.

Example::

    POST /v1/trials/NCT06949098/workflow
    {"patient": "Patient/123", "status": "screened", "note": "Seen in clinic."}
    -> 201 {"id": 7, "trial": "NCT06949098", "patient": "Patient/123", "status": "screened",
            "status_label": "Screened", "note": "Seen in clinic.",
            "recorded_by": "apikey:coordinator", "recorded_at": "2026-12-02T07:30:00Z"}

    GET /v1/trials/NCT06949098/workflow?status=screened     who is in screening
    GET /v1/trials/NCT06949098/workflow.csv?status=screened the same, for a spreadsheet

Recording needs the scope ``trialmatch/workflow.write``; reading, which lists patients,
``trialmatch/patient.read``. Every request is audited (app/api/audit.py) with the trial as
``trial_ref``: a status recorded names its patient (``patient_ref``); a list or an export
names many patients, so its one row has no ``patient_ref`` (the trail says who read which
trial's list, and the events themselves say who was on it). The patient is always in the
body, never in a URL. An unknown trial is 404 ``trial.not_found``; a status the workflow
does not know is 422 ``request.enum``.

The CSV (`workflow_csv_response`, also the pages' download) has a header row and one row per
patient; a cell that a spreadsheet would run as a formula (starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return) is written with a leading apostrophe, so it
stays text.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from app.api.audit import AuditedRequest
from app.api.deps import SessionDep
from app.auth import GUARDED_RESPONSES, PatientReadPrincipal, Principal, Scope, require_scope
from app.errors import NotFound, documented_error
from app.store.workflow import (
    NOTE_MAX,
    PATIENT_REF,
    UnknownTrial,
    WorkflowEvent,
    WorkflowStatus,
    current_statuses,
    record_status,
    trial_exists,
)

router = APIRouter(prefix="/v1/trials", tags=["match workflow"], responses=GUARDED_RESPONSES)

WorkflowWritePrincipal = Annotated[Principal, Depends(require_scope(Scope.WORKFLOW_WRITE))]
CSV_COLUMNS = ("trial", "patient", "status", "status_label", "note", "recorded_by", "recorded_at")
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_EXPORT_PAGE = 1000

NctId = Annotated[
    str, Path(pattern=r"^NCT\d{8}$", description="The trial's NCT id.", examples=["NCT06949098"])
]


class WorkflowStatusIn(BaseModel):
    """A status to record for one patient's match to the trial."""

    model_config = ConfigDict(extra="forbid")

    patient: str = Field(
        pattern=f"^{PATIENT_REF.pattern}$",
        max_length=256,
        description="The patient, as a match names it (`patient` of a match response).",
        examples=["Patient/123"],
    )
    status: WorkflowStatus = Field(examples=["screened"])
    note: str | None = Field(
        default=None,
        max_length=NOTE_MAX,
        description="What happened, for the next person (blank: none).",
        examples=["Seen in clinic; consent visit booked."],
    )


class WorkflowEventOut(BaseModel):
    id: int = Field(examples=[7])
    trial: str = Field(examples=["NCT06949098"])
    patient: str = Field(examples=["Patient/123"])
    status: WorkflowStatus
    status_label: str = Field(description="The status in people's words.", examples=["Screened"])
    note: str | None
    recorded_by: str = Field(
        description="Client id of who recorded it.", examples=["apikey:coordinator"]
    )
    recorded_at: datetime = Field(description="When, in UTC.")


class WorkflowPaging(BaseModel):
    total: int = Field(description="Patients listed, on every page.", examples=[1])
    limit: int = Field(examples=[100])
    offset: int = Field(examples=[0])


class WorkflowList(BaseModel):
    items: list[WorkflowEventOut] = Field(
        description="Each patient's current status (the last recorded), newest first."
    )
    paging: WorkflowPaging


_EVENT_EXAMPLE = {
    "id": 7,
    "trial": "NCT06949098",
    "patient": "Patient/123",
    "status": "screened",
    "status_label": "Screened",
    "note": "Seen in clinic; consent visit booked.",
    "recorded_by": "apikey:coordinator",
    "recorded_at": "2026-12-02T07:30:00Z",
}
_CSV_EXAMPLE = (
    ",".join(CSV_COLUMNS) + "\r\n"
    "NCT06949098,Patient/123,screened,Screened,Seen in clinic.,apikey:coordinator,"
    "2026-12-02T07:30:00+00:00\r\n"
)
_TRIAL_NOT_FOUND = documented_error(
    404, "trial.not_found", "No trial has this id.", loc=["path", "nct_id"]
)
_NOT_READY = documented_error(
    503, "service.not_ready", "The service is starting; try again shortly."
)


def _json_example(status: int, example: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    return {status: {"content": {"application/json": {"example": example}}}}


def event_out(event: WorkflowEvent) -> WorkflowEventOut:
    return WorkflowEventOut(
        id=event.id,
        trial=event.nct_id,
        patient=event.patient_ref,
        status=event.status,
        status_label=event.status.label,
        note=event.note,
        recorded_by=event.recorded_by,
        recorded_at=event.recorded_at,
    )


def require_trial(session: Session, nct_id: str) -> None:
    if not trial_exists(session, nct_id):
        raise NotFound("trial.not_found", "No trial has this id.", loc=["path", "nct_id"])


def spreadsheet_safe(cell: str) -> str:
    """`cell`, with a leading apostrophe when a spreadsheet would read it as a formula."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def workflow_csv(session: Session, nct_id: str, status: WorkflowStatus | None) -> str:
    """Every current status of the trial (of `status`, when given) as CSV, header first."""
    out = io.StringIO()
    writer = csv.writer(out)  # RFC 4180: CRLF, quotes around commas, quotes, new lines
    writer.writerow(CSV_COLUMNS)
    offset = 0
    while True:
        page = current_statuses(session, nct_id, status, limit=_EXPORT_PAGE, offset=offset)
        for event in page.items:
            cells = (
                event.nct_id,
                event.patient_ref,
                event.status.value,
                event.status.label,
                event.note or "",
                event.recorded_by,
                event.recorded_at.isoformat(),
            )
            writer.writerow([spreadsheet_safe(cell) for cell in cells])
        offset += len(page.items)
        if not page.items or offset >= page.total:
            return out.getvalue()


def workflow_csv_response(session: Session, nct_id: str, status: WorkflowStatus | None) -> Response:
    """The download, as the API and the pages answer it (the trial is known to exist)."""
    name = f"{nct_id}-workflow{'-' + status.value if status else ''}.csv"
    return Response(
        workflow_csv(session, nct_id, status),
        media_type=CSV_MEDIA_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post(
    "/{nct_id}/workflow",
    status_code=201,
    response_model=WorkflowEventOut,
    summary="Record what happened to a patient's match to the trial",
    responses=_json_example(201, _EVENT_EXAMPLE)
    | _TRIAL_NOT_FOUND
    | _NOT_READY
    | documented_error(
        422, "request.enum", "Input should be 'new', 'under_review', ...", loc=["body", "status"]
    ),
)
def record_workflow_status(
    principal: WorkflowWritePrincipal,
    audit: AuditedRequest,
    session: SessionDep,
    nct_id: NctId,
    body: WorkflowStatusIn,
) -> WorkflowEventOut:
    audit.set_trial(nct_id)
    audit.set_patient(body.patient)
    try:
        event = record_status(
            session,
            nct_id=nct_id,
            patient_ref=body.patient,
            status=body.status,
            note=body.note,
            recorded_by=principal.client_id,
        )
    except UnknownTrial:
        raise NotFound("trial.not_found", "No trial has this id.", loc=["path", "nct_id"]) from None
    session.commit()
    return event_out(event)


StatusFilter = Annotated[
    WorkflowStatus | None,
    Query(description="Only the patients whose current status this is.", examples=["screened"]),
]
_BAD_STATUS = documented_error(
    422, "request.enum", "Input should be 'new', 'under_review', ...", loc=["query", "status"]
)


@router.get(
    "/{nct_id}/workflow",
    response_model=WorkflowList,
    summary="Each patient's current status on the trial",
    description="The last status recorded for each patient, newest first; "
    "`status=screened` answers who is in screening.",
    responses=_json_example(
        200, {"items": [_EVENT_EXAMPLE], "paging": {"total": 1, "limit": 100, "offset": 0}}
    )
    | _TRIAL_NOT_FOUND
    | _NOT_READY
    | _BAD_STATUS,
)
def list_workflow_statuses(
    principal: PatientReadPrincipal,
    audit: AuditedRequest,
    session: SessionDep,
    nct_id: NctId,
    status: StatusFilter = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Page size.")] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000, description="Patients to skip.")] = 0,
) -> WorkflowList:
    audit.set_trial(nct_id)
    require_trial(session, nct_id)
    page = current_statuses(session, nct_id, status, limit=limit, offset=offset)
    return WorkflowList(
        items=[event_out(event) for event in page.items],
        paging=WorkflowPaging(total=page.total, limit=page.limit, offset=page.offset),
    )


@router.get(
    "/{nct_id}/workflow.csv",
    response_class=Response,
    summary="The trial's current statuses as CSV",
    description="The same rows as the list, every page, for a spreadsheet: "
    f"columns {', '.join(CSV_COLUMNS)}; a cell a spreadsheet would run as a formula is "
    "written with a leading apostrophe.",
    responses={
        200: {
            "description": "An attachment, `<nct_id>-workflow[-<status>].csv`.",
            "content": {"text/csv": {"schema": {"type": "string"}, "example": _CSV_EXAMPLE}},
        }
    }
    | _TRIAL_NOT_FOUND
    | _NOT_READY
    | _BAD_STATUS,
)
def export_workflow_statuses(
    principal: PatientReadPrincipal,
    audit: AuditedRequest,
    session: SessionDep,
    nct_id: NctId,
    status: StatusFilter = None,
) -> Response:
    audit.set_trial(nct_id)
    require_trial(session, nct_id)
    return workflow_csv_response(session, nct_id, status)
