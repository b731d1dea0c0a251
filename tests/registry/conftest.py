"""Registry records for the import tests: copies of /work/shared/ctgov (SOURCES.md there)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import FIXTURES

CTGOV = FIXTURES / "ctgov"


def record_files() -> list[Path]:
    return sorted(p for p in CTGOV.iterdir() if p.suffix in {".json", ".xml"})
