"""Pull one patient's record from the EHR's FHIR R4 server, as a `PatientRecord`.

One shared ``httpx.AsyncClient`` (opened and closed by the caller, e.g. the app lifespan)
carries every request. `FhirClient.fetch_record` reads ``Patient/{id}``, then searches
Condition, Observation, DiagnosticReport, Procedure, MedicationRequest, MedicationStatement
and MedicationAdministration by patient, concurrently, and follows each search's
``Bundle.link[next]`` to the end, only within the base URL's origin. The medication
searches ask for the Medication each names (``_include=<type>:medication``); one the server
did not include is read by its id (``Medication/{id}``; one the server does not have stays
out, and the normalizer warns that the drug is unclassified). Example::

    async with httpx.AsyncClient() as http:
        client = FhirClient(http, "https://ehr.example.org/fhir", auth=NoAuth())
        record = await client.fetch_record(
            "123",
            observation_codes=["http://loinc.org|2039-6"],
            observation_categories=["laboratory"],
        )

Many EHRs refuse an Observation search without ``code`` or ``category``: name what the
trial library needs. Codes and categories are separate searches (a server would AND them),
merged without duplicates. With neither, one unrestricted Observation search is made.

A record is whole or it is an error: never a silently partial record. Every error is an
`app.errors.ApiError` whose message carries neither patient data nor exception text::

    InvalidInput   422 patient.invalid_id        not a FHIR id; no URL is built from it
    NotFound       404 patient.not_found         the EHR has no such Patient (404 / 410)
    UpstreamError  502 fhir.unavailable          unreachable, 5xx after retries, malformed answer,
                                                 or a 404 saying Patient is not served there
                   502 fhir.unauthorized         401 / 403, or the token endpoint said no
                   502 fhir.operation_outcome    the server refused with an OperationOutcome
                   502 fhir.foreign_next_link    a next link leaves the base URL's origin
                   502 fhir.paging_loop          a next link repeats an earlier page
                   502 fhir.too_many_pages       more pages than ``max_pages`` per patient
                   502 fhir.too_many_resources   more resources than ``max_resources``
                   504 fhir.timeout              a read timed out, or the total deadline passed

Requests answered 429/502/503/504 (and connections that fail) are retried with
exponential backoff, honouring ``Retry-After`` up to ``retry_after_max`` seconds; a
server asking for a longer wait is not waited for. The EHR's ``Retry-After`` is passed on:
a 502 made from an answer that carried one, and any 502 / 504 of a pull during which the
EHR sent one, carry it as ``Retry-After: <seconds>`` (an HTTP date becomes seconds from
now; at most a day), so the caller waits as long as the EHR asked.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import orjson

from app.config import Settings
from app.data_quality import DataQualityWarning
from app.errors import ApiError, InvalidInput, NotFound, UpstreamError
from app.fhir.record import FHIR_ID, READ_TYPES, SUBJECTLESS_TYPES, FhirJson, PatientRecord
from app.fhir.smart import Auth, NoAuth, auth_from_settings

log = logging.getLogger("trialmatch.fhir")
# httpx logs every request URL at INFO, and ours carry patient ids (Patient/123,
# ?patient=123): keep httpx and httpcore to warnings whatever the root level is.
for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).setLevel(logging.WARNING)

RETRY_STATUSES = frozenset({429, 502, 503, 504})
FHIR_JSON = "application/fhir+json"
# Issue codes come from a fixed FHIR value set, so they are safe to name in a message;
# `diagnostics` and `details.text` are free text and may hold patient data: never shown.
ISSUE_CODE = re.compile(r"[a-z][a-z-]{0,39}")
# The searches that name a Medication by reference, and the reference that names one here.
MEDICATION_SEARCHES = ("MedicationRequest", "MedicationStatement", "MedicationAdministration")
MEDICATION_REFERENCE = re.compile(r"(?:^|/)Medication/([A-Za-z0-9.\-]{1,64})$")


@dataclass(frozen=True)
class ClientOptions:
    """Limits of the FHIR client; `from_settings` reads them from `Settings`."""

    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    total_timeout: float = 30.0  # one fetch_record, retries included
    retries: int = 2
    retry_after_max: float = 10.0
    backoff_base: float = 0.25
    page_size: int = 100
    max_pages: int = 50
    max_resources: int = 5000
    codes_per_search: int = 40  # keeps search URLs well under common 8 KB limits

    @classmethod
    def from_settings(cls, settings: Settings) -> ClientOptions:
        return cls(
            connect_timeout=settings.fhir_connect_timeout,
            read_timeout=settings.fhir_read_timeout,
            total_timeout=settings.fhir_total_timeout,
            retries=settings.fhir_retries,
            retry_after_max=settings.fhir_retry_after_max,
            page_size=settings.fhir_page_size,
            max_pages=settings.fhir_max_pages,
            max_resources=settings.fhir_max_resources,
        )


@dataclass(frozen=True)
class SearchTiming:
    """How long one read or one search (all its pages) took; for logs and benchmarks."""

    resource_type: str
    pages: int
    resources: int
    seconds: float


@dataclass
class _Pull:
    """Counters shared by the concurrent searches of one fetch_record."""

    pages: int = 0
    resources: int = 0
    timings: list[SearchTiming] = field(default_factory=list)
    warnings: list[DataQualityWarning] = field(default_factory=list)
    included: dict[str, FhirJson] = field(default_factory=dict)  # Medication id -> resource
    retry_after: float | None = None  # the latest Retry-After the EHR sent, in seconds


RETRY_AFTER_MAX_PASSED_ON = 86_400.0  # a day: longer is not a wait anyone should be told


def _retry_after_header(seconds: float | None) -> dict[str, str] | None:
    if seconds is None:
        return None
    return {"Retry-After": str(math.ceil(min(seconds, RETRY_AFTER_MAX_PASSED_ON)))}


def _unavailable(msg: str, retry_after: float | None = None) -> UpstreamError:
    return UpstreamError("fhir.unavailable", msg, headers=_retry_after_header(retry_after))


def _timeout(retry_after: float | None = None) -> UpstreamError:
    return UpstreamError(
        "fhir.timeout",
        "The EHR's FHIR server did not answer in time.",
        status_code=504,
        headers=_retry_after_header(retry_after),
    )


def _unauthorized() -> UpstreamError:
    return UpstreamError("fhir.unauthorized", "The EHR's FHIR server rejected our credentials.")


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return (parts.scheme.lower(), (parts.hostname or "").lower(), parts.port or default)


def _escape_token(token: str) -> str:
    # A comma separates OR-ed values in a FHIR search; one inside a value is escaped.
    return token.replace("\\", "\\\\").replace(",", "\\,")


class FhirClient:
    """Reads patients from one FHIR R4 server over a caller-owned `httpx.AsyncClient`."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        *,
        auth: Auth | None = None,
        options: ClientOptions | None = None,
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        if urlsplit(self._base).scheme not in ("http", "https"):
            raise ValueError("FHIR base URL must be http(s)")
        self._origin = _origin(self._base)
        self._auth: Auth = auth or NoAuth()
        self._options = options or ClientOptions()
        o = self._options
        self._timeout = httpx.Timeout(o.read_timeout, connect=o.connect_timeout)

    @classmethod
    def from_settings(cls, http: httpx.AsyncClient, settings: Settings) -> FhirClient:
        if settings.fhir_base_url is None:
            raise ValueError("TRIALMATCH_FHIR_BASE_URL is not set")
        return cls(
            http,
            settings.fhir_base_url,
            auth=auth_from_settings(settings),
            options=ClientOptions.from_settings(settings),
        )

    async def fetch_record(
        self,
        patient_id: str,
        *,
        observation_codes: Sequence[str] = (),
        observation_categories: Sequence[str] = (),
        timings: list[SearchTiming] | None = None,
    ) -> PatientRecord:
        """The patient's record; `timings`, if given, receives one entry per read or search."""
        if not FHIR_ID.fullmatch(patient_id):
            raise InvalidInput(
                "patient.invalid_id",
                "A patient id is 1-64 letters, digits, '-' or '.'.",
                loc=["path", "patient_id"],
            )
        pull = _Pull()
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._options.total_timeout):
                record = await self._fetch(
                    patient_id, observation_codes, observation_categories, pull
                )
        except TimeoutError:
            log.warning("FHIR pull failed: fhir.timeout (total deadline)")
            raise _timeout(pull.retry_after) from None
        except ApiError as error:
            log.warning("FHIR pull failed: %s", error.details[0].type)
            raise
        finally:
            if timings is not None:
                timings.extend(pull.timings)
        log.info(
            "FHIR pull: %d searches, %d pages, %d resources in %.0f ms",
            len(pull.timings) - 1,
            pull.pages,
            pull.resources,
            (time.perf_counter() - started) * 1000,
        )
        return record

    async def _fetch(
        self,
        patient_id: str,
        codes: Sequence[str],
        categories: Sequence[str],
        pull: _Pull,
    ) -> PatientRecord:
        patient = await self._read_patient(patient_id, pull)
        searches = self._searches(patient_id, codes, categories)
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [
                    (rtype, group.create_task(self._search(rtype, params, patient_id, pull)))
                    for rtype, params in searches
                ]
        except BaseExceptionGroup as errors:
            raise _first_error(errors) from None
        resources: dict[str, list[FhirJson]] = {rtype: [] for rtype in READ_TYPES}
        seen: set[tuple[str, str]] = set()
        for rtype, task in tasks:
            for resource in task.result():
                key = (rtype, str(resource.get("id")))
                if resource.get("id") is not None and key in seen:
                    continue  # Observation found by both its code and its category
                seen.add(key)
                resources[rtype].append(resource)
        resources["Medication"] = await self._medications(resources, pull)
        return PatientRecord(patient=patient, resources=resources, warnings=pull.warnings)

    async def _medications(
        self, resources: dict[str, list[FhirJson]], pull: _Pull
    ) -> list[FhirJson]:
        """The Medications the patient's medication resources name: those the searches
        included, and the others read by id."""
        wanted: list[str] = []
        for rtype in MEDICATION_SEARCHES:
            for resource in resources[rtype]:
                ref = resource.get("medicationReference")
                target = ref.get("reference") if isinstance(ref, dict) else None
                found = MEDICATION_REFERENCE.search(target) if isinstance(target, str) else None
                if found and found[1] not in pull.included and found[1] not in wanted:
                    wanted.append(found[1])
        try:
            async with asyncio.TaskGroup() as group:
                for mid in wanted:
                    group.create_task(self._read_medication(mid, pull))
        except BaseExceptionGroup as errors:
            raise _first_error(errors) from None
        return list(pull.included.values())

    async def _read_medication(self, medication_id: str, pull: _Pull) -> None:
        started = time.perf_counter()
        response = await self._get(f"{self._base}/Medication/{medication_id}", None, pull)
        if response.status_code in (404, 410):
            return  # named but not served: the normalizer says the drug is unclassified
        body = self._body(response)
        if body.get("resourceType") != "Medication" or body.get("id") not in (None, medication_id):
            raise _unavailable("The EHR answered a Medication read with something else.")
        pull.pages += 1
        pull.resources += 1
        if pull.resources > self._options.max_resources:
            raise UpstreamError(
                "fhir.too_many_resources",
                f"The patient's record holds more than {self._options.max_resources} resources.",
            )
        pull.included[medication_id] = {**body, "id": medication_id}
        pull.timings.append(SearchTiming("Medication", 1, 1, time.perf_counter() - started))

    def _searches(
        self, patient_id: str, codes: Sequence[str], categories: Sequence[str]
    ) -> list[tuple[str, dict[str, str]]]:
        def params(**extra: str) -> dict[str, str]:
            return {"patient": patient_id, **extra, "_count": str(self._options.page_size)}

        searches = [
            (
                rtype,
                params(_include=f"{rtype}:medication")
                if rtype in MEDICATION_SEARCHES
                else params(),
            )
            for rtype in READ_TYPES
            if rtype != "Observation" and rtype not in SUBJECTLESS_TYPES
        ]
        size = self._options.codes_per_search
        unique_codes = list(dict.fromkeys(codes))
        for i in range(0, len(unique_codes), size):
            chunk = unique_codes[i : i + size]
            searches.append(("Observation", params(code=",".join(map(_escape_token, chunk)))))
        if categories:
            joined = ",".join(map(_escape_token, dict.fromkeys(categories)))
            searches.append(("Observation", params(category=joined)))
        if not codes and not categories:
            searches.append(("Observation", params()))
        return searches

    async def _read_patient(self, patient_id: str, pull: _Pull) -> FhirJson:
        started = time.perf_counter()
        response = await self._get(f"{self._base}/Patient/{patient_id}", None, pull)
        if response.status_code in (404, 410):
            if _not_served(response):
                # The server does not serve Patient at this URL (a wrong base URL, say):
                # not an unknown patient, which a caller would take as final.
                raise _unavailable("The EHR's FHIR server does not serve Patient at this base URL.")
            raise NotFound("patient.not_found", "The EHR has no patient with this id.")
        body = self._body(response)
        if body.get("resourceType") != "Patient" or body.get("id") not in (None, patient_id):
            raise _unavailable("The EHR answered a Patient read with something else.")
        pull.pages += 1
        pull.timings.append(SearchTiming("Patient", 1, 1, time.perf_counter() - started))
        return body

    async def _search(
        self, rtype: str, params: dict[str, str], patient_id: str, pull: _Pull
    ) -> list[FhirJson]:
        started = time.perf_counter()
        found: list[FhirJson] = []
        url: str | None = f"{self._base}/{rtype}"
        query: dict[str, str] | None = params
        visited: set[str] = set()
        pages = 0
        while url is not None:
            pull.pages += 1
            pages += 1
            if pull.pages > self._options.max_pages:
                raise UpstreamError(
                    "fhir.too_many_pages",
                    f"The patient's record needs more than {self._options.max_pages} pages.",
                )
            response = await self._get(url, query, pull)
            bundle = self._body(response)
            if bundle.get("resourceType") != "Bundle" or bundle.get("type") != "searchset":
                raise _unavailable("The EHR answered a search with something other than a Bundle.")
            page = self._matches(bundle, rtype, patient_id, pull)
            pull.resources += len(page)
            if pull.resources > self._options.max_resources:
                raise UpstreamError(
                    "fhir.too_many_resources",
                    f"The patient's record holds more than {self._options.max_resources} "
                    "resources.",
                )
            found.extend(page)
            visited.add(str(response.request.url))
            url = self._next_link(bundle, str(response.request.url), visited)
            query = None  # a next link carries its own query
        pull.timings.append(SearchTiming(rtype, pages, len(found), time.perf_counter() - started))
        return found

    def _matches(
        self, bundle: FhirJson, rtype: str, patient_id: str, pull: _Pull
    ) -> list[FhirJson]:
        entries = bundle.get("entry", [])
        if not isinstance(entries, list):
            raise _unavailable("The EHR sent a malformed search Bundle.")
        page: list[FhirJson] = []
        for entry in entries:
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if not isinstance(resource, dict):
                raise _unavailable("The EHR sent a malformed search Bundle.")
            search = entry.get("search")
            mode = search.get("mode") if isinstance(search, dict) else None
            kind = resource.get("resourceType")
            if kind == "OperationOutcome":
                if mode == "outcome" or mode is None:
                    _raise_if_error(resource)
                continue
            if mode == "include" or kind != rtype:
                rid = resource.get("id")
                if kind in SUBJECTLESS_TYPES and isinstance(rid, str) and FHIR_ID.fullmatch(rid):
                    pull.included[rid] = resource  # a Medication named by this page's resources
                continue
            if not _about_patient(resource, patient_id):
                # Another patient's data must never reach this patient's match.
                pull.warnings.append(
                    DataQualityWarning(
                        code="fhir.foreign_subject",
                        message="A resource returned for this patient names another subject; "
                        "it was left out.",
                        source=f"{rtype}/{resource.get('id', 'unknown')}",
                    )
                )
                continue
            page.append(resource)
        return page

    def _next_link(self, bundle: FhirJson, current: str, visited: set[str]) -> str | None:
        links = bundle.get("link", [])
        if not isinstance(links, list):
            raise _unavailable("The EHR sent a malformed search Bundle.")
        for link in links:
            if isinstance(link, dict) and link.get("relation") == "next":
                target = link.get("url")
                if not isinstance(target, str) or not target:
                    raise _unavailable("The EHR sent a malformed search Bundle.")
                # Normalised as httpx sends it, so a repeat is seen whatever its spelling.
                absolute = str(httpx.URL(urljoin(current, target)))
                if _origin(absolute) != self._origin:
                    raise UpstreamError(
                        "fhir.foreign_next_link",
                        "The EHR's next-page link leads to another server; it was not followed.",
                    )
                if absolute in visited:
                    raise UpstreamError(
                        "fhir.paging_loop", "The EHR's next-page links go round in a loop."
                    )
                return absolute
        return None

    def _body(self, response: httpx.Response) -> FhirJson:
        """The JSON resource of a final response; any failure status becomes our error."""
        status = response.status_code
        if status in (401, 403):
            raise _unauthorized()
        if status in RETRY_STATUSES or status >= 500:
            # Busy or failing, whatever its OperationOutcome says; retries are spent by now.
            raise _unavailable(
                f"The EHR's FHIR server answered HTTP {status}.", retry_after_seconds(response)
            )
        body = _parse(response) if status == 200 or _is_json(response) else None
        if status != 200:
            if body is not None and body.get("resourceType") == "OperationOutcome":
                _raise_if_error(body, always=True)
            raise _unavailable(f"The EHR's FHIR server answered HTTP {status}.")
        if body is None:
            raise _unavailable("The EHR's FHIR server sent malformed JSON.")
        if body.get("resourceType") == "OperationOutcome":
            _raise_if_error(body, always=True)
        return body

    async def _get(self, url: str, params: dict[str, str] | None, pull: _Pull) -> httpx.Response:
        """GET with auth, retries and backoff; returns the final response, whatever its status.

        The latest Retry-After the EHR sends is noted on `pull`, to be passed on."""
        attempt = 0
        reauthenticated = False
        while True:
            headers = {"Accept": FHIR_JSON, **await self._auth.headers(self._http, self._timeout)}
            try:
                # Never redirected, whatever the shared client says: a redirect could carry
                # the token and the patient id to another origin.
                response = await self._http.get(
                    url,
                    params=params,
                    headers=headers,
                    timeout=self._timeout,
                    follow_redirects=False,
                )
            except httpx.TimeoutException:
                raise _timeout(pull.retry_after) from None
            except httpx.TransportError:
                if attempt >= self._options.retries:
                    raise _unavailable(
                        "The EHR's FHIR server cannot be reached.", pull.retry_after
                    ) from None
                attempt += 1
                await asyncio.sleep(self._backoff(attempt))
                continue
            status = response.status_code
            asked = retry_after_seconds(response)
            if asked is not None:
                pull.retry_after = asked
            if status == 401 and not reauthenticated and self._auth.rejected(headers):
                reauthenticated = True  # a cached token may have been revoked: one fresh try
                continue
            if status in RETRY_STATUSES and attempt < self._options.retries:
                delay = self._retry_delay(response, attempt + 1)
                if delay is not None:
                    attempt += 1
                    log.info("FHIR server answered %d; retry %d in %.2f s", status, attempt, delay)
                    await asyncio.sleep(delay)
                    continue
            return response

    def _backoff(self, attempt: int) -> float:
        # Jitter spreads the retries of concurrent searches; not security-relevant.
        base: float = self._options.backoff_base * 2.0 ** (attempt - 1)
        jitter: float = random.uniform(0.5, 1.5)  # noqa: S311
        return base * jitter

    def _retry_delay(self, response: httpx.Response, attempt: int) -> float | None:
        """Seconds to wait before retrying; None if the server asks for too long a wait."""
        delay = retry_after_seconds(response)
        if delay is None:
            return self._backoff(attempt)
        return delay if delay <= self._options.retry_after_max else None


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The response's Retry-After in seconds from now (delay-seconds or an HTTP date); None
    when it has none or it cannot be read."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _is_json(response: httpx.Response) -> bool:
    return "json" in response.headers.get("Content-Type", "")


