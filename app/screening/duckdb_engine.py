"""The embedded engine: Bulk NDJSON files grouped by patient with DuckDB.

DuckDB reads the files (``read_ndjson_objects``), computes each line's patient key in SQL
with the rules of `app.screening.patient_key` (the same patterns, parity-tested), sorts
the lines by key and streams them back as Arrow record batches; consecutive lines of one
key are one patient, and a few hundred patients make a chunk for the worker pool
(`app.screening.pool`). The sort spills to ``temp_directory`` past ``memory_limit``, so a
population larger than memory completes; only the batch being read and the chunks in
flight are held in Python. Example::

    population = NdjsonPopulation([Path("export/")], DuckDBSettings(memory_limit="1GB"))
    survey = population.survey()        # patients, and the lines skipped (by type, reason)
    for chunk in population.chunks():   # [(key, [line, ...]), ...], ~200 patients each
        ...

Only Patient and the types `read_bundle` reads are grouped; other types (Encounter,
Practitioner, ...) are counted in ``survey.ignored`` and never leave DuckDB: `read_bundle`
would ignore them. A Medication has no subject, so it cannot be given to a patient: it is
counted as skipped (``no_subject``), and a MedicationRequest naming it by reference is read
as /v1/match reads a Bundle without that Medication.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from app.fhir.record import READ_TYPES, SUBJECTLESS_TYPES
from app.screening.patient_key import (
    FHIR_ID_PATTERN,
    HISTORY,
    PATIENT_REFERENCE_PATTERN,
    UUID_REFERENCE_PATTERN,
)
from app.screening.pool import Chunk, PatientLines

NDJSON_SUFFIXES = (".ndjson", ".ndjson.gz", ".ndjson.zst")
GROUPED_TYPES = ("Patient", *(t for t in READ_TYPES if t not in SUBJECTLESS_TYPES))


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _full(pattern: str) -> str:
    # RE2 (DuckDB) has no fullmatch: anchor, and let "." match a line break as Python's does.
    return _sql_string(f"(?s)^{pattern}$")


# The rules of patient_key.py in SQL. Each line is parsed once for the four elements the
# rules read (``json_extract`` with a list of paths); the rules then work on those small
# values: macros over the whole line would parse it once per use.
_MACROS = f"""
CREATE OR REPLACE TEMP MACRO tm_string(v) AS
    CASE WHEN json_type(v) = 'VARCHAR' THEN json_extract_string(v, '$') END;
CREATE OR REPLACE TEMP MACRO tm_reference(subject, patient) AS
    CASE WHEN json_type(coalesce(subject, patient)) = 'OBJECT'
          AND json_type(coalesce(subject, patient), '$.reference') = 'VARCHAR'
         THEN json_extract_string(coalesce(subject, patient), '$.reference') END;
CREATE OR REPLACE TEMP MACRO tm_reference_key(ref) AS coalesce(
    nullif(regexp_extract(split_part(ref, {_sql_string(HISTORY)}, 1),
                          {_full(PATIENT_REFERENCE_PATTERN)}, 1), ''),
    nullif(regexp_extract(split_part(ref, {_sql_string(HISTORY)}, 1),
                          {_full(UUID_REFERENCE_PATTERN)}, 1), ''));
CREATE OR REPLACE TEMP MACRO tm_patient_id(id) AS
    CASE WHEN regexp_full_match(tm_string(id), {_sql_string(FHIR_ID_PATTERN)})
         THEN tm_string(id) END;
"""
# ``subject`` present (even JSON null) wins over ``patient``: json_extract gives SQL NULL
# only for an absent element, so coalesce() is patient_key's "subject if present".
_PARSED = """
    SELECT json AS j, json_type(json) = 'OBJECT' AS is_object,
           json_extract(json, ['$.resourceType', '$.id', '$.subject', '$.patient']) AS f
    FROM read_ndjson_objects($files)
"""
_READ = f"""
    SELECT j, is_object, tm_string(f[1]) AS kind, f[2] AS id, tm_reference(f[3], f[4]) AS ref
    FROM ({_PARSED})
"""
_KEYED = f"""
    SELECT j, is_object, kind, ref,
           CASE WHEN NOT is_object THEN NULL
                WHEN kind = 'Patient' THEN tm_patient_id(id)
                ELSE tm_reference_key(ref) END AS key
    FROM ({_READ})
"""
# Every line with its kind, patient key and (when it has none) why: the relation the
# survey and the grouping read, over the files bound as ``$files``.
LINES_SQL = f"""(
    SELECT j, kind, key,
           CASE WHEN NOT is_object THEN 'not_a_resource'
                WHEN key IS NOT NULL THEN NULL
                WHEN kind = 'Patient' THEN 'invalid_patient_id'
                WHEN ref IS NULL THEN 'no_subject'
                ELSE 'not_a_patient' END AS unkeyed
    FROM ({_KEYED})
)"""
_GROUPED = ", ".join(_sql_string(t) for t in GROUPED_TYPES)


# Measured here: below about 100 MB a DuckDB thread cannot run this query at all (its RE2
# programs and JSON reader buffers count against the limit, and the sort needs room before
# it spills), so a small limit gets fewer threads instead of an out-of-memory error.
MEMORY_PER_THREAD = 128 * 1000**2
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?)b\s*$", re.IGNORECASE)


def memory_bytes(limit: str) -> int | None:
    """DuckDB's reading of a size ('1GB' = 10^9 bytes, '1GiB' = 2^30); None if not a size."""
    match = _SIZE.match(limit)
    if match is None:
        return None
    number, prefix, binary = match.groups()
    power = " KMGT".index(prefix.upper() or " ")
    return int(float(number) * (1024 if binary else 1000) ** power)


