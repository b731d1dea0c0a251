"""The results file of a screening run: one row per patient and trial, CSV or Parquet.

Rows are written as results arrive, never all held. The file appears under its name only
when the run completed: until then it is ``<name>.partial``, removed if the run fails, so
a run that stopped midway never leaves a file that looks complete. Example::

    with ResultsFile(Path("results.csv")) as out:
        for result in results:
            out.write(result)

Columns: ``patient`` (``Patient/<id>``), ``trial``, ``status``, ``unmet``, ``missing``,
``review`` (criterion ids joined by ``;``), ``error``. A patient that could not be screened
has one row, status ``not_screened``, no trial, and its error type.
"""

from __future__ import annotations

import csv
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from app.screening.result import PatientResult

COLUMNS = ("patient", "trial", "status", "unmet", "missing", "review", "error")
NOT_SCREENED = "not_screened"
PARQUET_BATCH_ROWS = 10_000


def records(result: PatientResult) -> list[tuple[str, ...]]:
    if result.error is not None:
        return [(f"Patient/{result.key}", "", NOT_SCREENED, "", "", "", result.error)]
    return [
        (
            r.patient,
            r.trial,
            r.status,
            ";".join(r.unmet),
            ";".join(r.missing),
            ";".join(r.review),
            "",
        )
        for r in result.rows
    ]


class ResultsFile:
    """A CSV file, or Parquet when the name ends in ``.parquet``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.partial = path.with_name(path.name + ".partial")
        self.parquet = path.suffix == ".parquet"
        self._file: IO[str] | None = None
        self._csv: Any = None
        self._writer: Any = None  # pyarrow.parquet.ParquetWriter
        self._pending: list[tuple[str, ...]] = []

    def __enter__(self) -> ResultsFile:
        if self.parquet:
            import pyarrow as pa
            import pyarrow.parquet as pq

            schema = pa.schema([(name, pa.string()) for name in COLUMNS])
            self._writer = pq.ParquetWriter(self.partial, schema)
        else:
            self._file = self.partial.open("w", newline="", encoding="utf-8")
            self._csv = csv.writer(self._file)
            self._csv.writerow(COLUMNS)
        return self

    def write(self, result: PatientResult) -> None:
        if self._csv is not None:
            self._csv.writerows(records(result))
            return
        self._pending.extend(records(result))
        if len(self._pending) >= PARQUET_BATCH_ROWS:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        if self._pending:
            columns = list(zip(*self._pending, strict=True))
            self._writer.write_table(
                pa.table({name: list(col) for name, col in zip(COLUMNS, columns, strict=True)})
            )
            self._pending = []

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        try:
            if self._writer is not None:
                if kind is None:
                    self._flush()
                self._writer.close()
            if self._file is not None:
                self._file.close()
        finally:
            if kind is None:
                self.partial.replace(self.path)
            else:
                self.partial.unlink(missing_ok=True)
