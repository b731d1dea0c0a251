"""Operators on staging: TNM categories and stage groups per context, distant metastasis."""

from __future__ import annotations

import re
from collections.abc import Sequence

from app.eligibility.labels import CONTEXT_PREFIX, label_list
from app.eligibility.language import MetastasisRule, StageRule
from app.eligibility.logic import Finding
from app.eligibility.operators.registry import Evaluator, operator
from app.eligibility.operators.timing import current, pick, when_text
from app.eligibility.view import PatientView
from app.facts.model import Fact, MetastasisFact, StageFact

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


@operator(StageRule)
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
            for f in current(facts, StageFact)
            if f.context == rule.context and f.category == rule.category
        ]
        fact, assumption = pick(found, rule.when)
        if fact is None:
            return Finding.unknown(
                f"no {name}{when_text(rule.when)} recorded", missing=[f"{name} stage"]
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
                f"{name}{when_text(rule.when)} is {shown} ({wanted})",
                evidence=fact.sources,
                assumptions=assumptions,
            )
        return Finding.false(
            f"{name}{when_text(rule.when)} is {shown}, not {wanted}",
            evidence=fact.sources,
            assumptions=assumptions,
        )

    return evaluate


@operator(MetastasisRule)
def _metastasis(rule: MetastasisRule) -> Evaluator:
    where = f" to the {label_list(list(rule.sites))}" if rule.sites else ""

    def evaluate(facts: PatientView) -> Finding:
        mets = current(facts, MetastasisFact)
        stages = current(facts, StageFact)
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
