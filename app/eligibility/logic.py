"""Three-valued (Kleene) logic over findings: what a rule found, why, and from which facts.

A `Finding` is the value of a rule for one patient: `Truth.TRUE`, `Truth.FALSE` or
`Truth.UNKNOWN`, with a reason in plain words, the FHIR references it used, the
assumptions it made and, when unknown, the data that would decide it. Example::

    >>> a = Finding.true("ECOG 1 is at most 1", evidence=("Observation/e1",))
    >>> b = Finding.unknown("no hemoglobin result", missing=("hemoglobin",))
    >>> all_of([a, b]).truth
    <Truth.UNKNOWN: 'unknown'>
    >>> any_of([a, b]).truth
    <Truth.TRUE: 'true'>

Kleene's strong logic: ``all`` is false if any part is false, else unknown if any part is
unknown, else true; ``any`` is the dual; ``not`` swaps true and false and keeps unknown.
The reason of a combination quotes the parts that decided it, so a clinician reads only
what mattered.

A judgement (a question only a person can answer) is an unknown whose ``missing`` entries
start with `REVIEW_MARK`. When ``all`` is unknown only for judgements and other parts are
true on recorded facts (hepatitis B recorded, *and* "is it replicating?"), the review was
*triggered* by those facts: ``triggered_by`` names them, and the trial cannot be eligible
until a person answers. A judgement standing alone (consent, preference) is routine.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum


class Truth(Enum):
    TRUE = "true"
    FALSE = "false"
    UNKNOWN = "unknown"


def k_and(a: Truth, b: Truth) -> Truth:
    if Truth.FALSE in (a, b):
        return Truth.FALSE
    if Truth.UNKNOWN in (a, b):
        return Truth.UNKNOWN
    return Truth.TRUE


def k_or(a: Truth, b: Truth) -> Truth:
    if Truth.TRUE in (a, b):
        return Truth.TRUE
    if Truth.UNKNOWN in (a, b):
        return Truth.UNKNOWN
    return Truth.FALSE


def k_not(a: Truth) -> Truth:
    return {Truth.TRUE: Truth.FALSE, Truth.FALSE: Truth.TRUE, Truth.UNKNOWN: Truth.UNKNOWN}[a]


# `missing` entries of a judgement start with this: the unknown needs a person, not data.
REVIEW_MARK = "review: "


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


@dataclass(frozen=True)
class Finding:
    """The value of a rule for one patient, with its reason and evidence."""

    truth: Truth
    reason: str
    evidence: tuple[str, ...] = ()
    assumptions: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    triggered_by: tuple[str, ...] = ()

    @property
    def review_only(self) -> bool:
        """Unknown only for questions a person must answer (no data would decide it)."""
        return (
            self.truth is Truth.UNKNOWN
            and bool(self.missing)
            and all(m.startswith(REVIEW_MARK) for m in self.missing)
        )

    @classmethod
    def review(cls, question: str) -> Finding:
        """A judgement: unknown until a person answers ``question``."""
        return cls(
            Truth.UNKNOWN, f"for a person to decide: {question}", (), (), (REVIEW_MARK + question,)
        )

    @classmethod
    def true(
        cls, reason: str, *, evidence: Sequence[str] = (), assumptions: Sequence[str] = ()
    ) -> Finding:
        return cls(Truth.TRUE, reason, _unique(evidence), _unique(assumptions))

    @classmethod
    def false(
        cls, reason: str, *, evidence: Sequence[str] = (), assumptions: Sequence[str] = ()
    ) -> Finding:
        return cls(Truth.FALSE, reason, _unique(evidence), _unique(assumptions))

    @classmethod
    def unknown(
        cls,
        reason: str,
        *,
        missing: Sequence[str],
        evidence: Sequence[str] = (),
        assumptions: Sequence[str] = (),
    ) -> Finding:
        return cls(Truth.UNKNOWN, reason, _unique(evidence), _unique(assumptions), _unique(missing))


def _combine(
    truth: Truth, deciding: Sequence[Finding], triggered_by: Iterable[str] = ()
) -> Finding:
    unknown = truth is Truth.UNKNOWN
    return Finding(
        truth=truth,
        reason="; ".join(dict.fromkeys(f.reason for f in deciding)),
        evidence=_unique(e for f in deciding for e in f.evidence),
        assumptions=_unique(a for f in deciding for a in f.assumptions),
        missing=_unique(m for f in deciding for m in f.missing) if unknown else (),
        triggered_by=_unique([*triggered_by, *(t for f in deciding for t in f.triggered_by)])
        if unknown
        else (),
    )


def all_of(parts: Sequence[Finding]) -> Finding:
    """Kleene conjunction; the reason quotes the parts that decided it."""
    truth = Truth.TRUE
    for part in parts:
        truth = k_and(truth, part.truth)
    if truth is Truth.TRUE:
        return _combine(truth, parts)
    if truth is Truth.FALSE:
        return _combine(truth, [p for p in parts if p.truth is Truth.FALSE])
    # Unknown: the unknown parts decide. If they are all judgements, the true parts read
    # from recorded facts are what raised the question: the review is triggered.
    unknown = [p for p in parts if p.truth is Truth.UNKNOWN]
    raised = [p for p in parts if p.truth is Truth.TRUE and p.evidence]
    if raised and all(p.review_only for p in unknown):
        # The reason shows what raised the question beside the question itself.
        trigger = [e for p in raised for e in p.evidence]
        return _combine(truth, [*raised, *unknown], trigger)
    return _combine(truth, unknown)


def any_of(parts: Sequence[Finding]) -> Finding:
    """Kleene disjunction; the reason quotes the parts that decided it."""
    truth = Truth.FALSE
    for part in parts:
        truth = k_or(truth, part.truth)
    if truth is Truth.FALSE:
        return _combine(truth, parts)
    wanted = Truth.TRUE if truth is Truth.TRUE else Truth.UNKNOWN
    return _combine(truth, [p for p in parts if p.truth is wanted])


def negate(part: Finding) -> Finding:
    """Kleene negation; the reason stays the part's own (it states the facts)."""
    return Finding(
        truth=k_not(part.truth),
        reason=part.reason,
        evidence=part.evidence,
        assumptions=part.assumptions,
        missing=part.missing,
        triggered_by=part.triggered_by,
    )
