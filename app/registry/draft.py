"""A registry record as a draft Trial document, with what the import could not settle.

Example::

    draft = draft_trial(record)
    draft.trial          # Trial: every text criterion review-only, encoding "text"
    draft.warnings       # ["condition 'Solid Tumor' maps to no cancer site: kept as text", ...]

What comes from where:

- Metadata: NCT id, brief title (``title``), official title, overall status (legacy
  labels mapped to the API v2 enum; one we do not hold is UNKNOWN, with a warning), phases
  (API v2 codes joined with "/": ``PHASE1/PHASE2``), start and completion dates (see
  `app.registry.dates`), lead sponsor, arms, sites with status and coordinates (legacy
  arm types and site statuses written in the API v2 enum's form).
- Conditions are kept as the registry writes them. When every one names a cancer site
  beyond doubt (`app.registry.terms`), the trial ``applies_to`` those sites through a
  suggested criterion ``inc-0.a`` (a primary cancer at one of them). Otherwise no site is
  inferred, with a warning: the trial is offered to every patient, at most possibly
  eligible.
- Structured eligibility: minimum / maximum age in years become ``minimum_age`` /
  ``maximum_age`` (checked as ``registry-age``); an age in other units is not applied, with
  a warning (the criteria text still holds it for a person). Sex FEMALE or MALE is a
  suggested criterion ``inc-0.b``. Healthy volunteers is kept as ``healthy_volunteers``.
- The eligibility text: every criterion of `app.registry.splitter`, verbatim. Where a
  pattern reads it beyond doubt (`app.registry.suggest`) it gets that rule, encoding
  ``suggested``; otherwise encoding ``text``, review-only. A sub-item is read alone only
  under a parent that lists its sub-items as criteria of their own
  (`wording.sub_items_stand_alone`).

Ids ``inc-0.*`` are the registry's structured fields; ``inc-N`` / ``exc-N`` (N >= 1) the
text's, so neither renumbers the other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise

from app.eligibility.language import (
    Applicability,
    Arm,
    Criterion,
    PrimaryCancerRule,
    SexRule,
    Site,
    Trial,
)
from app.facts.model import CancerSite
from app.registry import terms
from app.registry.dates import registry_date
from app.registry.record import RegistryRecord
from app.registry.splitter import Piece, split
from app.registry.suggest import suggest
from app.registry.suggest.reading import Context
from app.registry.suggest.wording import normalize, sub_items_stand_alone

CONDITIONS_ID = "inc-0.a"
SEX_ID = "inc-0.b"
SUGGESTED_NOTE = "Suggested by the pattern reader from the verbatim text, for a person to accept"
TEXT_NOTE = "Imported from ClinicalTrials.gov as text, not encoded: for a person to read."
_AGE = re.compile(r"^\s*(\d{1,3})\s+(year|month|week|day|hour|minute)s?\s*$", re.IGNORECASE)


@dataclass
class Draft:
    trial: Trial
    warnings: list[str] = field(default_factory=list)


def _status(record: RegistryRecord, warnings: list[str]) -> str:
    if not record.status_is_legacy and terms.is_status(record.status):
        return record.status
    mapped = terms.overall_status(record.status) if record.status_is_legacy else None
    if mapped is None:
        warnings.append(f"overall status {record.status!r} is not a recruitment status: UNKNOWN")
        return "UNKNOWN"
    return mapped


def _phase(record: RegistryRecord, warnings: list[str]) -> str | None:
    codes = []
    for phase in record.phases:
        code = terms.phase_code(phase) if record.phases_are_legacy else phase
        if code is None:
            warnings.append(f"phase {phase!r} is not known: left out")
        else:
            codes.append(code)
    return "/".join(codes) or None


def _date(text: str | None, what: str, warnings: list[str]) -> date | None:
    if text is None:
        return None
    found = registry_date(text)
    if found is None:
        warnings.append(f"{what} date {text!r} is not a date: left out")
        return None
    if found.precision == "month":
        warnings.append(f"{what} date {text!r} has no day: held as {found.value.isoformat()}")
    return found.value


def _age(text: str | None, what: str, warnings: list[str]) -> int | None:
    if text is None or text.strip().upper() in {"N/A", "NA", ""}:
        return None
    match = _AGE.match(text)
    if match is None or match.group(2).lower() != "year":
        warnings.append(f"{what} age {text!r} is not in whole years: not applied")
        return None
    return int(match.group(1))


def _conditions(
    record: RegistryRecord, warnings: list[str]
) -> tuple[Criterion | None, Applicability | None]:
    found: list[str] = []
    unmapped: list[str] = []
    for condition in record.conditions:
        site = terms.condition_site(condition)
        if site is None:
            unmapped.append(condition)
        elif site not in found:
            found.append(site)
    for condition in unmapped:
        warnings.append(f"condition {condition!r} maps to no cancer site: kept as text")
    if not found or unmapped:
        warnings.append("no cancer site inferred: the trial is offered to every patient")
        return None, None
    criterion = Criterion(
        id=CONDITIONS_ID,
        type="inclusion",
        text="Registry conditions: " + "; ".join(record.conditions),
        rule=PrimaryCancerRule(op="primary_cancer", sites=found),
        encoding="suggested",
        note="Read from the registry's condition list, every name mapping to one site.",
    )
    return criterion, Applicability(cancer_sites=found, criterion=CONDITIONS_ID)


def _sex(record: RegistryRecord) -> Criterion | None:
    value = {"FEMALE": "female", "MALE": "male"}.get((record.sex or "").upper())
    if value is None:
        return None
    return Criterion(
        id=SEX_ID,
        type="inclusion",
        text=f"Registry sex: {record.sex}",
        rule=SexRule(op="sex", one_of=[value]),
        encoding="suggested",
        note="Read from the registry's structured sex field.",
    )


def text_criteria(
    record: RegistryRecord, warnings: list[str], index_sites: tuple[CancerSite, ...] = ()
) -> list[Criterion]:
    pieces = split(record.eligibility_text, style=record.eligibility_style)
    warnings += pieces.warnings
    texts = {piece.id: piece.text for piece in pieces.pieces}
    alternatives = joined_by_or(pieces.pieces)
    criteria: list[Criterion] = []
    for piece in pieces.pieces:
        parent = texts.get(piece.id.partition(".")[0]) if "." in piece.id else None
        found = None
        alone = parent is None or sub_items_stand_alone(parent, piece.type)
        if alone and piece.id not in alternatives:
            found = suggest(piece.text, Context(piece.type, index_sites))
        listed = f" Listed under {piece.heading!r}." if piece.heading else ""
        if found is None:
            criteria.append(
                Criterion(
                    id=piece.id,
                    type=piece.type,
                    text=piece.text,
                    review=True,
                    encoding="text",
                    note=TEXT_NOTE + listed,
                )
            )
        else:
            criteria.append(
                Criterion(
                    id=piece.id,
                    type=piece.type,
                    text=piece.text,
                    rule=found.rule,
                    encoding="suggested",
                    note=f"{SUGGESTED_NOTE} ({found.family}): {found.note}{listed}",
                )
            )
    return criteria


def joined_by_or(pieces: list[Piece]) -> set[str]:
    """Ids of neighbouring criteria the registry joined with "or" ("Creatinine <= 1.5 x ULN
    or" then "Creatinine clearance >= 50 mL/min"): alternatives, never suggested alone."""
    joined: set[str] = set()
    for first, second in pairwise(pieces):
        if first.type != second.type:
            continue
        end, start = normalize(first.text), normalize(second.text)
        if end.endswith(" or") or end == "or" or start.startswith("or ") or start == "or":
            joined |= {first.id, second.id}
    return joined


def _site_status(record: RegistryRecord, status: str | None) -> str | None:
    """A legacy site status in the API v2 enum when it maps ("Recruiting" -> RECRUITING)."""
    if status is None or not record.status_is_legacy:
        return status
    return terms.overall_status(status) or status


def _arm_type(record: RegistryRecord, kind: str | None) -> str | None:
    """Legacy arm types are the API v2 enum in words: "Active Comparator" ->
    ACTIVE_COMPARATOR."""
    if kind is None or not record.status_is_legacy:
        return kind
    return "_".join(kind.upper().split())


def draft_trial(record: RegistryRecord) -> Draft:
    warnings = list(record.warnings)
    conditions, applies_to = _conditions(record, warnings)
    structured = [c for c in (conditions, _sex(record)) if c is not None]
    index_sites = tuple(applies_to.cancer_sites) if applies_to is not None else ()
    criteria = text_criteria(record, warnings, index_sites)
    ordered = sorted(structured + criteria, key=lambda c: c.type != "inclusion")
    trial = Trial(
        nct_id=record.nct_id,
        title=record.brief_title,
        official_title=record.official_title,
        conditions=list(record.conditions),
        phase=_phase(record, warnings),
        status=_status(record, warnings),
        start_date=_date(record.start_date, "start", warnings),
        end_date=_date(record.completion_date, "completion", warnings),
        sponsor=record.sponsor,
        minimum_age=_age(record.minimum_age, "minimum", warnings),
        maximum_age=_age(record.maximum_age, "maximum", warnings),
        healthy_volunteers=record.healthy_volunteers,
        sites=[
            Site(
                facility=s.facility,
                city=s.city,
                state=s.state,
                country=s.country,
                status=_site_status(record, s.status),
                latitude=s.latitude,
                longitude=s.longitude,
            )
            for s in record.sites
        ],
        arms=[
            Arm(label=a.label, type=_arm_type(record, a.type), description=a.description)
            for a in record.arms
        ],
        criteria=ordered,
        applies_to=applies_to,
        sources=[record.source_url],
    )
    return Draft(trial, warnings)
