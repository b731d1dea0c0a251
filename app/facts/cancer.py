"""The cancer: primary cancer Conditions, grade, and metastases recorded as Conditions.

A Condition is a primary cancer when its code is a known primary cancer (SNOMED table,
ICD-10 C00-C76/C80-C97) or it carries the mCODE primary-cancer profile; its histology
comes from the mCODE histology-morphology-behavior extension (ICD-O-3 or SNOMED). A
secondary cancer Condition (SNOMED 128462008 family, ICD-10 C78/C79, or the mCODE
secondary profile) is a metastasis, its site from the code or else from ``bodySite``.
Example::

    read_condition(condition)   # C20 -> PrimaryCancerFact(site="rectum", ...)
                                # 94381002 -> MetastasisFact(present=True, site="liver")
"""

from __future__ import annotations

import re

from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.observation import Observation

from app.facts import codes
from app.facts.model import (
    CancerSite,
    ConditionFact,
    ConditionStatus,
    Grade,
    GradeFact,
    Histology,
    MetastasisFact,
    MetastasisSite,
    PrimaryCancerFact,
)
from app.facts.reading import (
    Reading,
    code_labels,
    codings,
    displays,
    effective_date,
    has_profile,
    reference,
    to_date,
)

_STATUSES: frozenset[str] = frozenset(
    {"active", "recurrence", "relapse", "inactive", "remission", "resolved"}
)


def primary_site(condition: Condition) -> CancerSite | None:
    for system, code in codings(condition.code):
        if system == codes.SNOMED and code in codes.SNOMED_CANCER_SITES:
            return codes.SNOMED_CANCER_SITES[code]
        if system in codes.ICD10_SYSTEMS:
            site = codes.icd10_cancer_site(code)
            if site is not None:
                return site
    if has_profile(condition, codes.PRIMARY_CANCER_PROFILE):
        return "other"
    return None


def metastasis_site(condition: Condition) -> MetastasisSite | None:
    """The site of a secondary cancer Condition; None when the Condition is not one."""
    generic = has_profile(condition, codes.SECONDARY_CANCER_PROFILE)
    for system, code in codings(condition.code):
        if system == codes.SNOMED and code in codes.SNOMED_METASTASIS_SITES:
            return codes.SNOMED_METASTASIS_SITES[code]
        if system == codes.SNOMED and code == codes.SECONDARY_CANCER_GENERIC:
            generic = True
        if system in codes.ICD10_SYSTEMS:
            site = codes.icd10_metastasis_site(code)
            if site is not None:
                return site
    if not generic:
        return None
    for concept in condition.bodySite or []:
        for system, code in codings(concept):
            if system == codes.SNOMED and code in codes.SNOMED_BODY_SITE_METASTASIS:
                return codes.SNOMED_BODY_SITE_METASTASIS[code]
    return "other"


def clinical_status(condition: Condition) -> ConditionStatus | None:
    for _, code in codings(condition.clinicalStatus):
        if code in _STATUSES:
            return code  # type: ignore[return-value]  # checked against the Literal's values
    return None


def read_primary(condition: Condition, site: CancerSite) -> Reading:
    reading = Reading()
    source = reference(condition)
    onset = to_date(condition.onsetDateTime) or _asserted(condition)
    recorded = to_date(condition.recordedDate)
    code_list = code_labels(condition.code)
    reading.facts.append(
        PrimaryCancerFact(
            site=site,
            histology=_histology(condition, reading, source),
            diagnosed=onset or recorded,
            clinical_status=clinical_status(condition),
            codes=code_list,
            sources=[source],
            effective=onset or recorded,
        )
    )
    # "malignancy" in the history is any cancer; the primary is told apart by its facts.
    reading.facts.append(
        ConditionFact(
            category="malignancy",
            display=next(iter(displays(condition.code)), None),
            onset=onset,
            abatement=to_date(condition.abatementDateTime),
            clinical_status=clinical_status(condition),
            codes=code_list,
            sources=[source],
            effective=onset or recorded,
        )
    )
    return reading


def read_metastasis(condition: Condition, site: MetastasisSite) -> Reading:
    reading = Reading()
    reading.facts.append(
        MetastasisFact(
            present=True,
            site=site,
            sources=[reference(condition)],
            effective=to_date(condition.onsetDateTime) or to_date(condition.recordedDate),
        )
    )
    return reading


def _histology(condition: Condition, reading: Reading, source: str) -> Histology | None:
    for extension in condition.extension or []:
        if extension.url != codes.HISTOLOGY_EXTENSION or not extension.valueCodeableConcept:
            continue
        for system, code in codings(extension.valueCodeableConcept):
            if system == codes.SNOMED and code in codes.SNOMED_HISTOLOGY:
                return codes.SNOMED_HISTOLOGY[code]
            morphology = code.split("/")[0]
            if system == codes.ICD_O_3 and morphology in codes.ICDO3_HISTOLOGY:
                return codes.ICDO3_HISTOLOGY[morphology]
        reading.warn("cancer.unknown_histology", "Histology code not in trialmatch's set.", source)
        return "other"
    return None


def _asserted(condition: Condition) -> object:
    for extension in condition.extension or []:
        if extension.url == codes.ASSERTED_DATE_EXTENSION:
            return to_date(extension.valueDateTime)
    return None


_GRADE_TEXT = re.compile(
    r"\b(G[1-4X])\b|\b(well|moderately|poorly|un)[- ]?differentiated\b", re.IGNORECASE
)
_GRADE_WORDS: dict[str, Grade] = {"well": "G1", "moderately": "G2", "poorly": "G3", "un": "G4"}


def grade_from_text(text: str) -> Grade | None:
    match = _GRADE_TEXT.search(text)
    if not match:
        return None
    if match[1]:
        return match[1].upper()  # type: ignore[return-value]  # the regex allows only G1-4/GX
    return _GRADE_WORDS[match[2].lower()]


def read_grade(observation: Observation) -> Reading:
    reading = Reading()
    source = reference(observation)
    texts = [code for _, code in codings(observation.valueCodeableConcept)]
    texts += displays(observation.valueCodeableConcept)
    if observation.valueString:
        texts.append(observation.valueString)
    for text in texts:
        grade = grade_from_text(text)
        if grade:
            reading.facts.append(
                GradeFact(value=grade, sources=[source], effective=effective_date(observation))
            )
            return reading
    reading.warn("grade.unknown_value", "Grade value not recognized; skipped.", source)
    return reading
