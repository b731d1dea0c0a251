"""The operators of the rule language, compiled once into evaluators over PatientFacts.

`compile_rule` turns a rule (see `app.eligibility.language`) into a function
``PatientView -> Finding`` (a `PatientView` wraps `PatientFacts`); work that does not
depend on the patient (unit factors, label texts) is done at compile time. Example::

    >>> evaluate = compile_rule(LabRule(op="lab", analyte="hemoglobin", unit="g/dL", gte=10))
    >>> evaluate(PatientView(facts)).truth        # a hemoglobin of 112 g/L on record
    <Truth.TRUE: 'true'>

Rules of judgement shared by every operator:

- A missing measurement is unknown, never a pass or a fail.
- History (conditions, treatments, other cancers): no record counts as absent when the rule
  says so (the default for conditions and treatments), and the finding states that
  assumption; a record lacking the detail the rule asks for (status, date, region) is unknown.
- Facts dated after the evaluation date are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from typing import TypeVar, get_args

from app.eligibility.labels import (
    ANALYTE_LABELS,
    CANONICAL_UNITS,
    CONDITION_LABELS,
    CONTEXT_PREFIX,
    FEATURE_LABELS,
    SCALE_LABELS,
    TREATMENT_LABELS,
    label_list,
)
from app.eligibility.language import (
    AgeRule,
    AllOf,
    AnalVergeDistanceRule,
    AnyOf,
    BiomarkerRule,
    Bounds,
    ConditionRule,
    GradeRule,
    JudgementRule,
    LabRule,
    LabUlnRule,
    LactatingRule,
    MarginInvolvedRule,
    MetastasisRule,
    Not,
    OtherMalignancyRule,
    PathologyFeatureRule,
    PerformanceRule,
    PregnantRule,
    PrimaryCancerCountRule,
    PrimaryCancerRule,
    Rule,
    SexRule,
    StageRule,
    SubmucosalInvasionRule,
    TreatmentRule,
    TumorSizeRule,
)
from app.eligibility.logic import Finding, Truth, all_of, any_of, negate
from app.eligibility.units import converter
from app.eligibility.view import PatientView
from app.facts.model import (
    AgeFact,
    AnalVergeDistanceFact,
    Analyte,
    BiomarkerFact,
    ConditionFact,
    Fact,
    GradeFact,
    LabFact,
    LactationFact,
    MarginFact,
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
)

Evaluator = Callable[[PatientView], Finding]
F = TypeVar("F", bound=Fact)

# `missing` entries of a judgement start with this: the unknown needs a person, not data.
REVIEW_MARK = "review: "
ABSENT_DIAGNOSIS = "no recorded diagnosis counts as absent"
ABSENT_TREATMENT = "no recorded treatment counts as none"


# --- shared helpers -------------------------------------------------------------------


def _num(x: float) -> str:
    # Four significant digits: converted units (mg/dL to umol/L) give long decimals.
    return f"{x:.4g}"


def bounds_text(b: Bounds, unit: str = "") -> str:
    """'≥ 100 g/L', '≥ 80 and < 100 g/L'."""
    parts = []
    if b.gte is not None:
        parts.append(f"≥ {_num(b.gte)}")
    if b.gt is not None:
        parts.append(f"> {_num(b.gt)}")
    if b.lte is not None:
        parts.append(f"≤ {_num(b.lte)}")
    if b.lt is not None:
        parts.append(f"< {_num(b.lt)}")
    return " and ".join(parts) + (f" {unit}" if unit else "")


def _within_range(
    rule: Bounds,
    values: range,
    *,
    span: str,
    wanted: str,
    missing: str,
    evidence: Sequence[str],
    assumptions: Sequence[str] = (),
) -> Finding:
    """A value known only as a range (a year-only birth date, a crosswalk): decided only
    when every value of the range is on the same side of the bounds, else unknown."""
    holds = [bounds_hold(rule, v) for v in values]
    if all(holds):
        return Finding.true(f"{span} is {wanted}", evidence=evidence, assumptions=assumptions)
    if not any(holds):
        return Finding.false(f"{span} is not {wanted}", evidence=evidence, assumptions=assumptions)
    return Finding.unknown(
        f"{span}: the limit falls inside this range",
        missing=[missing],
        evidence=evidence,
        assumptions=assumptions,
    )


def bounds_hold(b: Bounds, value: float) -> bool:
    return not (
        (b.gte is not None and value < b.gte)
        or (b.gt is not None and value <= b.gt)
        or (b.lte is not None and value > b.lte)
        or (b.lt is not None and value >= b.lt)
    )


def _compare(b: Bounds, value: float, subject: str, unit: str, evidence: Sequence[str]) -> Finding:
    shown = f"{subject} {_num(value)}{(' ' + unit) if unit else ''}"
    if bounds_hold(b, value):
        return Finding.true(f"{shown} is {bounds_text(b, unit)}", evidence=evidence)
    return Finding.false(f"{shown} is not {bounds_text(b, unit)}", evidence=evidence)


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (clamped to the month's end)."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    for dom in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, dom)
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has a 28th")


def _current(facts: PatientView, kind: type[F]) -> list[F]:
    """Facts of one model known on the evaluation date, newest first."""
    return facts.current(kind)


def _pick(found: list[F], when: str) -> tuple[F | None, str | None]:
    """The newest (``latest``) or oldest dated (``earliest``) fact, with an assumption."""
    if not found:
        return None, None
    if when == "earliest":
        dated = [f for f in found if f.effective is not None]
        if dated:
            return min(dated, key=lambda f: f.effective or date.min), None
        return found[0], "no date recorded: the only record is taken as the initial one"
    return found[0], None


def _when_text(when: str) -> str:
    return " at initial diagnosis" if when == "earliest" else ""


# --- logic ----------------------------------------------------------------------------


def _all(rule: AllOf) -> Evaluator:
    parts = [compile_rule(r) for r in rule.of]
    return lambda facts: all_of([p(facts) for p in parts])


def _any(rule: AnyOf) -> Evaluator:
    parts = [compile_rule(r) for r in rule.of]
    return lambda facts: any_of([p(facts) for p in parts])


def _not(rule: Not) -> Evaluator:
    part = compile_rule(rule.rule)
    return lambda facts: negate(part(facts))


def _judgement(rule: JudgementRule) -> Evaluator:
    found = Finding.unknown(
        f"for a person to decide: {rule.question}", missing=[REVIEW_MARK + rule.question]
    )
    return lambda facts: found


def needs_review_only(finding: Finding) -> bool:
    """Whether an unknown finding is unknown only for questions a person must answer."""
    return bool(finding.missing) and all(m.startswith(REVIEW_MARK) for m in finding.missing)


# --- demographics ---------------------------------------------------------------------


def _age(rule: AgeRule) -> Evaluator:
    wanted = bounds_text(rule, "years")

    def evaluate(facts: PatientView) -> Finding:
        age = facts.first(AgeFact)
        if age is None:
            return Finding.unknown("age not recorded", missing=["birth date"])
        if age.years_min == age.years_max:
            return _compare(rule, age.years_min, "age", "years", age.sources)
        span = f"age {age.years_min}-{age.years_max} (birth date to the {age.birth_date_precision})"
        return _within_range(
            rule,
            range(age.years_min, age.years_max + 1),
            span=span,
            wanted=wanted,
            missing="full birth date",
            evidence=age.sources,
        )

    return evaluate


def _sex(rule: SexRule) -> Evaluator:
    def evaluate(facts: PatientView) -> Finding:
        sex = facts.first(SexFact)
        if sex is None or sex.value == "unknown":
            return Finding.unknown("sex not recorded", missing=["sex"])
        if sex.value in rule.one_of:
            return Finding.true(f"sex is {sex.value}", evidence=sex.sources)
        return Finding.false(
            f"sex is {sex.value}, not {label_list(list(rule.one_of))}", evidence=sex.sources
        )

    return evaluate


def _pregnant(_: PregnantRule) -> Evaluator:
    def evaluate(facts: PatientView) -> Finding:
        found = _current(facts, PregnancyFact)
        if found:
            f = found[0]
            word = "pregnant" if f.pregnant else "not pregnant"
            return Finding(
                Truth(str(f.pregnant).lower()),
                f"recorded {word} ({f.effective or 'undated'})",
                tuple(f.sources),
            )
        sex = facts.first(SexFact)
        if sex is not None and sex.value == "male":
            return Finding.false("male patient", evidence=sex.sources)
        return Finding.unknown("no pregnancy status or test recorded", missing=["pregnancy test"])

    return evaluate


def _lactating(rule: LactatingRule) -> Evaluator:
    def evaluate(facts: PatientView) -> Finding:
        found = _current(facts, LactationFact)
        if found:
            f = found[0]
            word = "breastfeeding" if f.lactating else "not breastfeeding"
            return Finding(Truth(str(f.lactating).lower()), f"recorded {word}", tuple(f.sources))
        sex = facts.first(SexFact)
        if sex is not None and sex.value == "male":
            return Finding.false("male patient", evidence=sex.sources)
        if rule.if_unrecorded == "false":
            return Finding.false(
                "no record of breastfeeding",
                assumptions=["no record of breastfeeding counts as not"],
            )
        return Finding.unknown("breastfeeding not recorded", missing=["lactation status"])

    return evaluate


# --- the cancer -----------------------------------------------------------------------


def _primary_cancer(rule: PrimaryCancerRule) -> Evaluator:
    def one(cancer: PrimaryCancerFact) -> Finding:
        ev = cancer.sources
        parts = []
        if rule.sites is not None:
            if cancer.site in rule.sites:
                parts.append(Finding.true(f"primary cancer of the {cancer.site}", evidence=ev))
            else:
                parts.append(
                    Finding.false(
                        f"primary cancer of the {cancer.site}, not {label_list(list(rule.sites))}",
                        evidence=ev,
                    )
                )
        if rule.histologies is not None:
            if cancer.histology is None:
                parts.append(
                    Finding.unknown(
                        f"histology of the {cancer.site} cancer not recorded",
                        missing=["histology"],
                        evidence=ev,
                    )
                )
            elif cancer.histology in rule.histologies:
                parts.append(Finding.true(cancer.histology.replace("_", " "), evidence=ev))
            else:
                parts.append(
                    Finding.false(
                        f"{cancer.histology.replace('_', ' ')}, not "
                        f"{label_list(list(rule.histologies))}",
                        evidence=ev,
                    )
                )
        if rule.confirmed_by is not None:
            if cancer.confirmed_by is None:
                parts.append(
                    Finding.unknown(
                        "how the diagnosis was confirmed is not recorded",
                        missing=["pathology confirmation"],
                        evidence=ev,
                    )
                )
            elif cancer.confirmed_by in rule.confirmed_by:
                parts.append(Finding.true(f"confirmed by {cancer.confirmed_by}", evidence=ev))
            else:
                parts.append(
                    Finding.false(
                        f"confirmed by {cancer.confirmed_by}, not "
                        f"{label_list(list(rule.confirmed_by))}",
                        evidence=ev,
                    )
                )
        return all_of(parts)

    def evaluate(facts: PatientView) -> Finding:
        cancers = _current(facts, PrimaryCancerFact)
        if not cancers:
            return Finding.unknown("no primary cancer recorded", missing=["primary cancer"])
        return any_of([one(c) for c in cancers])

    return evaluate


def _primary_cancer_count(rule: PrimaryCancerCountRule) -> Evaluator:
    where = label_list(list(rule.sites))

    def evaluate(facts: PatientView) -> Finding:
        found = [c for c in _current(facts, PrimaryCancerFact) if c.site in rule.sites]
        ev = [s for c in found for s in c.sources]
        distinct = len({c.site for c in found})
        if bounds_hold(rule, distinct):
            return Finding.true(f"{distinct} primary cancers recorded at {where}", evidence=ev)
        if bounds_hold(rule, len(found)):
            # Several records at one site may be one tumor read twice, or two tumors.
            return Finding.unknown(
                f"{len(found)} records of a primary cancer at the same site: whether they are "
                "separate tumors is not recorded",
                missing=["number of primary tumors"],
                evidence=ev,
            )
        return Finding.false(
            f"{distinct} primary cancer recorded at {where}",
            evidence=ev,
            assumptions=["no record of another primary cancer counts as none"],
        )

    return evaluate


def _other_malignancy(rule: OtherMalignancyRule) -> Evaluator:
    def evaluate(facts: PatientView) -> Finding:
        primaries = _current(facts, PrimaryCancerFact)
        own_sources = {s for p in primaries if p.site in rule.index_sites for s in p.sources}
        own_codes = {c for p in primaries if p.site in rule.index_sites for c in p.codes}
        excepted_sources = {
            s
            for cat in rule.except_categories
            for c in _current(facts, ConditionFact)
            if c.category == cat
            for s in c.sources
        }
        cutoff = months_before(facts.as_of, rule.within_months) if rule.within_months else None
        hits: list[Finding] = []
        for p in primaries:
            if p.site not in rule.index_sites:
                hits.append(
                    _dated_hit(
                        f"primary cancer of the {p.site}",
                        p.diagnosed or p.effective,
                        cutoff,
                        p.sources,
                    )
                )
        for c in _current(facts, ConditionFact):
            # The primary itself, read from the same resource or coded the same, is not "other".
            if c.category != "malignancy" or set(c.sources) & (own_sources | excepted_sources):
                continue
            if set(c.codes) & own_codes:
                continue
            hits.append(
                _dated_hit(c.display or "malignancy", c.onset or c.effective, cutoff, c.sources)
            )
        if not hits:
            return Finding.false(
                "no record of a malignancy other than the cancer of the "
                f"{label_list(list(rule.index_sites))}",
                assumptions=[ABSENT_DIAGNOSIS],
            )
        found = any_of(hits)
        if found.truth is Truth.FALSE:
            return Finding.false(found.reason, evidence=found.evidence)
        return found

    return evaluate


def _dated_hit(what: str, when: date | None, cutoff: date | None, ev: Sequence[str]) -> Finding:
    if cutoff is None:
        return Finding.true(f"{what} recorded", evidence=ev)
    if when is None:
        return Finding.unknown(
            f"{what} recorded without a date", missing=["diagnosis date"], evidence=ev
        )
    if when >= cutoff:
        return Finding.true(f"{what} recorded on {when}", evidence=ev)
    return Finding.false(f"{what} recorded on {when}, before {cutoff}", evidence=ev)


_PREFIX = re.compile(r"^(yp|c|p|y|r|a)(?=[TNM])")
_TNM_SUBDIVISION = re.compile(r"^([a-d]\d?|mi|\(.*\))?$")
_GROUP_SUBDIVISION = re.compile(r"^([A-D]\d?)?$")


def stage_matches(value: str, allowed: Sequence[str], category: str) -> bool | None:
    """Whether a stage value is one of the allowed values or their subdivisions; None for X."""
    value = _PREFIX.sub("", value.strip())
    if category != "group" and value[1:].upper().startswith("X"):
        return None
    subdivision = _GROUP_SUBDIVISION if category == "group" else _TNM_SUBDIVISION
    return any(
        value.startswith(a) and subdivision.match(value[len(a) :]) is not None for a in allowed
    )


def _stage(rule: StageRule) -> Evaluator:
    prefix = CONTEXT_PREFIX[rule.context]
    wanted = label_list(list(rule.one_of))
    name = (
        f"{rule.context} stage group"
        if rule.category == "group"
        else f"{rule.context} {rule.category}"
    )

    def evaluate(facts: PatientView) -> Finding:
        found = [
            f
            for f in _current(facts, StageFact)
            if f.context == rule.context and f.category == rule.category
        ]
        fact, assumption = _pick(found, rule.when)
        if fact is None:
            return Finding.unknown(
                f"no {name}{_when_text(rule.when)} recorded", missing=[f"{name} stage"]
            )
        shown = fact.value if rule.category == "group" else f"{prefix}{fact.value}"
        assumptions = [assumption] if assumption else []
        match = stage_matches(fact.value, rule.one_of, rule.category)
        if match is None:
            return Finding.unknown(
                f"{name} is {shown} (not assessed)",
                missing=[f"{name} stage"],
                evidence=fact.sources,
                assumptions=assumptions,
            )
        if match:
            return Finding.true(
                f"{name}{_when_text(rule.when)} is {shown} ({wanted})",
                evidence=fact.sources,
                assumptions=assumptions,
            )
        return Finding.false(
            f"{name}{_when_text(rule.when)} is {shown}, not {wanted}",
            evidence=fact.sources,
            assumptions=assumptions,
        )

    return evaluate


def _metastasis(rule: MetastasisRule) -> Evaluator:
    where = f" to the {label_list(list(rule.sites))}" if rule.sites else ""

    def evaluate(facts: PatientView) -> Finding:
        mets = _current(facts, MetastasisFact)
        stages = _current(facts, StageFact)
        present = [m for m in mets if m.present]
        at_site = [m for m in present if rule.sites is None or m.site in rule.sites]
        if at_site:
            sites = sorted({m.site or "unspecified site" for m in at_site})
            return Finding.true(
                f"distant metastasis recorded ({', '.join(sites)})",
                evidence=[s for m in at_site for s in m.sources],
            )
        m1 = [s for s in stages if s.category == "M" and stage_matches(s.value, ["M1"], "M")]
        iv = [
            s for s in stages if s.category == "group" and stage_matches(s.value, ["IV"], "group")
        ]
        staged = m1 + iv
        if rule.sites is None and staged:
            return Finding.true(
                "stage shows distant metastasis ("
                + ", ".join(
                    f"{CONTEXT_PREFIX[s.context]}{s.value}"
                    if s.category == "M"
                    else f"stage {s.value}"
                    for s in staged
                )
                + ")",
                evidence=[x for s in staged for x in s.sources],
            )
        if present or staged:
            # Metastasis is recorded but not at the asked site (or its site is not recorded).
            unsited = [m for m in present if m.site is None] + staged
            if unsited:
                return Finding.unknown(
                    f"distant metastasis recorded; whether{where} is not",
                    missing=["metastasis site"],
                    evidence=[x for s in unsited for x in s.sources],
                )
            return Finding.false(
                f"distant metastasis recorded only at other sites "
                f"({', '.join(sorted({m.site or '' for m in present}))})",
                evidence=[s for m in present for s in m.sources],
                assumptions=[f"no record of metastasis{where} counts as absent"],
            )
        absent = [m for m in mets if not m.present]
        m0 = [s for s in stages if s.category == "M" and stage_matches(s.value, ["M0"], "M")]
        below_iv = [
            s
            for s in stages
            if s.category == "group" and stage_matches(s.value, ["0", "I", "II", "III"], "group")
        ]
        negatives: list[Fact] = [*absent, *m0, *below_iv]
        if negatives:
            return Finding.false(
                "no distant metastasis (recorded absent or staged M0)",
                evidence=[x for f in negatives for x in f.sources],
            )
        return Finding.unknown(
            "no record of whether there is distant metastasis",
            missing=["M stage or metastasis assessment"],
        )

    return evaluate


def _submucosal(rule: SubmucosalInvasionRule) -> Evaluator:
    wanted = " or ".join(
        [*rule.levels, *([f"deeper than {_num(rule.depth_um_gt)} µm"] if rule.depth_um_gt else [])]
    )

    def evaluate(facts: PatientView) -> Finding:
        found = _current(facts, SubmucosalInvasionFact)
        if not found:
            return Finding.unknown(
                "depth of submucosal invasion not recorded", missing=["submucosal invasion depth"]
            )
        f = found[0]
        shown = (
            ", ".join(
                x
                for x in [f.level, f"{_num(f.depth_um)} µm" if f.depth_um is not None else None]
                if x
            )
            or "not graded"
        )
        by_level = None if f.level is None or not rule.levels else f.level in rule.levels
        by_depth = (
            None
            if f.depth_um is None or rule.depth_um_gt is None
            else f.depth_um > rule.depth_um_gt
        )
        if by_level or by_depth:
            return Finding.true(f"submucosal invasion {shown} ({wanted})", evidence=f.sources)
        decided_level = by_level is False or not rule.levels
        decided_depth = by_depth is False or rule.depth_um_gt is None
        if decided_level and decided_depth:
            return Finding.false(f"submucosal invasion {shown}, not {wanted}", evidence=f.sources)
        return Finding.unknown(
            f"submucosal invasion {shown}: cannot tell whether {wanted}",
            missing=["submucosal invasion depth"],
            evidence=f.sources,
        )

    return evaluate


def _anal_verge(rule: AnalVergeDistanceRule) -> Evaluator:
    wanted_mod = label_list(list(rule.modalities))

    def evaluate(facts: PatientView) -> Finding:
        found = _current(facts, AnalVergeDistanceFact)
        preferred = (
            [f for f in found if f.modality in rule.modalities] if rule.modalities else found
        )
        assumptions = []
        if rule.modalities and not preferred and found:
            preferred = found
            assumptions.append(
                f"measured by {found[0].modality or 'an unrecorded method'}, not {wanted_mod}"
            )
        fact, assumption = _pick(preferred, rule.when)
        if fact is None:
            return Finding.unknown(
                "distance from the anal verge not recorded", missing=["distance from anal verge"]
            )
        if assumption:
            assumptions.append(assumption)
        found_ = _compare(
            rule,
            fact.cm,
            f"distance from the anal verge{_when_text(rule.when)}",
            "cm",
            fact.sources,
        )
        return Finding(found_.truth, found_.reason, found_.evidence, tuple(assumptions))

    return evaluate


def _tumor_size(rule: TumorSizeRule) -> Evaluator:
    def evaluate(facts: PatientView) -> Finding:
        found = _current(facts, TumorSizeFact)
        if not found:
            return Finding.unknown("tumor size not recorded", missing=["tumor size"])
        f = found[0]
        return _compare(rule, f.greatest_dimension_cm, "tumor size", "cm", f.sources)

    return evaluate


def _feature_text(f: PathologyFeatureFact) -> str:
    return f.detail or FEATURE_LABELS[f.feature]


_LVI_PARTS = ("lymphatic_invasion", "venous_invasion")


def _pathology_feature(rule: PathologyFeatureRule) -> Evaluator:
    name = FEATURE_LABELS[rule.feature]

    def evaluate(facts: PatientView) -> Finding:
        latest: dict[str, PathologyFeatureFact] = {}
        for f in _current(facts, PathologyFeatureFact):
            latest.setdefault(f.feature, f)  # newest first: keep the first seen
        own = latest.get(rule.feature)
        parts = (
            [latest[p] for p in _LVI_PARTS if p in latest]
            if (rule.feature == "lymphovascular_invasion")
            else []
        )
        present = [f for f in ([own] if own else []) + parts if f.present]
        if present:
            return Finding.true(
                f"{name} present ({', '.join(_feature_text(f) for f in present)})",
                evidence=[s for f in present for s in f.sources],
            )
        if own is not None:
            return Finding.false(f"{name} recorded absent", evidence=own.sources)
        if len(parts) == len(_LVI_PARTS):
            return Finding.false(
                f"{name} recorded absent (lymphatic and venous)",
                evidence=[s for f in parts for s in f.sources],
            )
        return Finding.unknown(f"{name} not recorded", missing=[name])

    return evaluate


def _grade(rule: GradeRule) -> Evaluator:
    wanted = label_list(list(rule.one_of))

    def evaluate(facts: PatientView) -> Finding:
        found = _current(facts, GradeFact)
        if not found or found[0].value == "GX":
            return Finding.unknown(
                "grade not recorded", missing=["grade"], evidence=found[0].sources if found else ()
            )
        f = found[0]
        if f.value in rule.one_of:
            return Finding.true(f"grade {f.value} ({wanted})", evidence=f.sources)
        return Finding.false(f"grade {f.value}, not {wanted}", evidence=f.sources)

    return evaluate


def _margin(_: MarginInvolvedRule) -> Evaluator:
    def evaluate(facts: PatientView) -> Finding:
        found = _current(facts, MarginFact)
        if not found:
            return Finding.unknown("resection margin not recorded", missing=["resection margin"])
        f = found[0]
        if f.involved or f.residual in ("R1", "R2"):
            return Finding.true(f"margin involved ({f.residual or 'positive'})", evidence=f.sources)
        if f.involved is False or f.residual == "R0":
            return Finding.false(f"margin clear ({f.residual or 'negative'})", evidence=f.sources)
        return Finding.unknown(
            "margin status not assessable (RX)", missing=["resection margin"], evidence=f.sources
        )

    return evaluate


def _performance(rule: PerformanceRule) -> Evaluator:
    scale = SCALE_LABELS[rule.scale]

    def evaluate(facts: PatientView) -> Finding:
        f = facts.first(PerformanceFact, lambda p: p.scale == rule.scale)
        if f is None:
            return Finding.unknown(f"no {scale} performance status recorded", missing=[scale])
        if f.read_from != "derived":
            return _compare(rule, f.value, scale, "", f.sources)
        note = f"{scale} mapped from the other scale"
        low = f.value if f.range_low is None else f.range_low
        high = f.value if f.range_high is None else f.range_high
        if low == high:
            found = _compare(rule, low, scale, "", f.sources)
            return Finding(found.truth, found.reason, found.evidence, (note,))
        step = 10 if rule.scale == "karnofsky" else 1
        return _within_range(
            rule,
            range(low, high + 1, step),
            span=f"{scale} {low}-{high} (mapped from the other scale)",
            wanted=bounds_text(rule),
            missing=f"{scale} score",
            evidence=f.sources,
            assumptions=[note],
        )

    return evaluate


# --- labs -----------------------------------------------------------------------------


# A result older than this, under a criterion that sets no time window, still decides it,
# but the verdict says how old it is: protocols usually mean a recent value.
STALE_LAB_DAYS = 28


def _dated(finding: Finding, fact: LabFact, as_of: date, within_days: int | None) -> Finding:
    """The finding with the result's date in its reason, and an assumption when it is old."""
    if fact.effective is None:
        note = f"the latest {ANALYTE_LABELS[fact.analyte]} result is undated"
        return replace(finding, assumptions=(*finding.assumptions, note))
    reason = f"{finding.reason} (result of {fact.effective.isoformat()})"
    age = (as_of - fact.effective).days
    if within_days is None and age > STALE_LAB_DAYS:
        note = (
            f"the latest {ANALYTE_LABELS[fact.analyte]} result is {age} days old; "
            "the criterion sets no time window"
        )
        return replace(finding, reason=reason, assumptions=(*finding.assumptions, note))
    return replace(finding, reason=reason)


