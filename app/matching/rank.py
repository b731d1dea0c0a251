"""Order trial verdicts into ranked matches, with the score that orders them.

The score of a trial is the share of its decidable criteria that pass::

    score = passed / (passed + failed + unknown for data)

Review-only criteria (consent, investigator judgement, preference) are left out: no record
can decide them, so they say nothing about the fit. A trial with no decidable criterion
scores 0. Example: 9 criteria, 2 for review, 6 pass, 1 unknown for data -> 6 / 7 = 0.857.

Order, each key breaking the ties of the one before:

1. status: eligible, then possibly_eligible, then ineligible;
2. score, higher first;
3. criteria unknown for data, fewer first;
4. a trial whose end date is before ``as_of`` after one that is not (it carries a warning);
5. NCT id, so the order is stable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from app.eligibility.evaluate import TrialVerdict
from app.eligibility.language import OPEN_STATUSES
from app.matching.models import TrialMatch

STATUS_ORDER = {"eligible": 0, "possibly_eligible": 1, "ineligible": 2}


def score(verdict: TrialVerdict) -> float:
    decidable = [v for v in verdict.verdicts if v.needs != "review"]
    if not decidable:
        return 0.0
    return round(sum(v.outcome == "pass" for v in decidable) / len(decidable), 4)


def ended(verdict: TrialVerdict, as_of: date) -> bool:
    end = verdict.trial.end_date
    return end is not None and end < as_of


def sort_key(
    verdict: TrialVerdict, as_of: date, trial_score: float | None = None
) -> tuple[int, float, int, bool, str]:
    """The order of the module docstring; ``trial_score``: the verdict's score, when the
    caller has it already."""
    return (
        STATUS_ORDER[verdict.status],
        -(score(verdict) if trial_score is None else trial_score),
        len(verdict.missing),
        ended(verdict, as_of),
        verdict.trial.nct_id,
    )


def warnings(verdict: TrialVerdict, as_of: date) -> list[str]:
    trial = verdict.trial
    found = []
    if ended(verdict, as_of):
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


def rank(
    verdicts: Iterable[TrialVerdict], as_of: date, *, content_hashes: Mapping[str, str]
) -> list[TrialMatch]:
    """Ranked matches, rank 1 first, each naming its trial's content hash (by NCT id)."""
    scored = [(v, score(v)) for v in verdicts]  # once per trial: it sorts and is shown
    scored.sort(key=lambda pair: sort_key(pair[0], as_of, pair[1]))
    return [
        TrialMatch(
            trial=v.trial.nct_id,
            title=v.trial.title,
            rank=i,
            status=v.status,
            score=s,
            recruitment_status=v.trial.status,
            end_date=v.trial.end_date,
            criteria=v.verdicts,
            unmet=v.unmet,
            missing=v.missing,
            review=v.review,
            warnings=warnings(v, as_of),
            content_hash=content_hashes[v.trial.nct_id],
        )
        for i, (v, s) in enumerate(scored, start=1)
    ]
