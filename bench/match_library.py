"""Benchmark: one patient matched against the 3-trial library and against 1,000 imported trials.

The 1,000 trials are the shared ClinicalTrials.gov records (/work/shared/ctgov, or the
folder given) drafted by the import's own code (`app.registry.draft`), replicated under new
NCT ids (NCT9xxxxxxx) until there are 1,000. The patient is a bundled example
(examples/patients/rectal_early_low_eligible.json, a cT1N0M0 rectal adenocarcinoma), read
and normalized once; the time measured is `match_facts`, what `/v1/match` does after the
FHIR boundary. Run::

    PYTHONPATH=. python bench/match_library.py                 # in memory
    PYTHONPATH=. python bench/match_library.py --store         # through a temporary SQLite store
    PYTHONPATH=. python bench/match_library.py --repeat 9 --size 1000 [FOLDER]

It prints, for each library, the median time of one match as served (open trials, the
ineligible left out) and with every trial considered (``include_ineligible`` and
``include_closed``), the ratio of the two libraries' times, and the cost per trial (the
1,000-trial time over 1,000, and the extra time per extra trial over the 3-trial library).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from app.config import REPO_ROOT
from app.eligibility.language import Trial
from app.eligibility.library import Library, load_library
from app.facts.model import PatientFacts
from app.facts.normalize import normalize
from app.fhir.bundle import read_bundle
from app.matching.service import cancer_sites, match_facts
from app.registry.draft import draft_trial
from app.registry.importer import registry_files
from app.registry.record import RecordError
from app.registry.sources import read_records

SHARED = Path("/work/shared/ctgov")
PATIENT = REPO_ROOT / "examples" / "patients" / "rectal_early_low_eligible.json"
AS_OF = date(2026, 11, 23)  # the day the example's record was written (README)
REPLICA_PREFIX = "NCT9"  # no registered trial has such an id yet


def shared_drafts(folder: Path) -> list[Trial]:
    """Every record of `folder` drafted as `trialmatch trials import` drafts it."""
    trials = []
    for path in registry_files([folder]):
        for item in read_records(path):
            if not isinstance(item, RecordError):
                trials.append(draft_trial(item).trial)
    return trials


def replicate(trials: list[Trial], size: int) -> list[Trial]:
    """`size` trials: the given ones in turn, each copy validated anew under its own id."""
    if not trials:
        raise ValueError("no trials to replicate")
    copies = []
    for i in range(size):
        document = trials[i % len(trials)].model_dump(mode="json")
        document["nct_id"] = f"{REPLICA_PREFIX}{i:07d}"
        copies.append(Trial.model_validate(document))
    return copies


def through_store(trials: list[Trial]) -> tuple[Library, float, float]:
    """The trials upserted into a new SQLite store, then compiled from it as the service
    does; returns the library and the two times."""
    from app.store.live_library import compile_store
    from app.store.migrate import upgrade
    from app.store.repository import upsert_trial
    from app.store.session import make_engine, make_session_factory

    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(f"sqlite:///{Path(scratch) / 'bench.db'}")
        try:
            upgrade(engine)
            sessions = make_session_factory(engine)
            start = time.perf_counter()
            with sessions.begin() as session:
                for trial in trials:
                    upsert_trial(session, trial, source="bench")
            stored = time.perf_counter() - start
            start = time.perf_counter()
            with sessions() as session:
                library = compile_store(session)
            compiled = time.perf_counter() - start
        finally:
            engine.dispose()
    return library, stored, compiled


def patient() -> PatientFacts:
    return normalize(read_bundle(PATIENT.read_bytes()), AS_OF)


def median_seconds(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def timings(facts: PatientFacts, library: Library, repeat: int) -> tuple[float, float]:
    served = median_seconds(lambda: match_facts(facts, library), repeat)
    everything = median_seconds(
        lambda: match_facts(facts, library, include_ineligible=True, include_closed=True), repeat
    )
    return served, everything


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", nargs="?", type=Path, default=SHARED)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--size", type=int, default=1_000)
    parser.add_argument("--store", action="store_true", help="go through a SQLite store")
    args = parser.parse_args()

    patient()  # the first read loads the vocabulary files: not a per-patient cost
    start = time.perf_counter()
    facts = patient()
    normalized = time.perf_counter() - start
    small = load_library(REPO_ROOT / "criteria")
    drafts = shared_drafts(args.folder)
    replicas = replicate(drafts, args.size)
    start = time.perf_counter()
    large = Library.from_trials(replicas)
    compile_s = time.perf_counter() - start
    print(
        f"patient: {PATIENT.name} as of {AS_OF} (read + normalized in {ms(normalized)}, "
        "not counted below); "
        f"median of {args.repeat}"
    )
    print(
        f"imported library: {len(drafts)} records from {args.folder} drafted, replicated to "
        f"{len(large)} trials ({len(large.quarantined)} quarantined); compiled in {ms(compile_s)}"
    )
    if args.store:
        in_memory = large.digest
        large, stored, compile_s = through_store(replicas)
        print(
            f"through SQLite: upserted in {ms(stored)}, compiled from the store in "
            f"{ms(compile_s)}; same digest as in memory: {large.digest == in_memory}"
        )
    applicable = len(large.applicable(cancer_sites(facts)))
    print(f"trials that may apply to the patient (by the index): {applicable} of {len(large)}")

    rows = [("3 trials (criteria/)", small), (f"{len(large):,} imported trials", large)]
    results = [timings(facts, library, args.repeat) for _, library in rows]
    print(f"{'library':<26}{'as served':>12}{'every trial':>14}{'matches':>9}")
    for (label, library), (served, everything) in zip(rows, results, strict=True):
        shown = len(match_facts(facts, library).matches)
        print(f"{label:<26}{ms(served):>12}{ms(everything):>14}{shown:>9}")
    (small_served, small_all), (large_served, large_all) = results
    extra = len(large) - len(small)
    for label, a, b in (
        ("as served", small_served, large_served),
        ("every trial", small_all, large_all),
    ):
        print(
            f"{label}: ratio {b / a:.0f}x; per trial {b / len(large) * 1e6:.0f} us "
            f"({(b - a) / extra * 1e6:.0f} us per extra trial)"
        )


if __name__ == "__main__":
    main()