def _lab_fact(facts: PatientView, analyte: Analyte, within_days: int | None) -> LabFact | Finding:
    label = ANALYTE_LABELS[analyte]
    fact = facts.first(LabFact, lambda f: f.analyte == analyte)
    if fact is None:
        return Finding.unknown(f"no {label} result recorded", missing=[f"{label} result"])
    if within_days is not None and (
        fact.effective is None or (facts.as_of - fact.effective).days > within_days
    ):
        return Finding.unknown(
            f"latest {label} ({fact.effective or 'undated'}) is older than {within_days} days",
            missing=[f"recent {label} result"],
            evidence=fact.sources,
        )
    return fact


def _lab(rule: LabRule) -> Evaluator:
    label = ANALYTE_LABELS[rule.analyte]
    canonical = CANONICAL_UNITS[rule.analyte]
    from_canonical = converter(canonical, rule.unit)  # raises UnitMismatch at compile time

    def evaluate(facts: PatientView) -> Finding:
        fact = _lab_fact(facts, rule.analyte, rule.within_days)
        if isinstance(fact, Finding):
            return fact
        if fact.unit == rule.unit:
            value = fact.value
        else:
            try:
                value = (
                    converter(fact.unit, rule.unit)(fact.value)
                    if fact.unit != canonical
                    else from_canonical(fact.value)
                )
            except ValueError:
                return Finding.unknown(
                    f"{label} unit {fact.unit} cannot be compared with {rule.unit}",
                    missing=[f"{label} result in a known unit"],
                    evidence=fact.sources,
                )
        finding = _compare(rule, value, label, rule.unit, fact.sources)
        return _dated(finding, fact, facts.as_of, rule.within_days)

    return evaluate


