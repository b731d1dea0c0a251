"""A population from the EHR's Bulk Data ``$export`` (HL7 FHIR Bulk Data Access 2.0).

`run_export` kicks off an export (system, Patient or Group level) of the resource types the
library reads (`export_types`), polls the status URL the server names, honouring
``Retry-After``, and streams each output file to the folder (``name.part``, renamed when
whole, so a cut download never looks like a file). The folder is then an NDJSON population
the DuckDB engine screens. With ``since`` only what changed is exported: the patients it
touches (`patient_key`) are fetched whole (``Patient/{id}/$everything``) so the folder holds
complete records of the changed patients only. Example::

    result = run_export(settings, ExportRequest(level="patient"), Path("export"))
    result.transaction_time   # the next run's ``since``

Errors are `UpstreamError` with a stable type and a message of ours (never the server's
text): ``export.failed`` (refused, no status URL, a failed job or download), ``export.timeout``
(the overall deadline passed), ``export.cancelled`` (``cancelled()`` turned true; the job is
deleted at the server), and the client's ``fhir.unauthorized`` / ``fhir.unavailable``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urljoin

import httpx
import orjson

from app.config import Settings
from app.eligibility.library import Library
from app.errors import UpstreamError
from app.fhir.client import retry_after_seconds
from app.fhir.record import FHIR_ID, READ_TYPES
from app.fhir.smart import Auth, auth_from_settings
from app.matching.data_needs import observation_codes
from app.screening.patient_key import patient_key

NDJSON = "application/fhir+ndjson"
FHIR_JSON = "application/fhir+json"
CHUNK = 1 << 16
# Without Retry-After: poll at 1 s, doubling up to this many seconds.
POLL_BACKOFF_MAX = 30.0


@dataclass(frozen=True)
class ExportRequest:
    level: Literal["system", "patient", "group"] = "patient"
    group_id: str | None = None  # required for level "group"
    types: tuple[str, ...] = ()  # empty: export_types(library) decides
    since: datetime | None = None  # the FHIR _since parameter


@dataclass(frozen=True)
class ExportResult:
    transaction_time: datetime  # the manifest's transactionTime: the next run's _since
    files: tuple[Path, ...]  # NDJSON files written into the folder
    changed_patients: frozenset[str] | None  # with since: keys whose data changed; else None


def _failed(msg: str) -> UpstreamError:
    return UpstreamError("export.failed", msg)


def export_types(library: Library) -> tuple[str, ...]:
    """Patient and the types the record reader reads; Observation only when some criterion
    reads a fact made from Observations (`observation_codes`)."""
    wanted = [t for t in READ_TYPES if t != "Observation" or observation_codes(library)]
    return ("Patient", *wanted)


def run_export(
    settings: Settings,
    request: ExportRequest,
    folder: Path,
    *,
    cancelled: Callable[[], bool] = lambda: False,
) -> ExportResult:
    """Export into `folder` (created); see the module docstring."""
    return asyncio.run(export(settings, request, folder, cancelled=cancelled))


async def export(
    settings: Settings,
    request: ExportRequest,
    folder: Path,
    *,
    cancelled: Callable[[], bool] = lambda: False,
    transport: httpx.AsyncBaseTransport | None = None,
) -> ExportResult:
    if settings.fhir_base_url is None:
        raise _failed("No EHR FHIR base URL is configured.")
    if request.level == "group" and (
        request.group_id is None or not FHIR_ID.fullmatch(request.group_id)
    ):
        raise _failed("A Group-level export needs a valid Group id.")
    if not request.types:
        raise _failed("An export needs resource types (see export_types).")
    base = settings.fhir_base_url.rstrip("/")
    timeout = httpx.Timeout(settings.fhir_read_timeout, connect=settings.fhir_connect_timeout)
    deadline = time.monotonic() + settings.bulk_export_deadline_seconds
    folder.mkdir(parents=True, exist_ok=True)
    async with httpx.AsyncClient(transport=transport, timeout=timeout) as http:
        session = _Session(http, auth_from_settings(settings), timeout, deadline)
        status_url = await session.kick_off(base, request)
        manifest = await session.poll(status_url, cancelled)
        transaction_time = _transaction_time(manifest)
        files = await session.download_all(manifest, folder)
        if request.since is None:
            return ExportResult(transaction_time, files, None)
        changed = _keys_in(files)
        for path in files:
            path.unlink()
        whole = await session.everything(base, sorted(changed), folder)
        return ExportResult(transaction_time, whole, frozenset(changed))


def _transaction_time(manifest: dict[str, Any]) -> datetime:
    value = manifest.get("transactionTime")
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise _failed("The export manifest has no valid transactionTime.") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _keys_in(files: tuple[Path, ...]) -> set[str]:
    keys: set[str] = set()
    for path in files:
        with path.open("rb") as lines:
            for line in lines:
                if line.strip():
                    key = patient_key(orjson.loads(line))
                    if key is not None:
                        keys.add(key)
    return keys


def _retry_after(response: httpx.Response, fallback: float) -> float:
    """The server's Retry-After (as the FHIR client reads it), else our back-off."""
    asked = retry_after_seconds(response)
    return fallback if asked is None else asked


