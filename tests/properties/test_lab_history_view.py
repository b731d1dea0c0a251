"""The default match view reads no lab history, and no verdict may tell the difference.

`normalize(..., lab_history=False)` (what ``facts=latest`` uses) reads per analyte only the
newest readable current result, its day and anything newer, and counts the rest. Over
generated lab histories (several analytes; same-day repeats; undated, future-dated,
malformed, unit-less and comparator results; results in other units), plus every example
patient and fixture Bundle, the verdicts and statuses of every trial are the same as with
the whole history read (``facts=all``), and ``facts_omitted`` counts what was left out.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.facts.model import UnreadableFact
from app.facts.normalize import normalize
from app.fhir.bundle import read_bundle
from app.matching.models import MatchResponse
from app.matching.service import MatchOptions, match_record
from tests.factories import LOINC, bundle, condition, lab, observation, record_of
from tests.properties.test_safety_invariants import BUNDLES, statuses, verdicts
from tests.scenarios.pipeline import seed_library

AS_OF = date(2026, 11, 23)
# (LOINC, value in the unit, unit): hemoglobin, platelets, neutrophils, creatinine, ALT
ANALYTES = [
    ("718-7", (6.0, 17.0), ["g/dL", "g/L", "mmol/L"]),
    ("777-3", (20.0, 400.0), ["10*3/uL", "10*9/L"]),
    ("751-8", (0.3, 8.0), ["10*3/uL", "10*9/L"]),
    ("2160-0", (0.4, 3.0), ["mg/dL", "umol/L"]),
    ("1742-6", (5.0, 300.0), ["U/L"]),
]
SHAPES = ["plain", "plain", "plain", "no_unit", "comparator", "malformed", "undated"]


@st.composite
def lab_history(draw: st.DrawFn) -> list[dict[str, Any]]:
    resources: list[dict[str, Any]] = []
    for loinc, (low, high), units in ANALYTES:
        for _ in range(draw(st.integers(0, 6))):
            days = draw(st.sampled_from([-3, 0, 0, 1, 2, 10, 20, 40, 400]))
            when = (AS_OF - timedelta(days=days)).isoformat()
            unit = draw(st.sampled_from(units))
            value = draw(st.floats(low, high, allow_nan=False).map(lambda v: round(v, 1)))
            resource = lab(loinc, value, unit, when=when)
            shape = draw(st.sampled_from(SHAPES))
            if shape == "no_unit":
                resource["valueQuantity"] = {"value": value}
            elif shape == "comparator":
                resource["valueQuantity"]["comparator"] = "<"
            elif shape == "malformed":
                resource["valueQuantity"] = {"value": "high"}
            elif shape == "undated":
                del resource["effectiveDateTime"]
            if draw(st.booleans()):
                resource["referenceRange"] = [{"high": {"value": high / 2, "unit": unit}}]
            resources.append(resource)
    return resources


def _both(body: dict[str, Any]) -> tuple[MatchResponse, MatchResponse]:
    def run(view: str) -> MatchResponse:
        options = MatchOptions(
            as_of=AS_OF,
            include_ineligible=True,
            include_closed=True,
            facts_view=view,  # type: ignore[arg-type]
        )
        return match_record(read_bundle(body), seed_library(), options)

    return run("latest"), run("all")


def _check(body: dict[str, Any]) -> None:
    latest, everything = _both(body)
    assert verdicts(latest) == verdicts(everything)
    assert statuses(latest) == statuses(everything)
    assert everything.facts_omitted == 0
    assert len(latest.facts) + latest.facts_omitted == len(everything.facts)
    shown = {f.model_dump_json() for f in latest.facts}
    assert shown <= {f.model_dump_json() for f in everything.facts}


@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(lab_history())
def test_generated_lab_histories_give_the_same_verdicts(labs: list[dict[str, Any]]) -> None:
    rectal = condition("http://hl7.org/fhir/sid/icd-10-cm", "C20", onsetDateTime="2026-09-01")
    ecog = observation("89247-1", system=LOINC, when="2026-11-20", valueInteger=1)
    _check(bundle(rectal, ecog, *labs))


def test_every_example_and_fixture_bundle_gives_the_same_verdicts() -> None:
    assert BUNDLES
    for body in BUNDLES.values():
        _check(body)


def test_older_results_are_counted_not_read() -> None:
    old = [lab("718-7", 12.0, "g/dL", when=f"20{y}-01-01") for y in range(10, 26)]
    newest = lab("718-7", 9.0, "g/dL", when="2026-11-20")
    latest, everything = _both(bundle(newest, *old))
    assert latest.facts_omitted == 16
    assert len(everything.facts) == len(latest.facts) + 16
    # An unreadable newer result still counts: the older readable one never stands in.
    broken = lab("718-7", 9.0, "g/dL", when="2026-11-22")
    broken["valueQuantity"] = {"value": "n/a"}
    latest, everything = _both(bundle(broken, newest, *old))
    assert verdicts(latest) == verdicts(everything)


def test_a_newest_result_whose_value_is_a_string_blocks_the_older_ones() -> None:
    # Some interfaces send the number as a JSON string: unreadable, never skipped over.
    newest = lab("718-7", 9.1, "g/dL", when="2026-11-21")
    newest["valueQuantity"]["value"] = "9.1"
    # The next newest is fresh (2 days older): read alone it would decide the criterion.
    older = [lab("718-7", 13.0, "g/dL", when="2026-11-19")]
    older += [lab("718-7", 13.0, "g/dL", when=f"2026-0{m}-01") for m in range(1, 8)]
    _check(bundle(newest, *older))
    facts = normalize(record_of(newest, *older), AS_OF, lab_history=False)
    [unread] = [f for f in facts.facts if isinstance(f, UnreadableFact)]
    assert (unread.key, unread.effective) == ("hemoglobin", date(2026, 11, 21))
    assert [f.value for f in facts.labs("hemoglobin")] == [130.0]  # the next newest only
    assert facts.history_not_read == 7
    # No verdict passes on the older hemoglobin: the unreadable newer one stands in the way.
    latest, _ = _both(bundle(newest, *older))
    older_ids = {f"Observation/{o['id']}" for o in older}
    passes_on_older = [
        c
        for m in latest.matches
        for c in m.criteria
        if c.outcome == "pass" and older_ids & set(c.evidence)
    ]
    assert passes_on_older == []


def test_a_result_dated_by_its_period_start_with_an_offset_is_the_newest() -> None:
    newest = lab("718-7", 9.0, "g/dL", when="2026-11-20")
    del newest["effectiveDateTime"]
    newest["effectivePeriod"] = {"start": "2026-11-20T23:30:00-05:00"}
    older = [lab("718-7", 14.0, "g/dL", when=f"2025-{m:02d}-01") for m in range(1, 13)]
    _check(bundle(newest, *older))
    facts = normalize(record_of(newest, *older), AS_OF, lab_history=False)
    assert [(f.value, f.effective) for f in facts.labs("hemoglobin")] == [
        (90.0, date(2026, 11, 20))
    ]
    assert facts.history_not_read == 12
