"""The API's refusals, as pages: what a person at a browser sees instead of JSON.

    ui_api_error(request, ApiError("bundle.no_patient", "The Bundle holds no Patient."))
    # -> an HTML page: "Unprocessable Content", the message, "Error type bundle.no_patient"

A `UiRefusal` asking for sign-in on a GET becomes a 303 to the sign-in page, which comes back
to the same page afterwards. A form whose fields fail validation names the fields, never
what was typed in them (it may be patient data).
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi.exceptions import RequestValidationError
from starlette.requests import Request
from starlette.responses import Response

from app.errors import ApiError
from app.ui.access import LOGIN_PATH, UiRefusal
from app.ui.pages import error_page, redirect


def ui_api_error(request: Request, exc: ApiError) -> Response:
    if isinstance(exc, UiRefusal) and exc.sign_in:
        # The path only: our pages hold no patient data in their paths, and the query
        # (a search) is not needed to come back.
        return redirect(request, f"{LOGIN_PATH}?{urlencode({'next': request.url.path})}")
    detail = exc.details[0]
    return error_page(request, exc.status_code, detail.type, detail.msg, exc.headers)


def ui_validation_error(request: Request, exc: RequestValidationError) -> Response:
    fields = sorted(
        {str(err["loc"][-1]) for err in exc.errors() if err.get("loc") and len(err["loc"]) > 1}
    )
    first = exc.errors()[0].get("type", "invalid") if exc.errors() else "invalid"
    named = ", ".join(fields) if fields else "the request"
    return error_page(request, 422, f"request.{first}", f"Check these fields: {named}.")
