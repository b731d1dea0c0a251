"""MII Fernmetastasen: one Observation per site of distant metastasis (SNOMED 385421009)."""

from __future__ import annotations

from typing import Any

import pytest

from app.facts.model import MetastasisFact
from tests.factories import SNOMED, facts_of, warning_codes

MII_SITES = (
    "https://www.medizininformatik-initiative.de/fhir/ext/modul-onko/CodeSystem/"
    "mii-cs-onko-fernmetastasen"
)
MII_SITES_BEFORE_UNIFIED_URLS = (
    "https://www.medizininformatik-initiative.de/fhir/ext/modul-onko/CodeSystem/"
    "mii-cs-fernmetastasen"
)


def fernmetastase(code: str, *, system: str = MII_SITES, **fields: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": f"fernmetastase-{code.lower()}",
        "meta": {
            "profile": [
                "https://www.medizininformatik-initiative.de/fhir/ext/modul-onko/"
                "StructureDefinition/mii-pr-onko-fernmetastasen"
            ]
        },
        "status": "final",
        "code": {"coding": [{"system": SNOMED, "code": "385421009"}]},
        "subject": {"reference": "Patient/p1"},
        "focus": [{"reference": "Condition/primaertumor"}],
        "effectiveDateTime": "2026-02-08",
        "valueCodeableConcept": {"coding": [{"system": system, "code": code}]},
        **fields,
    }


@pytest.mark.parametrize(
    ("code", "site"),
    [
        ("PUL", "lung"),
        ("OSS", "bone"),
        ("HEP", "liver"),
        ("BRA", "brain"),
        ("LYM", "distant_lymph_node"),
        ("PER", "peritoneum"),
        ("ADR", "adrenal"),
        ("PLE", "other"),
        ("MAR", "other"),
        ("SKI", "other"),
        ("OTH", "other"),
    ],
)
def test_mii_site_of_distant_metastasis(code: str, site: str) -> None:
    facts = facts_of(fernmetastase(code))
    mets = facts.of_kind(MetastasisFact)
    assert [(m.present, m.site, m.read_from) for m in mets] == [(True, site, "code")]
    assert mets[0].sources == [f"Observation/fernmetastase-{code.lower()}"]
    assert str(mets[0].effective) == "2026-02-08"


def test_the_code_system_url_before_the_mii_unified_its_urls_is_read() -> None:
    facts = facts_of(fernmetastase("HEP", system=MII_SITES_BEFORE_UNIFIED_URLS))
    assert [m.site for m in facts.of_kind(MetastasisFact)] == ["liver"]


def test_generalised_metastasis_is_present_with_no_site_named() -> None:
    facts = facts_of(fernmetastase("GEN"))
    assert [(m.present, m.site) for m in facts.of_kind(MetastasisFact)] == [(True, None)]
    assert "metastasis.unknown_site" not in warning_codes(facts)


def test_a_site_coded_as_a_snomed_body_structure_is_read() -> None:
    facts = facts_of(fernmetastase("10200004", system=SNOMED))
    assert [m.site for m in facts.of_kind(MetastasisFact)] == ["liver"]


def test_an_unknown_site_is_still_a_metastasis_with_a_warning() -> None:
    facts = facts_of(fernmetastase("XYZ"))
    assert [(m.present, m.site) for m in facts.of_kind(MetastasisFact)] == [(True, None)]
    assert "metastasis.unknown_site" in warning_codes(facts, "Observation/fernmetastase-xyz")


def test_two_sites_are_two_facts_and_an_entry_in_error_is_none() -> None:
    facts = facts_of(
        fernmetastase("PUL"), fernmetastase("OSS"), fernmetastase("HEP", status="entered-in-error")
    )
    assert sorted(str(m.site) for m in facts.of_kind(MetastasisFact)) == ["bone", "lung"]
