"""Operators on pathology: high-risk features, grade, resection margin."""

from __future__ import annotations

from app.eligibility.labels import FEATURE_LABELS, label_list
from app.eligibility.language import GradeRule, MarginInvolvedRule, PathologyFeatureRule
from app.eligibility.logic import Finding
from app.eligibility.operators.registry import Evaluator, operator
from app.eligibility.operators.timing import current
from app.eligibility.view import PatientView
from app.facts.model import GradeFact, MarginFact, PathologyFeatureFact


def _feature_text(f: PathologyFeatureFact) -> str:
    return f.detail or FEATURE_LABELS[f.feature]


_LVI_PARTS = ("lymphatic_invasion", "venous_invasion")


@operator(PathologyFeatureRule)
def _pathology_feature(rule: PathologyFeatureRule) -> Evaluator:
    name = FEATURE_LABELS[rule.feature]

    def evaluate(facts: PatientView) -> Finding:
        latest: dict[str, PathologyFeatureFact] = {}
        for f in current(facts, PathologyFeatureFact):
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


@operator(GradeRule)
def _grade(rule: GradeRule) -> Evaluator:
    wanted = label_list(list(rule.one_of))

    def evaluate(facts: PatientView) -> Finding:
        found = current(facts, GradeFact)
        if not found or found[0].value == "GX":
            return Finding.unknown(
                "grade not recorded", missing=["grade"], evidence=found[0].sources if found else ()
            )
        f = found[0]
        if f.value in rule.one_of:
            return Finding.true(f"grade {f.value} ({wanted})", evidence=f.sources)
        return Finding.false(f"grade {f.value}, not {wanted}", evidence=f.sources)

    return evaluate


@operator(MarginInvolvedRule)
def _margin(_: MarginInvolvedRule) -> Evaluator:
    def evaluate(facts: PatientView) -> Finding:
        found = current(facts, MarginFact)
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
