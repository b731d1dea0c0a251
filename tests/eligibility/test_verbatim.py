"""Every criterion's text is the protocol's own words, from the seed page it was encoded from.

A split criterion quotes its parts joined by " … "; each part must appear in the page
(whitespace normalized, since one mirror hard-wraps its lines).
"""

from pathlib import Path

import pytest

from app.config import REPO_ROOT
from app.eligibility.library import load_library

SEEDS = Path(__file__).parent / "seeds"
LIBRARY = load_library(REPO_ROOT / "criteria")


def normalized(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("nct", sorted(LIBRARY.trials))
def test_criterion_texts_are_verbatim(nct: str) -> None:
    page = normalized((SEEDS / f"{nct}.txt").read_text(encoding="utf-8"))
    for criterion in LIBRARY.trials[nct].trial.criteria:
        for part in criterion.text.split(" … "):
            assert normalized(part) in page, (criterion.id, part)


def test_the_check_would_catch_a_paraphrase() -> None:
    page = normalized((SEEDS / "NCT06949098.txt").read_text(encoding="utf-8"))
    assert "ECOG performance status 0-1" in page
    assert "ECOG status of 0 or 1" not in page
