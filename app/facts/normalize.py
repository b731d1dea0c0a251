"""Normalize one patient's record into `PatientFacts`: the heart of trialmatch.

Cost follows the resources that matter, not the size of the record:

1. Each raw resource is routed by its codes, read straight from the JSON (a dict lookup
   per coding). Resources with codes trialmatch does not read are never validated; they
   are counted in one data-quality warning. Medications are routed by their status: only
   what was given or taken is validated (`app.facts.medications`).
2. Routed resources are validated once with their `fhir.resources.R4B` model (broken
   elements repaired or the resource skipped, with a warning; `app.facts.validation`)
   and handed to the concept module that reads them.
3. Labs are never validated with a model (~0.5 ms each): a strict typed read of the few
   elements a lab needs (`app.facts.labs.LabResult.from_json`) reads them, and one with a
   malformed element is an unreadable result. With ``lab_history=False`` only the results
   that can decide are read (see `normalize`).
4. A panel whose own code is not read is split into its components (each read by its own
   code, with the panel as source) or resolved to its ``hasMember`` Observations
   (`app.facts.panels`).

Nothing read is dropped without a word: a Condition or Procedure the vocabulary cannot
place becomes an `UnclassifiedFact` (`app.facts.unclassified`), a result that cannot be
read keeps its date as an `UnreadableFact`, and both warn; criteria then refuse to read
"not recorded" as "absent", or an older result as the latest.

Rules: every fact keeps its sources; conflicts stay visible (the accessors of
`PatientFacts` pick by date, code over text, and never let pathological stand in for
clinical); a missing scale of performance status is derived from the other. Example::

    facts = normalize(read_bundle(body), date(2026, 11, 22))
    facts.stage("clinical", "T")     # -> StageFact(value="T3", ...)
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from typing import Any, Literal

from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.diagnosticreport import DiagnosticReport
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.procedure import Procedure

from app.facts import (
    biomarkers,
    cancer,
    codes,
    confirmation,
    demographics,
    history,
    labs,
    medications,
    metastasis,
    panels,
    pathology,
    performance,
    report_text,
    staging,
    tumor,
    unclassified,
)
from app.facts.model import (
    Analyte,
    AnyFact,
    LabFact,
    PatientFacts,
    PerformanceFact,
    StagingContext,
    UnreadableFact,
)
from app.facts.reading import Reading, raw_codings, raw_effective_date, reference
from app.facts.validation import validate
from app.fhir.record import FhirJson, PatientRecord

logger = logging.getLogger(__name__)

_OBSERVATION_READERS: dict[codes.Concept, Callable[[Observation], Reading]] = {
    "staging": staging.read_observation,
    "performance": performance.read_observation,
    "biomarkers": biomarkers.read_observation,
    "tumor": tumor.read_observation,
    "pathology": pathology.read_observation,
    "grade": cancer.read_grade,
    "pregnancy": demographics.read_pregnancy_observation,
}
# Observations routed by one code, beside the concept routes of `codes.OBSERVATION_ROUTES`.
_CODE_READERS: dict[codes.Code, Callable[[Observation], Reading]] = {
    (codes.SNOMED, codes.SITE_OF_DISTANT_METASTASIS): metastasis.read_observation,
}
_NOT_A_RESULT = frozenset({"entered-in-error", "cancelled", "not-done"})


def normalize(record: PatientRecord, as_of: date, *, lab_history: bool = True) -> PatientFacts:
    """``lab_history=False`` reads, per analyte, the results no criterion can pass over
    (the newest readable one on or before ``as_of``, its day, and anything newer) and only
    counts the older ones (``PatientFacts.history_not_read``): every verdict is the same,
    since lab criteria read the latest result only."""
    reading = Reading(warnings=list(record.warnings))
    sex: str | None = None
    patient = validate(Patient, record.patient, reading)
    if patient is not None:
        _guarded(reading, patient, demographics.read_patient, patient, as_of)
        sex = patient.gender

    # Staging Observations by reference -> their context, for Condition.stage.assessment.
    assessed, not_read = _read_observations(
        record.of_type("Observation"), as_of, sex, reading, lab_history
    )
    outside_categories = 0
    for raw in record.of_type("Condition"):
        if not _is_real(raw):
            continue
        if not raw_codings(raw.get("code")):
            if not _names(raw.get("code")).strip():  # text only is unclassified, not codeless
                reading.warn(
                    "resource.no_code", "The resource has no readable code.", reference(raw)
                )
            _unclassified(reading, raw, "Condition")
        elif _condition_relevant(raw):
            condition = validate(Condition, raw, reading)
            if condition is None:
                _unclassified(reading, raw, "Condition")
            else:
                _guarded(reading, condition, _read_condition, condition, raw, assessed)
        elif _icd10_coded(raw):
            outside_categories += 1
        else:
            _unclassified(reading, raw, "Condition")
    if outside_categories:
        reading.warn(
            "condition.outside_categories",
            f"{outside_categories} Condition(s) coded in ICD-10 outside every category "
            "trialmatch reads: counted as none of them.",
            None,
        )
    diagnostic = 0
    for raw in record.of_type("Procedure"):
        if not _is_real(raw):
            continue
        if raw.get("status") == "preparation":
            reading.warn(
                "procedure.not_done", "A planned procedure is not history; ignored.", reference(raw)
            )
        elif _procedure_relevant(raw):
            procedure = validate(Procedure, raw, reading)
            if procedure is None:
                _unclassified(reading, raw, "Procedure")
            else:
                _guarded(reading, procedure, history.read_procedure, procedure)
        elif history.is_diagnostic(raw_codings(raw.get("code")), _names(raw.get("code"))):
            diagnostic += 1
        else:
            _unclassified(reading, raw, "Procedure")
    if diagnostic:
        reading.warn(
            "procedure.diagnostic",
            f"{diagnostic} diagnostic Procedure(s) (biopsy, endoscopy, imaging) read as no "
            "treatment.",
            None,
        )
    catalog = medications.Catalog(record.of_type("Medication"), reading)
    for kind, model in medications.MODELS.items():
        for raw in record.of_type(kind):
            if medications.raw_is_exposure(raw):
                resource = validate(model, raw, reading)
                if resource is not None:
                    _guarded(reading, resource, medications.read_exposure, resource, catalog)
    for raw in record.of_type("DiagnosticReport"):
        if _report_has_text(raw) and _is_real(raw):
            report = validate(DiagnosticReport, raw, reading)
            if report is not None:
                _guarded(reading, report, report_text.read_report, report)
                _guarded(reading, report, _read_confirmation, report)

    scores = [f for f in reading.facts if isinstance(f, PerformanceFact)]
    reading.facts.extend(performance.derive_missing(scores))
    return PatientFacts(
        patient=record.reference,
        as_of=as_of,
        facts=_distinct(confirmation.confirm_primaries(_with_histology(record, reading.facts))),
        warnings=reading.warnings,
        history_not_read=not_read,
    )


def _with_histology(record: PatientRecord, facts: list[AnyFact]) -> list[AnyFact]:
    """Primary cancers given the histology of an ICD-O-3 Observation about them."""
    observations = cancer.histology_observations(record.of_type("Observation"))
    return cancer.attach_histology(facts, observations)


def _unclassified(
    reading: Reading, raw: FhirJson, resource_type: Literal["Condition", "Procedure"]
) -> None:
    """Keep a resource the vocabulary cannot place, so absence-based criteria ask a person."""
    reading.facts.append(unclassified.read_raw(raw, resource_type))
    reading.warn(
        f"{resource_type.lower()}.unclassified",
        f"The {resource_type} could not be placed in trialmatch's vocabulary: criteria that "
        "rest on the absence of a diagnosis or treatment go to a person.",
        reference(raw),
    )


def _icd10_coded(raw: FhirJson) -> bool:
    return any(system in codes.ICD10_SYSTEMS for system, _ in raw_codings(raw.get("code")))


def _read_confirmation(report: DiagnosticReport) -> Reading:
    return Reading(facts=list(confirmation.read_report(report)))


def _distinct(facts: list[AnyFact]) -> list[AnyFact]:
    """Drop exact repeats, e.g. a report whose conclusion and attached text say the same."""
    seen: set[str] = set()
    kept: list[AnyFact] = []
    for fact in facts:
        key = fact.model_dump_json()
        if key not in seen:
            seen.add(key)
            kept.append(fact)
    return kept


def _read_observations(
    raws: list[FhirJson], as_of: date, sex: str | None, reading: Reading, lab_history: bool
) -> tuple[dict[str, StagingContext], int]:
    """Read every Observation once; returns the staging context of each staging one, and
    how many older lab results were only counted (none with ``lab_history``)."""
    lab_raws: dict[Analyte, list[FhirJson]] = defaultdict(list)
    assessed: dict[str, StagingContext] = {}
    ignored = 0
    pending = list(raws)  # grows by the parts of component panels (`app.facts.panels`)
    ids = {str(raw.get("id")) for raw in raws}
    for raw in pending:
        if not _is_real(raw):
            continue
        pairs = raw_codings(raw.get("code"))
        if not pairs:
            reading.warn("resource.no_code", "The resource has no readable code.", reference(raw))
            continue
        concept = next(
            (codes.OBSERVATION_ROUTES[p] for p in pairs if p in codes.OBSERVATION_ROUTES), None
        )
        if concept == "staging":
            context = next(
                (c for p in pairs if (c := codes.STAGING_CODES.get(p, (None, None))[0])), None
            )
            if context is not None:
                assessed[reference(raw)] = context
        by_code = next((_CODE_READERS[p] for p in pairs if p in _CODE_READERS), None)
        if by_code is not None:
            observation = validate(Observation, raw, reading)
            if observation is not None:
                _guarded(reading, observation, by_code, observation)
        elif concept is None and (parts := panels.split_components(raw, _routed)):
            pending.extend(parts)
        elif concept is None and (members := panels.member_references(raw)):
            for _ in panels.missing_members(members, ids):
                reading.warn(
                    "panel.member_missing",
                    "A panel names a member Observation that is not in the record.",
                    reference(raw),
                )
        elif concept is None:
            ignored += 1
        elif concept == "labs":
            loinc = next(c for s, c in pairs if s == codes.LOINC and c in codes.LAB_CODES)
            lab_raws[codes.LAB_CODES[loinc]].append(raw)
        else:
            before = len(reading.facts)
            observation = validate(Observation, raw, reading)
            if observation is not None:
                _guarded(reading, observation, _OBSERVATION_READERS[concept], observation)
            if concept == "performance" and not any(
                isinstance(f, PerformanceFact) for f in reading.facts[before:]
            ):
                scale = "ecog" if any(p in codes.ECOG_CODES for p in pairs) else "karnofsky"
                _unreadable(reading, raw, "performance", scale)
    if ignored:
        reading.warn(
            "observation.not_read",
            f"{ignored} Observation(s) with codes trialmatch does not read were ignored.",
            None,
        )
    not_read = 0
    for analyte, results in lab_raws.items():
        not_read += _read_labs(analyte, results, as_of, sex, reading, lab_history)
    return assessed, not_read


def _routed(pair: codes.Code) -> bool:
    return pair in codes.OBSERVATION_ROUTES or pair in _CODE_READERS


def _guarded(reading: Reading, resource: Any, reader: Callable[..., Reading], *args: Any) -> None:
    """Run one concept reader; a bug or an unforeseen shape costs that resource, not the
    request. Only the exception's type is logged: its text may quote the record."""
    try:
        reading.extend(reader(*args))
    except Exception as exc:
        source = reference(resource)
        # The resource type only: its id points into the patient's record.
        logger.error("normalizer failed on a %s: %s", source.partition("/")[0], type(exc).__name__)
        reading.warn("resource.unreadable", "The resource could not be read; skipped.", source)


