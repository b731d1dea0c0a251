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
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from app.eligibility.trial_file import (
    TrialFileError,
    TrialFileProblem,
    read_trial_file,
)
from app.store.repository import upsert_trial

__all__ = ["TrialFileError", "TrialFileProblem", "load_directory", "read_trial_file"]

EXAMPLES_SUFFIX = ".examples.yaml"


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[TrialFileProblem] = field(default_factory=list)

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


def load_directory(sessions: sessionmaker[Session], folder: Path) -> LoadReport:
    """Load every trial file of `folder`, each in its own transaction."""
    report = LoadReport()
    for path in trial_files(folder):
        try:
            trial = read_trial_file(path)
        except TrialFileError as exc:
            report.problems += exc.problems
            continue
        with sessions.begin() as session:
            outcome = upsert_trial(session, trial, source=path.name)
        getattr(report, outcome).append(trial.nct_id)
    return report
