"""Property tests of the safety rules over every example patient and fixture Bundle.

Over examples/patients/ and every Bundle under tests/fixtures/ that holds a Patient:

(a) removing any one resource (every one, in turn), or a sampled subset, never turns a
    criterion's ``fail`` or ``unknown`` into a ``pass``, with two exceptions the rules
    themselves make, and which a coordinator would accept: the pass states the absence it
    assumes (``assumptions``, e.g. "no recorded diagnosis counts as absent"), or a removed
    resource was the very evidence the verdict rested on (the newest ECOG 3 removed, the
    older ECOG 1 decides: newest wins, and the smaller record is simply another record);
(b) adding an unclassifiable active Condition (SNOMED-only outside every value set, or
    text only) never turns ``unknown`` or ``fail`` into ``pass``;
(c) shifting every date of the Bundle and the evaluation date by the same number of days
    never changes a verdict. Dates known only to the year or month cannot move by a day
    count, so (c) shifts bundles holding such dates by whole 4-year cycles (1461 days,
    which keep month and day) and full-precision bundles by any number of days.
"""

from __future__ import annotations

import copy
import re
from datetime import date, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.config import REPO_ROOT
from app.matching.models import MatchResponse
from tests.scenarios.patients import UNCLASSIFIED_SNOMED, UNCLASSIFIED_TEXT
from tests.scenarios.pipeline import match_bundle

AS_OF = date(2026, 11, 23)
BOUNDED = settings(
    deadline=None, max_examples=8, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# (trial, criterion) -> (outcome, needs, assumptions, evidence)
Verdicts = dict[tuple[str, str], tuple[str, str | None, tuple[str, ...], frozenset[str]]]


def _bundles() -> dict[str, dict[str, Any]]:
    paths = sorted((REPO_ROOT / "examples" / "patients").glob("*.json"))
    paths += sorted((REPO_ROOT / "tests" / "fixtures").rglob("*.json"))
    found: dict[str, dict[str, Any]] = {}
    for path in paths:
        data = orjson.loads(path.read_bytes())
        if (
            isinstance(data, dict)
            and data.get("resourceType") == "Bundle"
            and any(
                (e.get("resource") or {}).get("resourceType") == "Patient"
                for e in data.get("entry") or []
            )
        ):
            found[str(path.relative_to(REPO_ROOT).with_suffix(""))] = data
    return found


BUNDLES = _bundles()


def verdicts(response: MatchResponse) -> Verdicts:
    return {
        (m.trial, c.id): (c.outcome, c.needs, tuple(c.assumptions), frozenset(c.evidence))
        for m in response.matches
        for c in m.criteria
    }


def statuses(response: MatchResponse) -> dict[str, str]:
    return {m.trial: m.status for m in response.matches}


def _without(body: dict[str, Any], drop: set[int]) -> dict[str, Any]:
    out = copy.deepcopy(body)
    out["entry"] = [
        e
        for i, e in enumerate(body["entry"])
        if i not in drop or (e.get("resource") or {}).get("resourceType") == "Patient"
    ]
    return out


def _removable(body: dict[str, Any]) -> list[int]:
    return [
        i
        for i, e in enumerate(body["entry"])
        if (e.get("resource") or {}).get("resourceType") != "Patient"
    ]


def _references(body: dict[str, Any], indices: set[int]) -> set[str]:
    resources = [body["entry"][i].get("resource") or {} for i in indices]
    return {f"{r.get('resourceType')}/{r.get('id')}" for r in resources}


def _no_unfounded_pass(before: Verdicts, after: Verdicts, removed: set[str], what: str) -> None:
    for key, (outcome, _, _, evidence) in before.items():
        if outcome in ("fail", "unknown") and key in after and after[key][0] == "pass":
            assumed, superseded = bool(after[key][2]), bool(evidence & removed)
            assert assumed or superseded, f"{what}: {key} became pass on nothing stated"


def test_every_example_patient_and_fixture_bundle_is_covered() -> None:
    assert len([k for k in BUNDLES if k.startswith("examples")]) == 8
    assert len(BUNDLES) >= 16


@pytest.mark.parametrize("name", sorted(BUNDLES))
def test_removing_any_one_resource_never_makes_an_unfounded_pass(name: str) -> None:
    body = BUNDLES[name]
    before = verdicts(match_bundle(body, AS_OF))
    for index in _removable(body):
        after = verdicts(match_bundle(_without(body, {index}), AS_OF))
        removed = _references(body, {index})
        _no_unfounded_pass(before, after, removed, f"{name} without entry {index}")


@pytest.mark.parametrize("name", sorted(BUNDLES))
@BOUNDED
@given(data=st.data())
def test_removing_a_sampled_subset_never_makes_an_unfounded_pass(
    name: str, data: st.DataObject
) -> None:
    body = BUNDLES[name]
    indices = _removable(body)
    if not indices:
        return
    drop = data.draw(st.sets(st.sampled_from(indices), min_size=1), label="dropped entries")
    before = verdicts(match_bundle(body, AS_OF))
    after = verdicts(match_bundle(_without(body, drop), AS_OF))
    _no_unfounded_pass(before, after, _references(body, drop), f"{name} without {sorted(drop)}")


def _with_unclassified(body: dict[str, Any], style: str) -> dict[str, Any]:
    out = copy.deepcopy(body)
    patient = next(
        e["resource"]
        for e in out["entry"]
        if e.get("resource", {}).get("resourceType") == "Patient"
    )
    concept: dict[str, Any] = (
        {"coding": UNCLASSIFIED_SNOMED, "text": "Type 2 diabetes"}
        if style == "snomed_only"
        else {"text": UNCLASSIFIED_TEXT}
    )
    condition = {
        "resourceType": "Condition",
        "id": "property-unclassified",
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "active",
                }
            ]
        },
        "code": concept,
        "subject": {"reference": f"Patient/{patient.get('id', 'unknown')}"},
        "onsetDateTime": "2019-06-01",
    }
    out["entry"].append({"resource": condition})
    return out


