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

from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.procedure import Procedure

from app.facts import codes
from app.facts.cancer import clinical_status
from app.facts.model import (
    BodyRegion,
    ConditionCategory,
    ConditionFact,
    LocalExcisionTechnique,
    TreatmentCategory,
    TreatmentFact,
)
from app.facts.reading import (
    Reading,
    code_labels,
    codings,
    displays,
    has_profile,
    reference,
    to_date,
)


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
            abatement=to_date(condition.abatementDateTime),
            clinical_status=clinical_status(condition),
            codes=code_labels(condition.code),
            sources=[reference(condition)],
            effective=onset or to_date(condition.recordedDate),
        )
    )
    return reading


def treatment_kind(
    procedure: Procedure,
) -> tuple[TreatmentCategory, LocalExcisionTechnique | None, bool] | None:
    """(category, technique, read from text?) of a Procedure; None if not a treatment."""
    for system, code in codings(procedure.code):
        if system == codes.SNOMED and code in codes.SNOMED_TREATMENTS:
            category, technique = codes.SNOMED_TREATMENTS[code]
            return category, technique, False
    names = " ".join(displays(procedure.code)).lower() + " "
    for word, category, technique in codes.TREATMENT_WORDS:
        if re.search(rf"\b{re.escape(word.strip())}\b", names):  # "stem cell" is not TEM
            return category, technique, True
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
    region: BodyRegion | None = None
    for concept in procedure.bodySite or []:
        for system, code in codings(concept):
            if system == codes.SNOMED:
                region = codes.SNOMED_BODY_REGIONS.get(code, "other")
    performed = to_date(procedure.performedDateTime) or to_date(
        getattr(procedure.performedPeriod, "start", None)
    )
    reading.facts.append(
        TreatmentFact(
            category=category,
            technique=technique,
            body_region=region,
            performed=performed,
            codes=code_labels(procedure.code),
            sources=[reference(procedure)],
            effective=performed,
            read_from="text" if from_text else "code",
            note="Read from the procedure's name." if from_text else None,
        )
    )
    return reading
