"""Suggested rules for a registry criterion's text, made only where the reading is sure.

Example::

    suggest("Age >= 18 years", Context("inclusion"))
    # -> Suggestion(rule=AgeRule(op="age", gte=18), family="age", note="Read as ...")
    suggest("Age >= 18 years, at the investigator's discretion", Context("inclusion"))
    # -> None: hedged, left as text

Each pattern family is one module with a ``read(text, context)`` function
(`app.registry.suggest.reading.Reader`), listed in ``READERS``. A suggestion is made when:

- the text holds no hedge (`wording.hedged`: "at the investigator's discretion", "unless",
  "such as", ...);
- exactly one family reads it (two families claiming one text is ambiguous);
- the family's spans account for every word but filler (`wording.fully_read`).

Precision comes before coverage: a suggestion that fails a patient the protocol admits is
a defect, so a reader returns None whenever a word could change the meaning. The trial
stays at most possibly eligible while any suggestion is not accepted by a person.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.eligibility.language import Rule
from app.registry.suggest import (
    age,
    histology,
    infection,
    labs,
    other_malignancy,
    performance,
    prior_therapy,
    reproductive,
    stage_metastasis,
    wording,
)
from app.registry.suggest.reading import Context, Reader

READERS: dict[str, Reader] = {
    "age": age.read,
    "performance": performance.read,
    "labs": labs.read,
    "reproductive": reproductive.read,
    "histology": histology.read,
    "stage_metastasis": stage_metastasis.read,
    "prior_therapy": prior_therapy.read,
    "infection": infection.read,
    "other_malignancy": other_malignancy.read,
}


@dataclass(frozen=True)
class Suggestion:
    rule: Rule
    family: str
    note: str


def suggest(text: str, context: Context) -> Suggestion | None:
    normalized = wording.normalize(text)
    if not normalized or wording.hedged(normalized):
        return None
    found: list[Suggestion] = []
    for family, read in READERS.items():
        reading = read(normalized, context)
        if reading is not None and wording.fully_read(normalized, reading.spans):
            found.append(Suggestion(reading.rule, family, reading.note))
    return found[0] if len(found) == 1 else None


__all__ = ["Context", "Suggestion", "suggest"]