def _lab_uln(rule: LabUlnRule) -> Evaluator:
    label = ANALYTE_LABELS[rule.analyte]

    def evaluate(facts: PatientView) -> Finding:
        fact = _lab_fact(facts, rule.analyte, rule.within_days)
        if isinstance(fact, Finding):
            return fact
        if fact.reference_high is None or fact.reference_high <= 0:
            return Finding.unknown(
                f"{label} {_num(fact.value)} {fact.unit} has no upper limit of normal recorded",
                missing=[f"{label} reference range"],
                evidence=fact.sources,
            )
        ratio = round(fact.value / fact.reference_high, 3)
        subject = f"{label} {_num(fact.value)} {fact.unit} (ULN {_num(fact.reference_high)}) is"
        if bounds_hold(rule, ratio):
            finding = Finding.true(
                f"{subject} {_num(ratio)} x ULN, {bounds_text(rule)} x ULN", evidence=fact.sources
            )
        else:
            finding = Finding.false(
                f"{subject} {_num(ratio)} x ULN, not {bounds_text(rule)} x ULN",
                evidence=fact.sources,
            )
        return _dated(finding, fact, facts.as_of, rule.within_days)

    return evaluate


def _biomarker(rule: BiomarkerRule) -> Evaluator:
    def evaluate(facts: PatientView) -> Finding:
        found = [f for f in _current(facts, BiomarkerFact) if f.marker == rule.marker]
        name = rule.marker.upper().replace("_", "-")
        if not found:
            return Finding.unknown(f"no {name} result recorded", missing=[f"{name} result"])
        f = found[0]
        parts = []
        if rule.statuses is not None:
            if f.status is None:
                parts.append(
                    Finding.unknown(
                        f"{name} status not recorded",
                        missing=[f"{name} status"],
                        evidence=f.sources,
                    )
                )
            elif f.status in rule.statuses:
                parts.append(Finding.true(f"{name} {f.status}", evidence=f.sources))
            else:
                parts.append(
                    Finding.false(
                        f"{name} {f.status}, not {label_list(list(rule.statuses))}",
                        evidence=f.sources,
                    )
                )
        if rule.value is not None:
            if f.value is None:
                parts.append(
                    Finding.unknown(
                        f"{name} value not recorded", missing=[f"{name} value"], evidence=f.sources
                    )
                )
            else:
                parts.append(_compare(rule.value, f.value, name, "", f.sources))
        return all_of(parts)

    return evaluate


