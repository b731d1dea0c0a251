"""The service's one error body as an R4 OperationOutcome, on the FHIR paths.

Every refusal on ``/fhir/*`` and ``/getClinicalTrial`` (from a route, the auth gate, the
body limits, the rate limiter) is first written as ``{"detail": [{type, msg, loc}]}``;
`OperationOutcomeErrors`, the outermost middleware, rewrites such a response as::

    {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "invalid",
     "details": {"coding": [{"system": "urn:trialmatch:issue-type",
                             "code": "bundle.no_patient"}], "text": "..."},
     "diagnostics": "loc: body"}]}

so the stable error ``type`` is ``issue.details.coding[0].code`` and ``issue.code`` the FHIR
issue type of the HTTP status. Status and headers (``WWW-Authenticate``, ``Retry-After``)
are kept. Installed by `app.main.create_app`::

    app.add_middleware(OperationOutcomeErrors)
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.fhir_api.canonical import ERROR_SYSTEM, FHIR_JSON, FHIR_PATH

FhirJson = dict[str, Any]

# Paths whose errors are FHIR resources: our FHIR base, and MITRE's route.
FHIR_PREFIXES = (FHIR_PATH + "/", "/getClinicalTrial")
# The FHIR issue type (R4 issue-type value set) of each HTTP status we answer.
ISSUE_TYPES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    408: "timeout",
    413: "too-costly",
    415: "not-supported",
    422: "invalid",
    429: "throttled",
    499: "incomplete",
    500: "exception",
    502: "transient",
    503: "transient",
    504: "timeout",
}
# Stable error types that are the document's structure rather than its content.
STRUCTURE_TYPES = frozenset({"request.json_invalid", "request.too_deep", "bundle.invalid"})


def operation_outcome(status: int, details: list[dict[str, Any]]) -> FhirJson:
    issues = []
    for detail in details:
        kind = str(detail.get("type", "internal.error"))
        issue: FhirJson = {
            "severity": "error" if status < 500 else "fatal",
            "code": "structure"
            if kind in STRUCTURE_TYPES
            else ISSUE_TYPES.get(status, "processing"),
            "details": {
                "coding": [{"system": ERROR_SYSTEM, "code": kind}],
                "text": str(detail.get("msg", "")),
            },
        }
        loc = detail.get("loc")
        if isinstance(loc, list) and loc:
            # Where in the request, as our error body names it: not FHIRPath, so not
            # `expression`.
            issue["diagnostics"] = "loc: " + ".".join(str(part) for part in loc)
        issues.append(issue)
    if not issues:
        issues.append({"severity": "error", "code": ISSUE_TYPES.get(status, "processing")})
    return {"resourceType": "OperationOutcome", "issue": issues}


def _fhir_path(scope: Scope) -> bool:
    path = str(scope.get("path", ""))
    return path == FHIR_PATH or path.startswith(FHIR_PREFIXES)


class OperationOutcomeErrors:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _fhir_path(scope):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def rewriting(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                is_error_body = message["status"] >= 400 and headers.get(
                    "content-type", ""
                ).startswith("application/json")
                if not is_error_body:
                    await send(message)
                    return
                start = message
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            await _send_outcome(start, b"".join(chunks), send)

        await self.app(scope, receive, rewriting)


async def _send_outcome(start: Message, body: bytes, send: Send) -> None:
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        parsed = None
    details = parsed.get("detail") if isinstance(parsed, dict) else None
    if isinstance(details, list):
        outcome = operation_outcome(start["status"], [d for d in details if isinstance(d, dict)])
        body = orjson.dumps(outcome)
        headers = MutableHeaders(scope=start)
        headers["content-type"] = FHIR_JSON
        headers["content-length"] = str(len(body))
    await send(start)
    await send({"type": "http.response.body", "body": body, "more_body": False})
