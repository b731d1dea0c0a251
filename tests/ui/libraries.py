"""Libraries for the page tests and the browser test: criteria folders a service loads.

Example::

    nct_id = library_with_suggestions(tmp_path / "library")   # "NCT03377387"
    settings = Settings(database_url=..., criteria_dir=tmp_path / "library")
    # /ui/trials/NCT03377387/curate lists 7 suggested and 20 text criteria to curate

The folder holds the bundled trials (criteria/, worked examples left out) and one trial as
`trialmatch trials import` drafts it from its ClinicalTrials.gov record
(tests/fixtures/ctgov/NCT03377387.json): its inc-0.b (sex, from the registry's fields) and
inc-1 (age, read from the text) are suggested, inc-2 is text only.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from app.config import REPO_ROOT
from app.registry.draft import draft_trial
from app.registry.importer import library_yaml
from app.registry.record import RecordError
from app.registry.sources import read_records
from app.store.loader import trial_files
from tests.registry.conftest import CTGOV

IMPORTED = "NCT03377387"


def library_with_suggestions(folder: Path) -> str:
    """Write the bundled trials and the imported NCT03377387 into `folder`; its NCT id."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in trial_files(REPO_ROOT / "criteria"):
        shutil.copyfile(path, folder / path.name)
    source = CTGOV / f"{IMPORTED}.json"
    (record,) = read_records(source)
    assert not isinstance(record, RecordError), record
    trial = draft_trial(record).trial
    (folder / f"{IMPORTED}.yaml").write_text(library_yaml(trial, source.name), encoding="utf-8")
    return IMPORTED
