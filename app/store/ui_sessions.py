"""Browser sessions of the coordinator's pages, kept in the store so every worker knows them.

A session is a random id in an HttpOnly cookie; the store keeps its SHA-256, who signed in
(client id, scopes, how they proved it), a CSRF token for the session's forms, and when it
ends. Example::

    opened = open_session(session, None, ttl_seconds=28800)       # not signed in yet
    opened.cookie_id, opened.csrf_token                          # random, 43 characters each
    signed = open_session(session, principal, ttl_seconds=28800)  # after sign-in: a NEW id
    find_session(session, signed.cookie_id)                      # -> UiSession, or None
    close_session(session, signed.cookie_id)                     # sign out

Signing in always opens a new session (and the caller closes the old one), so an id a
browser was given before it signed in never becomes a signed-in one (session fixation).
Expired rows are deleted as new sessions are opened.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import delete
from sqlalchemy.orm import Session

from app.auth.principal import AuthMethod, Principal
from app.store.models import UiSessionRow

_METHODS: frozenset[str] = frozenset({"jwt", "api_key", "loopback"})


@dataclass(frozen=True, slots=True)
class UiSession:
    cookie_id: str
    csrf_token: str
    principal: Principal | None  # None: the browser has not signed in
    expires_at: float


def _digest(cookie_id: str) -> str:
    return hashlib.sha256(cookie_id.encode("utf-8")).hexdigest()


def open_session(
    session: Session,
    principal: Principal | None,
    *,
    ttl_seconds: int,
    now: float | None = None,
) -> UiSession:
    """A new session for `principal` (None: not signed in), ending after `ttl_seconds` or
    when the principal's own credential ends, whichever is first."""
    now = time.time() if now is None else now
    session.execute(delete(UiSessionRow).where(UiSessionRow.expires_at <= now))
    expires = now + ttl_seconds
    if principal is not None and principal.expires_at is not None:
        expires = min(expires, principal.expires_at)
    cookie_id = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    session.add(
        UiSessionRow(
            id_sha256=_digest(cookie_id),
            client_id=None if principal is None else principal.client_id,
            scopes="" if principal is None else " ".join(sorted(principal.scopes)),
            auth_method=None if principal is None else principal.method,
            csrf_token=csrf,
            created_at=now,
            expires_at=expires,
        )
    )
    return UiSession(cookie_id=cookie_id, csrf_token=csrf, principal=principal, expires_at=expires)


def find_session(session: Session, cookie_id: str, *, now: float | None = None) -> UiSession | None:
    """The live session with this cookie id, or None (unknown, expired, or malformed)."""
    if not cookie_id or len(cookie_id) > 128:
        return None
    row = session.get(UiSessionRow, _digest(cookie_id))
    now = time.time() if now is None else now
    if row is None or row.expires_at <= now:
        return None
    principal = None
    if row.client_id is not None and row.auth_method in _METHODS:
        method: AuthMethod = "session"
        principal = Principal(
            client_id=row.client_id,
            scopes=frozenset(row.scopes.split()),
            method=method,
            expires_at=row.expires_at,
        )
    return UiSession(
        cookie_id=cookie_id,
        csrf_token=row.csrf_token,
        principal=principal,
        expires_at=row.expires_at,
    )


def close_session(session: Session, cookie_id: str) -> None:
    session.execute(delete(UiSessionRow).where(UiSessionRow.id_sha256 == _digest(cookie_id)))
