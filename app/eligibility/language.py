"""The trial file: metadata and criteria, each criterion's verbatim text beside its rule.

One YAML file per trial in ``criteria/`` (see criteria/VOCABULARY.md). This module holds the
models a file is validated against; `criteria/schema.json` is generated from them
(`trialmatch criteria export`).

A rule is data built from ``all``, ``any``, ``not`` and operators over the facts of
`app.facts.model`, each named by its ``op``. Example (NCT06122493 inc-6.a, hemoglobin with
its exception for ECOG 0-1 patients with chronic anemia)::

    op: any
    of:
      - {op: lab, analyte: hemoglobin, unit: g/L, gte: 100}
      - op: all
        of:
          - {op: lab, analyte: hemoglobin, unit: g/L, gte: 80, lt: 100}
          - {op: performance, scale: ecog, lte: 1}
          - {op: condition, categories: [chronic_anemia]}

An exclusion criterion's rule describes the excluding condition: the criterion passes
when the rule is false and fails when it is true.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from app.facts.model import (
    Analyte,
    BiomarkerName,
    BiomarkerStatus,
    BodyRegion,
    CancerSite,
    ConditionCategory,
    ConditionStatus,
    DiagnosisConfirmation,
    Grade,
    Histology,
    LocalExcisionTechnique,
    MetastasisSite,
    PathologyFeature,
    PerformanceScale,
    StageCategory,
    StagingContext,
    SubmucosalLevel,
    TreatmentCategory,
)
from app.vocabulary.medications import DrugClass

# ClinicalTrials.gov overall status values (API v2 enum).
RecruitmentStatus = Literal[
    "RECRUITING",
    "NOT_YET_RECRUITING",
    "ENROLLING_BY_INVITATION",
    "ACTIVE_NOT_RECRUITING",
    "SUSPENDED",
    "TERMINATED",
    "COMPLETED",
    "WITHDRAWN",
    "UNKNOWN",
]
OPEN_STATUSES: frozenset[str] = frozenset(
    {"RECRUITING", "NOT_YET_RECRUITING", "ENROLLING_BY_INVITATION"}
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Site(Strict):
    facility: str
    city: str | None = None
    state: str | None = None
    country: str | None = None
    status: str | None = None
    latitude: float | None = Field(default=None, ge=-90, le=90, description="WGS 84, degrees.")
    longitude: float | None = Field(default=None, ge=-180, le=180, description="WGS 84, degrees.")


class Arm(Strict):
    label: str
    type: str | None = Field(default=None, examples=["EXPERIMENTAL", "ACTIVE_COMPARATOR"])
    description: str | None = None


# --- rule building blocks -------------------------------------------------------------

IfUnrecorded = Literal["false", "unknown"]
When = Literal["latest", "earliest"]


class Bounds(Strict):
    """A numeric range: any of gte / gt / lte / lt (at least one; not both gte and gt)."""

    gte: float | None = Field(default=None, description="At least (>=).")
    gt: float | None = Field(default=None, description="More than (>).")
    lte: float | None = Field(default=None, description="At most (<=).")
    lt: float | None = Field(default=None, description="Less than (<).")

    @model_validator(mode="after")
    def _one_bound_each_side(self) -> Self:
        if self.gte is None and self.gt is None and self.lte is None and self.lt is None:
            raise ValueError("give at least one of gte, gt, lte, lt")
        if self.gte is not None and self.gt is not None:
            raise ValueError("give gte or gt, not both")
        if self.lte is not None and self.lt is not None:
            raise ValueError("give lte or lt, not both")
        return self


class AllOf(Strict):
    """True when every part is true (Kleene: false if any is false, else unknown if any is)."""

    op: Literal["all"]
    of: list[Rule] = Field(min_length=1)


class AnyOf(Strict):
    """True when some part is true (Kleene: true if any is true, else unknown if any is)."""

    op: Literal["any"]
    of: list[Rule] = Field(min_length=1)


class Not(Strict):
    """Swaps true and false; unknown stays unknown."""

    op: Literal["not"]
    rule: Rule


class AgeRule(Bounds):
    """Age in years at the evaluation date. A year-only birth date gives a range of ages:
    decided only when the whole range is on one side of the limits, else unknown."""

    op: Literal["age"]


class SexRule(Strict):
    """Administrative sex is one of the listed values."""

    op: Literal["sex"]
    one_of: list[Literal["male", "female", "other"]] = Field(min_length=1)


class PrimaryCancerRule(Strict):
    """Some recorded primary cancer has the listed site, histology and confirmation
    (each an allowed set; omitted means any). Unknown when a needed field is not recorded."""

    op: Literal["primary_cancer"]
    sites: list[CancerSite] | None = None
    histologies: list[Histology] | None = None
    confirmed_by: list[DiagnosisConfirmation] | None = None

    @model_validator(mode="after")
    def _something_to_check(self) -> Self:
        if self.sites is None and self.histologies is None and self.confirmed_by is None:
            raise ValueError("give at least one of sites, histologies, confirmed_by")
        return self


class PrimaryCancerCountRule(Bounds):
    """The number of recorded primary cancers at the listed sites (e.g. synchronous
    colorectal cancers: sites [rectum, colon, rectosigmoid], gte 2)."""

    op: Literal["primary_cancer_count"]
    sites: list[CancerSite] = Field(min_length=1)


class OtherMalignancyRule(Strict):
    """A malignancy other than the trial's own cancer: a primary cancer at another site, or
    a malignancy in the history that is not the primary itself. No record counts as none
    (the verdict says so)."""

    op: Literal["other_malignancy"]
    index_sites: list[CancerSite] = Field(
        min_length=1, description="Sites of the trial's own cancer."
    )
    except_categories: list[ConditionCategory] = Field(
        default_factory=list, examples=[["non_melanoma_skin_cancer"]]
    )
    within_months: int | None = Field(default=None, ge=1, description="Diagnosed recently.")


class StageRule(Strict):
    """One TNM category or stage group in one staging context is one of the listed values.
    A value matches its subdivisions: T1 matches T1a, N3 matches N3b, M1 matches M1c,
    stage I matches IA but not II. TX / NX / MX is unknown. Two records of the same context
    on the same day that disagree are unknown, both shown. The latest stage decides only
    while it is fresh (`within_days`, default 120). ``when: earliest`` reads the stage at
    initial diagnosis: the conclusion of the work-up before the first cancer-directed
    treatment (the newest staging dated on or before it)."""

    op: Literal["stage"]
    context: StagingContext
    category: StageCategory
    one_of: list[str] = Field(min_length=1, examples=[["T1", "T2"]])
    when: When = Field(default="latest", description="earliest: the stage at initial diagnosis.")
    within_days: int | None = Field(
        default=None, ge=0, description="Latest stage at most this old (default 120 days)."
    )
    if_unrecorded: IfUnrecorded = Field(
        default="unknown",
        description=(
            "false: no record of this category (or X, not assessed) counts as not one of the "
            "values, with the assumption stated (for an exclusion only a recorded stage "
            "triggers, e.g. pN+ after a local excision that sampled no nodes)."
        ),
    )


class MetastasisRule(Strict):
    """Distant metastasis is present (at one of the sites, when given). Present: a
    metastasis fact, M1 in any context, or a stage group that means M1 for the primary's
    site (AJCC 8th tables: colorectal IV, esophageal IVB; esophageal IVA is M0). An explicit
    M category wins over one read from a stage group. Absent: a fact recorded absent, M0, or
    a group that means M0, from an assessment at most `within_days` old (default 120);
    an older one is unknown, needing a current assessment. Nothing recorded is unknown."""

    op: Literal["metastasis"]
    sites: list[MetastasisSite] | None = None
    within_days: int | None = Field(
        default=None, ge=0, description="Absence assessed at most this long ago (default 120)."
    )


class SubmucosalInvasionRule(Strict):
    """Submucosal invasion of a T1 tumor is at one of the levels, or deeper than depth_um_gt."""

    op: Literal["submucosal_invasion"]
    levels: list[SubmucosalLevel] = Field(default_factory=list)
    depth_um_gt: float | None = None

    @model_validator(mode="after")
    def _something_to_check(self) -> Self:
        if not self.levels and self.depth_um_gt is None:
            raise ValueError("give levels or depth_um_gt")
        return self


class AnalVergeDistanceRule(Bounds):
    """Distance (cm) of the tumor's lower edge from the anal verge. With modalities, only a
    measurement by one of them decides ("on MRI" needs an MRI measurement); one by another
    method is shown and leaves the rule unknown."""

    op: Literal["anal_verge_distance"]
    modalities: list[Literal["mri", "endoscopy", "ct", "digital_rectal_exam", "other"]] = Field(
        default_factory=list
    )
    when: When = "latest"


class TumorSizeRule(Bounds):
    """Greatest dimension of the tumor, in cm."""

    op: Literal["tumor_size"]


class PathologyFeatureRule(Strict):
    """A pathology feature is recorded present. Lymphovascular invasion is also present when
    lymphatic or venous invasion is; absent only when recorded absent."""

    op: Literal["pathology_feature"]
    feature: PathologyFeature


class GradeRule(Strict):
    """Histological grade is one of the listed values (poorly differentiated is G3)."""

    op: Literal["grade"]
    one_of: list[Grade] = Field(min_length=1)


class MarginInvolvedRule(Strict):
    """The resection margin is involved (R1/R2, or recorded involved)."""

    op: Literal["margin_involved"]


class PerformanceRule(Bounds):
    """ECOG (0-5) or Karnofsky (0-100) on the named scale; the other scale never stands in
    here (a mapped value is a 'derived' fact made by the normalizer). The latest score
    decides only while it is fresh (default 28 days), only if no newer score went unread,
    and not when two scores of its day disagree (unknown, both shown)."""

    op: Literal["performance"]
    scale: PerformanceScale
    within_days: int | None = Field(
        default=None, ge=0, description="Score at most this old (default 28 days)."
    )


class LabRule(Bounds):
    """The latest result of an analyte, compared in the rule's unit (UCUM; the result is
    converted). With within_days, a result older than that is unknown."""

    op: Literal["lab"]
    analyte: Analyte
    unit: str = Field(examples=["g/L", "10*9/L", "umol/L"])
    within_days: int | None = Field(default=None, ge=1)


class LabUlnRule(Bounds):
    """The latest result of an analyte as a multiple of its upper limit of normal (the
    result's own reference range). Unknown when no upper limit is recorded."""

    op: Literal["lab_uln"]
    analyte: Analyte
    within_days: int | None = Field(default=None, ge=1)


class ConditionRule(Strict):
    """A diagnosis of one of the categories is recorded (with one of the statuses, within
    the window, when given; an onset recorded to the month is that whole month). No record
    counts as absent (if_unrecorded: false, the default; the verdict states the assumption)
    or as unknown (if_unrecorded: unknown). Absence needs a complete reading: while the
    record holds conditions trialmatch cannot classify, "absent" goes to a person, naming
    them, and the trial is at most possibly eligible."""

    op: Literal["condition"]
    categories: list[ConditionCategory] = Field(min_length=1)
    statuses: list[ConditionStatus] | None = Field(
        default=None, description="e.g. [active, recurrence, relapse] for 'active'."
    )
    within_months: int | None = Field(default=None, ge=1)
    if_unrecorded: IfUnrecorded = "false"


class TreatmentRule(Strict):
    """A treatment of one of the categories is recorded (by technique, body region, window
    and the cancer it treated, when given). Only a completed procedure decides; one in
    progress, on hold or stopped goes to a person. A body site the vocabulary cannot place is
    unknown, never another region. No record counts as none unless if_unrecorded is unknown;
    while the record holds procedures trialmatch cannot classify, "none" goes to a person."""

    op: Literal["treatment"]
    categories: list[TreatmentCategory] = Field(min_length=1)
    techniques: list[LocalExcisionTechnique] | None = None
    body_regions: list[BodyRegion] | None = None
    within_months: int | None = Field(default=None, ge=1)
    for_cancer_at: list[CancerSite] | None = Field(
        default=None,
        description=(
            "The treatment was of the primary cancer at these sites: done on or after its "
            "diagnosis (up to 120 days before it: the procedure that found the cancer)."
        ),
        examples=[["rectum"]],
    )
    if_unrecorded: IfUnrecorded = "false"


class MedicationRule(Strict):
    """A drug of one of the classes was given or taken (a class covers its subclasses:
    chemotherapy covers fluoropyrimidine, platinum, ...). With within_days or within_months:
    the exposure is ongoing or ended within that window before the evaluation date. With
    ended_at_least_days_ago: true when no exposure is ongoing or ended within that many days
    (at least 4 weeks since the last chemotherapy; none at all counts too). No recorded
    medication counts as none (the verdict says so); a recorded drug that is unclassified,
    classed only coarsely (systemic therapy, for a rule on chemotherapy), investigational, or
    of uncertain status is for a person to review; dates that cannot settle the window
    (a partial date across its limit, no end date) leave it unknown."""

    op: Literal["medication"]
    classes: list[DrugClass] = Field(min_length=1, examples=[["anti_pd1_pdl1"]])
    within_days: int | None = Field(default=None, ge=1)
    within_months: int | None = Field(default=None, ge=1)
    ended_at_least_days_ago: int | None = Field(default=None, ge=1, examples=[28])

    @model_validator(mode="after")
    def _one_window(self) -> Self:
        given = [self.within_days, self.within_months, self.ended_at_least_days_ago]
        if sum(w is not None for w in given) > 1:
            raise ValueError(
                "give at most one of within_days, within_months, ended_at_least_days_ago"
            )
        return self


class PregnantRule(Strict):
    """The patient is pregnant. False for a male patient; otherwise unknown unless recorded
    within `within_days` (default 7: a negative test must be recent)."""

    op: Literal["pregnant"]
    within_days: int | None = Field(default=None, ge=0)


class LactatingRule(Strict):
    """The patient is breastfeeding. False for a male patient; otherwise unknown unless
    recorded (or counted as not, with if_unrecorded: false)."""

    op: Literal["lactating"]
    if_unrecorded: IfUnrecorded = "unknown"
    within_days: int | None = Field(default=None, ge=0, description="Default 28 days.")


class BiomarkerRule(Strict):
    """A biomarker has one of the statuses, and/or a value within bounds (e.g. PD-L1 CPS)."""

    op: Literal["biomarker"]
    marker: BiomarkerName
    statuses: list[BiomarkerStatus] | None = None
    value: Bounds | None = None

    @model_validator(mode="after")
    def _something_to_check(self) -> Self:
        if self.statuses is None and self.value is None:
            raise ValueError("give statuses or value")
        return self


class JudgementRule(Strict):
    """A question only a person can answer, inside a rule: always unknown, needing review.

    Used where a criterion is partly computable: ``all: [condition mental_illness,
    judgement "Is it severe?"]`` passes when no mental illness is recorded and goes to a
    person when one is. When data is missing as well, the criterion needs data first."""

    op: Literal["judgement"]
    question: str = Field(min_length=1)


Rule = Annotated[
    AllOf
    | AnyOf
    | Not
    | AgeRule
    | SexRule
    | PrimaryCancerRule
    | PrimaryCancerCountRule
    | OtherMalignancyRule
    | StageRule
    | MetastasisRule
    | SubmucosalInvasionRule
    | AnalVergeDistanceRule
    | TumorSizeRule
    | PathologyFeatureRule
    | GradeRule
    | MarginInvolvedRule
    | PerformanceRule
    | LabRule
    | LabUlnRule
    | ConditionRule
    | TreatmentRule
    | MedicationRule
    | PregnantRule
    | LactatingRule
    | BiomarkerRule
    | JudgementRule,
    Field(discriminator="op"),
]

for _model in (AllOf, AnyOf, Not):
    _model.model_rebuild()


Encoding = Literal["curated", "suggested", "text"]


class Criterion(Strict):
    """One criterion of the protocol. ``encoding`` says who wrote its rule: ``curated``, a
    person (as in the seed trials, the default); ``suggested``, a pattern reader or the
    registry's structured fields, for a person to accept; ``text``, nobody: the registry's
    words only, review-only. A trial with any criterion that is not curated is never
    ``eligible`` (at most ``possibly_eligible``). ``curated_by`` and ``curated_at`` say who
    curated it and when (set by ``trialmatch trials curate``); ``registry_text`` the registry's
    newer words when they changed since (set by a re-import, until a person edits it)."""

    id: str = Field(
        pattern=r"^(inc|exc)-\d+(\.[a-z])?$",
        examples=["inc-2.a"],
        description="inc-1, inc-2 ... exc-1 ... in protocol order; parts .a, .b.",
    )
    type: Literal["inclusion", "exclusion"] = Field(
        description="An exclusion's rule describes the excluding condition."
    )
    text: str = Field(description="The protocol's words, verbatim.")
    review: bool = Field(
        default=False,
        description="True when an EHR cannot answer it: listed for a person, never decided.",
    )
    rule: Rule | None = Field(
        default=None, description="The computable form; None only with review."
    )
    note: str | None = Field(
        default=None, description="Why the rule reads the text this way, for a reviewer."
    )
    encoding: Encoding = Field(
        default="curated",
        description=(
            "curated: written or accepted by a person; suggested: computed, for a person to "
            "accept; text: not encoded (review-only). Any criterion not curated keeps the "
            "trial at most possibly_eligible."
        ),
    )
    curated_by: str | None = Field(
        default=None,
        min_length=1,
        description=(
            "Who curated it (`trialmatch trials curate --by`, or written by hand); only on a "
            "curated criterion."
        ),
        examples=["J. Doe, research nurse"],
    )
    curated_at: AwareDatetime | None = Field(
        default=None,
        description="When it was curated (ISO 8601 with an offset); only on a curated criterion.",
        examples=["2026-11-23T09:30:00Z"],
    )
    registry_text: str | None = Field(
        default=None,
        description=(
            "The registry's text when it changed after a person curated the criterion (set by "
            "`trialmatch trials import`): `text` is still the text the rule was curated "
            "against. Only on a curated criterion; an edit takes it up as the text."
        ),
    )

    @model_validator(mode="after")
    def _rule_or_review(self) -> Self:
        if self.encoding == "text" and (self.rule is not None or not self.review):
            raise ValueError("a text criterion has no rule and review: true")
        if self.encoding == "suggested" and self.rule is None:
            raise ValueError("a suggested criterion has a rule")
        if self.review and self.rule is not None:
            raise ValueError("a review criterion has no rule")
        if not self.review and self.rule is None:
            raise ValueError("a criterion needs a rule, or review: true")
        if self.encoding != "curated" and (self.curated_by or self.curated_at):
            raise ValueError("curated_by and curated_at belong to a curated criterion")
        if self.encoding != "curated" and self.registry_text is not None:
            raise ValueError("registry_text belongs to a curated criterion")
        prefix = "inc-" if self.type == "inclusion" else "exc-"
        if not self.id.startswith(prefix):
            raise ValueError(f"an {self.type} criterion's id starts with {prefix!r}")
        return self


class Applicability(Strict):
    """Which primary cancers a trial is for, and the criterion that says so.

    The library is indexed by these sites: a trial is evaluated in detail only for a
    patient with a primary cancer at one of them (or with no primary cancer recorded).
    """

    cancer_sites: list[CancerSite] = Field(min_length=1)
    criterion: str = Field(description="Id of the criterion that decides the site.")


class Trial(Strict):
    nct_id: str = Field(pattern=r"^NCT\d{8}$")
    title: str
    official_title: str | None = None
    conditions: list[str]
    phase: str | None = None
    status: RecruitmentStatus
    start_date: date | None = None
    end_date: date | None = None
    sponsor: str | None = None
    minimum_age: int | None = None
    maximum_age: int | None = None
    healthy_volunteers: bool | None = Field(
        default=None, description="The registry's 'accepts healthy volunteers' field."
    )
    sites: list[Site] = Field(default_factory=list)
    arms: list[Arm] = Field(default_factory=list)
    criteria: list[Criterion]
    applies_to: Applicability | None = Field(
        default=None, description="The cancer sites the trial is for (indexes the library)."
    )
    sources: list[str] = Field(
        default_factory=list, description="Where the registry facts were read (URLs)."
    )
