"""bench/match_library.py's library of 1,000 imported trials: the shared records drafted by
the import's code and replicated under new ids are 1,000 distinct, valid trials that all
compile, each a copy of its record but for the id."""

from __future__ import annotations

from app.eligibility.library import Library
from bench.match_library import replicate, shared_drafts
from tests.registry.conftest import CTGOV, record_files


def test_replication_gives_1000_distinct_valid_trials() -> None:
    drafts = shared_drafts(CTGOV)
    assert len(drafts) == len(record_files()) == 40

    trials = replicate(drafts, 1_000)

    ids = [t.nct_id for t in trials]
    assert len(set(ids)) == 1_000
    assert set(ids).isdisjoint(d.nct_id for d in drafts)
    library = Library.from_trials(trials)  # raises on a repeated id
    assert len(library) == 1_000 and library.quarantined == {}
    assert len(set(library.content_hashes.values())) == 1_000
    for i in (0, 39, 40, 999):
        copy, source = trials[i].model_dump(), drafts[i % 40].model_dump()
        assert copy.pop("nct_id") != source.pop("nct_id")
        assert copy == source
