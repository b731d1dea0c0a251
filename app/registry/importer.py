"""`trialmatch trials import`: registry files in, draft trials in the store.

Example::

    summaries = import_paths([Path("ctgov/")], sessions, out_dir=Path("drafts/"))
    for s in summaries:
        print(s.line())
        # NCT05288205.json: NCT05288205 created: 14 criteria (1 suggested, 13 text), 3 warnings

Each record is read (`app.registry.sources`), drafted (`draft`), merged with the stored
trial (`reimport`: curated criteria kept, changed ones flagged), written as a library YAML
file (to ``out_dir``, or a temporary folder) and read back by the one trial-file validator
(`app.eligibility.trial_file.read_trial_file`, the one `trials load` uses), then upserted
in its own transaction (`app.store.repository.upsert_trial`): unchanged content writes
nothing. A record that fails anywhere is reported with its file's name and stops nothing
else. Messages never quote the record's text.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from app.eligibility.language import Trial
from app.eligibility.trial_file import TrialFileError, read_trial_file
from app.registry.draft import draft_trial
from app.registry.record import RecordError, RegistryRecord
from app.registry.reimport import merge
from app.registry.sources import read_records
from app.store.repository import get_trial, upsert_trial

SUFFIXES = (".json", ".xml")


@dataclass
class RecordSummary:
    file: str
    nct_id: str | None = None
    outcome: str | None = None  # created / updated / unchanged; None on error
    counts: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    error: str | None = None

    def line(self) -> str:
        if self.error is not None:
            return f"{self.file}: error: {self.error}"
        total = sum(self.counts.values())
        curated = f"{self.counts['curated']} curated, " if self.counts["curated"] else ""
        return (
            f"{self.file}: {self.nct_id} {self.outcome}: {total} criteria ({curated}"
            f"{self.counts['suggested']} suggested, {self.counts['text']} text), "
            f"{len(self.warnings)} warnings, {len(self.flags)} flagged"
        )


def registry_files(paths: Iterable[Path]) -> list[Path]:
    """The files named, and the .json / .xml files of the folders named, in order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if p.suffix.lower() in SUFFIXES)
        else:
            found.append(path)
    return found


def library_yaml(trial: Trial, origin: str) -> str:
    header = (
        f"# {trial.nct_id}: drafted from ClinicalTrials.gov ({origin}) by `trialmatch trials "
        "import`.\n# Criteria with encoding text are the registry's words only; suggested "
        "ones await a person.\n"
    )
    document = trial.model_dump(mode="json", exclude_defaults=True)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml's when PyYAML has it
    return header + yaml.dump(
        document, Dumper=dumper, sort_keys=False, allow_unicode=True, width=100
    )


def _problem(exc: ValueError) -> str:
    if isinstance(exc, TrialFileError):
        return "; ".join(f"{p.type} ({p.where})" for p in exc.problems)
    if isinstance(exc, ValidationError):
        first = exc.errors(include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"{exc.error_count()} invalid fields, first {first['type']} ({where})"
    return str(exc)


def import_paths(
    paths: Iterable[Path], sessions: sessionmaker[Session], *, out_dir: Path | None = None
) -> list[RecordSummary]:
    summaries: list[RecordSummary] = []
    with tempfile.TemporaryDirectory(prefix="trialmatch-import-") as scratch:
        folder = out_dir or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        for path in registry_files(paths):
            for item in read_records(path):
                summary = RecordSummary(file=path.name)
                summaries.append(summary)
                if isinstance(item, RecordError):
                    summary.error = str(item)
                    continue
                summary.nct_id = item.nct_id
                try:
                    _import_one(item, path, folder, sessions, summary)
                except ValueError as exc:  # RecordError, ValidationError, TrialFileError
                    summary.error = _problem(exc)
    return summaries


def _import_one(
    record: RegistryRecord,
    path: Path,
    folder: Path,
    sessions: sessionmaker[Session],
    s: RecordSummary,
) -> None:
    draft = draft_trial(record)
    s.warnings = draft.warnings
    with sessions.begin() as session:
        row = get_trial(session, record.nct_id)
        stored = Trial.model_validate(row.document) if row is not None else None
        merged = merge(draft.trial, stored)
        s.flags = merged.flags
        target = folder / f"{record.nct_id}.yaml"
        text = library_yaml(merged.trial, path.name)
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")  # an unchanged draft is not rewritten
        trial = read_trial_file(target)
        s.outcome = upsert_trial(session, trial, source=path.name)
        s.counts = Counter(c.encoding for c in trial.criteria)
