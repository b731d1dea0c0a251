"""`screen()` gives, trial by trial, exactly what POST /v1/match gives for the same record:
every bundled example patient, and generated patients in every reference form."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.eligibility.library import Library
from app.errors import InvalidInput
from app.screening.core import ScreenRow, bundle_of, screen
from bench.population import patient_resources
from tests.screening.conftest import AS_OF, post_match
from tests.screening.populations import by_patient, example_names, example_resources

GENERATED = 50


def verdicts(rows: list[ScreenRow]) -> dict[str, tuple[Any, ...]]:
    return {r.trial: (r.status, list(r.unmet), list(r.missing), list(r.review)) for r in rows}


def route_verdicts(result: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    return {
        m["trial"]: (m["status"], m["unmet"], m["missing"], m["review"]) for m in result["matches"]
    }


@pytest.mark.parametrize("name", example_names())
def test_each_example_patient_screens_as_v1_match(
    name: str, client: TestClient, library: Library
) -> None:
    resources = example_resources(name)
    rows = screen(resources, library, AS_OF)
    route = post_match(client, bundle_of(resources))
    assert verdicts(rows) == route_verdicts(route)
    assert {r.patient for r in rows} == {route["patient"]}
    assert len(rows) == len(library)  # a row for every trial, the ineligible too


def test_generated_patients_screen_as_v1_match(client: TestClient, library: Library) -> None:
    seen: Counter[str] = Counter()
    for index in range(GENERATED):
        lines = patient_resources(random.Random(f"core:{index}"), index, AS_OF)
        # As an engine groups them: by patient key, lines with no key left out.
        [(key, resources)] = by_patient(lines).items()
        rows = screen(resources, library, AS_OF)
        assert verdicts(rows) == route_verdicts(post_match(client, bundle_of(resources))), key
        seen.update(r.status for r in rows)
    # The comparison covered more than one kind of verdict.
    assert seen["ineligible"] > 0 and seen["possibly_eligible"] > 0


def test_only_the_trials_asked_for(library: Library) -> None:
    rows = screen(example_resources("rectal_early_low_eligible"), library, AS_OF, ["NCT06949098"])
    assert [(r.trial, r.status) for r in rows] == [("NCT06949098", "eligible")]


def test_resources_without_their_patient_are_refused(library: Library) -> None:
    resources = [r for r in example_resources("rectal_ecog_3") if r["resourceType"] != "Patient"]
    with pytest.raises(InvalidInput) as raised:
        screen(resources, library, AS_OF)
    assert raised.value.details[0].type == "bundle.no_patient"
