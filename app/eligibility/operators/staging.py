"""Operators on staging: TNM categories and stage groups per context, distant metastasis."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta
from functools import cache

from app.eligibility.labels import CONTEXT_PREFIX, label_list
from app.eligibility.language import MetastasisRule, StageRule
from app.eligibility.logic import Finding
from app.eligibility.operators.freshness import max_days, too_old
from app.eligibility.operators.registry import Evaluator, operator
from app.eligibility.operators.timing import FOR_CANCER_DAYS_BEFORE, current, when_text
from app.eligibility.view import PatientView
from app.facts.model import Fact, MetastasisFact, PrimaryCancerFact, StageFact, TreatmentFact
from app.vocabulary import files

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


def _bare(value: str) -> str:
    return _PREFIX.sub("", value.strip())


def same_day_conflict(found: Sequence[StageFact]) -> list[StageFact]:
    """The newest fact and every other of its date whose value differs, or [] if none."""
    if not found:
        return []
    newest = found[0]
    others = [
        f
        for f in found[1:]
        if f.effective == newest.effective and _bare(f.value) != _bare(newest.value)
    ]
    return [newest, *others] if others else []


def workup(found: list[StageFact], facts: PatientView) -> tuple[list[StageFact], list[str]]:
    """The stages of the work-up before the first cancer-directed treatment, newest first,
    and what that reading assumes."""
    diagnosed = [d for p in current(facts, PrimaryCancerFact) if (d := p.diagnosed or p.effective)]
    # Treatments of this cancer: a polypectomy years before the diagnosis was of something else.
    since = min(diagnosed) - timedelta(days=FOR_CANCER_DAYS_BEFORE) if diagnosed else date.min
    treated = [
        t.performed for t in current(facts, TreatmentFact) if t.performed and t.performed >= since
    ]
    dated = [f for f in found if f.effective is not None]
    if not dated:
        note = "no date recorded: the only record is taken as the initial one"
        return found[:1], ([note] if found else [])
    if not treated:
        note = "no cancer-directed treatment recorded: every staging is taken as the work-up"
        return dated, [note]
    first = min(treated)
    before = [f for f in dated if f.effective is not None and f.effective <= first]
    return before, [f"the work-up before the first treatment ({first})"]


@operator(StageRule)
def _stage(rule: StageRule) -> Evaluator:
    prefix = CONTEXT_PREFIX[rule.context]
    wanted = label_list(list(rule.one_of))
    name = (
        f"{rule.context} stage group"
        if rule.category == "group"
        else f"{rule.context} {rule.category}"
    )
    days = max_days("stage", rule.within_days)

    def show(f: StageFact) -> str:
        value = f.value if rule.category == "group" else f"{prefix}{_bare(f.value)}"
        return f"{value} ({f.effective or 'undated'}, {f.sources[0] if f.sources else '?'})"

    def unrecorded(reason: str, evidence: Sequence[str] = ()) -> Finding:
        if rule.if_unrecorded == "false":
            return Finding.false(
                reason,
                evidence=evidence,
                assumptions=[f"no recorded {name} counts as not {wanted}"],
            )
        return Finding.unknown(reason, missing=[f"{name} stage"], evidence=evidence)

    def evaluate(facts: PatientView) -> Finding:
        found = [
            f
            for f in current(facts, StageFact)
            if f.context == rule.context and f.category == rule.category
        ]
        assumptions: list[str] = []
        if rule.when == "earliest":
            found, assumptions = workup(found, facts)
        if not found:
            return unrecorded(f"no {name}{when_text(rule.when)} recorded")
        conflict = same_day_conflict(found)
        if conflict:
            return Finding.unknown(
                f"the {name} records of one day disagree: " + "; ".join(show(f) for f in conflict),
                missing=[f"{name} stage (the sources disagree)"],
                evidence=[s for f in conflict for s in f.sources],
            )
        fact = found[0]
        others = sorted({_bare(f.value) for f in found} - {_bare(fact.value)})
        if rule.when == "earliest" and others:
            assumptions.append(
                f"work-up records disagree ({', '.join(others)} earlier): its conclusion stands"
            )
        shown = show(fact)
        if rule.when == "latest" and too_old(fact.effective, facts.as_of, days):
            return Finding.unknown(
                f"the latest {name} is {shown}: older than {days} days",
                missing=[f"a current {name} stage"],
                evidence=fact.sources,
                assumptions=assumptions,
            )
        match = stage_matches(fact.value, rule.one_of, rule.category)
        if match is None:
            return unrecorded(f"{name} is {shown} (not assessed)", fact.sources)
        if match:
            return Finding.true(
                f"{name}{when_text(rule.when)} is {shown}: {wanted}",
                evidence=fact.sources,
                assumptions=assumptions,
            )
        return Finding.false(
            f"{name}{when_text(rule.when)} is {shown}, not {wanted}",
            evidence=fact.sources,
            assumptions=assumptions,
        )

    return evaluate


@cache
def _group_tables() -> dict[str, dict[str, tuple[str, ...]]]:
    sites = files.section(files.load("ajcc8_stage_groups"), "sites")
    return {site: {"m1": tuple(t["m1"]), "m0": tuple(t["m0"])} for site, t in sites.items()}


def group_implies(value: str, sites: Sequence[str]) -> str | None:
    """'M1', 'M0' or None: what a stage group says of distant metastasis for these sites.

    Decided only when every site's table says the same (a record with a rectal and an
    esophageal primary and a stage IVA says nothing)."""
    said: set[str | None] = set()
    for site in sites or [""]:
        table = _group_tables().get(site)
        if table is None:
            said.add(None)
            continue
        if _group_listed(value, table["m1"]):
            said.add("M1")
        elif _group_listed(value, table["m0"]):
            said.add("M0")
        else:
            said.add(None)
    return said.pop() if len(said) == 1 else None


def _group_listed(value: str, groups: Sequence[str]) -> bool:
    # A subdivided group listed ("IVA") must be met exactly or by its own subdivisions.
    return bool(stage_matches(value, list(groups), "group"))


@operator(MetastasisRule)
def _metastasis(rule: MetastasisRule) -> Evaluator:
    where = f" to the {label_list(list(rule.sites))}" if rule.sites else ""
    days = max_days("metastasis", rule.within_days)

    def staged(f: StageFact) -> str:
        return (
            f"{CONTEXT_PREFIX[f.context]}{_bare(f.value)}"
            if f.category == "M"
            else (f"stage {f.value}")
        )

    def evaluate(facts: PatientView) -> Finding:
        mets = current(facts, MetastasisFact)
        stages = current(facts, StageFact)
        sites = sorted({p.site for p in current(facts, PrimaryCancerFact) if p.site is not None})
        present = [m for m in mets if m.present]
        at_site = [m for m in present if rule.sites is None or m.site in rule.sites]
        if at_site:
            found = sorted({m.site or "unspecified site" for m in at_site})
            return Finding.true(
                f"distant metastasis recorded ({', '.join(found)})",
                evidence=[s for m in at_site for s in m.sources],
            )
        # An explicit M category wins over one derived from a stage group of its context.
        explicit = {s.context for s in stages if s.category == "M"}
        m_of: list[tuple[StageFact, str | None]] = [
            (
                s,
                "M1"
                if stage_matches(s.value, ["M1"], "M")
                else "M0"
                if stage_matches(s.value, ["M0"], "M")
                else None,
            )
            for s in stages
            if s.category == "M"
        ] + [
            (s, group_implies(s.value, sites))
            for s in stages
            if s.category == "group" and s.context not in explicit
        ]
        m1 = [s for s, said in m_of if said == "M1"]
        if rule.sites is None and m1:
            return Finding.true(
                "stage shows distant metastasis (" + ", ".join(staged(s) for s in m1) + ")",
                evidence=[x for s in m1 for x in s.sources],
            )
        if present or m1:
            # Metastasis is recorded but not at the asked site (or its site is not recorded).
            unsited: list[Fact] = [*(m for m in present if m.site is None), *m1]
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
        negatives: list[Fact] = [
            *(m for m in mets if not m.present),
            *(s for s, said in m_of if said == "M0"),
        ]
        # Absence of metastasis is a finding of a recent assessment, not of an old one.
        fresh = [f for f in negatives if not too_old(f.effective, facts.as_of, days)]
        if fresh:
            return Finding.false(
                "no distant metastasis (recorded absent or staged M0: "
                + ", ".join(
                    staged(f) if isinstance(f, StageFact) else f"assessed {f.effective}"
                    for f in fresh
                )
                + ")",
                evidence=[x for f in fresh for x in f.sources],
            )
        if negatives:
            newest = max((f.effective for f in negatives if f.effective), default=None)
            return Finding.unknown(
                f"the latest assessment without distant metastasis ({newest or 'undated'}) "
                f"is older than {days} days",
                missing=["a current M stage or metastasis assessment"],
                evidence=[x for f in negatives for x in f.sources],
            )
        unread = [s for s, said in m_of if said is None and s.category == "group"]
        if unread:
            return Finding.unknown(
                "the stage group does not say whether there is distant metastasis for this "
                "cancer (" + ", ".join(staged(s) for s in unread) + ")",
                missing=["M stage or metastasis assessment"],
                evidence=[x for s in unread for x in s.sources],
            )
        return Finding.unknown(
            "no record of whether there is distant metastasis",
            missing=["M stage or metastasis assessment"],
        )

    return evaluate
