"""The fast matching path gives byte for byte the answer of the plain one.

`match_record` reuses verdicts built when a trial is compiled (review-only criteria) and
scores each trial once. This module keeps the plain path as it was written before those
shortcuts: every criterion's verdict built and validated anew for each patient, the score
computed where it is used. Over every example patient and every fixture Bundle holding a
Patient (and one of them recorded deceased), against the seed library (criteria/) and
against the 40 shared registry records as the import drafts them, both paths must give the
same MatchResponse JSON, as served and with every trial, as of the records' date and half a
year later (stale labs and ECOG).

The rule evaluators (`compile_rule`), the normalizer, the index and `facts_shown` are
shared: only the per-trial assembly is written out again here.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import date
from functools import cache
from typing import Any

import pytest

from app.eligibility.evaluate import (
    ALIVE_ID,
    CompiledCriterion,
    CompiledTrial,
    TrialVerdict,
)
from app.eligibility.language import OPEN_STATUSES
from app.eligibility.library import Library
from app.eligibility.logic import Truth
from app.eligibility.operators import REVIEW_MARK, needs_review_only
from app.eligibility.verdict import CriterionVerdict, Needs, Outcome, TrialStatus
from app.eligibility.view import PatientView
from app.facts.model import DeceasedFact, PatientFacts
from app.facts.normalize import normalize
from app.fhir.bundle import read_bundle
from app.matching.facts_shown import facts_shown
from app.matching.models import LibraryVersion, MatchResponse, TrialMatch
from app.matching.service import MatchOptions, cancer_sites, match_record
from app.version import software_version
from tests.properties.test_safety_invariants import BUNDLES
from tests.registry.suggest.imported import all_imported
from tests.scenarios.pipeline import seed_library

RECORDS_DATE = date(2026, 11, 23)
LATER = date(2027, 6, 1)  # past every freshness window: labs and ECOG too old to decide


# --- the plain path, as it was before the shortcuts ---------------------------------------


def _plain_criterion(compiled: CompiledCriterion, view: PatientView) -> CriterionVerdict:
    c = compiled.criterion
    if compiled.evaluate is None:
        return CriterionVerdict(
            id=c.id,
            type=c.type,
            text=c.text,
            outcome="unknown",
            needs="review",
            reason=f"For a person to confirm: {c.note or 'the record cannot answer this.'}",
            encoding=c.encoding,
        )
    finding = compiled.evaluate(view)
    outcome: Outcome
    needs: Needs | None = None
    if finding.truth is Truth.UNKNOWN:
        outcome, needs = "unknown", "review" if needs_review_only(finding) else "data"
    elif (finding.truth is Truth.TRUE) == (c.type == "inclusion"):
        outcome = "pass"
    else:
        outcome = "fail"
    reason = finding.reason[:1].upper() + finding.reason[1:]
    reason += "" if finding.reason.endswith((".", "?", "!")) else "."
    if c.encoding == "suggested":
        reason += " A suggested reading, not yet accepted by a person."
    return CriterionVerdict(
        id=c.id,
        type=c.type,
        text=c.text,
        outcome=outcome,
        needs=needs,
        reason=reason,
        evidence=list(finding.evidence),
        assumptions=list(finding.assumptions),
        missing_data=[m for m in finding.missing if not m.startswith(REVIEW_MARK)]
        if needs == "data"
        else [],
        triggered_by=list(finding.triggered_by) if needs == "review" else [],
        encoding=c.encoding,
    )


def _plain_status(verdicts: list[CriterionVerdict]) -> TrialStatus:
    if any(v.outcome == "fail" for v in verdicts):
        return "ineligible"
    if any(v.outcome == "unknown" and (v.needs == "data" or v.triggered_by) for v in verdicts):
        return "possibly_eligible"
    if any(v.encoding != "curated" for v in verdicts):
        return "possibly_eligible"
    return "eligible"


def _plain_trial_verdict(
    compiled: CompiledTrial, verdicts: list[CriterionVerdict], screened_out: bool
) -> TrialVerdict:
    return TrialVerdict(
        trial=compiled.trial,
        verdicts=verdicts,
        status=_plain_status(verdicts),
        unmet=[v.id for v in verdicts if v.outcome == "fail"],
        missing=[v.id for v in verdicts if v.outcome == "unknown" and v.needs == "data"],
        review=[v.id for v in verdicts if v.needs == "review"],
        screened_out=screened_out,
    )


def _plain_evaluate(compiled: CompiledTrial, view: PatientView) -> TrialVerdict:
    death = view.first(DeceasedFact)
    if death is not None:
        when = f" on {death.died}" if death.died else ""
        deceased = CriterionVerdict(
            id=ALIVE_ID,
            type="inclusion",
            text="The patient is alive.",
            outcome="fail",
            reason=f"The patient is recorded deceased{when}; no criterion was evaluated.",
            evidence=list(death.sources),
        )
        return _plain_trial_verdict(compiled, [deceased], screened_out=False)
    verdicts = [_plain_criterion(c, view) for c in compiled.criteria]
    return _plain_trial_verdict(compiled, verdicts, screened_out=False)


def _plain_screen_out(compiled: CompiledTrial, view: PatientView) -> TrialVerdict:
    applies = compiled.trial.applies_to
    if view.first(DeceasedFact) is None and applies is not None:
        decisive = next(c for c in compiled.criteria if c.criterion.id == applies.criterion)
        verdict = _plain_criterion(decisive, view)
        if verdict.outcome == "fail":
            return _plain_trial_verdict(compiled, [verdict], screened_out=True)
    return _plain_evaluate(compiled, view)


def _plain_score(verdict: TrialVerdict) -> float:
    decidable = [v for v in verdict.verdicts if v.needs != "review"]
    if not decidable:
        return 0.0
    return round(sum(v.outcome == "pass" for v in decidable) / len(decidable), 4)


def _plain_warnings(verdict: TrialVerdict, as_of: date) -> list[str]:
    trial = verdict.trial
    found = []
    if trial.end_date is not None and trial.end_date < as_of:
        found.append(
            f"The trial's end date ({trial.end_date}) is before {as_of}: it may no longer enroll."
        )
    if trial.status not in OPEN_STATUSES:
        found.append(f"Recruitment status is {trial.status}: not recruiting.")
    if verdict.screened_out:
        found.append(
            "The trial is not for this patient's cancer: only the deciding criterion was evaluated."
        )
    return found


def _plain_rank(
    verdicts: Iterable[TrialVerdict], as_of: date, library: Library
) -> list[TrialMatch]:
    order = {"eligible": 0, "possibly_eligible": 1, "ineligible": 2}
    ordered = sorted(
        verdicts,
        key=lambda v: (
            order[v.status],
            -_plain_score(v),
            len(v.missing),
            v.trial.end_date is not None and v.trial.end_date < as_of,
            v.trial.nct_id,
        ),
    )
    return [
        TrialMatch(
            trial=v.trial.nct_id,
            title=v.trial.title,
            rank=i,
            status=v.status,
            score=_plain_score(v),
            recruitment_status=v.trial.status,
            end_date=v.trial.end_date,
            criteria=v.verdicts,
            unmet=v.unmet,
            missing=v.missing,
            review=v.review,
            warnings=_plain_warnings(v, as_of),
            content_hash=library.content_hashes[v.trial.nct_id],
        )
        for i, v in enumerate(ordered, start=1)
    ]


def plain_match(body: dict[str, Any], library: Library, options: MatchOptions) -> MatchResponse:
    facts: PatientFacts = normalize(
        read_bundle(body), options.as_of, lab_history=options.facts_view == "all"
    )
    sites = cancer_sites(facts)
    view = PatientView(facts)

    def chosen(compiled: CompiledTrial) -> bool:
        return options.include_closed or compiled.trial.status in OPEN_STATUSES

    verdicts = [_plain_evaluate(t, view) for t in library.applicable(sites) if chosen(t)]
    if options.include_ineligible:
        verdicts += [_plain_screen_out(t, view) for t in library.not_applicable(sites) if chosen(t)]
    else:
        verdicts = [v for v in verdicts if v.status != "ineligible"]
    matches = _plain_rank(verdicts, facts.as_of, library)
    shown, omitted = facts_shown(facts, matches, everything=options.facts_view == "all")
    return MatchResponse(
        patient=facts.patient,
        as_of=facts.as_of,
        library=LibraryVersion(
            software_version=software_version(), trials=len(library), digest=library.digest
        ),
        facts=shown,
        facts_omitted=omitted,
        warnings=facts.warnings,
        matches=matches,
    )


# --- the comparison ---------------------------------------------------------------------


@cache
def registry_library() -> Library:
    return Library.from_trials(all_imported())


def _deceased(body: dict[str, Any]) -> dict[str, Any]:
    """The same record with its Patient recorded deceased (no fixture holds one)."""
    out = copy.deepcopy(body)
    for entry in out["entry"]:
        if entry["resource"]["resourceType"] == "Patient":
            entry["resource"]["deceasedBoolean"] = True
    return out


# every example patient and fixture Bundle holding a Patient, and one recorded deceased
RECORDS = {**BUNDLES, "deceased": _deceased(BUNDLES["examples/patients/rectal_ecog_3"])}
LIBRARIES = {"seed": seed_library, "registry": registry_library}
OPTIONS = [
    MatchOptions(as_of=as_of, include_ineligible=every, include_closed=every)
    for as_of in (RECORDS_DATE, LATER)
    for every in (False, True)
] + [MatchOptions(as_of=RECORDS_DATE, include_ineligible=True, facts_view="all")]


def test_the_comparison_covers_every_kind_of_verdict() -> None:
    # 8 example patients and the fixture Bundles that hold a Patient, both libraries whole
    assert sum(name.startswith("examples/") for name in BUNDLES) == 8
    assert len(BUNDLES) > 8
    assert (len(seed_library()), len(registry_library())) == (3, 40)
    seen: set[str] = set()
    every = MatchOptions(as_of=RECORDS_DATE, include_ineligible=True, include_closed=True)
    for body in RECORDS.values():
        for library in (seed_library(), registry_library()):
            for match in plain_match(body, library, every).matches:
                seen.add(match.status)
                seen.update(f"{c.outcome}/{c.needs}/{c.encoding}" for c in match.criteria)
                seen.update("screened out" for w in match.warnings if "deciding" in w)
                seen.update("deceased" for c in match.criteria if c.id == ALIVE_ID)
    assert {"eligible", "possibly_eligible", "ineligible", "screened out"} <= seen
    assert {"unknown/review/text", "unknown/review/curated", "pass/None/suggested"} <= seen
    assert {"fail/None/curated", "unknown/data/curated", "deceased"} <= seen


@pytest.mark.parametrize("library_name", sorted(LIBRARIES))
@pytest.mark.parametrize("bundle", sorted(RECORDS))
def test_the_fast_path_answers_as_the_plain_one(bundle: str, library_name: str) -> None:
    library = LIBRARIES[library_name]()
    body = RECORDS[bundle]
    for options in OPTIONS:
        fast = match_record(read_bundle(body), library, options).model_dump_json()
        plain = plain_match(body, library, options).model_dump_json()
        assert fast == plain, f"{bundle} against {library_name}, {options}"
