"""History: coded diagnoses beside the primary cancer, and prior treatments.

Diagnoses are matched by SNOMED code or ICD-10 block (`codes.SNOMED_HISTORY`,
`codes.ICD10_HISTORY`) into the categories trials ask about (IBD, HIV, hepatitis B/C,
myocardial infarction, ...). Procedures are matched by SNOMED code or mCODE profile; a
procedure coded only in a local system is read from its name (TEM, TAMIS, ESD, TME, ...)
and says so. Example::

    condition_category(condition)   # K51.9 -> "inflammatory_bowel_disease"
    read_procedure(procedure)       # "Transanal endoscopic microsurgery" -> local_excision/TEM
"""

from __future__ import annotations

import re
from datetime import date
from functools import cache

from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.procedure import Procedure

from app.facts import codes
from app.facts.cancer import clinical_status
from app.facts.model import (
    BodyRegion,
    ConditionCategory,
    ConditionFact,
    LocalExcisionTechnique,
    ProcedureStatus,
    TreatmentCategory,
    TreatmentFact,
)
from app.facts.reading import (
    Reading,
    code_labels,
    codings,
    date_range,
    displays,
    has_profile,
    latest_day,
    reference,
    to_date,
)
from app.vocabulary import files


def condition_category(condition: Condition) -> ConditionCategory | None:
    for system, code in codings(condition.code):
        if system == codes.SNOMED and code in codes.SNOMED_HISTORY:
            return codes.SNOMED_HISTORY[code]
        if system in codes.ICD10_SYSTEMS:
            category = codes.icd10_category(code)
            if category is not None:
                return category
    return None


def read_condition(condition: Condition, category: ConditionCategory) -> Reading:
    reading = Reading()
    onset = to_date(condition.onsetDateTime)
    reading.facts.append(
        ConditionFact(
            category=category,
            display=next(iter(displays(condition.code)), None),
            onset=onset,
            onset_latest=latest_day(condition.onsetDateTime),
            abatement=to_date(condition.abatementDateTime),
            clinical_status=clinical_status(condition),
            codes=code_labels(condition.code),
            sources=[reference(condition)],
            effective=onset or to_date(condition.recordedDate),
        )
    )
    return reading


@cache
def _treatment_words() -> tuple[
    tuple[re.Pattern[str], TreatmentCategory, LocalExcisionTechnique | None], ...
]:
    # Whole words only: "stem cell transplant" is not TEM.
    return tuple(
        (re.compile(rf"\b{re.escape(word.strip())}\b", re.I), category, technique)
        for word, category, technique in codes.TREATMENT_WORDS
    )


def treatment_by_name(
    names: str,
) -> tuple[TreatmentCategory, LocalExcisionTechnique | None] | None:
    """(category, technique) named by a procedure's text, matched on whole words."""
    for pattern, category, technique in _treatment_words():
        if pattern.search(names):
            return category, technique
    return None


@cache
def _diagnostic() -> tuple[frozenset[str], re.Pattern[str]]:
    document = files.load("diagnostic_procedures")
    words = re.compile(r"\b(?:" + "|".join(files.section(document, "words")) + r")\b", re.I)
    return frozenset(str(c) for c in files.section(document, "snomed")), words


def is_diagnostic(pairs: list[tuple[str, str]], names: str) -> bool:
    """A procedure that examines or samples and treats nothing (biopsy, endoscopy, CT)."""
    snomed, words = _diagnostic()
    if any(system == codes.SNOMED and code in snomed for system, code in pairs):
        return True
    return bool(names.strip()) and words.search(names) is not None


def treatment_kind(
    procedure: Procedure,
) -> tuple[TreatmentCategory, LocalExcisionTechnique | None, bool] | None:
    """(category, technique, read from text?) of a Procedure; None if not a treatment."""
    for system, code in codings(procedure.code):
        if system == codes.SNOMED and code in codes.SNOMED_TREATMENTS:
            category, technique = codes.SNOMED_TREATMENTS[code]
            return category, technique, False
    by_name = treatment_by_name(" ".join(displays(procedure.code)))
    if by_name is not None:
        return (*by_name, True)
    if has_profile(procedure, codes.RADIATION_PROFILE):
        return "radiotherapy", None, False
    if has_profile(procedure, codes.SURGERY_PROFILE):
        return "surgery", None, False
    return None


def read_procedure(procedure: Procedure) -> Reading:
    reading = Reading()
    kind = treatment_kind(procedure)
    if kind is None:
        return reading
    category, technique, from_text = kind
    source = reference(procedure)
    region: BodyRegion | None = None
    for concept in procedure.bodySite or []:
        mapped = [
            codes.SNOMED_BODY_REGIONS[code]
            for system, code in codings(concept)
            if system == codes.SNOMED and code in codes.SNOMED_BODY_REGIONS
        ]
        if mapped:
            region = mapped[0]
        else:
            # Unmapped is unknown, never "other": a criterion on the region cannot pass on it.
            reading.warn(
                "procedure.unmapped_body_site",
                "The procedure's body site is not in trialmatch's vocabulary; region unknown.",
                source,
            )
    if region is None and not procedure.bodySite and technique in TRANSANAL:
        region = "rectum"  # a transanal excision is of the rectum by definition
    start, ended, latest = _performed(procedure)
    status = procedure.status if procedure.status in _STATUSES else "unknown"
    if status != "completed":
        reading.warn(
            "procedure.not_completed",
            "The procedure is not recorded completed: it decides no criterion by itself.",
            source,
        )
    reading.facts.append(
        TreatmentFact(
            category=category,
            technique=technique,
            body_region=region,
            performed=start,
            ended=ended,
            performed_latest=latest,
            status=status,
            codes=code_labels(procedure.code),
            sources=[source],
            effective=start,
            read_from="text" if from_text else "code",
            note="Read from the procedure's name." if from_text else None,
        )
    )
    return reading


# Local excision techniques that reach the tumor through the anus: they name the rectum.
TRANSANAL: frozenset[str] = frozenset({"TEM", "TAMIS", "TSPM"})

_STATUSES: dict[str | None, ProcedureStatus] = {
    "completed": "completed",
    "in-progress": "in-progress",
    "on-hold": "on-hold",
    "stopped": "stopped",
}


def _performed(procedure: Procedure) -> tuple[date | None, date | None, date | None]:
    """When it was done: its first day; for a period, the first day its recorded end may
    be; and its last possible day when that is later than the first (a period's end, or
    the end of a date recorded to the month or year)."""
    first: date | None = None
    ended: date | None = None
    last: date | None = None
    if procedure.performedDateTime is not None:
        found = date_range(procedure.performedDateTime)
        first, last = found if found else (None, None)
    elif procedure.performedPeriod is not None:
        begin = date_range(procedure.performedPeriod.start)
        end = date_range(procedure.performedPeriod.end)
        first = begin[0] if begin else None
        ended, last = end if end else (None, None)
    return first, ended, last if last != first else None
