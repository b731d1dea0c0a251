"""The fact model: what the normalizer reads from a chart, and all that eligibility may read.

Every fact carries where it came from (``sources``: FHIR references such as
``"Observation/abc"``), when it was true (``effective``), and how it was read
(``read_from``: a code, free text, or derived from other facts by a documented rule).

A fact that is not in ``PatientFacts`` is *unknown*: there are no sentinel values
(no ECOG of -1, no empty strings). Example::

    facts.latest_lab("hemoglobin")          # -> LabFact(value=112.0, unit="g/L", ...) or None
    facts.stage("clinical", "N")            # -> StageFact(value="N0", ...) or None
    facts.performance("ecog")               # -> PerformanceFact(value=1, ...) or None

Conflicts are never merged away: every fact read stays in ``facts``; the accessors pick
one by the documented rule (newest effective date first; a coded fact beats a text fact
of the same date; pathological staging never stands in for clinical).

Adding a fact: a model here (with a unique ``kind``), its entry in ``AnyFact``, one
module in ``app/facts/`` that reads it, and its entry in the criteria vocabulary.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from app.data_quality import DataQualityWarning

__all__ = ["DataQualityWarning"]  # read with the facts; declared below the FHIR boundary

from app.vocabulary.medications import DrugClass

ReadFrom = Literal["code", "text", "derived"]

# c, p and yp staging are different facts with different dates; never merged.
StagingContext = Literal["clinical", "pathological", "post_neoadjuvant"]
StageCategory = Literal["T", "N", "M", "group"]

# The value sets below mirror the vocabulary data files (app/vocabulary/data/*.yaml), which
# hold the codes behind each value; a test fails when the two disagree.
# ICD-O-3 topography site groups (and a few parents: colorectal, head_and_neck, ...).
CancerSite = Literal[
    "head_and_neck",
    "colorectal",
    "central_nervous_system",
    "hematologic",
    "lip",
    "tongue",
    "gum",
    "floor_of_mouth",
    "palate",
    "mouth_other",
    "salivary_gland",
    "tonsil",
    "oropharynx",
    "nasopharynx",
    "hypopharynx",
    "pharynx_other",
    "esophagus",
    "stomach",
    "small_intestine",
    "colon",
    "appendix",
    "rectosigmoid",
    "rectum",
    "anus",
    "liver",
    "gallbladder",
    "biliary_tract_other",
    "pancreas",
    "digestive_other",
    "nasal_cavity",
    "accessory_sinus",
    "larynx",
    "trachea",
    "lung",
    "thymus",
    "heart_mediastinum_pleura",
    "respiratory_other",
    "bone",
    "hematopoietic_system",
    "lymphoma",
    "myeloma",
    "leukemia",
    "skin",
    "peripheral_nerves",
    "peritoneum",
    "soft_tissue",
    "breast",
    "vulva",
    "vagina",
    "cervix",
    "corpus_uteri",
    "uterus",
    "ovary",
    "female_genital_other",
    "placenta",
    "penis",
    "prostate",
    "testis",
    "male_genital_other",
    "kidney",
    "renal_pelvis",
    "ureter",
    "bladder",
    "urinary_other",
    "eye",
    "meninges",
    "brain",
    "spinal_cord",
    "thyroid",
    "adrenal",
    "endocrine_other",
    "ill_defined",
    "unknown_primary",
]
# ICD-O-3 behaviour (fifth digit of a morphology code; D00-D09 are in situ).
CancerBehavior = Literal[
    "benign", "uncertain", "in_situ", "malignant", "metastatic", "malignant_uncertain_primary"
]
# ICD-O-3 morphology families (a hierarchy: mucinous adenocarcinoma is an adenocarcinoma).
Histology = Literal[
    "carcinoma",
    "adenocarcinoma",
    "mucinous_adenocarcinoma",
    "signet_ring_cell_carcinoma",
    "ductal_carcinoma",
    "lobular_carcinoma",
    "acinar_cell_carcinoma",
    "cholangiocarcinoma",
    "hepatocellular_carcinoma",
    "squamous_cell_carcinoma",
    "urothelial_carcinoma",
    "non_small_cell_carcinoma",
    "large_cell_carcinoma",
    "neuroendocrine",
    "small_cell_carcinoma",
    "melanoma",
    "sarcoma",
    "gist",
    "lymphoma",
]
DiagnosisConfirmation = Literal["biopsy", "resection", "cytology", "imaging", "clinical"]
Grade = Literal["G1", "G2", "G3", "G4", "GX"]

MetastasisSite = Literal[
    "liver", "lung", "bone", "brain", "peritoneum", "distant_lymph_node", "adrenal", "other"
]

PathologyFeature = Literal[
    "lymphovascular_invasion",  # L1 or V1 or "LVI"
    "lymphatic_invasion",  # L category
    "venous_invasion",  # V category
    "perineural_invasion",  # Pn category
]
SubmucosalLevel = Literal["sm1", "sm2", "sm3"]
ResidualTumor = Literal["R0", "R1", "R2", "RX"]

PerformanceScale = Literal["ecog", "karnofsky"]

Analyte = Literal[
    "hemoglobin",
    "platelets",
    "white_cells",
    "neutrophils",
    "lymphocytes",
    "creatinine",
    "creatinine_clearance",
    "egfr",
    "urine_protein",
    "urine_protein_24h",
    "urine_protein_creatinine_ratio",
    "bilirubin_total",
    "bilirubin_direct",
    "alt",
    "ast",
    "alkaline_phosphatase",
    "albumin",
    "ldh",
    "lipase",
    "inr",
    "prothrombin_time",
    "aptt",
    "cea",
    "ca19_9",
    "afp",
    "psa",
    "potassium",
    "sodium",
    "calcium",
    "magnesium",
    "glucose",
    "hba1c",
    "tsh",
    "lvef",
]

BiomarkerName = Literal["msi", "mmr", "kras", "nras", "braf", "pd_l1", "her2", "er", "pr"]
BiomarkerStatus = Literal[
    "msi_high",
    "msi_low",
    "mss",
    "dmmr",
    "pmmr",
    "mutated",
    "wild_type",
    "positive",
    "negative",
    "equivocal",
]

# Coded history oncology trials ask about: categories of data/conditions.yaml, a hierarchy
# (myocardial infarction is ischemic heart disease is cardiovascular disease).
ConditionCategory = Literal[
    "malignancy",
    "non_melanoma_skin_cancer",
    "carcinoma_in_situ",
    "cardiovascular_disease",
    "ischemic_heart_disease",
    "myocardial_infarction",
    "unstable_angina",
    "heart_failure",
    "arrhythmia",
    "hypertension",
    "cerebrovascular_disease",
    "peripheral_vascular_disease",
    "pulmonary_hypertension",
    "copd",
    "respiratory_failure",
    "interstitial_lung_disease",
    "hepatic_insufficiency",
    "renal_insufficiency",
    "coagulopathy",
    "chronic_anemia",
    "leukopenia",
    "thrombocytopenia",
    "immunodeficiency",
    "autoimmune_disease",
    "connective_tissue_disease",
    "inflammatory_bowel_disease",
    "familial_adenomatous_polyposis",
    "hiv",
    "hepatitis_b",
    "hepatitis_c",
    "infection",
    "bacterial_infection",
    "tuberculosis",
    "syphilis",
    "fungal_infection",
    "viral_infection",
    "organ_transplant",
    "psychiatric_illness",
    "mental_illness",
    "drug_abuse",
    "alcohol_dependence",
    "cognitive_impairment",
]
ConditionStatus = Literal["active", "recurrence", "relapse", "inactive", "remission", "resolved"]

TreatmentCategory = Literal[
    "local_excision",
    "total_mesorectal_excision",
    "surgery",
    "radiotherapy",
    "chemotherapy",
    "immunotherapy",
    "chemoradiotherapy",
]
LocalExcisionTechnique = Literal["TEM", "TAMIS", "TSPM", "EMR", "ESD", "polypectomy", "other"]
BodyRegion = Literal["chest", "pelvis", "abdomen", "rectum", "esophagus", "liver", "other"]


class Fact(BaseModel):
    """What every fact has: where it came from, when, and how it was read."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sources: list[str] = Field(
        default_factory=list,
        description="FHIR references the fact was read from, e.g. 'Observation/abc'.",
    )
    effective: date | None = Field(
        default=None, description="When the fact was observed, or recorded if no better date."
    )
    read_from: ReadFrom = Field(
        default="code", description="code: a coded element; text: free text; derived: a rule."
    )
    note: str | None = Field(
        default=None, description="How a text or derived fact was obtained, for a clinician."
    )


