"""The trial library: trial files loaded, validated, compiled once, indexed by cancer site.

Example::

    >>> library = load_library(Path("criteria"))
    >>> [t.trial.nct_id for t in library.applicable({"rectum"})]
    ['NCT06043999', 'NCT06949098']

A file that does not validate raises `TrialFileError` (`app.eligibility.trial_file`, the one
validator the store's loader uses too); each of its problems names the file and the line
(``criteria/NCT06949098.yaml:42: trial.float_parsing: ... (criteria.3.rule.lab.gte)``).

The index: a trial with ``applies_to`` is filed under its cancer sites. For a patient whose
recorded primary cancers are all at other sites, the trial cannot apply: the matcher does
not evaluate it (or, when ineligible trials are asked for, evaluates only the decisive
criterion). A trial without ``applies_to``, or a patient with no primary cancer recorded,
is always evaluated in full, so the index never hides a trial that might apply.

Each compiled trial has its content hash (`app.eligibility.fingerprint`): the one the store
keeps when the library is compiled from it, else computed the same way; ``digest`` covers
them all. A match response names both, so the decision can be traced to the trials it used::

    >>> library.content_hashes["NCT06949098"], library.digest
    ('5d41402a...', 'a3f0...')

Quarantine: a trial that does not compile is left out alone, with a `Quarantine` (a stable
type and our own message) in ``library.quarantined``. `compile_or_quarantine` is the one
place that decides it: the library, ``trialmatch trials list`` and ``/readyz`` all ask it::

    >>> compile_or_quarantine(trial)
    Quarantine(type='trial.unit_mismatch', message="... 'U/L' ...")
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from app.eligibility.evaluate import CompiledTrial, compile_trial
from app.eligibility.fingerprint import library_digest, trial_content_hash
from app.eligibility.language import Trial
from app.eligibility.trial_file import TrialFileError, read_trial_file
from app.eligibility.units import UnitMismatch

log = logging.getLogger(__name__)

UNIT_MISMATCH = "trial.unit_mismatch"
INVALID_DOCUMENT = "trial.invalid_document"
# One short sentence per quarantine type, for callers that must not see the detail (/readyz).
QUARANTINE_SUMMARIES = {
    UNIT_MISMATCH: "A rule names a unit that cannot be converted: offered to no patient.",
    INVALID_DOCUMENT: "The stored trial does not validate: offered to no patient.",
}


@dataclass(frozen=True)
class Quarantine:
    """Why a trial is left out of the library: a stable ``type`` (a key of
    QUARANTINE_SUMMARIES) and a message about our own trial data (for the operator)."""

    type: str
    message: str

    @property
    def summary(self) -> str:
        return QUARANTINE_SUMMARIES[self.type]

    def __str__(self) -> str:
        return f"{self.type}: {self.message}"


def compile_or_quarantine(trial: Trial) -> CompiledTrial | Quarantine:
    """The trial compiled, or why it cannot be (a trial stored before the validator
    refused its unit); never raises for a bad rule."""
    try:
        return compile_trial(trial)
    except UnitMismatch as exc:
        return Quarantine(UNIT_MISMATCH, str(exc))


TRIAL_GLOB = "NCT*.yaml"
EXAMPLES_SUFFIX = ".examples.yaml"


def load_trial_file(path: Path) -> Trial:
    """Read and validate one trial file; raises TrialFileError naming file and line."""
    return read_trial_file(path)


@dataclass
class Library:
    """Compiled trials by NCT id, their content hashes, and the index by cancer site."""

    trials: dict[str, CompiledTrial] = field(default_factory=dict)
    content_hashes: dict[str, str] = field(default_factory=dict)
    by_site: dict[str, list[str]] = field(default_factory=dict)
    unindexed: list[str] = field(default_factory=list)
    quarantined: dict[str, Quarantine] = field(
        default_factory=dict, metadata={"doc": "NCT id -> why it is left out"}
    )

    @classmethod
    def from_trials(
        cls, trials: Iterable[Trial], *, content_hashes: Mapping[str, str] | None = None
    ) -> Library:
        """Compile every trial; one that does not compile (a trial stored before the
        validator refused its unit) is quarantined alone, never the whole library.

        ``content_hashes``: the hashes the store keeps, by NCT id (those of the documents
        as stored, which a client can look up at /v1/trials); a trial not in it has its
        hash computed."""
        stored = content_hashes or {}
        library = cls()
        for trial in trials:
            if trial.nct_id in library.trials:
                raise ValueError(f"{trial.nct_id} appears twice")
            compiled = compile_or_quarantine(trial)
            if isinstance(compiled, Quarantine):
                log.error("trial %s does not compile; quarantined", trial.nct_id)
                library.quarantined[trial.nct_id] = compiled
                continue
            library.trials[trial.nct_id] = compiled
            library.content_hashes[trial.nct_id] = stored.get(trial.nct_id) or (
                trial_content_hash(trial)
            )
            if trial.applies_to is None:
                library.unindexed.append(trial.nct_id)
            else:
                for site in trial.applies_to.cancer_sites:
                    library.by_site.setdefault(site, []).append(trial.nct_id)
        return library

    def __len__(self) -> int:
        return len(self.trials)

    @property
    def digest(self) -> str:
        """The library's version: a digest of every compiled trial's id and content hash."""
        return library_digest(self.content_hashes.items())

    def applicable_ids(self, sites: set[str] | None) -> set[str]:
        """Ids of trials that may apply to a patient with primary cancers at ``sites``
        (None: no primary cancer recorded, so every trial may apply)."""
        if sites is None:
            return set(self.trials)
        found = set(self.unindexed)
        for site in sites:
            found.update(self.by_site.get(site, ()))
        return found

    def applicable(self, sites: set[str] | None) -> list[CompiledTrial]:
        """Trials that may apply, in id order; the cost follows their number only."""
        return [self.trials[i] for i in sorted(self.applicable_ids(sites))]

    def not_applicable(self, sites: set[str] | None) -> list[CompiledTrial]:
        """Trials that cannot apply, in id order (walks the whole library)."""
        ids = self.applicable_ids(sites)
        return [t for i, t in sorted(self.trials.items()) if i not in ids]


def trial_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob(TRIAL_GLOB) if not p.name.endswith(EXAMPLES_SUFFIX))


def load_library(directory: Path) -> Library:
    """Load every trial file of a folder; all problems of all files are raised together."""
    trials, problems = [], []
    for path in trial_files(directory):
        try:
            trials.append(load_trial_file(path))
        except TrialFileError as exc:
            problems.extend(exc.problems)
    if problems:
        raise TrialFileError(problems)
    return Library.from_trials(trials)