def _read_labs(
    analyte: Analyte,
    raws: list[FhirJson],
    as_of: date,
    sex: str | None,
    reading: Reading,
    history: bool,
) -> int:
    """Read one analyte's results, newest first; returns how many were only counted."""
    dated = sorted(
        ((raw_effective_date(raw), raw) for raw in raws),
        key=lambda pair: pair[0] or date.min,
        reverse=True,
    )
    decided_on: date | None = None  # the day of the newest readable current result
    for position, (effective, raw) in enumerate(dated):
        if not history and decided_on is not None and effective != decided_on:
            return len(dated) - position  # older than the result that decides: counted
        before = len(reading.facts)
        result = labs.LabResult.from_json(raw)
        if result is None:
            reading.warn("lab.unreadable", "A lab result is malformed; skipped.", reference(raw))
        if result is not None:
            _guarded(reading, raw, labs.to_facts, result, sex)
        if not any(isinstance(f, LabFact) for f in reading.facts[before:]):
            _unreadable(reading, raw, "lab", analyte)
        elif effective is not None and effective <= as_of and decided_on is None:
            decided_on = effective
    return 0


def _unreadable(
    reading: Reading, raw: FhirJson, family: Literal["lab", "performance"], key: str
) -> None:
    """Keep the date of a result that could not be read: it must not yield to an older one."""
    when = raw_effective_date(raw)
    reading.facts.append(
        UnreadableFact(family=family, key=key, sources=[reference(raw)], effective=when)
    )