class AgeFact(Fact):
    """Age at the evaluation date. A year-only birthDate gives a range (min < max)."""

    kind: Literal["age"] = "age"
    years_min: int
    years_max: int
    birth_date_precision: Literal["year", "month", "day"]


class SexFact(Fact):
    kind: Literal["sex"] = "sex"
    value: Literal["male", "female", "other", "unknown"]


class DeceasedFact(Fact):
    """The patient is recorded deceased (Patient.deceasedBoolean true or deceasedDateTime)."""

    kind: Literal["deceased"] = "deceased"
    died: date | None = Field(default=None, description="Date of death, when recorded.")


class PregnancyFact(Fact):
    kind: Literal["pregnancy"] = "pregnancy"
    pregnant: bool


class LactationFact(Fact):
    kind: Literal["lactation"] = "lactation"
    lactating: bool


class PrimaryCancerFact(Fact):
    kind: Literal["primary_cancer"] = "primary_cancer"
    site: CancerSite | None = Field(
        description="None: a cancer code the vocabulary cannot place (never a catch-all site)."
    )
    histology: Histology | None = None
    behavior: CancerBehavior | None = Field(
        default=None, description="ICD-O-3 behaviour: from the morphology, or in_situ (D00-D09)."
    )
    diagnosed: date | None = None
    diagnosed_latest: date | None = Field(
        default=None,
        description="For a diagnosis recorded to the month or year: its last possible day.",
    )
    confirmed_by: DiagnosisConfirmation | None = None
    clinical_status: ConditionStatus | None = None
    codes: list[str] = Field(
        default_factory=list, description="system|code of what was read, e.g. 'ICD-10-CM|C20'."
    )