class _Session:
    def __init__(
        self, http: httpx.AsyncClient, auth: Auth, timeout: httpx.Timeout, deadline: float
    ) -> None:
        self.http, self.auth, self.timeout, self.deadline = http, auth, timeout, deadline

    async def send(
        self, method: str, url: str, *, params: dict[str, str] | None = None, accept: str = ""
    ) -> httpx.Response:
        headers = {
            "Accept": accept or FHIR_JSON,
            **await self.auth.headers(self.http, self.timeout),
        }
        if method == "GET" and params is not None:
            headers["Prefer"] = "respond-async"
        try:
            response = await self.http.request(method, url, params=params, headers=headers)
        except httpx.TimeoutException:
            raise UpstreamError(
                "fhir.timeout", "The EHR did not answer in time.", status_code=504
            ) from None
        except httpx.HTTPError:
            raise UpstreamError("fhir.unavailable", "The EHR cannot be reached.") from None
        if response.status_code in (401, 403):
            raise UpstreamError("fhir.unauthorized", "The EHR refused trialmatch's credentials.")
        return response

    async def wait(self, seconds: float) -> None:
        if time.monotonic() + seconds > self.deadline:
            raise UpstreamError(
                "export.timeout", "The EHR's export did not finish in time.", status_code=504
            )
        await asyncio.sleep(seconds)

    async def kick_off(self, base: str, request: ExportRequest) -> str:
        path = {"system": "$export", "patient": "Patient/$export"}.get(
            request.level, f"Group/{request.group_id}/$export"
        )
        params = {"_type": ",".join(request.types), "_outputFormat": NDJSON}
        if request.since is not None:
            params["_since"] = request.since.isoformat()
        backoff = 1.0
        while True:
            response = await self.send("GET", f"{base}/{path}", params=params)
            if response.status_code == 429 or response.status_code == 503:
                await self.wait(_retry_after(response, backoff))
                backoff = min(backoff * 2, POLL_BACKOFF_MAX)
                continue
            if response.status_code != 202:
                raise _failed("The EHR refused the export.")
            location = response.headers.get("Content-Location")
            if not location:
                raise _failed("The EHR accepted the export but named no status URL.")
            return urljoin(f"{base}/", str(location))

    async def poll(self, status_url: str, cancelled: Callable[[], bool]) -> dict[str, Any]:
        backoff = 1.0
        while True:
            if cancelled():
                await self.cancel(status_url)
            response = await self.send("GET", status_url)
            if response.status_code == 200:
                manifest = orjson.loads(response.content)
                if not isinstance(manifest, dict):
                    raise _failed("The EHR sent a malformed export manifest.")
                return manifest
            if response.status_code not in (202, 429, 503):
                raise _failed("The EHR's export job failed.")
            await self.wait(_retry_after(response, backoff))
            backoff = min(backoff * 2, POLL_BACKOFF_MAX)
            if cancelled():
                await self.cancel(status_url)

    async def cancel(self, status_url: str) -> None:
        with contextlib.suppress(UpstreamError):  # ask the server to stop; cancelled anyway
            await self.send("DELETE", status_url)
        raise UpstreamError("export.cancelled", "The export was cancelled.")

    async def download_all(self, manifest: dict[str, Any], folder: Path) -> tuple[Path, ...]:
        token = bool(manifest.get("requiresAccessToken"))
        outputs = manifest.get("output")
        if not isinstance(outputs, list):
            raise _failed("The EHR sent a malformed export manifest.")
        files: list[Path] = []
        for n, output in enumerate(outputs):
            kind, url = (
                (output.get("type"), output.get("url")) if isinstance(output, dict) else ("", "")
            )
            if not isinstance(kind, str) or not FHIR_ID.fullmatch(kind) or not isinstance(url, str):
                raise _failed("The EHR sent a malformed export manifest.")
            target = folder / f"{kind}.{n:04d}.ndjson"
            await self.download(url, target, token)
            files.append(target)
        return tuple(files)

    async def download(self, url: str, target: Path, token: bool) -> None:
        headers = {"Accept": NDJSON}
        if token:  # the bearer token goes only where the manifest says it is wanted
            headers.update(await self.auth.headers(self.http, self.timeout))
        part = target.with_name(target.name + ".part")
        try:
            async with self.http.stream("GET", url, headers=headers) as response:
                if response.status_code != 200:
                    raise _failed("The EHR failed to serve an export file.")
                with part.open("wb") as out:
                    async for chunk in response.aiter_bytes(CHUNK):
                        out.write(chunk)
            os.replace(part, target)
        except httpx.HTTPError:
            raise _failed("An export file download broke off.") from None
        finally:
            part.unlink(missing_ok=True)

    async def everything(self, base: str, keys: list[str], folder: Path) -> tuple[Path, ...]:
        """Each changed patient's whole record (``$everything``, every page), as NDJSON."""
        target = folder / "changed.ndjson"
        part = target.with_name(target.name + ".part")
        try:
            with part.open("wb") as out:
                for key in keys:
                    url: str | None = f"{base}/Patient/{key}/$everything"
                    seen: set[str] = set()
                    while url is not None and url not in seen:
                        seen.add(url)
                        response = await self.send("GET", url)
                        if response.status_code != 200:
                            raise _failed("The EHR failed to send a changed patient's record.")
                        bundle = orjson.loads(response.content)
                        for entry in bundle.get("entry", []):
                            out.write(orjson.dumps(entry["resource"]) + b"\n")
                        url = next(
                            (
                                urljoin(f"{base}/", link["url"])
                                for link in bundle.get("link", [])
                                if link.get("relation") == "next"
                            ),
                            None,
                        )
            os.replace(part, target)
        finally:
            part.unlink(missing_ok=True)
        return (target,)