# --- history --------------------------------------------------------------------------


def _condition(rule: ConditionRule) -> Evaluator:
    what = label_list(list(rule.categories), CONDITION_LABELS)
    statuses = label_list(list(rule.statuses)) if rule.statuses else ""

    def evaluate(facts: PatientView) -> Finding:
        cutoff = months_before(facts.as_of, rule.within_months) if rule.within_months else None
        recorded = [c for c in _current(facts, ConditionFact) if c.category in rule.categories]
        hits: list[Finding] = []
        for c in recorded:
            name = CONDITION_LABELS[c.category]
            parts = []
            if rule.statuses is not None:
                if c.clinical_status is None:
                    parts.append(
                        Finding.unknown(
                            f"{name} recorded without its status",
                            missing=[f"{name} status"],
                            evidence=c.sources,
                        )
                    )
                elif c.clinical_status in rule.statuses:
                    parts.append(
                        Finding.true(f"{name} recorded ({c.clinical_status})", evidence=c.sources)
                    )
                else:
                    parts.append(
                        Finding.false(
                            f"{name} recorded as {c.clinical_status}, not {statuses}",
                            evidence=c.sources,
                        )
                    )
            if cutoff is not None:
                parts.append(_dated_hit(name, c.onset or c.effective, cutoff, c.sources))
            hits.append(
                all_of(parts) if parts else Finding.true(f"{name} recorded", evidence=c.sources)
            )
        if not hits:
            if rule.if_unrecorded == "unknown":
                return Finding.unknown(f"no record of {what}", missing=[what])
            return Finding.false(f"no record of {what}", assumptions=[ABSENT_DIAGNOSIS])
        return any_of(hits)

    return evaluate


