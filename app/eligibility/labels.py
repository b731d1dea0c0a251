"""Plain-word names of fact values, for the reasons a clinician reads.

Example::

    >>> CONDITION_LABELS["hiv"]
    'HIV infection'
"""

from __future__ import annotations

from typing import Final

from app.facts.units import CANONICAL_UNIT
from app.vocabulary import conditions, labs

# Labels are data: each category's and analyte's label in its vocabulary file.
CONDITION_LABELS: Final[dict[str, str]] = {
    name: conditions.category(name).label for name in conditions.names()
}

ANALYTE_LABELS: Final[dict[str, str]] = {name: labs.analyte(name).label for name in labs.names()}

# The unit each analyte's LabFact carries: declared once, by the facts.
CANONICAL_UNITS: Final = CANONICAL_UNIT

TREATMENT_LABELS: Final[dict[str, str]] = {
    "local_excision": "local excision",
    "total_mesorectal_excision": "total mesorectal excision",
    "surgery": "surgery",
    "radiotherapy": "radiotherapy",
    "chemotherapy": "chemotherapy",
    "immunotherapy": "immunotherapy",
    "chemoradiotherapy": "chemoradiotherapy",
}

FEATURE_LABELS: Final[dict[str, str]] = {
    "lymphovascular_invasion": "lymphovascular invasion",
    "lymphatic_invasion": "lymphatic invasion",
    "venous_invasion": "venous invasion",
    "perineural_invasion": "perineural invasion",
}

SCALE_LABELS: Final[dict[str, str]] = {"ecog": "ECOG", "karnofsky": "Karnofsky"}

CONTEXT_PREFIX: Final[dict[str, str]] = {
    "clinical": "c",
    "pathological": "p",
    "post_neoadjuvant": "yp",
}


def label_list(values: list[str], labels: dict[str, str] | None = None, joiner: str = "or") -> str:
    """'a', 'a or b', 'a, b or c' with each value named by `labels` when given."""
    named = [labels.get(v, v) if labels else v.replace("_", " ") for v in values]
    if len(named) <= 1:
        return "".join(named)
    return f"{', '.join(named[:-1])} {joiner} {named[-1]}"