def _read_condition(
    condition: Condition, raw: FhirJson, assessed: dict[str, StagingContext]
) -> Reading:
    reading = Reading()
    site = cancer.metastasis_site(condition)
    if site is not None:
        reading.extend(cancer.read_metastasis(condition, site))
        return reading
    primary = cancer.primary_site(condition)
    if primary is not None:
        reading.extend(cancer.read_primary(condition, primary))
        reading.extend(staging.read_condition_stages(condition, assessed))
        return reading
    pairs = raw_codings(condition.code.model_dump() if condition.code else None)
    if any(s == codes.SNOMED and c in codes.PREGNANCY_CONDITION_SNOMED for s, c in pairs):
        reading.extend(demographics.read_pregnancy_condition(condition))
        return reading
    category = history.condition_category(condition)
    if category is not None:
        reading.extend(history.read_condition(condition, category))
    elif not _icd10_coded(raw):
        _unclassified(reading, raw, "Condition")
    return reading


def _is_real(raw: FhirJson) -> bool:
    """False for results entered in error, cancelled, or refuted diagnoses."""
    status = raw.get("status")
    if isinstance(status, str) and status in _NOT_A_RESULT:
        return False
    verification = raw_codings(raw.get("verificationStatus"))
    return not any(code in ("entered-in-error", "refuted") for _, code in verification)