@pytest.mark.parametrize("style", ["snomed_only", "text_only"])
@pytest.mark.parametrize("name", sorted(BUNDLES))
def test_an_unclassifiable_active_condition_never_turns_unknown_or_fail_into_pass(
    name: str, style: str
) -> None:
    body = BUNDLES[name]
    before = verdicts(match_bundle(body, AS_OF))
    after = verdicts(match_bundle(_with_unclassified(body, style), AS_OF))
    for key, (outcome, *_) in before.items():
        if outcome in ("fail", "unknown"):
            assert after[key][0] != "pass", key


_FULL_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(.*)$")
_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?$")
# Elements that hold a date or dateTime in the resources trialmatch reads.
_DATE_KEYS = re.compile(
    r"^(birthDate|deceasedDateTime|onsetDateTime|abatementDateTime|recordedDate|"
    r"effectiveDateTime|effectiveInstant|issued|performedDateTime|start|end|date|"
    r"occurrenceDateTime|authoredOn|valueDateTime)$"
)


def _has_partial_dates(node: Any) -> bool:
    if isinstance(node, dict):
        return any(
            (_DATE_KEYS.match(k) and isinstance(v, str) and _PARTIAL_DATE.match(v))
            or _has_partial_dates(v)
            for k, v in node.items()
        )
    if isinstance(node, list):
        return any(_has_partial_dates(v) for v in node)
    return False


def _shift(node: Any, days: int) -> Any:
    if isinstance(node, dict):
        return {
            k: _shift_value(v, days) if _DATE_KEYS.match(k) else _shift(v, days)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_shift(v, days) for v in node]
    return node


def _shift_value(value: Any, days: int) -> Any:
    if not isinstance(value, str):
        return _shift(value, days)
    full = _FULL_DATE.match(value)
    if full:
        try:
            moved = date(int(full[1]), int(full[2]), int(full[3])) + timedelta(days=days)
        except ValueError:
            return value  # not a real date: left as sent, unreadable either way
        return moved.isoformat() + full[4]
    partial = _PARTIAL_DATE.match(value)
    if partial:
        assert days % 1461 == 0, "partial dates move by whole 4-year cycles only"
        year = int(partial[1]) + 4 * (days // 1461)
        return f"{year:04d}" + (f"-{partial[2]}" if partial[2] else "")
    return value


FULL_PRECISION = sorted(k for k, b in BUNDLES.items() if not _has_partial_dates(b))
PARTIAL_PRECISION = sorted(k for k, b in BUNDLES.items() if _has_partial_dates(b))


def _same_verdicts(name: str, days: int) -> None:
    body = BUNDLES[name]
    before = match_bundle(body, AS_OF)
    after = match_bundle(_shift(body, days), AS_OF + timedelta(days=days))
    assert statuses(after) == statuses(before)
    assert {k: v[:2] for k, v in verdicts(after).items()} == {
        k: v[:2] for k, v in verdicts(before).items()
    }


@pytest.mark.parametrize("name", FULL_PRECISION)
@BOUNDED
@given(days=st.integers(min_value=-3000, max_value=3000))
def test_shifting_every_date_by_the_same_days_never_changes_a_verdict(name: str, days: int) -> None:
    _same_verdicts(name, days)


@pytest.mark.parametrize("name", PARTIAL_PRECISION)
@BOUNDED
@given(cycles=st.integers(min_value=-5, max_value=5))
def test_shifting_a_bundle_with_partial_dates_by_whole_4_year_cycles_never_changes_a_verdict(
    name: str, cycles: int
) -> None:
    _same_verdicts(name, 1461 * cycles)


def test_the_shift_moves_every_date_the_normalizer_reads() -> None:
    body = BUNDLES["examples/patients/rectal_early_low_eligible"]
    moved = _shift(body, 10)
    before = [e["resource"] for e in body["entry"]]
    after = [e["resource"] for e in moved["entry"]]
    assert after[0]["birthDate"] == "1962-03-24"
    dated = [(b, a) for b, a in zip(before, after, strict=True) if "effectiveDateTime" in b]
    assert dated and all(b["effectiveDateTime"] != a["effectiveDateTime"] for b, a in dated)
    assert _shift_value("1971", 1461) == "1975"