def _parse(response: httpx.Response) -> FhirJson | None:
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None
    return body if isinstance(body, dict) else None


def _not_served(response: httpx.Response) -> bool:
    """A 404 whose OperationOutcome says the path itself is not supported (issue code
    ``not-supported``, as sekmet-fhir says for an unknown resource type)."""
    outcome = _parse(response) if _is_json(response) else None
    if outcome is None or outcome.get("resourceType") != "OperationOutcome":
        return False
    issues = outcome.get("issue")
    return isinstance(issues, list) and any(
        isinstance(i, dict)
        and i.get("severity") in ("error", "fatal")
        and i.get("code") == "not-supported"
        for i in issues
    )


def _raise_if_error(outcome: FhirJson, *, always: bool = False) -> None:
    """Turn an OperationOutcome with an error (or any, if `always`) into our error."""
    issues = outcome.get("issue")
    issues = [i for i in issues if isinstance(i, dict)] if isinstance(issues, list) else []
    errors = [i for i in issues if i.get("severity") in ("error", "fatal")]
    if not errors and not always:
        return
    codes = sorted(
        {
            c
            for i in errors or issues
            if isinstance(c := i.get("code"), str) and ISSUE_CODE.fullmatch(c)
        }
    )
    named = f" (issue: {', '.join(codes)})" if codes else ""
    raise UpstreamError(
        "fhir.operation_outcome", f"The EHR's FHIR server refused the request{named}."
    )


def _about_patient(resource: FhirJson, patient_id: str) -> bool:
    subject = resource.get("subject")
    reference = subject.get("reference") if isinstance(subject, dict) else None
    if not isinstance(reference, str):
        return False
    reference = reference.split("/_history/", 1)[0]
    return reference == f"Patient/{patient_id}" or reference.endswith(f"/Patient/{patient_id}")


def _first_error(group: BaseExceptionGroup[Any]) -> BaseException:
    """The first ApiError in a TaskGroup's failure (the others were cancelled after it)."""
    for error in group.exceptions:
        if isinstance(error, BaseExceptionGroup):
            return _first_error(error)
        if isinstance(error, ApiError | TimeoutError):
            return error
    return group
