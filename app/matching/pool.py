"""Large matches in a process of their own, so the service keeps answering while they run.

Parsing a multi-megabyte Bundle (``orjson.loads`` is one C call) and normalizing it hold
CPython's GIL for tens of milliseconds at a time; in a worker thread that still stalls the
event loop, and ``/healthz`` or a small match waits behind it. A Bundle of at least
``TRIALMATCH_MATCH_PROCESS_MIN_BYTES`` posted to ``/v1/match`` is therefore not parsed by
the body-limit middleware (``defer_parse``) but sent, as bytes, to a match process that
runs the same steps the route would (`app.limits.body.check_json`, `read_bundle`,
`match_record`, serialization) and returns the response body. Smaller Bundles stay in a
thread: for them the hop would cost more than it saves. Example::

    pool = MatchPool(settings)
    answer = await pool.match(body, strict=False, options=options, fingerprint=fp)
    answer.body        # the JSON of the MatchResponse, exactly as the route would send it

The match process compiles the library from the same store (``TRIALMATCH_DATABASE_URL``)
and recompiles when the service's library fingerprint (`LiveLibrary.fingerprint`) differs
from its own, so both always match against the same trials. One process per service
worker, started on first use; a process that dies is replaced on the next request, and the
request it held answers 500 like any internal error. Errors travel back as their stable
type, message and location, never as exception text.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from starlette.types import Scope

from app.config import Settings
from app.eligibility.library import Library
from app.errors import ApiError
from app.fhir.bundle import read_bundle
from app.limits.body import DeferParse, ParsedBody, check_json
from app.matching.service import MatchOptions, match_record
from app.store.live_library import compile_store, store_fingerprint
from app.store.session import make_engine, make_session_factory


@dataclass(frozen=True)
class PooledAnswer:
    patient: str
    trials_returned: int
    body: bytes


@dataclass(frozen=True)
class PooledError:
    """An `ApiError` raised in the match process, carried by value (it does not pickle)."""

    type: str
    msg: str
    loc: list[str | int]
    status_code: int
    headers: dict[str, str] = field(default_factory=dict)

    def error(self) -> ApiError:
        return ApiError(
            self.type, self.msg, loc=self.loc, status_code=self.status_code, headers=self.headers
        )


class MatchProcessFailed(RuntimeError):
    """The match process failed unexpectedly (the class name of its error, never its text)."""


# --- in the match process ----------------------------------------------------------------

_state: dict[str, Any] = {}


# The match process yields the CPU to the service's event loop: on a busy machine the
# scheduler then runs a probe or a small request before the next slice of a big match.
MATCH_PROCESS_NICENESS = 10


def _start(database_url: str) -> None:
    with contextlib.suppress(OSError):  # a platform without nice(): same priority
        os.nice(MATCH_PROCESS_NICENESS)
    _state["sessions"] = make_session_factory(make_engine(database_url))
    # As in the service (app.main.settle_gc): imported modules never collected again.
    gc.collect()
    gc.freeze()


def _library(fingerprint: str | None) -> Library:
    if "library" not in _state or _state.get("fingerprint") != fingerprint:
        sessions: sessionmaker[Session] = _state["sessions"]
        with sessions() as session:
            _state["library"] = compile_store(session)
            _state["fingerprint"] = store_fingerprint(session)
    library: Library = _state["library"]
    return library


def _carried(exc: ApiError) -> PooledError:
    detail = exc.details[0]
    return PooledError(detail.type, detail.msg, list(detail.loc), exc.status_code, exc.headers)


def run_match(
    body: bytes, max_json_depth: int, strict: bool, options: MatchOptions, fingerprint: str | None
) -> PooledAnswer | PooledError | str:
    """The route's work on a raw body; a str is the class name of an unexpected error."""
    try:
        checked = check_json(body, max_json_depth)
        if isinstance(checked, ApiError):
            return _carried(checked)
        parsed: ParsedBody = checked
        # Not an object: read_bundle refuses the raw body with its own error, as in the route.
        data = parsed.value if isinstance(parsed.value, dict) else body
        record = read_bundle(data, strict=strict)
        response = match_record(record, _library(fingerprint), options)
        return PooledAnswer(
            record.reference, len(response.matches), response.model_dump_json().encode()
        )
    except ApiError as exc:
        return _carried(exc)
    except Exception as exc:  # reported by class name only: its text may quote the record
        return type(exc).__name__


# --- in the service ----------------------------------------------------------------------

MATCH_PATH = "/v1/match"


def deferred_match_body(settings: Settings) -> DeferParse | None:
    """The body-limit middleware's hook: a large enough POST /v1/match is left unparsed."""
    min_bytes = settings.match_process_min_bytes
    if min_bytes <= 0:
        return None

    def defer(scope: Scope, size: int) -> bool:
        return (
            scope.get("method") == "POST"
            and scope.get("path") == MATCH_PATH
            and (size >= min_bytes)
        )

    return defer


class MatchPool:
    def __init__(self, settings: Settings) -> None:
        self.min_bytes = settings.match_process_min_bytes
        self._database_url = settings.database_url
        self._max_json_depth = settings.max_json_depth
        self._executor: ProcessPoolExecutor | None = None

    def takes(self, size: int) -> bool:
        """A body of this many bytes is matched in the match process."""
        return self.min_bytes > 0 and size >= self.min_bytes

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            # spawn: a fork would copy this process's threads' locks mid-use.
            self._executor = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start,
                initargs=(self._database_url,),
            )
        return self._executor

    async def match(
        self, body: bytes, *, strict: bool, options: MatchOptions, fingerprint: str | None
    ) -> PooledAnswer:
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(
                self._pool(), run_match, body, self._max_json_depth, strict, options, fingerprint
            )
        except BrokenProcessPool:
            self.close()  # the next request starts a new process
            raise MatchProcessFailed("BrokenProcessPool") from None
        if isinstance(result, PooledError):
            raise result.error()
        if isinstance(result, str):
            raise MatchProcessFailed(result)
        return result

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