def _treatment(rule: TreatmentRule) -> Evaluator:
    what = label_list(list(rule.categories), TREATMENT_LABELS)
    if rule.body_regions:
        what += f" to the {label_list(list(rule.body_regions))}"

    def evaluate(facts: PatientView) -> Finding:
        cutoff = months_before(facts.as_of, rule.within_months) if rule.within_months else None
        recorded = [t for t in _current(facts, TreatmentFact) if t.category in rule.categories]
        hits: list[Finding] = []
        for t in recorded:
            name = TREATMENT_LABELS[t.category]
            parts = [
                Finding.true(
                    f"{name} recorded" + (f" on {t.performed}" if t.performed else ""),
                    evidence=t.sources,
                )
            ]
            if rule.techniques is not None:
                parts.append(
                    _detail(t.technique, list(rule.techniques), f"{name} technique", t.sources)
                )
            if rule.body_regions is not None:
                parts.append(
                    _detail(t.body_region, list(rule.body_regions), f"{name} region", t.sources)
                )
            if cutoff is not None:
                parts.append(_dated_hit(name, t.performed or t.effective, cutoff, t.sources))
            hits.append(all_of(parts))
        if not hits:
            if rule.if_unrecorded == "unknown":
                return Finding.unknown(f"no record of {what}", missing=[what])
            return Finding.false(f"no record of {what}", assumptions=[ABSENT_TREATMENT])
        return any_of(hits)

    return evaluate


