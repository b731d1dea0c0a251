"""The trial library pages: ``GET /ui/trials`` (a searchable list) and ``GET /ui/trials/{nct}``.

Example::

    GET /ui/trials?condition=rectal&status=RECRUITING&phase=Phase+2
    -> text/html: a table of the matching trials (NCT id, title, status, phase, encodings)

    GET /ui/trials/NCT06949098
    -> text/html: the trial's metadata, sites, and every criterion with its verbatim text,
       encoding, rule (as the trial file's YAML), note and curator

Read-only, no patient data. The pages read what ``/v1/trials`` reads (`list_trials`,
`get_trial`, `trial_summary`, `trial_detail`): one code path. Every route of `router` needs
the scope ``trialmatch/trials.read``, as the API's do (app/ui/access.py); `assets` serves
the style sheet, which holds nothing of the library, unguarded. An unknown or malformed NCT
id answers an HTML 404 that names the id only when it has the NCT form (and then escaped,
as every value is).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, get_args
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from app.api.deps import SessionDep
from app.api.trials import trial_detail, trial_summary
from app.eligibility.language import RecruitmentStatus
from app.eligibility.rule_yaml import rule_yaml
from app.store.repository import get_trial, library_phases, list_trials
from app.ui.access import TrialsReadUiPrincipal
from app.ui.pages import render

_HERE = Path(__file__).parent
STYLESHEET = _HERE / "static" / "trialmatch.css"
PAGE_SIZE = 50
NCT_ID = re.compile(r"NCT\d{8}")
STATUSES: tuple[str, ...] = get_args(RecruitmentStatus)

router = APIRouter(prefix="/ui/trials", include_in_schema=False)
assets = APIRouter(prefix="/ui/static", include_in_schema=False)


@assets.get("/trialmatch.css")
def stylesheet() -> Response:
    return Response(STYLESHEET.read_text(encoding="utf-8"), media_type="text/css")


def _blank_is_none(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


@router.get("", response_class=HTMLResponse)
def trial_list_page(
    request: Request,
    principal: TrialsReadUiPrincipal,
    session: SessionDep,
    condition: Annotated[str | None, Query(max_length=200)] = None,
    status: Annotated[str | None, Query(max_length=40)] = None,
    phase: Annotated[str | None, Query(max_length=100)] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> HTMLResponse:
    condition, status, phase = (_blank_is_none(v) for v in (condition, status, phase))
    filters = {"condition": condition, "status": status, "phase": phase}
    context: dict[str, Any] = {
        "filters": filters,
        "statuses": STATUSES,
        "phases": library_phases(session),
        "error": None,
    }
    if status is not None and status not in STATUSES:
        # A hand-made URL: say so on the page rather than list every trial.
        context |= {"error": "Unknown recruitment status.", "trials": [], "total": 0}
        return render(request, "trials.html", context, status_code=422)
    page = list_trials(
        session,
        condition=condition,
        statuses=[status] if status else (),
        phases=[phase] if phase else (),
        limit=PAGE_SIZE,
        offset=offset,
    )
    kept = {name: value for name, value in filters.items() if value is not None}

    def link(to: int) -> str:
        return "?" + urlencode(kept | {"offset": to})

    context |= {
        "trials": [trial_summary(row) for row in page.items],
        "total": page.total,
        "first": offset + 1,
        "last": offset + len(page.items),
        "previous": link(max(offset - PAGE_SIZE, 0)) if offset > 0 else None,
        "next": link(offset + PAGE_SIZE) if offset + PAGE_SIZE < page.total else None,
    }
    return render(request, "trials.html", context)


@router.get("/{nct_id}", response_class=HTMLResponse)
def trial_page(
    request: Request,
    principal: TrialsReadUiPrincipal,
    session: SessionDep,
    nct_id: str,
) -> HTMLResponse:
    row = get_trial(session, nct_id) if NCT_ID.fullmatch(nct_id) else None
    if row is None:
        shown = nct_id if NCT_ID.fullmatch(nct_id) else None
        return render(request, "not_found.html", {"nct_id": shown}, status_code=404)
    detail = trial_detail(row)
    # Note and curator live in the stored document; the API's model does not carry them.
    stored = {
        c.get("id"): c
        for c in (row.document.get("criteria", []) if isinstance(row.document, dict) else [])
    }
    criteria = [
        {
            "criterion": criterion,
            "rule_yaml": None if criterion.rule is None else rule_yaml(criterion.rule),
            "note": stored.get(criterion.id, {}).get("note"),
            "curated_by": stored.get(criterion.id, {}).get("curated_by"),
            "curated_at": stored.get(criterion.id, {}).get("curated_at"),
        }
        for criterion in detail.criteria
    ]
    return render(request, "trial.html", {"trial": detail, "criteria": criteria})
