"""A new draft merged with the trial already stored: what a person curated is kept.

Example::

    merged = merge(draft, stored)       # stored: the Trial in the store, or None
    merged.trial                        # registry metadata and uncurated criteria from the
                                        # draft; every curated criterion from the store
    merged.flags                        # ["inc-3: curated, but the registry's text changed ..."]
    merged.trial.criteria[3].registry_text   # the registry's new words; .text: the curated ones

Rules: a stored criterion with encoding ``curated`` is never replaced. When the draft's
verbatim text for its id differs, or the registry no longer has the id, it is kept as
curated and flagged (printed by the import, every time, until a person edits it); a changed
text is kept beside it as ``registry_text`` (the curation page shows both).
Suggested and text criteria are the registry's and follow it. ``applies_to`` is kept from
the store when the criterion it names is curated; the registry's is not taken up when the
criterion it would name is curated in the store (a person rejected that site reading).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.eligibility.language import Criterion, Trial


@dataclass
class Merged:
    trial: Trial
    flags: list[str] = field(default_factory=list)
    kept_curated: int = 0


def protocol_order(criterion: Criterion) -> tuple[int, int, str]:
    prefix, _, rest = criterion.id.partition("-")
    number, _, part = rest.partition(".")
    return (0 if prefix == "inc" else 1, int(number), part)


def merge(draft: Trial, stored: Trial | None) -> Merged:
    if stored is None:
        return Merged(draft)
    curated = {c.id: c for c in stored.criteria if c.encoding == "curated"}
    flags: list[str] = []
    criteria: list[Criterion] = []
    for criterion in draft.criteria:
        kept = curated.pop(criterion.id, None)
        if kept is None:
            criteria.append(criterion)
            continue
        changed = kept.text != criterion.text
        if changed:
            flags.append(
                f"{kept.id}: curated, but the registry's text changed since: kept as curated "
                "until a person looks"
            )
        # The registry's newer words beside the curated ones, for the curation page; gone
        # again when the registry goes back to the curated text.
        registry_text = criterion.text if changed else None
        if kept.registry_text != registry_text:
            kept = kept.model_copy(update={"registry_text": registry_text})
        criteria.append(kept)
    for kept in curated.values():
        flags.append(f"{kept.id}: curated, but no longer in the registry's text: kept")
        criteria.append(kept)
    criteria.sort(key=protocol_order)
    kept_ids = {c.id for c in stored.criteria if c.encoding == "curated"}
    applies_to = draft.applies_to
    if stored.applies_to is not None and stored.applies_to.criterion in kept_ids:
        applies_to = stored.applies_to
    elif applies_to is not None and applies_to.criterion in kept_ids:
        # A person curated the criterion the registry's sites would rest on and left the
        # trial without applies_to (a rejected site suggestion): that reading stands.
        applies_to = None
    elif applies_to is not None and applies_to.criterion not in {c.id for c in criteria}:
        applies_to = None
    trial = draft.model_copy(update={"criteria": criteria, "applies_to": applies_to})
    return Merged(Trial.model_validate(trial.model_dump()), flags, len(kept_ids))
