from itertools import product

import pytest

from app.eligibility.logic import Finding, Truth, all_of, any_of, k_and, k_not, k_or, negate

T, F, U = Truth.TRUE, Truth.FALSE, Truth.UNKNOWN

AND_TABLE = {
    (T, T): T, (T, F): F, (T, U): U,
    (F, T): F, (F, F): F, (F, U): F,
    (U, T): U, (U, F): F, (U, U): U,
}  # fmt: skip
OR_TABLE = {
    (T, T): T, (T, F): T, (T, U): T,
    (F, T): T, (F, F): F, (F, U): U,
    (U, T): T, (U, F): U, (U, U): U,
}  # fmt: skip


@pytest.mark.parametrize(("a", "b"), list(product([T, F, U], repeat=2)))
def test_kleene_and_or_truth_tables(a: Truth, b: Truth) -> None:
    assert k_and(a, b) is AND_TABLE[(a, b)]
    assert k_or(a, b) is OR_TABLE[(a, b)]


def test_kleene_not_keeps_unknown() -> None:
    assert (k_not(T), k_not(F), k_not(U)) == (F, T, U)


def finding(t: Truth, name: str) -> Finding:
    if t is U:
        return Finding.unknown(name, missing=[name], evidence=[f"Observation/{name}"])
    return Finding(t, name, (f"Observation/{name}",))


@pytest.mark.parametrize("truths", list(product([T, F, U], repeat=3)))
def test_all_any_agree_with_the_tables_and_de_morgan(truths: tuple[Truth, ...]) -> None:
    parts = [finding(t, f"p{i}") for i, t in enumerate(truths)]
    expected_all, expected_any = truths[0], truths[0]
    for t in truths[1:]:
        expected_all, expected_any = AND_TABLE[(expected_all, t)], OR_TABLE[(expected_any, t)]
    assert all_of(parts).truth is expected_all
    assert any_of(parts).truth is expected_any
    assert negate(any_of(parts)).truth is all_of([negate(p) for p in parts]).truth


def test_a_false_conjunction_quotes_only_the_false_parts() -> None:
    result = all_of([finding(T, "ecog"), finding(F, "hb"), finding(U, "plt")])
    assert result.truth is F
    assert result.reason == "hb"
    assert result.evidence == ("Observation/hb",)
    assert result.missing == ()


def test_an_unknown_conjunction_names_the_missing_data() -> None:
    result = all_of([finding(T, "ecog"), finding(U, "plt"), finding(U, "wbc")])
    assert result.truth is U
    assert result.missing == ("plt", "wbc")
    assert result.reason == "plt; wbc"


def test_a_true_disjunction_drops_unknown_parts() -> None:
    result = any_of([finding(U, "hb"), finding(T, "exception")])
    assert result.truth is T
    assert result.reason == "exception"
    assert result.missing == ()


def test_assumptions_travel_with_the_deciding_parts() -> None:
    absent = Finding.false(
        "no record of HIV", assumptions=["no recorded diagnosis counts as absent"]
    )
    result = any_of([absent, Finding.false("KPS 80")])
    assert result.assumptions == ("no recorded diagnosis counts as absent",)
