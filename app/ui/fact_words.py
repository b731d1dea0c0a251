"""A fact in plain words for the match report: its family, a headline and its recorded details.

The report groups a patient's facts by family (labs, staging, performance, ...) and shows
each with a one-line headline in a clinician's words, then every other field the fact
carries, as recorded: nothing is left out and nothing is added. Example::

    >>> fact = PerformanceFact(scale="ecog", value=1, sources=["Observation/o1"])
    >>> family_of(fact).title, headline(fact)
    ('Performance status', 'ECOG 1')
    >>> details(LabFact(analyte="hemoglobin", value=112.0, unit="g/L", reference_low=120.0))
    [('reference low', '120')]

Names come from the vocabulary files' labels (cancer sites, histologies, conditions, labs,
drug classes), so the page says what the API's reasons say.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import assert_never

from app.eligibility.labels import (
    ANALYTE_LABELS,
    CONDITION_LABELS,
    CONTEXT_PREFIX,
    FEATURE_LABELS,
    SCALE_LABELS,
    TREATMENT_LABELS,
)
from app.facts.model import (
    AgeFact,
    AnalVergeDistanceFact,
    AnyFact,
    BiomarkerFact,
    ConditionFact,
    DeceasedFact,
    DiagnosisConfirmationFact,
    Fact,
    GradeFact,
    LabFact,
    LactationFact,
    MarginFact,
    MedicationFact,
    MetastasisFact,
    PathologyFeatureFact,
    PerformanceFact,
    PregnancyFact,
    PrimaryCancerFact,
    SexFact,
    StageFact,
    SubmucosalInvasionFact,
    TreatmentFact,
    TumorSizeFact,
    UnclassifiedFact,
    UnreadableFact,
)
from app.vocabulary import histology, sites
from app.vocabulary.medications import drug_vocabulary


@dataclass(frozen=True)
class Family:
    key: str
    title: str


# The report's sections, in the order a clinician reads a chart: who, what cancer, how far,
# how fit, the numbers, what was given, what else they have, and what could not be placed.
DEMOGRAPHICS = Family("demographics", "Demographics")
DIAGNOSIS = Family("diagnosis", "Diagnosis and histology")
STAGING = Family("staging", "Staging")
TUMOR = Family("tumor", "Tumor and pathology")
METASTASIS = Family("metastasis", "Metastasis")
PERFORMANCE = Family("performance", "Performance status")
LABS = Family("labs", "Labs")
BIOMARKERS = Family("biomarkers", "Biomarkers")
THERAPY = Family("therapy", "Prior therapy and medications")
COMORBIDITIES = Family("comorbidities", "Comorbidities and history")
UNCLASSIFIED = Family("unclassified", "Record items not classified")
UNREADABLE = Family("unreadable", "Results that could not be read")
FAMILIES: tuple[Family, ...] = (
    DEMOGRAPHICS,
    DIAGNOSIS,
    STAGING,
    TUMOR,
    METASTASIS,
    PERFORMANCE,
    LABS,
    BIOMARKERS,
    THERAPY,
    COMORBIDITIES,
    UNCLASSIFIED,
    UNREADABLE,
)

# What every fact has (shown as provenance, not as details) and the discriminator.
_COMMON_FIELDS = frozenset(Fact.model_fields) | {"kind"}
# The fields each kind's headline already says, so its details do not repeat them.
IN_HEADLINE: dict[str, frozenset[str]] = {
    "age": frozenset({"years_min", "years_max"}),
    "sex": frozenset({"value"}),
    "pregnancy": frozenset({"pregnant"}),
    "lactation": frozenset({"lactating"}),
    "primary_cancer": frozenset({"site", "histology"}),
    "diagnosis_confirmation": frozenset({"method", "histology"}),
    "grade": frozenset({"value"}),
    "stage": frozenset({"context", "category", "value"}),
    "submucosal_invasion": frozenset({"level"}),
    "anal_verge_distance": frozenset({"cm"}),
    "tumor_size": frozenset({"greatest_dimension_cm"}),
    "pathology_feature": frozenset({"feature", "present"}),
    "margin": frozenset({"residual"}),
    "metastasis": frozenset({"present", "site"}),
    "performance": frozenset({"scale", "value"}),
    "lab": frozenset({"analyte", "value", "unit"}),
    "biomarker": frozenset({"marker", "status", "value"}),
    "condition": frozenset({"category"}),
    "treatment": frozenset({"category", "technique", "status"}),
    "unclassified": frozenset({"resource_type", "display"}),
    "unreadable": frozenset({"family", "key"}),
    "medication": frozenset({"ingredient", "drug_classes"}),
}


def family_of(fact: AnyFact) -> Family:
    match fact:
        case AgeFact() | SexFact() | DeceasedFact() | PregnancyFact() | LactationFact():
            return DEMOGRAPHICS
        case PrimaryCancerFact() | DiagnosisConfirmationFact() | GradeFact():
            return DIAGNOSIS
        case StageFact():
            return STAGING
        case (
            SubmucosalInvasionFact()
            | AnalVergeDistanceFact()
            | TumorSizeFact()
            | PathologyFeatureFact()
            | MarginFact()
        ):
            return TUMOR
        case MetastasisFact():
            return METASTASIS
        case PerformanceFact():
            return PERFORMANCE
        case LabFact():
            return LABS
        case BiomarkerFact():
            return BIOMARKERS
        case TreatmentFact() | MedicationFact():
            return THERAPY
        case ConditionFact():
            return COMORBIDITIES
        case UnclassifiedFact():
            return UNCLASSIFIED
        case UnreadableFact():
            return UNREADABLE
        case _:
            assert_never(fact)


def _words(value: str) -> str:
    return value.replace("_", " ")


def _first_upper(text: str) -> str:
    # Not str.capitalize: it would write "HIV infection" as "Hiv infection".
    return text[:1].upper() + text[1:]


def _number(value: float) -> str:
    return f"{value:g}"


def _site(name: str | None) -> str:
    return "a site the vocabulary cannot place" if name is None else sites.site(name).label


def _histology(name: str) -> str:
    return histology.family(name).label


def _cancer(fact: PrimaryCancerFact) -> str:
    text = f"Primary cancer: {_site(fact.site)}"
    if fact.histology is not None:
        text += f", {_histology(fact.histology)}"
    return text


def _stage(fact: StageFact) -> str:
    if fact.category == "group":
        return f"{fact.context.replace('_', '-').capitalize()} stage group {fact.value}"
    return f"{CONTEXT_PREFIX[fact.context]}{fact.value}"


def _lab(fact: LabFact) -> str:
    name = ANALYTE_LABELS.get(fact.analyte, _words(fact.analyte))
    return f"{_first_upper(name)} {_number(fact.value)} {fact.unit}"


def _treatment(fact: TreatmentFact) -> str:
    text = f"Prior {TREATMENT_LABELS[fact.category]}"
    if fact.technique is not None:
        text += f" ({fact.technique})"
    if fact.status != "completed":
        text += f", {fact.status}"
    return text


def _medication(fact: MedicationFact) -> str:
    name = fact.ingredient or fact.display or "a drug the vocabulary cannot name"
    if fact.drug_classes:
        vocab = drug_vocabulary()
        classes = ", ".join(vocab.label(c) for c in fact.drug_classes)
        return f"Medication: {name} ({classes})"
    return f"Medication: {name}"


def headline(fact: AnyFact) -> str:
    """One line in a clinician's words: what the fact says."""
    match fact:
        case AgeFact():
            if fact.years_min == fact.years_max:
                return f"Age {fact.years_min}"
            return f"Age {fact.years_min}-{fact.years_max}"
        case SexFact():
            return f"Sex: {fact.value}"
        case DeceasedFact():
            return "Recorded deceased"
        case PregnancyFact():
            return "Pregnant" if fact.pregnant else "Not pregnant"
        case LactationFact():
            return "Breastfeeding" if fact.lactating else "Not breastfeeding"
        case PrimaryCancerFact():
            return _cancer(fact)
        case DiagnosisConfirmationFact():
            return f"Diagnosis proven by {fact.method}: {_histology(fact.histology)}"
        case GradeFact():
            return f"Grade {fact.value}"
        case StageFact():
            return _stage(fact)
        case SubmucosalInvasionFact():
            return "Submucosal invasion" + (f" {fact.level}" if fact.level else "")
        case AnalVergeDistanceFact():
            return f"Distance from the anal verge: {_number(fact.cm)} cm"
        case TumorSizeFact():
            return f"Tumor size: {_number(fact.greatest_dimension_cm)} cm"
        case PathologyFeatureFact():
            label = _first_upper(FEATURE_LABELS[fact.feature])
            return f"{label}: {'present' if fact.present else 'absent'}"
        case MarginFact():
            if fact.residual is not None:
                return f"Resection margin {fact.residual}"
            return (
                "Resection margin "
                + {True: "involved", False: "clear", None: "recorded"}[fact.involved]
            )
        case MetastasisFact():
            if not fact.present:
                return "No distant metastasis"
            return "Distant metastasis" + (f": {_words(fact.site)}" if fact.site else "")
        case PerformanceFact():
            return f"{SCALE_LABELS[fact.scale]} {fact.value}"
        case LabFact():
            return _lab(fact)
        case BiomarkerFact():
            status = f" {_words(fact.status)}" if fact.status else ""
            value = f" {_number(fact.value)}%" if fact.value is not None else ""
            return f"{fact.marker.upper()}:{status}{value}"
        case TreatmentFact():
            return _treatment(fact)
        case MedicationFact():
            return _medication(fact)
        case ConditionFact():
            return _first_upper(CONDITION_LABELS.get(fact.category, _words(fact.category)))
        case UnclassifiedFact():
            return f"{fact.resource_type} not classified: {fact.display or 'no name recorded'}"
        case UnreadableFact():
            return f"Unreadable {fact.family} result: {_words(fact.key)}"
        case _:
            assert_never(fact)


def _shown(value: object) -> str | None:
    """A recorded value as text; None for a field with nothing recorded."""
    if value is None or value == []:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def details(fact: AnyFact) -> list[tuple[str, str]]:
    """Every field the fact carries beyond its provenance and its headline, as (label, value)."""
    found: list[tuple[str, str]] = []
    skipped = _COMMON_FIELDS | IN_HEADLINE.get(fact.kind, frozenset())
    for name in type(fact).model_fields:
        if name in skipped:
            continue
        text = _shown(getattr(fact, name))
        if text is not None:
            found.append((_words(name), text))
    return found
