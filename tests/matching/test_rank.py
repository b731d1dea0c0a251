"""Ranking: status, then score, then fewer missing, then trials that have not ended."""

from datetime import date

from app.eligibility.evaluate import TrialVerdict, trial_status
from app.eligibility.language import Trial
from app.matching.models import CriterionVerdict, TrialMatch
from app.matching.rank import rank as rank_with_hashes
from app.matching.rank import score

AS_OF = date(2026, 11, 22)


def v(cid: str, outcome: str, needs: str | None = None) -> CriterionVerdict:
    return CriterionVerdict(
        id=cid,
        type="inclusion",
        text="x",
        outcome=outcome,  # type: ignore[arg-type]
        needs=needs,  # type: ignore[arg-type]
        reason="r",
    )


def verdict(nct: str, *verdicts: CriterionVerdict, end: date | None = None) -> TrialVerdict:
    trial = Trial.model_validate(
        {
            "nct_id": nct,
            "title": nct,
            "conditions": [],
            "status": "RECRUITING",
            "end_date": end,
            "criteria": [],
        }
    )
    vs = list(verdicts)
    return TrialVerdict(
        trial=trial,
        verdicts=vs,
        status=trial_status(vs),
        unmet=[x.id for x in vs if x.outcome == "fail"],
        missing=[x.id for x in vs if x.outcome == "unknown" and x.needs == "data"],
        review=[x.id for x in vs if x.needs == "review"],
    )


def hash_of(nct: str) -> str:
    return f"hash-of-{nct}"


def rank(verdicts: list[TrialVerdict], as_of: date) -> list[TrialMatch]:
    hashes = {x.trial.nct_id: hash_of(x.trial.nct_id) for x in verdicts}
    return rank_with_hashes(verdicts, as_of, content_hashes=hashes)


def test_each_match_names_its_own_trials_content_hash() -> None:
    first = verdict("NCT00000001", v("inc-1", "pass"))
    second = verdict("NCT00000002", v("inc-1", "fail"))
    ranked = rank([second, first], AS_OF)
    assert [(m.trial, m.content_hash) for m in ranked] == [
        ("NCT00000001", "hash-of-NCT00000001"),
        ("NCT00000002", "hash-of-NCT00000002"),
    ]


def test_score_is_the_share_of_decidable_criteria_that_pass() -> None:
    t = verdict(
        "NCT00000001",
        v("inc-1", "pass"),
        v("inc-2", "pass"),
        v("inc-3", "unknown", "data"),
        v("inc-4", "fail"),
        v("inc-5", "unknown", "review"),
    )
    assert score(t) == 0.5
    assert score(verdict("NCT00000002", v("inc-1", "unknown", "review"))) == 0.0


def test_status_orders_before_score() -> None:
    eligible = verdict("NCT00000003", v("inc-1", "pass"))
    possibly = verdict("NCT00000002", v("inc-1", "pass"), v("inc-2", "unknown", "data"))
    ineligible = verdict("NCT00000001", v("inc-1", "fail"))
    ranked = rank([ineligible, possibly, eligible], AS_OF)
    assert [m.trial for m in ranked] == ["NCT00000003", "NCT00000002", "NCT00000001"]
    assert [m.rank for m in ranked] == [1, 2, 3]
    assert ranked[1].missing == ["inc-2"]


def test_higher_score_then_fewer_missing_first() -> None:
    better = verdict("NCT00000009", v("a", "pass"), v("b", "pass"), v("c", "unknown", "data"))
    worse = verdict("NCT00000001", v("a", "pass"), v("b", "unknown", "data"))
    assert [m.trial for m in rank([worse, better], AS_OF)] == ["NCT00000009", "NCT00000001"]
    one_missing = verdict(
        "NCT00000008", v("a", "pass"), v("b", "pass"), v("c", "fail"), v("d", "fail")
    )
    two_missing = verdict(
        "NCT00000002", v("a", "pass"), v("b", "unknown", "data"), v("c", "unknown", "data"),
        v("d", "fail"),
    )  # fmt: skip
    # Equal status; scores 0.5 vs 0.25; then the one with fewer missing facts.
    assert [m.trial for m in rank([two_missing, one_missing], AS_OF)] == [
        "NCT00000008",
        "NCT00000002",
    ]
    same_score_fewer_missing = verdict("NCT00000007", v("a", "pass"), v("b", "fail"))
    same_score_more_missing = verdict("NCT00000003", v("a", "pass"), v("b", "unknown", "data"),
                                      v("c", "pass"), v("d", "fail"))  # fmt: skip
    assert score(same_score_fewer_missing) == score(same_score_more_missing)
    assert [m.trial for m in rank([same_score_more_missing, same_score_fewer_missing], AS_OF)] == [
        "NCT00000007",
        "NCT00000003",
    ]


def test_an_ended_trial_ranks_after_an_otherwise_equal_one_with_a_warning() -> None:
    ended = verdict("NCT00000001", v("a", "pass"), end=date(2026, 11, 1))
    open_ = verdict("NCT00000002", v("a", "pass"), end=date(2030, 1, 1))
    ranked = rank([ended, open_], AS_OF)
    assert [m.trial for m in ranked] == ["NCT00000002", "NCT00000001"]
    assert ranked[0].warnings == []
    assert "2026-11-01" in ranked[1].warnings[0]


def test_an_ended_eligible_trial_still_ranks_before_a_possibly_eligible_one() -> None:
    ended = verdict("NCT00000001", v("a", "pass"), end=date(2026, 11, 1))
    possibly = verdict("NCT00000002", v("a", "unknown", "data"))
    assert [m.trial for m in rank([possibly, ended], AS_OF)] == ["NCT00000001", "NCT00000002"]
