"""read_bundle: one Patient, resources split by type, sloppy subjects, stable errors."""

from __future__ import annotations

import orjson
import pytest

from app.errors import InvalidInput
from app.fhir.bundle import read_bundle
from tests.factories import bundle, observation, patient


def error_of(data: bytes | dict, **kwargs: object) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        read_bundle(data, **kwargs)  # type: ignore[arg-type]
    return caught.value


def test_reads_one_patient_and_keeps_only_the_types_it_reads() -> None:
    immunization = {"resourceType": "Immunization", "id": "i1", "status": "completed"}
    data = bundle(observation("89247-1", valueInteger=1), immunization)
    record = read_bundle(orjson.dumps(data))
    assert record.reference == "Patient/p1"
    assert [r["id"] for r in record.of_type("Observation")] == [data["entry"][1]["resource"]["id"]]
    assert record.of_type("Condition") == []
    assert "Immunization" not in record.resources
    assert record.warnings == []


@pytest.mark.parametrize("bundle_type", ["collection", "transaction", "searchset", "document"])
def test_any_bundle_type_is_accepted(bundle_type: str) -> None:
    data = bundle()
    data["type"] = bundle_type
    assert read_bundle(data).reference == "Patient/p1"


@pytest.mark.parametrize(
    "subject",
    [
        "Patient/p1",
        "urn:uuid:p1",
        "https://ehr.example/fhir/Patient/p1",
        "Patient/p1/_history/3",
    ],
)
def test_subject_resolves_by_id_full_url_or_absolute_url(subject: str) -> None:
    record = read_bundle(bundle(observation("89247-1", subject=subject, valueInteger=1)))
    assert record.warnings == []


def test_subject_resolves_by_a_full_url_that_is_not_the_id() -> None:
    data = bundle(observation("89247-1", subject="urn:uuid:1f2e", valueInteger=1))
    data["entry"][0]["fullUrl"] = "urn:uuid:1f2e"
    assert read_bundle(data).warnings == []


def test_foreign_subject_is_read_with_a_warning() -> None:
    record = read_bundle(bundle(observation("89247-1", subject="Patient/x", valueInteger=1)))
    assert len(record.of_type("Observation")) == 1
    assert [w.code for w in record.warnings] == ["bundle.foreign_subject"]
    assert record.warnings[0].source.startswith("Observation/")


def test_foreign_subject_is_a_422_when_strict() -> None:
    error = error_of(
        bundle(observation("89247-1", subject="Patient/x", valueInteger=1)), strict=True
    )
    assert error.status_code == 422
    assert error.details[0].type == "bundle.foreign_subject"
    assert error.details[0].loc == ["body", "entry", 1, "resource", "subject"]


def test_missing_subject_is_read_with_a_warning_even_when_strict() -> None:
    record = read_bundle(bundle(observation("89247-1", subject=None, valueInteger=1)), strict=True)
    assert [w.code for w in record.warnings] == ["resource.no_subject"]


def test_duplicate_resource_is_read_once() -> None:
    obs = observation("89247-1", valueInteger=1)
    record = read_bundle(bundle(obs, dict(obs)))
    assert len(record.of_type("Observation")) == 1
    assert [w.code for w in record.warnings] == ["bundle.duplicate_resource"]


@pytest.mark.parametrize(
    ("data", "error_type"),
    [
        (b"{not json", "bundle.invalid"),
        (b"[1, 2]", "bundle.invalid"),
        (orjson.dumps({"resourceType": "Patient", "id": "p1"}), "bundle.invalid"),
        (orjson.dumps({"resourceType": "Bundle", "type": "collection"}), "bundle.no_patient"),
        (
            orjson.dumps(
                {
                    "resourceType": "Bundle",
                    "entry": [{"resource": patient("a")}, {"resource": patient("b")}],
                }
            ),
            "bundle.multiple_patients",
        ),
    ],
)
def test_bad_bundles_are_422_with_a_stable_type(data: bytes, error_type: str) -> None:
    error = error_of(data)
    assert error.status_code == 422
    assert error.details[0].type == error_type


def test_error_messages_never_carry_patient_data() -> None:
    secret = "Mustermann-4711"
    data = {
        "resourceType": "Bundle",
        "entry": [
            {"resource": patient("a", name=[{"family": secret}])},
            {"resource": patient(secret, name=[{"family": secret}])},
        ],
    }
    error = error_of(orjson.dumps(data))
    assert secret not in str(error.body())
    broken = b'{"resourceType": "Bundle", "entry": [' + secret.encode()
    assert secret not in str(error_of(broken).body())


def test_missing_subject_is_set_to_the_one_patient_on_a_copy() -> None:
    obs = observation("89247-1", subject=None, valueInteger=1)
    record = read_bundle(bundle(obs))
    [kept] = record.of_type("Observation")
    assert kept["subject"] == {"reference": "Patient/p1"}
    assert "subject" not in obs


def test_a_subject_given_by_identifier_only_is_kept_as_sent() -> None:
    subject = {"identifier": {"system": "urn:oid:1.2.276.0.76.4.8", "value": "X1"}}
    obs = observation("89247-1", subject=None, valueInteger=1)
    obs["subject"] = subject
    record = read_bundle(bundle(obs))
    assert record.of_type("Observation")[0]["subject"] == subject
    assert [w.code for w in record.warnings] == ["resource.no_subject"]
