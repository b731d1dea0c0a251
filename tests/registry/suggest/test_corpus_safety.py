"""The suggestion reader over every criterion of the 40 shared registry records: nothing
hedged is suggested, every suggested rule passes the one validator and compiles, and the
families of this reader make the suggestions counted in the report (read by eye)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from app.eligibility.library import Library
from app.eligibility.trial_file import read_trial_file
from app.registry.importer import library_yaml
from app.registry.suggest import READERS, suggest, wording
from app.registry.suggest.reading import Context
from tests.registry.suggest.drafted import drafts, text_criteria

FAMILIES = ("histology", "stage_metastasis", "prior_therapy", "infection", "other_malignancy")


def family_of(note: str | None) -> str:
    assert note is not None
    return note.split("(", 1)[1].split(")", 1)[0]


def test_the_texts_are_the_imported_criteria() -> None:
    assert len(drafts()) == 40
    # Guards the tests below against reading nothing: the import splits ~1,000 criteria.
    assert len(text_criteria()) > 1000


@pytest.mark.parametrize("family", FAMILIES)
def test_no_family_suggests_on_a_hedged_text(family: str) -> None:
    assert family in READERS
    hedged = [(t, c) for t, c in text_criteria() if wording.hedged(wording.normalize(c.text))]
    assert len(hedged) > 50
    assert [
        (t.nct_id, c.id)
        for t, c in hedged
        if c.encoding == "suggested" and family_of(c.note) == family
    ] == []
    for t, c in hedged:
        context = Context(c.type, tuple(t.applies_to.cancer_sites) if t.applies_to else ())
        assert suggest(c.text, context) is None


def test_every_suggested_trial_passes_the_validator_and_compiles(tmp_path: Path) -> None:
    library = Library.from_trials(list(drafts()))
    assert library.quarantined == {}
    for trial in drafts():
        path = tmp_path / f"{trial.nct_id}.yaml"
        path.write_text(library_yaml(trial, "test"), encoding="utf-8")
        assert read_trial_file(path) == trial


def test_the_families_suggest_what_was_read_by_eye() -> None:
    counts = Counter(family_of(c.note) for _, c in text_criteria() if c.encoding == "suggested")
    # Each suggestion of these families was read against its protocol text; a change in
    # these counts means a reading to check by eye again.
    assert {f: counts[f] for f in FAMILIES} == {
        "histology": 4,
        "stage_metastasis": 17,
        "prior_therapy": 6,
        "infection": 7,
        "other_malignancy": 5,
    }
