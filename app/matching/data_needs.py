"""What the EHR must be asked for: Observation codes derived from the trial library.

Many EHRs refuse an Observation search without `code` or `category` (Epic does), and a
patient's chart may hold thousands of Observations no criterion reads. So the pull asks
only for the codes that feed a fact some criterion of the library uses. Example::

    observation_codes(library)
    # ['http://loinc.org|21905-5', ..., 'http://loinc.org|718-7', ...]

Adding an operator to the rule language means adding its fact concept here (a test fails
when an operator is neither mapped nor declared as needing no Observation).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from app.eligibility.library import Library
from app.facts import codes

# Operator -> the Observation concepts its facts are read from (app.facts.codes).
OPERATOR_CONCEPTS: dict[str, tuple[codes.Concept, ...]] = {
    "stage": ("staging",),
    "metastasis": ("staging",),
    "performance": ("performance",),
    "lab": ("labs",),
    "lab_uln": ("labs",),
    "biomarker": ("biomarkers",),
    "anal_verge_distance": ("tumor",),
    "tumor_size": ("tumor",),
    "pathology_feature": ("pathology",),
    "margin_involved": ("pathology",),
    "grade": ("grade",),
    "pregnant": ("pregnancy",),
    "lactating": ("pregnancy",),
}
# Operators whose facts come from Patient, Condition, Procedure, medication resources or
# report text only (the pull searches those whatever the library reads).
NO_OBSERVATION = frozenset(
    {
        "all",
        "any",
        "not",
        "age",
        "sex",
        "primary_cancer",
        "primary_cancer_count",
        "other_malignancy",
        "submucosal_invasion",
        "condition",
        "treatment",
        "medication",
        "judgement",
    }
)


def _rules(node: Any) -> Iterator[BaseModel]:
    """Every rule node below ``node`` (a rule, or a list of them), depth first."""
    if isinstance(node, list):
        for item in node:
            yield from _rules(item)
    elif isinstance(node, BaseModel):
        if hasattr(node, "op"):
            yield node
        for name in type(node).model_fields:
            yield from _rules(getattr(node, name))


def operators_used(library: Library) -> tuple[set[str], set[str]]:
    """The operators the library's rules use, and the lab analytes they name."""
    ops: set[str] = set()
    analytes: set[str] = set()
    for compiled in library.trials.values():
        for criterion in compiled.trial.criteria:
            for rule in _rules(criterion.rule):
                op = str(getattr(rule, "op"))  # noqa: B009 - rules are a union of models
                ops.add(op)
                if op in ("lab", "lab_uln"):
                    analytes.add(str(getattr(rule, "analyte")))  # noqa: B009
    return ops, analytes


def observation_codes(library: Library) -> list[str]:
    """`system|code` tokens of every Observation code that feeds a fact the library reads."""
    ops, analytes = operators_used(library)
    concepts = {c for op in ops for c in OPERATOR_CONCEPTS.get(op, ())}
    wanted: set[str] = set()
    for (system, code), concept in codes.OBSERVATION_ROUTES.items():
        if concept not in concepts:
            continue
        if concept == "labs" and codes.LAB_CODES.get(code) not in analytes:
            continue
        wanted.add(f"{system}|{code}")
    return sorted(wanted)
