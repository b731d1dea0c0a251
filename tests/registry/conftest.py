"""Registry records for the import tests: copies of /work/shared/ctgov (SOURCES.md there)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import FIXTURES

CTGOV = FIXTURES / "ctgov"


def record_files() -> list[Path]:
    return sorted(p for p in CTGOV.iterdir() if p.suffix in {".json", ".xml"})


SHORT_ELIGIBILITY = (
    "Inclusion Criteria:\n\n"
    "* Aged 18 years or older.\n"
    "* Investigator's judgement that the patient can comply with the protocol.\n\n"
    "Exclusion Criteria:\n\n"
    "* Any condition that, in the investigator's opinion, makes the patient unsuitable.\n"
)


def short_breast_record(folder: Path, eligibility: str = SHORT_ELIGIBILITY) -> Path:
    """NCT03377387 (female, breast cancer, 18 or older) with a three-line eligibility text:
    after import, inc-0.a (breast), inc-0.b (female) and inc-1 (age, read by the suggestion
    reader) are suggested, and inc-2 and exc-1 hold the registry's text."""
    record = json.loads((CTGOV / "NCT03377387.json").read_bytes())
    record["protocolSection"]["eligibilityModule"]["eligibilityCriteria"] = eligibility
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "NCT03377387.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    return path