@dataclass(frozen=True)
class DuckDBSettings:
    """The connection's limits. ``temp_directory`` None: a new temporary folder per run.
    ``threads`` is an upper bound: at most one thread per `MEMORY_PER_THREAD` of
    ``memory_limit`` is used (`effective_threads`)."""

    memory_limit: str = "1GB"
    threads: int = 2
    temp_directory: Path | None = None

    @property
    def effective_threads(self) -> int:
        limit = memory_bytes(self.memory_limit)
        if limit is None:
            return self.threads
        return max(1, min(self.threads, limit // MEMORY_PER_THREAD))


@dataclass(frozen=True)
class Survey:
    """What a population holds: ``patients`` (distinct keys among the lines read), and
    the lines left out: ``skipped`` by (resource type, `Unkeyed` reason), ``ignored`` by
    resource type (types /v1/match does not read)."""

    patients: int
    lines: int
    skipped: dict[tuple[str, str], int] = field(default_factory=dict)
    ignored: dict[str, int] = field(default_factory=dict)


def ndjson_files(paths: Sequence[Path]) -> list[Path]:
    """The NDJSON files named: files as given, folders by their ``*.ndjson[.gz|.zst]``."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.name.endswith(NDJSON_SUFFIXES)))
        else:
            files.append(path)
    return files


class NdjsonPopulation:
    """A population on disk as Bulk NDJSON, read through DuckDB."""

    def __init__(self, paths: Sequence[Path], settings: DuckDBSettings | None = None) -> None:
        self.files = ndjson_files(paths)
        if not self.files:
            raise FileNotFoundError("no NDJSON files")
        self.settings = settings or DuckDBSettings()

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with tempfile.TemporaryDirectory(prefix="trialmatch-duckdb-") as scratch:
            temp = self.settings.temp_directory or Path(scratch)
            con = duckdb.connect(config={"threads": self.settings.effective_threads})
            try:
                con.execute(f"SET memory_limit = {_sql_string(self.settings.memory_limit)}")
                con.execute(f"SET temp_directory = {_sql_string(str(temp))}")
                # Order across keys comes from ORDER BY; nothing else needs insertion order.
                con.execute("SET preserve_insertion_order = false")
                con.execute(_MACROS)
                yield con
            finally:
                con.close()

    def _params(self) -> dict[str, object]:
        return {"files": [str(f) for f in self.files]}

    def survey(self) -> Survey:
        """One pass over the files: patients to screen and lines left out."""
        query = f"""
            SELECT count(DISTINCT key) FILTER (WHERE kind IN ({_GROUPED})),
                   count(*),
                   histogram(coalesce(kind, '?') || '|' || unkeyed)
                       FILTER (WHERE (kind IN ({_GROUPED}, 'Medication') OR kind IS NULL)
                                     AND unkeyed IS NOT NULL),
                   histogram(kind) FILTER (WHERE kind NOT IN ({_GROUPED}, 'Medication'))
            FROM {LINES_SQL}
        """
        with self.connect() as con:
            row = con.execute(query, self._params()).fetchone()
        assert row is not None
        patients, lines, skipped, ignored = row
        return Survey(
            patients=int(patients),
            lines=int(lines),
            skipped={
                (kind, reason): int(n)
                for label, n in (skipped or {}).items()
                for kind, reason in [str(label).rsplit("|", 1)]
            },
            ignored={str(kind): int(n) for kind, n in (ignored or {}).items()},
        )

    def patients(self, *, batch_rows: int = 4096) -> Iterator[PatientLines]:
        """Each patient's key and NDJSON lines, by key; lines in a fixed order."""
        query = f"""
            SELECT key, j::VARCHAR AS line FROM {LINES_SQL}
            WHERE kind IN ({_GROUPED}) AND key IS NOT NULL
            ORDER BY key, kind, line
        """
        with self.connect() as con:
            relation = con.sql(query, params=self._params())
            assert relation is not None
            reader = relation.to_arrow_reader(batch_rows)
            key: str | None = None
            lines: list[str] = []
            for batch in reader:
                for k, line in zip(
                    batch.column(0).to_pylist(), batch.column(1).to_pylist(), strict=True
                ):
                    if k != key:
                        if key is not None:
                            yield key, lines
                        key, lines = k, []
                    lines.append(line)
            if key is not None:
                yield key, lines

    def chunks(self, *, patients: int = 200, lines: int = 20_000) -> Iterator[Chunk]:
        """Patients in chunks of at most ``patients`` patients or about ``lines`` lines
        (a patient with thousands of labs closes its chunk early)."""
        chunk: Chunk = []
        held = 0
        for patient in self.patients():
            chunk.append(patient)
            held += len(patient[1])
            if len(chunk) >= patients or held >= lines:
                yield chunk
                chunk, held = [], 0
        if chunk:
            yield chunk
