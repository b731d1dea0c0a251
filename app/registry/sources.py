"""Which reader a registry file needs, by its content (not its name). Example::

    for item in read_records(Path("NCT05288205.json")):
        ...   # RegistryRecord, or RecordError for a study that could not be read

A file that is neither JSON nor XML, or unreadable, gives one RecordError.
"""

from __future__ import annotations

from pathlib import Path

import orjson

from app.registry.api_v2 import is_v2, read_studies
from app.registry.classic_json import is_classic, read_full_studies
from app.registry.legacy_xml import looks_like_xml, read_clinical_study
from app.registry.record import RecordError, RegistryRecord

MAX_BYTES = 20_000_000


def read_records(path: Path) -> list[RegistryRecord | RecordError]:
    try:
        if path.stat().st_size > MAX_BYTES:
            return [RecordError(f"larger than {MAX_BYTES} bytes")]
        raw = path.read_bytes()
    except OSError:
        return [RecordError("cannot be read")]
    if looks_like_xml(raw):
        try:
            return [read_clinical_study(raw)]
        except RecordError as exc:
            return [exc]
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return [RecordError("neither JSON nor XML")]
    if is_classic(data):
        return read_full_studies(data)
    if is_v2(data):
        return read_studies(data)
    return [RecordError("JSON, but not a ClinicalTrials.gov study, page or FullStudiesResponse")]
