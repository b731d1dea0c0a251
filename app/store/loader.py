"""Load a folder of trial files into the store, idempotently.

Every ``*.yaml`` file in the folder is one trial (``*.examples.yaml`` files are worked
example patients, not trials, and are skipped). Each file is parsed and validated in full by
the one trial-file validator (`app.eligibility.trial_file`: the schema, ids, order, every
rule compiling) before anything is written, then written in its own transaction: a bad
file is reported and leaves no trace, and does not stop the good files beside it. Loading
the same folder twice writes nothing the second time; a changed file replaces its trial. Example::

    report = load_directory(sessions, Path("criteria"))
    report.created, report.updated, report.unchanged      # NCT ids
    for problem in report.problems:
        print(problem)
        # criteria/NCT01234567.yaml:14: trial.missing: Field required (criteria.2.text)

Problems carry the file's path and the line of the failing field.

Warnings do not stop a file (`app.eligibility.trial_warnings`: a trial with no cancer-site
criterion and no ``applies_to`` matches every patient), and a file that replaces a
criterion a person curated in the store (``trialmatch trials curate``) with one that is not
curated says so: the file wins, but not silently::

    for warning in report.warnings:
        print(warning)
        # criteria/NCT01234567.yaml: trial.no_cancer_site: no cancer-site criterion and ...
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from app.eligibility.language import Trial
from app.eligibility.trial_file import (
    TrialFileError,
    TrialFileProblem,
    read_trial_file,
)
from app.eligibility.trial_warnings import TrialWarning, trial_warnings
from app.store.live_library import read_stored
from app.store.repository import get_trial, upsert_trial

__all__ = ["TrialFileError", "TrialFileProblem", "load_directory", "read_trial_file"]

EXAMPLES_SUFFIX = ".examples.yaml"


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[TrialFileProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def trial_files(folder: Path) -> list[Path]:
    """The trial files of `folder`, by name; worked-example files are left out."""
    return sorted(
        path
        for path in folder.glob("*.yaml")
        if path.is_file() and not path.name.endswith(EXAMPLES_SUFFIX)
    )


CURATION_REPLACED = "trial.curation_replaced"


def curation_replaced(stored: Trial, trial: Trial) -> list[TrialWarning]:
    """Curated criteria of `stored` that `trial` drops or holds uncurated."""
    incoming = {c.id: c for c in trial.criteria}
    warnings = []
    for kept in stored.criteria:
        new = incoming.get(kept.id)
        if kept.encoding != "curated" or (new is not None and new.encoding == "curated"):
            continue
        by = f" by {kept.curated_by}" if kept.curated_by else ""
        now = f"is {new.encoding} in the file" if new is not None else "is not in the file"
        warnings.append(
            TrialWarning(
                CURATION_REPLACED, f"{kept.id} was curated in the store{by}; it {now}: replaced"
            )
        )
    return warnings


def load_directory(sessions: sessionmaker[Session], folder: Path) -> LoadReport:
    """Load every trial file of `folder`, each in its own transaction."""
    report = LoadReport()
    for path in trial_files(folder):
        try:
            trial = read_trial_file(path)
        except TrialFileError as exc:
            report.problems += exc.problems
            continue
        warnings = trial_warnings(trial)
        with sessions.begin() as session:
            row = get_trial(session, trial.nct_id)
            stored = read_stored(row.document) if row is not None else None
            if isinstance(stored, Trial):
                warnings += curation_replaced(stored, trial)
            outcome = upsert_trial(session, trial, source=path.name)
        getattr(report, outcome).append(trial.nct_id)
        report.warnings += [f"{path}: {warning}" for warning in warnings]
    return report