class DiagnosisConfirmationFact(Fact):
    """A pathology (or cytology) report that names a malignant histology: how the cancer
    was proven. `normalize` copies ``method`` onto the matching primary cancer's
    ``confirmed_by``; this fact stays visible as the evidence."""

    kind: Literal["diagnosis_confirmation"] = "diagnosis_confirmation"
    method: DiagnosisConfirmation
    histology: Histology
    site: str | None = Field(
        default=None,
        description="The cancer site the report's specimen came from, when its text names one.",
    )


class GradeFact(Fact):
    """Grade / differentiation; 'poorly differentiated' is G3."""

    kind: Literal["grade"] = "grade"
    value: Grade


class StageFact(Fact):
    """One TNM category or stage group in one staging context.

    Values are normalized without the context prefix: 'T1', 'T4b', 'Tis', 'TX', 'N0',
    'N1a', 'M0', 'M1c', stage groups 'I', 'IIA', 'IIIC', 'IV' (Arabic '3C' becomes 'IIIC').
    """

    kind: Literal["stage"] = "stage"
    context: StagingContext
    category: StageCategory
    value: str
    system: str | None = Field(default=None, description="e.g. 'AJCC 8', 'UICC 8'.")


class SubmucosalInvasionFact(Fact):
    """Depth of submucosal invasion of a T1 tumor (from pathology text in practice)."""

    kind: Literal["submucosal_invasion"] = "submucosal_invasion"
    level: SubmucosalLevel | None = None
    depth_um: float | None = None


class AnalVergeDistanceFact(Fact):
    """Distance of the tumor's lower edge from the anal verge."""

    kind: Literal["anal_verge_distance"] = "anal_verge_distance"
    cm: float
    modality: Literal["mri", "endoscopy", "ct", "digital_rectal_exam", "other"] | None = None


class TumorSizeFact(Fact):
    kind: Literal["tumor_size"] = "tumor_size"
    greatest_dimension_cm: float


class PathologyFeatureFact(Fact):
    """A high-risk pathology feature, present or absent (absent only when recorded so)."""

    kind: Literal["pathology_feature"] = "pathology_feature"
    feature: PathologyFeature
    present: bool
    detail: str | None = Field(default=None, description="e.g. 'L1', 'V2', 'Pn1'.")


class MarginFact(Fact):
    kind: Literal["margin"] = "margin"
    residual: ResidualTumor | None = None
    involved: bool | None = None


class MetastasisFact(Fact):
    """Distant metastasis recorded present (with its site) or recorded absent (site None)."""

    kind: Literal["metastasis"] = "metastasis"
    present: bool
    site: MetastasisSite | None = None


