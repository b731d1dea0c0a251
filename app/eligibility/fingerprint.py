"""What names a trial's content and a whole library's: the hashes a decision is traced by.

A trial's content hash is the SHA-256 of its document (the validated trial as JSON) in
canonical form, sorted keys and no whitespace: the same bytes, and so the same value, in
every process and on every machine. The store keeps it beside each trial (and writes
nothing when it has not changed); the library carries it for every trial it compiled, and
each match response names it. A library's digest covers every trial's id and hash. Example::

    >>> trial_content_hash(trial)                    # "5d41402a..." (64 hex digits)
    >>> library_digest([("NCT06949098", "5d41..."), ("NCT06043999", "7c21...")])
    'a3f0...'                                         # order of the pairs does not matter

Same digest, same trials with the same content; with the software version (app/version.py)
that is what a decision needs to be reproduced.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import orjson

from app.eligibility.language import Trial


def trial_document(trial: Trial) -> dict[str, Any]:
    """The trial as the store keeps it: its JSON form, every field (defaults included)."""
    return trial.model_dump(mode="json")


def content_hash(document: dict[str, Any]) -> str:
    """SHA-256 of the document as canonical JSON (sorted keys), hex."""
    return hashlib.sha256(orjson.dumps(document, option=orjson.OPT_SORT_KEYS)).hexdigest()


def trial_content_hash(trial: Trial) -> str:
    return content_hash(trial_document(trial))


def library_digest(hashes: Iterable[tuple[str, str]]) -> str:
    """SHA-256 over every (NCT id, content hash) pair, taken in id order."""
    digest = hashlib.sha256()
    for nct_id, trial_hash in sorted(hashes):
        digest.update(f"{nct_id}:{trial_hash};".encode())
    return digest.hexdigest()