def _profiles(raw: FhirJson) -> str:
    meta = raw.get("meta")
    profiles = meta.get("profile") if isinstance(meta, dict) else None
    return " ".join(p for p in profiles if isinstance(p, str)) if isinstance(profiles, list) else ""


def _condition_relevant(raw: FhirJson) -> bool:
    profiles = _profiles(raw)
    if codes.PRIMARY_CANCER_PROFILE in profiles or codes.SECONDARY_CANCER_PROFILE in profiles:
        return True
    for system, code in raw_codings(raw.get("code")):
        if system == codes.SNOMED and (
            code in codes.SNOMED_CANCER_SITES
            or code in codes.SNOMED_METASTASIS_SITES
            or code == codes.SECONDARY_CANCER_GENERIC
            or code in codes.SNOMED_HISTORY
            or code in codes.PREGNANCY_CONDITION_SNOMED
        ):
            return True
        if system == codes.ICD_O_3 and codes.topography_cancer_site(code):
            return True
        if system in codes.ICD10_SYSTEMS and (
            codes.icd10_primary(code) is not None
            or codes.icd10_metastasis_site(code)
            or codes.icd10_category(code)
        ):
            return True
    return False


def _procedure_relevant(raw: FhirJson) -> bool:
    profiles = _profiles(raw)
    if codes.RADIATION_PROFILE in profiles or codes.SURGERY_PROFILE in profiles:
        return True
    concept: Any = raw.get("code")
    if any(s == codes.SNOMED and c in codes.SNOMED_TREATMENTS for s, c in raw_codings(concept)):
        return True
    return history.treatment_by_name(_names(concept)) is not None


def _names(concept: Any) -> str:
    if not isinstance(concept, dict):
        return ""
    parts = [concept.get("text")]
    parts += [c.get("display") for c in concept.get("coding") or [] if isinstance(c, dict)]
    return " ".join(p for p in parts if isinstance(p, str)).lower() + " "


def _report_has_text(raw: FhirJson) -> bool:
    if isinstance(raw.get("conclusion"), str) and raw["conclusion"].strip():
        return True
    forms = raw.get("presentedForm")
    return isinstance(forms, list) and any(
        isinstance(f, dict) and str(f.get("contentType", "")).startswith("text/plain")
        for f in forms
    )