class PerformanceFact(Fact):
    """ECOG (0-5) or Karnofsky (0-100). A value mapped from the other scale is 'derived'."""

    kind: Literal["performance"] = "performance"
    scale: PerformanceScale
    value: int
    range_low: int | None = Field(
        default=None,
        description="For a derived value: the lowest value the published crosswalks allow.",
    )
    range_high: int | None = Field(
        default=None,
        description="For a derived value: the highest value the published crosswalks allow.",
    )


class LabFact(Fact):
    """A lab result in canonical units, with its reference range in the same units.

    Canonical units are those of the lab catalogue (app/vocabulary/data/labs.yaml), e.g.
    hemoglobin g/L; counts 10*9/L; enzymes U/L; bilirubin and creatinine umol/L.
    """

    kind: Literal["lab"] = "lab"
    analyte: Analyte
    value: float
    unit: str
    reference_low: float | None = None
    reference_high: float | None = Field(
        default=None, description="Upper limit of normal, in the canonical unit, when given."
    )
    original: str | None = Field(default=None, description="Value and unit as recorded.")
    loinc: str | None = None


class BiomarkerFact(Fact):
    kind: Literal["biomarker"] = "biomarker"
    marker: BiomarkerName
    status: BiomarkerStatus | None = None
    value: float | None = Field(default=None, description="e.g. PD-L1 TPS/CPS in percent.")
    detail: str | None = Field(default=None, description="e.g. 'G12D', 'CPS'.")


class ConditionFact(Fact):
    """A coded (or text-read) diagnosis in the history, beside the primary cancer."""

    kind: Literal["condition"] = "condition"
    category: ConditionCategory
    display: str | None = None
    onset: date | None = None
    onset_latest: date | None = Field(
        default=None,
        description="For an onset recorded to the month or year: its last possible day.",
    )
    abatement: date | None = None
    clinical_status: ConditionStatus | None = None
    codes: list[str] = Field(default_factory=list)


ProcedureStatus = Literal["completed", "in-progress", "on-hold", "stopped", "unknown"]


class TreatmentFact(Fact):
    """A prior procedure or treatment (Procedure, or report text).

    Only a ``completed`` one is history; one in progress, on hold, stopped or of unknown
    status is kept (it may have been partly given) and decides nothing by itself."""

    kind: Literal["treatment"] = "treatment"
    category: TreatmentCategory
    technique: LocalExcisionTechnique | None = None
    body_region: BodyRegion | None = None
    performed: date | None = Field(default=None, description="When it started (or was done).")
    ended: date | None = Field(
        default=None, description="For a course over a period: when it ended (performedPeriod.end)."
    )
    performed_latest: date | None = Field(
        default=None,
        description="The last day it may have been done or ended: performedPeriod.end, or "
        "the end of a date recorded to the month or year.",
    )
    status: ProcedureStatus = "completed"
    codes: list[str] = Field(default_factory=list)


class UnreadableFact(Fact):
    """A result the normalizer found but could not read (an unknown unit, an ECOG of -1, a
    malformed value). It keeps its date so that an older readable result never silently
    stands in for it."""

    kind: Literal["unreadable"] = "unreadable"
    family: Literal["lab", "performance"]
    key: str = Field(description="The analyte or scale, e.g. 'hemoglobin', 'ecog'.")


class UnclassifiedFact(Fact):
    """A Condition or Procedure of the record that the vocabulary cannot place.

    It is what keeps "no record of X counts as absent" honest: while one is on record, a
    criterion that rests on the absence of X goes to a person, naming it."""

    kind: Literal["unclassified"] = "unclassified"
    resource_type: Literal["Condition", "Procedure"]
    display: str | None = Field(default=None, description="The record's own name for it.")
    clinical_status: ConditionStatus | None = None
    onset: date | None = None
    onset_latest: date | None = None
    codes: list[str] = Field(default_factory=list)


DatePrecision = Literal["year", "month", "day"]
MedicationResource = Literal["MedicationRequest", "MedicationStatement", "MedicationAdministration"]


