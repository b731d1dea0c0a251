"""The patient key of one NDJSON line, in every reference form, and the SQL rules' parity."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.screening.duckdb_engine import LINES_SQL, NdjsonPopulation
from app.screening.patient_key import patient_key, reference_key, unkeyed_reason

FHIR_IDS = st.from_regex(r"[A-Za-z0-9.\-]{1,64}", fullmatch=True)
# Any text JSON can carry (no lone surrogates), line breaks included.
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)


@pytest.mark.parametrize(
    ("reference", "key"),
    [
        ("Patient/p1", "p1"),
        ("https://ehr.example.org/fhir/Patient/p1", "p1"),
        ("http://localhost:8080/base/R4/Patient/a.b-c", "a.b-c"),
        ("Patient/p1/_history/3", "p1"),
        ("https://ehr.example.org/fhir/Patient/p1/_history/12", "p1"),
        ("urn:uuid:0f3c2a56-1d7e-4a0b-9d43-5e1f9a1b2c3d", "0f3c2a56-1d7e-4a0b-9d43-5e1f9a1b2c3d"),
        ("#p1", None),
        ("#", None),
        ("Group/g1", None),
        ("Device/d1", None),
        ("https://ehr.example.org/fhir/Practitioner/x", None),
        ("Patient/", None),
        ("Patient/has space", None),
        ("Patient/" + "x" * 65, None),
        ("urn:oid:1.2.3", None),
        ("p1", None),
        ("", None),
    ],
)
def test_reference_forms(reference: str, key: str | None) -> None:
    assert reference_key(reference) == key


def test_patients_are_keyed_by_id_and_other_resources_by_subject_or_patient() -> None:
    assert patient_key({"resourceType": "Patient", "id": "p1"}) == "p1"
    assert patient_key({"resourceType": "Observation", "subject": {"reference": "Patient/p1"}}) == (
        "p1"
    )
    # ``patient`` is read only when there is no ``subject`` element at all.
    assert (
        patient_key({"resourceType": "AllergyIntolerance", "patient": {"reference": "Patient/x"}})
        == "x"
    )
    assert (
        patient_key({"resourceType": "X", "subject": None, "patient": {"reference": "Patient/x"}})
        is None
    )


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ({"resourceType": "Medication", "id": "m1"}, "no_subject"),
        ({"resourceType": "Observation", "subject": {"display": "J. Doe"}}, "no_subject"),
        (
            {"resourceType": "Observation", "subject": {"identifier": {"value": "123"}}},
            "no_subject",
        ),
        ({"resourceType": "Observation", "subject": {"reference": "#p1"}}, "not_a_patient"),
        ({"resourceType": "Observation", "subject": {"reference": "Group/g"}}, "not_a_patient"),
        ({"resourceType": "Patient", "id": "not an id"}, "invalid_patient_id"),
        ({"resourceType": "Patient"}, "invalid_patient_id"),
        ([1, 2], "not_a_resource"),
        ({"resourceType": "Observation", "subject": {"reference": "Patient/p1"}}, None),
    ],
)
def test_lines_without_a_key_say_why(line: Any, reason: str | None) -> None:
    assert unkeyed_reason(line) == reason
    assert (patient_key(line) is None) == (reason is not None)


@given(
    pid=FHIR_IDS,
    base=st.sampled_from(["", "https://ehr.example.org/fhir/", "x/"]),
    version=st.one_of(st.none(), st.integers(1, 10**6)),
)
def test_every_form_of_a_patient_reference_keys_to_its_id(
    pid: str, base: str, version: int | None
) -> None:
    reference = f"{base}Patient/{pid}" + (f"/_history/{version}" if version is not None else "")
    assert reference_key(reference) == pid
    assert reference_key(f"urn:uuid:{pid}") == pid
    assert reference_key(f"#{pid}") is None
    assert reference_key(f"{base}Group/{pid}") is None


# References as real data and broken data write them: every form, near misses, any text.
REFERENCES = st.one_of(
    FHIR_IDS.map(lambda i: f"Patient/{i}"),
    FHIR_IDS.map(lambda i: f"https://ehr.example.org/fhir/Patient/{i}/_history/2"),
    FHIR_IDS.map(lambda i: f"urn:uuid:{i}"),
    FHIR_IDS.map(lambda i: f"#{i}"),
    st.tuples(TEXT.map(lambda t: t[:8]), FHIR_IDS, TEXT.map(lambda t: t[:8])).map(
        lambda t: f"{t[0]}Patient/{t[1]}{t[2]}"
    ),
    TEXT,
)
ELEMENTS = st.one_of(
    st.none(),
    REFERENCES.map(lambda r: {"reference": r}),
    st.just({"display": "someone"}),
    st.integers(-(2**53), 2**53).map(lambda n: {"reference": n}),
    REFERENCES,
)
KINDS = st.sampled_from(["Patient", "Observation", "Condition", "Medication", "Encounter"])


@st.composite
def lines(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 20)) == 0:
        return draw(st.sampled_from([[1], "text", 3]))
    line: dict[str, Any] = {"resourceType": draw(KINDS)}
    if draw(st.booleans()):
        line["id"] = draw(st.one_of(FHIR_IDS, TEXT, st.integers(-(2**53), 2**53)))
    for name in ("subject", "patient"):
        if draw(st.booleans()):
            line[name] = draw(ELEMENTS)
    return line


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(drawn=st.lists(lines(), min_size=1, max_size=40))
def test_sql_keys_every_line_as_patient_key_does(tmp_path: Path, drawn: list[Any]) -> None:
    path = tmp_path / "lines.ndjson"
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in drawn))
    population = NdjsonPopulation([path])
    with population.connect() as con:
        got = con.execute(
            f"SELECT j::VARCHAR, key, unkeyed FROM {LINES_SQL}", {"files": [str(path)]}
        ).fetchall()
    # Lines may come back in any order: compare as multisets of (line, key, reason).
    want = sorted(
        (orjson.dumps(line).decode(), patient_key(line), unkeyed_reason(line)) for line in drawn
    )
    assert sorted((orjson.dumps(orjson.loads(j)).decode(), k, r) for j, k, r in got) == want