def _detail(value: str | None, allowed: list[str], name: str, ev: Sequence[str]) -> Finding:
    if value is None:
        return Finding.unknown(f"{name} not recorded", missing=[name], evidence=ev)
    if value in allowed:
        return Finding.true(f"{name}: {value}", evidence=ev)
    return Finding.false(f"{name}: {value}, not {label_list(allowed)}", evidence=ev)


# --- dispatch -------------------------------------------------------------------------


def compile_rule(rule: Rule) -> Evaluator:
    """Compile a rule into an evaluator; raises UnitMismatch for an unconvertible lab unit."""
    match rule:
        case AllOf():
            return _all(rule)
        case AnyOf():
            return _any(rule)
        case Not():
            return _not(rule)
        case AgeRule():
            return _age(rule)
        case SexRule():
            return _sex(rule)
        case PregnantRule():
            return _pregnant(rule)
        case LactatingRule():
            return _lactating(rule)
        case PrimaryCancerRule():
            return _primary_cancer(rule)
        case PrimaryCancerCountRule():
            return _primary_cancer_count(rule)
        case OtherMalignancyRule():
            return _other_malignancy(rule)
        case StageRule():
            return _stage(rule)
        case MetastasisRule():
            return _metastasis(rule)
        case SubmucosalInvasionRule():
            return _submucosal(rule)
        case AnalVergeDistanceRule():
            return _anal_verge(rule)
        case TumorSizeRule():
            return _tumor_size(rule)
        case PathologyFeatureRule():
            return _pathology_feature(rule)
        case GradeRule():
            return _grade(rule)
        case MarginInvolvedRule():
            return _margin(rule)
        case PerformanceRule():
            return _performance(rule)
        case LabRule():
            return _lab(rule)
        case LabUlnRule():
            return _lab_uln(rule)
        case BiomarkerRule():
            return _biomarker(rule)
        case ConditionRule():
            return _condition(rule)
        case TreatmentRule():
            return _treatment(rule)
        case JudgementRule():
            return _judgement(rule)


def operator_docs() -> dict[str, str]:
    """Each operator's name and the first paragraph of its docstring (for VOCABULARY.md)."""
    docs = {}
    for model in get_args(get_args(Rule)[0]):
        op = get_args(model.model_fields["op"].annotation)[0]
        docs[op] = " ".join((model.__doc__ or "").split())
    return docs