class MedicationFact(Fact):
    """One drug (one ingredient of a product) the patient was given or took, with its dates.

    ``drug_classes`` come from app/vocabulary/data/medications.yaml; empty when the vocabulary
    cannot classify the drug (a data-quality warning names the resource). ``exposure`` is
    ``uncertain`` when the status leaves open whether any dose was given (a stopped or
    on-hold order, status unknown). A partial date keeps its precision: a start of
    "2026-05" is ``started`` 2026-05-01 with ``started_precision`` month, i.e. any day of May.
    """

    kind: Literal["medication"] = "medication"
    ingredient: str | None = Field(default=None, description="e.g. 'capecitabine'.")
    display: str | None = Field(default=None, description="The drug's name as recorded.")
    drug_classes: list[DrugClass] = Field(default_factory=list)
    rxnorm: list[str] = Field(default_factory=list)
    atc: list[str] = Field(default_factory=list)
    resource_type: MedicationResource
    status: str = Field(description="The resource's status as recorded, e.g. 'completed'.")
    exposure: Literal["recorded", "uncertain"] = "recorded"
    started: date | None = None
    started_precision: DatePrecision | None = None
    ended: date | None = None
    ended_precision: DatePrecision | None = None
    ongoing: bool = Field(default=False, description="Still given or taken (active).")


AnyFact = Annotated[
    AgeFact
    | SexFact
    | DeceasedFact
    | PregnancyFact
    | LactationFact
    | PrimaryCancerFact
    | DiagnosisConfirmationFact
    | GradeFact
    | StageFact
    | SubmucosalInvasionFact
    | AnalVergeDistanceFact
    | TumorSizeFact
    | PathologyFeatureFact
    | MarginFact
    | MetastasisFact
    | PerformanceFact
    | LabFact
    | BiomarkerFact
    | ConditionFact
    | TreatmentFact
    | UnclassifiedFact
    | UnreadableFact
    | MedicationFact,
    Field(discriminator="kind"),
]


F = TypeVar("F", bound=Fact)


def _newest_first_key(fact: Fact) -> tuple[date, int]:
    # Newest effective date first; at equal dates a coded fact beats a text one.
    rank = {"code": 2, "derived": 1, "text": 0}[fact.read_from]
    return (fact.effective or date.min, rank)


class PatientFacts(BaseModel):
    """Everything the normalizer read about one patient, as of one date."""

    model_config = ConfigDict(frozen=True)

    patient: str = Field(description="Reference of the Patient, e.g. 'Patient/123'.")
    as_of: date
    facts: list[AnyFact] = Field(default_factory=list)
    warnings: list[DataQualityWarning] = Field(default_factory=list)
    history_not_read: int = Field(
        default=0,
        description="Older lab results counted but not read (a match's default view: lab "
        "criteria read the latest result only).",
    )

    def of_kind(self, kind: type[F]) -> list[F]:
        """All facts of one model, newest first (by the rule in `_newest_first_key`)."""
        found = [f for f in self.facts if isinstance(f, kind)]
        return sorted(found, key=_newest_first_key, reverse=True)

    def _latest(self, found: Iterable[F]) -> F | None:
        on_or_before = [f for f in found if f.effective is None or f.effective <= self.as_of]
        return max(on_or_before, key=_newest_first_key, default=None)

    def age(self) -> AgeFact | None:
        return self._latest(self.of_kind(AgeFact))

    def sex(self) -> SexFact | None:
        return self._latest(self.of_kind(SexFact))

    def primary_cancers(self) -> list[PrimaryCancerFact]:
        return self.of_kind(PrimaryCancerFact)

    def stage(self, context: StagingContext, category: StageCategory) -> StageFact | None:
        """The newest stage of one context and category; other contexts never stand in."""
        return self._latest(
            (f for f in self.of_kind(StageFact) if f.context == context and f.category == category),
        )

    def performance(self, scale: PerformanceScale) -> PerformanceFact | None:
        return self._latest(f for f in self.of_kind(PerformanceFact) if f.scale == scale)

    def latest_lab(self, analyte: Analyte) -> LabFact | None:
        """The most recent value on or before ``as_of``; older ones stay in `labs()`."""
        return self._latest(f for f in self.of_kind(LabFact) if f.analyte == analyte)

    def labs(self, analyte: Analyte) -> list[LabFact]:
        return [f for f in self.of_kind(LabFact) if f.analyte == analyte]

    def conditions(self, category: ConditionCategory) -> list[ConditionFact]:
        return [f for f in self.of_kind(ConditionFact) if f.category == category]

    def treatments(self, category: TreatmentCategory) -> list[TreatmentFact]:
        return [f for f in self.of_kind(TreatmentFact) if f.category == category]
