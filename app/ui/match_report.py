"""The match report page's view model: a `MatchResponse` laid out for a person to read.

The report shows what ``/v1/match`` answers, nothing else: it is built from the same
`MatchResponse` (`app.matching.service.match_record`), never from a second evaluation.
Example::

    response = match_record(read_bundle(body), library, MatchOptions(as_of=date(2026, 11, 23)))
    report = match_report(response)
    report.trials[0].badge.label          # "Eligible"
    report.trials[0].criteria[0].text     # "aged 18-75 years" (the protocol's words)
    [f.title for f in report.families]    # ["Demographics", "Diagnosis and histology", ...]

What it adds is layout only: a status badge in words and a symbol beside its colour; for each
criterion the dates of the facts its evidence references point to (the facts are in the same
response); the patient's facts grouped by family (app/ui/fact_words.py); and every
assumption a verdict rests on, gathered once for the whole report.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from app.data_quality import DataQualityWarning
from app.eligibility.verdict import CriterionVerdict, Needs, Outcome, TrialStatus
from app.facts.model import AnyFact
from app.matching.models import LibraryVersion, MatchResponse, TrialMatch
from app.ui.fact_words import FAMILIES, details, family_of, headline


@dataclass(frozen=True)
class Badge:
    """A status as text, a symbol and a colour class: the colour is never the only cue."""

    key: str
    label: str
    symbol: str
    meaning: str


STATUS_BADGES: dict[TrialStatus, Badge] = {
    "eligible": Badge(
        "eligible",
        "Eligible",
        "✓",
        "Every criterion the record can settle passes; a person confirms the match.",
    ),
    "possibly_eligible": Badge(
        "possibly_eligible",
        "Possibly eligible",
        "?",
        "No criterion fails, but some need data or a person's review.",
    ),
    "ineligible": Badge("ineligible", "Ineligible", "✗", "At least one criterion fails."),
}

_OUTCOME_BADGES: dict[tuple[Outcome, Needs | None], Badge] = {
    ("pass", None): Badge("pass", "Pass", "✓", "Does not stand in the way."),
    ("fail", None): Badge("fail", "Fail", "✗", "Stands in the way."),
    ("unknown", "data"): Badge("unknown-data", "Unknown: data missing", "?", "Needs data."),
    ("unknown", "review"): Badge(
        "unknown-review", "Unknown: a person confirms", "?", "For a person to confirm."
    ),
    ("unknown", None): Badge("unknown", "Unknown", "?", "Cannot be decided."),
}

ENCODING_WORDS: dict[str, str] = {
    "curated": "curated: encoded and checked by a person",
    "suggested": "suggested: encoded by trialmatch, not yet accepted by a curator",
    "text": "text: not encoded, a person decides",
}


def outcome_badge(verdict: CriterionVerdict) -> Badge:
    needs = verdict.needs if verdict.outcome == "unknown" else None
    return _OUTCOME_BADGES[(verdict.outcome, needs)]


@dataclass(frozen=True)
class FactRow:
    """One fact: what it says, its recorded details, and where and when it came from."""

    kind: str
    headline: str
    details: list[tuple[str, str]]
    effective: date | None
    read_from: str
    note: str | None
    sources: list[str]


@dataclass(frozen=True)
class FactFamily:
    key: str
    title: str
    facts: list[FactRow]


@dataclass(frozen=True)
class Evidence:
    """A FHIR reference a verdict cites, with the facts of the response read from it."""

    reference: str
    facts: list[FactRow]

    @property
    def dates(self) -> list[date]:
        return sorted({f.effective for f in self.facts if f.effective is not None})


@dataclass(frozen=True)
class CriterionRow:
    id: str
    type: str
    text: str
    outcome: Outcome
    needs: Needs | None
    badge: Badge
    reason: str
    encoding: str
    encoding_words: str
    evidence: list[Evidence]
    to_confirm: bool
    triggered_by: list[Evidence]
    missing_data: list[str]
    assumptions: list[str]


@dataclass(frozen=True)
class TrialSection:
    rank: int
    trial: str
    title: str
    badge: Badge
    score: float
    recruitment_status: str
    end_date: date | None
    content_hash: str
    warnings: list[str]
    criteria: list[CriterionRow]
    unmet: list[CriterionRow]
    missing: list[CriterionRow]
    review: list[CriterionRow]

    @property
    def anchor(self) -> str:
        return f"trial-{self.trial}"

    def count(self, outcome: Outcome) -> int:
        return sum(1 for row in self.criteria if row.outcome == outcome)


@dataclass(frozen=True)
class Assumption:
    """One assumption, with the criteria (trial, criterion id) whose verdict rests on it."""

    text: str
    criteria: list[tuple[str, str]]


@dataclass(frozen=True)
class MatchReport:
    patient: str
    as_of: date
    library: LibraryVersion
    trials: list[TrialSection]
    families: list[FactFamily]
    facts_shown: int
    facts_omitted: int
    warnings: list[DataQualityWarning]
    assumptions: list[Assumption]


def _fact_row(fact: AnyFact) -> FactRow:
    return FactRow(
        kind=fact.kind,
        headline=headline(fact),
        details=details(fact),
        effective=fact.effective,
        read_from=fact.read_from,
        note=fact.note,
        sources=list(fact.sources),
    )


def _criterion(verdict: CriterionVerdict, cited: dict[str, list[FactRow]]) -> CriterionRow:
    def evidence(refs: list[str]) -> list[Evidence]:
        return [Evidence(ref, cited.get(ref, [])) for ref in refs]

    return CriterionRow(
        id=verdict.id,
        type=verdict.type,
        text=verdict.text,
        outcome=verdict.outcome,
        needs=verdict.needs,
        badge=outcome_badge(verdict),
        reason=verdict.reason,
        encoding=verdict.encoding,
        encoding_words=ENCODING_WORDS[verdict.encoding],
        evidence=evidence(verdict.evidence),
        to_confirm=verdict.outcome == "unknown" and verdict.needs == "review",
        triggered_by=evidence(verdict.triggered_by),
        missing_data=list(verdict.missing_data),
        assumptions=list(verdict.assumptions),
    )


def _trial(match: TrialMatch, cited: dict[str, list[FactRow]]) -> TrialSection:
    rows = [_criterion(v, cited) for v in match.criteria]
    by_id = {row.id: row for row in rows}

    def listed(ids: list[str]) -> list[CriterionRow]:
        return [by_id[i] for i in ids if i in by_id]

    return TrialSection(
        rank=match.rank,
        trial=match.trial,
        title=match.title,
        badge=STATUS_BADGES[match.status],
        score=match.score,
        recruitment_status=match.recruitment_status,
        end_date=match.end_date,
        content_hash=match.content_hash,
        warnings=list(match.warnings),
        criteria=rows,
        unmet=listed(match.unmet),
        missing=listed(match.missing),
        review=listed(match.review),
    )


def _assumptions(trials: list[TrialSection]) -> list[Assumption]:
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for trial in trials:
        for row in trial.criteria:
            for text in row.assumptions:
                found[text].append((trial.trial, row.id))
    return [Assumption(text, criteria) for text, criteria in found.items()]


def match_report(response: MatchResponse) -> MatchReport:
    """The report of one match response, trials in the response's order."""
    rows = [(fact, _fact_row(fact)) for fact in response.facts]
    cited: dict[str, list[FactRow]] = defaultdict(list)
    grouped: dict[str, list[FactRow]] = defaultdict(list)
    for fact, row in rows:
        grouped[family_of(fact).key].append(row)
        for source in fact.sources:
            cited[source].append(row)
    trials = [_trial(match, cited) for match in response.matches]
    return MatchReport(
        patient=response.patient,
        as_of=response.as_of,
        library=response.library,
        trials=trials,
        families=[
            FactFamily(family.key, family.title, grouped[family.key])
            for family in FAMILIES
            if grouped[family.key]
        ],
        facts_shown=len(response.facts),
        facts_omitted=response.facts_omitted,
        warnings=list(response.warnings),
        assumptions=_assumptions(trials),
    )
