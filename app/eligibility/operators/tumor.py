"""Operators on the tumor: submucosal invasion depth, distance from the anal verge, size."""

from __future__ import annotations

from app.eligibility.labels import label_list
from app.eligibility.language import AnalVergeDistanceRule, SubmucosalInvasionRule, TumorSizeRule
from app.eligibility.logic import Finding
from app.eligibility.operators.bounds import compare, num
from app.eligibility.operators.registry import Evaluator, operator
from app.eligibility.operators.timing import current, pick, when_text
from app.eligibility.view import PatientView
from app.facts.model import AnalVergeDistanceFact, SubmucosalInvasionFact, TumorSizeFact


@operator(SubmucosalInvasionRule)
def _submucosal(rule: SubmucosalInvasionRule) -> Evaluator:
    wanted = " or ".join(
        [*rule.levels, *([f"deeper than {num(rule.depth_um_gt)} µm"] if rule.depth_um_gt else [])]
    )

    def evaluate(facts: PatientView) -> Finding:
        found = current(facts, SubmucosalInvasionFact)
        if not found:
            return Finding.unknown(
                "depth of submucosal invasion not recorded", missing=["submucosal invasion depth"]
            )
        f = found[0]
        shown = (
            ", ".join(
                x
                for x in [f.level, f"{num(f.depth_um)} µm" if f.depth_um is not None else None]
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


@operator(AnalVergeDistanceRule)
def _anal_verge(rule: AnalVergeDistanceRule) -> Evaluator:
    wanted_mod = label_list(list(rule.modalities))

    def evaluate(facts: PatientView) -> Finding:
        found = current(facts, AnalVergeDistanceFact)
        preferred = (
            [f for f in found if f.modality in rule.modalities] if rule.modalities else found
        )
        assumptions = []
        if rule.modalities and not preferred and found:
            # "On MRI" needs an MRI measurement: another method's is shown, but decides nothing.
            shown = ", ".join(
                f"{num(f.cm)} cm by {f.modality or 'an unrecorded method'}" for f in found
            )
            return Finding.unknown(
                f"distance from the anal verge recorded only as {shown}, not by {wanted_mod}",
                missing=[f"distance from anal verge by {wanted_mod}"],
                evidence=[s for f in found for s in f.sources],
            )
        fact, assumption = pick(preferred, rule.when)
        if fact is None:
            return Finding.unknown(
                "distance from the anal verge not recorded", missing=["distance from anal verge"]
            )
        if assumption:
            assumptions.append(assumption)
        found_ = compare(
            rule,
            fact.cm,
            f"distance from the anal verge{when_text(rule.when)}",
            "cm",
            fact.sources,
        )
        return Finding(found_.truth, found_.reason, found_.evidence, tuple(assumptions))

    return evaluate


@operator(TumorSizeRule)
def _tumor_size(rule: TumorSizeRule) -> Evaluator:
    def evaluate(facts: PatientView) -> Finding:
        found = current(facts, TumorSizeFact)
        if not found:
            return Finding.unknown("tumor size not recorded", missing=["tumor size"])
        f = found[0]
        return compare(rule, f.greatest_dimension_cm, "tumor size", "cm", f.sources)

    return evaluate
