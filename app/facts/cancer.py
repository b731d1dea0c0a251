"""The cancer: primary cancer Conditions, histology, grade, and metastases as Conditions.

A Condition is a primary cancer when its code is a primary neoplasm code of the
vocabulary (`app.vocabulary.sites`: ICD-10 C00-C97 but C77-C79, in situ D00-D09, ICD-O-3
topography, SNOMED CT disorders) or it carries the mCODE primary-cancer profile. Its site
is the vocabulary's site group (C18.7 sigmoid colon -> colon; C21.1 anal canal -> anus,
not rectum); a cancer code the vocabulary cannot place gives no site and a warning
(``condition.unmapped_site``), never a catch-all. ICD-10 Z85 (personal history of
malignancy) is a prior cancer, read by the history reader, never the primary.

Histology and behaviour come from the mCODE histology-morphology-behavior extension
(ICD-O-3 morphology or SNOMED), or else from an Observation LOINC 59847-4 (ICD-O-3
morphology) whose ``focus`` is the Condition, or with no focus when the record has one
primary cancer. A secondary cancer Condition (SNOMED 128462008 family, ICD-10 C78/C79,
or the mCODE secondary profile) is a metastasis, its site from the code or ``bodySite``.
Example::

    read_condition(condition)   # C20 -> PrimaryCancerFact(site="rectum", ...)
                                # D01.2 -> PrimaryCancerFact(site="rectum", behavior="in_situ")
                                # 94381002 -> MetastasisFact(present=True, site="liver")
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.observation import Observation

from app.facts import codes
from app.facts.model import (
    AnyFact,
    CancerBehavior,
    CancerSite,
    ConditionCategory,
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
    latest_day,
    raw_codings,
    raw_effective_date,
    reference,
    to_date,
)

_STATUSES: frozenset[str] = frozenset(
    {"active", "recurrence", "relapse", "inactive", "remission", "resolved"}
)


@dataclass(frozen=True)
class Primary:
    """What a Condition's codes say of a primary cancer: its site (None: a cancer code the
    vocabulary cannot place) and, when the code says it, its behaviour."""

    site: CancerSite | None
    behavior: CancerBehavior | None


def primary_site(condition: Condition) -> Primary | None:
    """The primary cancer a Condition records; None when it records none."""
    unplaced: Primary | None = None
    for system, code in codings(condition.code):
        if system == codes.SNOMED and code in codes.SNOMED_CANCER_SITES:
            return Primary(codes.SNOMED_CANCER_SITES[code], "malignant")
        if system in codes.ICD10_SYSTEMS:
            found = codes.icd10_primary(code)
            if found is not None and found[0] is not None:
                return Primary(found[0], found[1])
            if found is not None:
                unplaced = unplaced or Primary(None, found[1])
        if system == codes.ICD_O_3:
            site = codes.topography_cancer_site(code)
            if site is not None:
                return Primary(site, None)
    if unplaced is not None:
        return unplaced
    if has_profile(condition, codes.PRIMARY_CANCER_PROFILE):
        return Primary(None, None)
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


def read_primary(condition: Condition, primary: Primary) -> Reading:
    reading = Reading()
    source = reference(condition)
    if primary.site is None:
        reading.warn(
            "condition.unmapped_site",
            "Cancer code not placed at a site by trialmatch's vocabulary; site unknown.",
            source,
        )
    onset = to_date(condition.onsetDateTime) or _asserted(condition)
    recorded = to_date(condition.recordedDate)
    code_list = code_labels(condition.code)
    histology, behavior = _histology(condition, reading, source)
    behavior = behavior or primary.behavior
    reading.facts.append(
        PrimaryCancerFact(
            site=primary.site,
            histology=histology,
            behavior=behavior,
            diagnosed=onset or recorded,
            diagnosed_latest=latest_day(
                condition.onsetDateTime if onset else condition.recordedDate
            ),
            clinical_status=clinical_status(condition),
            codes=code_list,
            sources=[source],
            effective=onset or recorded,
        )
    )
    # "malignancy" in the history is any cancer; the primary is told apart by its facts.
    # A carcinoma in situ is not a malignancy: criteria except it by name.
    reading.facts.append(
        ConditionFact(
            category="carcinoma_in_situ" if behavior == "in_situ" else _malignancy(condition),
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


def _malignancy(condition: Condition) -> ConditionCategory:
    """The history category of a malignant primary: the kind of malignancy its ICD-10 code
    names when the vocabulary has one (C44 non-melanoma skin cancer, which criteria except
    by name), else malignancy."""
    for system, code in codings(condition.code):
        if system in codes.ICD10_SYSTEMS:
            category = codes.icd10_category(code)
            if category is not None and codes.category_within(category, "malignancy"):
                return category
    return "malignancy"


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


def _histology(
    condition: Condition, reading: Reading, source: str
) -> tuple[Histology | None, CancerBehavior | None]:
    for extension in condition.extension or []:
        if extension.url != codes.HISTOLOGY_EXTENSION or not extension.valueCodeableConcept:
            continue
        behavior: CancerBehavior | None = None
        for system, code in codings(extension.valueCodeableConcept):
            if system == codes.SNOMED and code in codes.SNOMED_HISTOLOGY:
                return codes.SNOMED_HISTOLOGY[code], None
            if system == codes.ICD_O_3:
                family, behavior = codes.morphology(code)
                if family is not None:
                    return family, behavior
        # Unknown is not "other": a criterion on histology then answers unknown.
        reading.warn("cancer.unknown_histology", "Histology code not in trialmatch's set.", source)
        return None, behavior
    return None, None


@dataclass(frozen=True)
class HistologyObservation:
    """An Observation LOINC 59847-4: ICD-O-3 morphology of the Conditions in ``focus``."""

    source: str
    focus: frozenset[str]
    histology: Histology
    behavior: CancerBehavior | None
    effective: date | None


def histology_observations(raws: Iterable[dict[str, Any]]) -> list[HistologyObservation]:
    """The histology Observations of a record, read from raw JSON, newest first."""
    found = []
    for raw in raws:
        if raw.get("status") in ("entered-in-error", "cancelled"):
            continue
        if (codes.LOINC, codes.HISTOLOGY_OBSERVATION_CODE) not in raw_codings(raw.get("code")):
            continue
        for system, code in raw_codings(raw.get("valueCodeableConcept")):
            family, behavior = codes.morphology(code) if system == codes.ICD_O_3 else (None, None)
            if family is None:
                continue
            focus = raw.get("focus")
            refs = (
                [f.get("reference") for f in focus if isinstance(f, dict)]
                if isinstance(focus, list)
                else []
            )
            found.append(
                HistologyObservation(
                    source=reference(raw),
                    focus=frozenset(r for r in refs if isinstance(r, str)),
                    histology=family,
                    behavior=behavior,
                    effective=raw_effective_date(raw),
                )
            )
            break
    return sorted(found, key=lambda h: h.effective or date.min, reverse=True)


def attach_histology(
    facts: list[AnyFact], observations: list[HistologyObservation]
) -> list[AnyFact]:
    """Primary cancers with no histology of their own take it from a histology Observation
    about them (``focus``), or from one with no focus when the record has one primary."""
    if not observations:
        return facts
    primaries = [f for f in facts if isinstance(f, PrimaryCancerFact)]
    out: list[AnyFact] = []
    for fact in facts:
        if isinstance(fact, PrimaryCancerFact) and fact.histology is None:
            about = [o for o in observations if o.focus & set(fact.sources)]
            if not about and len(primaries) == 1:
                about = [o for o in observations if not o.focus]
            if about:
                found = about[0]
                note = f"histology from {found.source} (LOINC 59847-4)"
                fact = fact.model_copy(
                    update={
                        "histology": found.histology,
                        "behavior": found.behavior or fact.behavior,
                        "sources": [*fact.sources, found.source],
                        "note": f"{fact.note}; {note}" if fact.note else note,
                    }
                )
        out.append(fact)
    return out


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
