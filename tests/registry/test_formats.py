"""Each registry format read and drafted: fields checked against the source record itself."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest

from app.eligibility.language import Trial
from app.registry.draft import draft_trial
from app.registry.legacy_xml import read_clinical_study
from app.registry.record import RecordError
from app.registry.sources import read_records
from tests.registry.conftest import CTGOV, record_files


def drafted(name: str) -> tuple[Trial, list[str]]:
    (item,) = read_records(CTGOV / name)
    assert not isinstance(item, RecordError)
    draft = draft_trial(item)
    return draft.trial, draft.warnings


def test_api_v2_study_fields_match_the_record() -> None:
    source = json.loads((CTGOV / "NCT04956640.json").read_bytes())["protocolSection"]
    trial, warnings = drafted("NCT04956640.json")
    assert trial.nct_id == "NCT04956640"
    assert trial.title == source["identificationModule"]["briefTitle"]
    assert trial.official_title == source["identificationModule"]["officialTitle"]
    assert trial.status == "RECRUITING"
    assert trial.phase == "PHASE1/PHASE2"
    assert trial.start_date == date(2021, 7, 19)
    assert trial.end_date == date(2027, 4, 1)  # "2027-04": month precision, said in a warning
    assert "completion date '2027-04' has no day: held as 2027-04-01" in warnings
    assert trial.sponsor == "Eli Lilly and Company"
    assert trial.conditions == source["conditionsModule"]["conditions"]
    assert trial.minimum_age == 18 and trial.maximum_age is None
    assert trial.healthy_volunteers is False
    locations = source["contactsLocationsModule"]["locations"]
    assert len(trial.sites) == len(locations) == 49
    first = trial.sites[0]
    assert (first.facility, first.city, first.state, first.country, first.status) == (
        "University of Alabama at Birmingham",
        "Birmingham",
        "Alabama",
        "United States",
        "RECRUITING",
    )
    assert (first.latitude, first.longitude) == (33.52066, -86.80249)
    # Two sites have no geoPoint: no coordinates, never a made-up one.
    no_point = [s.facility for s in trial.sites if s.latitude is None]
    assert no_point == [
        "National Cancer Center Hospital",
        "Chonnam National University Hwasun Hospital",
    ]
    arms = source["armsInterventionsModule"]["armGroups"]
    assert [a.label for a in trial.arms] == [a["label"] for a in arms]
    assert trial.arms[0].type == "EXPERIMENTAL"
    assert trial.sources == ["https://clinicaltrials.gov/study/NCT04956640"]
    # "Carcinoma, Non-Small-Cell Lung" and others map, but "Biliary Tract Neoplasms" is
    # not listed: no site is inferred at all, with a warning.
    assert trial.applies_to is None
    assert any("maps to no cancer site" in w for w in warnings)


def test_api_v2_female_only_and_sure_conditions_give_suggested_criteria() -> None:
    trial, _ = drafted("NCT03377387.json")
    structured = {c.id: c for c in trial.criteria if c.id.startswith("inc-0.")}
    assert structured["inc-0.b"].encoding == "suggested"
    assert structured["inc-0.b"].rule is not None
    assert structured["inc-0.b"].rule.model_dump() == {"op": "sex", "one_of": ["female"]}
    assert trial.applies_to is not None and trial.applies_to.cancer_sites == ["breast"]
    assert trial.applies_to.criterion == "inc-0.a"
    # The text's criteria are the registry's words: each either left as text (review-only,
    # no rule) or given a rule by the pattern reader (suggested), never curated.
    text = [c for c in trial.criteria if not c.id.startswith("inc-0.")]
    assert text and all(c.encoding in {"text", "suggested"} for c in text)
    assert all(c.review and c.rule is None for c in text if c.encoding == "text")
    age = next(c for c in text if c.id == "inc-1")
    assert age.text == "Aged \u226518 years at signing of informed consent."
    assert age.encoding == "suggested" and age.rule is not None
    assert age.rule.model_dump(exclude_none=True) == {"op": "age", "gte": 18}


def test_api_v2_maximum_age_is_read() -> None:
    trial, _ = drafted("NCT03745326.json")
    assert (trial.minimum_age, trial.maximum_age) == (18, 72)


def test_legacy_xml_fields_match_the_record() -> None:
    root = ET.parse(CTGOV / "NCT05685680.xml").getroot()
    trial, warnings = drafted("NCT05685680.xml")
    assert trial.nct_id == root.findtext("id_info/nct_id") == "NCT05685680"
    assert trial.title == root.findtext("brief_title")
    assert trial.official_title == root.findtext("official_title")
    assert trial.status == "RECRUITING"  # "Recruiting" in the legacy labels
    assert trial.phase == "NA"  # "N/A"
    assert trial.start_date == date(2022, 12, 20)  # "December 20, 2022"
    assert trial.end_date == date(2023, 12, 20)
    assert trial.sponsor == "Sohag University"
    assert trial.conditions == ["Rectal Carcinoma"]
    assert (trial.minimum_age, trial.maximum_age) == (20, 70)
    assert trial.healthy_volunteers is True  # "Accepts Healthy Volunteers"
    assert [(s.facility, s.city, s.country, s.status) for s in trial.sites] == [
        ("Sohag University Hospital", "Sohag", "Egypt", "RECRUITING")
    ]
    assert trial.sites[0].latitude is None
    assert [(a.label, a.type) for a in trial.arms] == [
        ("Group A laparoscopic group", "ACTIVE_COMPARATOR"),
        ("Group B", "ACTIVE_COMPARATOR"),
    ]
    assert trial.applies_to is not None and trial.applies_to.cancer_sites == ["rectum"]
    assert warnings == []


def test_legacy_xml_phase_pairs_and_status_labels() -> None:
    trial, _ = drafted("NCT05688033.xml")
    assert trial.status == "ACTIVE_NOT_RECRUITING"
    trial, _ = drafted("NCT05699655.xml")
    assert trial.phase == "PHASE2/PHASE3"
    # "Immunotherapy Gastrict Cancer" (the registry's typo) is no sure site.
    assert trial.applies_to is None


def test_classic_json_fields_match_the_record() -> None:
    raw = json.loads((CTGOV / "NCT00023673.json").read_bytes())
    source = raw["FullStudiesResponse"]["FullStudies"][0]["Study"]["ProtocolSection"]
    trial, _ = drafted("NCT00023673.json")
    assert trial.nct_id == "NCT00023673"
    assert trial.title == source["IdentificationModule"]["BriefTitle"]
    assert trial.status == "COMPLETED"
    assert trial.phase == "PHASE1/PHASE2"
    assert trial.start_date == date(2001, 7, 1)  # "July 2001"
    assert trial.end_date == date(2013, 11, 1)  # "November 2013"
    assert trial.sponsor == "Radiation Therapy Oncology Group"
    locations = source["ContactsLocationsModule"]["LocationList"]["Location"]
    assert len(trial.sites) == len(locations) == 41
    assert (trial.sites[0].facility, trial.sites[0].city, trial.sites[0].state) == (
        "Mobile Infirmary Medical Center",
        "Mobile",
        "Alabama",
    )
    assert trial.minimum_age is None  # the record gives none


@pytest.mark.parametrize("path", record_files(), ids=lambda p: p.name)
def test_every_shared_record_drafts_a_valid_trial(path: Path) -> None:
    (item,) = read_records(path)
    assert not isinstance(item, RecordError)
    trial = draft_trial(item).trial
    assert trial.nct_id == path.stem
    assert Trial.model_validate(trial.model_dump()) == trial  # round-trips through the schema


def test_a_page_of_studies_is_read_study_by_study(tmp_path: Path) -> None:
    folder = tmp_path
    one = json.loads((CTGOV / "NCT05288205.json").read_bytes())
    two = json.loads((CTGOV / "NCT06008288.json").read_bytes())
    page = folder / "page.json"
    page.write_text(json.dumps({"studies": [one, {"protocolSection": {}}, two]}), "utf-8")
    items = read_records(page)
    assert [getattr(i, "nct_id", None) for i in items] == ["NCT05288205", None, "NCT06008288"]
    assert isinstance(items[1], RecordError) and "study 2" in str(items[1])


def test_xml_with_entity_declarations_is_refused() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;">]><clinical_study>&lol2;</clinical_study>'
    )
    with pytest.raises(RecordError, match="DOCTYPE"):
        read_clinical_study(bomb)
    with pytest.raises(RecordError, match="not UTF-8"):
        read_clinical_study(b"<clinical_study>\xff</clinical_study>")
