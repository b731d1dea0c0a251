"""A trial against one patient: a verdict for every criterion, and the trial's status.

Compiled once (`compile_trial`), evaluated per patient (`evaluate_trial`). Example::

    >>> verdict = evaluate_trial(compile_trial(trial), facts)
    >>> verdict.status, verdict.unmet, verdict.missing
    ('possibly_eligible', [], ['inc-6.a'])

Outcome of a criterion, from the truth of its rule:

==========  ================  ================  ==================
rule        inclusion         exclusion         needs
==========  ================  ================  ==================
true        pass              fail              -
false       fail              pass              -
unknown     unknown           unknown           data (review if only a
                                                judgement is open)
(review)    unknown           unknown           review
==========  ================  ================  ==================

Status: ``ineligible`` if any criterion fails; else ``possibly_eligible`` if any is unknown
for lack of data, or is a review *triggered* by a recorded fact (``triggered_by``: hepatitis B
recorded, is it replicating?); else ``eligible``. Routine reviews (consent, preference) are
listed, never counted. A trial with any criterion whose ``encoding`` is not ``curated``
(a suggested rule, or text nobody has encoded) is never ``eligible``: at most
``possibly_eligible``, however its verdicts fall.

A deceased patient is ineligible for every trial before any criterion is evaluated: the
one verdict is `ALIVE_ID`, failed, with the Patient as evidence.

The registry's structured age limits (``minimum_age`` / ``maximum_age``) are checked as
one more inclusion criterion, ``registry-age``, after the protocol's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.eligibility.language import AgeRule, Criterion, Trial
from app.eligibility.logic import Truth
from app.eligibility.operators import REVIEW_MARK, Evaluator, compile_rule, needs_review_only
from app.eligibility.verdict import CriterionVerdict, Needs, Outcome, TrialStatus
from app.eligibility.view import PatientView
from app.facts.model import DeceasedFact, PatientFacts

REGISTRY_AGE_ID = "registry-age"
ALIVE_ID = "patient-alive"


@dataclass(frozen=True)
class CompiledCriterion:
    """A criterion with its rule compiled, or, for a review-only criterion (no rule), with
    its verdict: the same for every patient, so it is built once and shared (verdicts are
    frozen, and a review-only one holds no evidence, assumption or missing data)."""

    criterion: Criterion
    evaluate: Evaluator | None  # None for a review-only criterion
    review_only: CriterionVerdict | None = None

    @classmethod
    def of(cls, criterion: Criterion) -> CompiledCriterion:
        if criterion.rule is None:
            return cls(criterion, None, _review_only(criterion))
        return cls(criterion, compile_rule(criterion.rule))


@dataclass(frozen=True)
class CompiledTrial:
    trial: Trial
    criteria: tuple[CompiledCriterion, ...]

    def criterion(self, criterion_id: str) -> CompiledCriterion:
        return next(c for c in self.criteria if c.criterion.id == criterion_id)


@dataclass(frozen=True)
class TrialVerdict:
    trial: Trial
    verdicts: list[CriterionVerdict]
    status: TrialStatus
    unmet: list[str]
    missing: list[str]
    review: list[str]
    screened_out: bool = False  # only the decisive criterion was evaluated


def _registry_age(trial: Trial) -> CompiledCriterion | None:
    if trial.minimum_age is None and trial.maximum_age is None:
        return None
    low, high = trial.minimum_age, trial.maximum_age
    if low is not None and high is not None:
        text = f"Registry age limits: {low} to {high} years"
    elif low is not None:
        text = f"Registry age limit: at least {low} years"
    else:
        text = f"Registry age limit: at most {high} years"
    rule = AgeRule(op="age", gte=low, lte=high)
    criterion = Criterion(id="inc-0", type="inclusion", text=text, rule=rule)
    return CompiledCriterion(
        criterion.model_copy(update={"id": REGISTRY_AGE_ID}), compile_rule(rule)
    )


def compile_trial(trial: Trial) -> CompiledTrial:
    """Compile every rule once; raises UnitMismatch for a lab unit that cannot be converted."""
    compiled = [CompiledCriterion.of(c) for c in trial.criteria]
    age = _registry_age(trial)
    return CompiledTrial(trial, tuple(compiled + ([age] if age else [])))


def _review_only(c: Criterion) -> CriterionVerdict:
    return CriterionVerdict(
        id=c.id,
        type=c.type,
        text=c.text,
        outcome="unknown",
        needs="review",
        reason=f"For a person to confirm: {c.note or 'the record cannot answer this.'}",
        encoding=c.encoding,
    )


def criterion_verdict(compiled: CompiledCriterion, facts: PatientView) -> CriterionVerdict:
    c = compiled.criterion
    if compiled.evaluate is None:
        shared = compiled.review_only
        return shared if shared is not None else _review_only(c)
    finding = compiled.evaluate(facts)
    outcome: Outcome
    needs: Needs | None = None
    if finding.truth is Truth.UNKNOWN:
        outcome, needs = "unknown", "review" if needs_review_only(finding) else "data"
    elif (finding.truth is Truth.TRUE) == (c.type == "inclusion"):
        outcome = "pass"
    else:
        outcome = "fail"
    return CriterionVerdict(
        id=c.id,
        type=c.type,
        text=c.text,
        outcome=outcome,
        needs=needs,
        reason=_sentence(finding.reason) + _SUGGESTED.get(c.encoding, ""),
        evidence=list(finding.evidence),
        assumptions=list(finding.assumptions),
        missing_data=[m for m in finding.missing if not m.startswith(REVIEW_MARK)]
        if needs == "data"
        else [],
        triggered_by=list(finding.triggered_by) if needs == "review" else [],
        encoding=c.encoding,
    )


_SUGGESTED = {"suggested": " A suggested reading, not yet accepted by a person."}


def _sentence(reason: str) -> str:
    return reason[:1].upper() + reason[1:] + ("" if reason.endswith((".", "?", "!")) else ".")


@dataclass(frozen=True)
class _Tally:
    """A trial's verdicts read in one pass: the ids that fail, lack data or need review,
    and the status they give."""

    unmet: list[str]
    missing: list[str]
    review: list[str]
    status: TrialStatus


def _tally(verdicts: Sequence[CriterionVerdict]) -> _Tally:
    unmet: list[str] = []
    missing: list[str] = []
    review: list[str] = []
    triggered = uncurated = False
    for v in verdicts:
        if v.outcome == "fail":
            unmet.append(v.id)
        elif v.outcome == "unknown":
            if v.needs == "data":
                missing.append(v.id)
            elif v.triggered_by:
                triggered = True
        if v.needs == "review":
            review.append(v.id)
        if v.encoding != "curated":
            uncurated = True
    status: TrialStatus
    if unmet:
        status = "ineligible"
    elif missing or triggered:
        status = "possibly_eligible"
    elif uncurated:
        status = "possibly_eligible"  # nothing uncurated ever makes a trial eligible
    else:
        status = "eligible"
    return _Tally(unmet, missing, review, status)


def trial_status(verdicts: Sequence[CriterionVerdict]) -> TrialStatus:
    """ineligible if any fails; else possibly_eligible if any is unknown for lack of data,
    or a review a recorded fact triggered, or any is not curated; else eligible."""
    return _tally(verdicts).status


def _deceased(facts: PatientView) -> CriterionVerdict | None:
    """The verdict that ends the evaluation for a patient recorded deceased, or None."""
    death = facts.first(DeceasedFact)
    if death is None:
        return None
    when = f" on {death.died}" if death.died else ""
    return CriterionVerdict(
        id=ALIVE_ID,
        type="inclusion",
        text="The patient is alive.",
        outcome="fail",
        reason=f"The patient is recorded deceased{when}; no criterion was evaluated.",
        evidence=list(death.sources),
    )


def _verdict(trial: Trial, verdicts: list[CriterionVerdict], screened_out: bool) -> TrialVerdict:
    tally = _tally(verdicts)
    return TrialVerdict(
        trial=trial,
        verdicts=verdicts,
        status=tally.status,
        unmet=tally.unmet,
        missing=tally.missing,
        review=tally.review,
        screened_out=screened_out,
    )


def evaluate_trial(compiled: CompiledTrial, facts: PatientFacts | PatientView) -> TrialVerdict:
    """Every criterion of the trial, in protocol order.

    Pass a `PatientView` when evaluating one patient against many trials (built once)."""
    facts = facts if isinstance(facts, PatientView) else PatientView(facts)
    deceased = _deceased(facts)
    if deceased is not None:
        return _verdict(compiled.trial, [deceased], screened_out=False)
    return _verdict(
        compiled.trial, [criterion_verdict(c, facts) for c in compiled.criteria], screened_out=False
    )


def screen_out(compiled: CompiledTrial, facts: PatientFacts | PatientView) -> TrialVerdict:
    """A trial the index says cannot apply: only its decisive criterion is evaluated.

    If that criterion does not fail after all (the index and the rule disagree), the
    whole trial is evaluated, so a screened-out trial is never reported wrongly.
    """
    facts = facts if isinstance(facts, PatientView) else PatientView(facts)
    if facts.first(DeceasedFact) is not None:
        return evaluate_trial(compiled, facts)
    applies = compiled.trial.applies_to
    if applies is not None:
        decisive = criterion_verdict(compiled.criterion(applies.criterion), facts)
        if decisive.outcome == "fail":
            return _verdict(compiled.trial, [decisive], screened_out=True)
    return evaluate_trial(compiled, facts)
