"""The operators of the rule language, compiled once into evaluators over PatientFacts.

`compile_rule` turns a rule (see `app.eligibility.language`) into a function
``PatientView -> Finding`` (a `PatientView` wraps `PatientFacts`); work that does not
depend on the patient (unit factors, label texts) is done at compile time. One module per
fact family (demographics, cancer, staging, tumor, pathology, performance, labs, biomarkers,
history, medications, mirroring `app/facts/`) registers its operators in `registry`. Example::

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

from app.eligibility.operators import (  # noqa: F401  (each module registers its operators)
    biomarkers,
    cancer,
    combinators,
    demographics,
    history,
    labs,
    medications,
    pathology,
    performance,
    staging,
    tumor,
)
from app.eligibility.operators.combinators import REVIEW_MARK, needs_review_only
from app.eligibility.operators.registry import Evaluator, compile_rule, operator_docs
from app.eligibility.operators.staging import stage_matches
from app.eligibility.operators.timing import months_before

__all__ = [
    "REVIEW_MARK",
    "Evaluator",
    "compile_rule",
    "months_before",
    "needs_review_only",
    "operator_docs",
    "stage_matches",
]
