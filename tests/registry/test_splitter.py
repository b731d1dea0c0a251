"""The eligibility-text splitter on the real records' texts, and on the layouts they use."""

from __future__ import annotations

from pathlib import Path

from app.registry.record import RecordError, RegistryRecord
from app.registry.sources import read_records
from app.registry.splitter import split
from tests.registry.conftest import CTGOV, record_files


def record(name: str) -> RegistryRecord:
    (item,) = read_records(CTGOV / name)
    assert not isinstance(item, RecordError)
    return item


def pieces(name: str) -> dict[str, str]:
    r = record(name)
    return {p.id: p.text for p in split(r.eligibility_text, style=r.eligibility_style).pieces}


def test_markdown_bullets_and_escapes_api_v2() -> None:
    found = pieces("NCT03377387.json")
    assert found["inc-1"] == "Aged ≥18 years at signing of informed consent."
    # "\>" in the registry's Markdown is ">" as its page shows it, the backslash dropped.
    assert found["inc-9"].startswith(
        "Hematologic parameters: white blood cell (WBC) count of > 3000"
    )
    assert "\\" not in "".join(found.values())
    assert next(i for i in found if i.startswith("exc-")) == "exc-1"


def test_upper_case_dash_header_numbered_items_and_nested_bullets() -> None:
    found = pieces("NCT03745326.json")
    assert found["inc-2"] == (
        "Patients must be HLA-A*11:01 positive as confirmed by the NIH Department of "
        "Transfusion Medicine."
    )
    assert found["inc-4"] == "Patients must have:"
    assert found["inc-4.b"].startswith("Patients with metastatic colorectal cancer must have had")
    # A continuation paragraph after a blank line stays with its item.
    assert found["inc-1"].endswith("completely encompassing the target epitope.")
    assert "resected tissue." in found["inc-1"]
    # A "Note:" line is attached to the criterion before it, never one of its own.
    assert "\nNote: " in found["inc-13"]
    assert not any(text.startswith("Note") for text in found.values())


def test_wrapped_xml_with_crlf_and_sub_bullets() -> None:
    found = pieces("NCT05686213.xml")
    assert found["inc-2"] == (
        "Patients with rectal or esophageal cancer need to be scheduled for treatment with "
        "neoadjuvant chemoradiation therapy"
    )
    assert found["inc-2.a"] == (
        "Oral capecitabine combined with concurrent radiotherapy (50 Gy in 25 fractions) "
        "for rectal cancer"
    )
    assert found["inc-3"] == "Aged > 18 years"
    assert found["exc-1"] == (
        "Unable to perform basic activities of daily living such as walking or biking"
    )
    assert all("\r" not in text for text in found.values())


def test_numbered_xml_with_lettered_sub_items() -> None:
    found = pieces("NCT05482516.xml")
    assert found["inc-2"] == "Age >= 18 years at time of signing Informed Consent Form"
    assert found["inc-10.c"] == "Platelet count ≥ 75 x 10^9/L (75,000/uL) without transfusion"


def test_unbulleted_plain_lines_with_headings_classic_json() -> None:
    r = record("NCT00023673.json")
    result = split(r.eligibility_text, style=r.eligibility_style)
    by_id = {p.id: p for p in result.pieces}
    assert by_id["inc-1"].text == (
        "Histologically or cytologically confirmed unresectable stage IIIB non-small cell lung "
        "cancer"
    )
    assert by_id["inc-1"].heading == "DISEASE CHARACTERISTICS:"
    platelets = next(p for p in result.pieces if p.text.startswith("Platelet count"))
    assert platelets.heading == "Hematopoietic:"
    assert not any(p.text.endswith(":") and len(p.text) < 30 for p in result.pieces)


def test_header_variants_and_sub_item_letters() -> None:
    text = (
        "Key inclusion criteria\n\n1) Adults\n   a. with consent\n   b) able to swallow\n"
        "2) ECOG 0-1\n\nKEY EXCLUSION CRITERIA:\n\n+ Pregnancy\nNOTE: a test is needed\n"
        "- Prior \\*chemo\\*\n"
    )
    result = split(text, style="markdown")
    assert [(p.id, p.text) for p in result.pieces] == [
        ("inc-1", "Adults"),
        ("inc-1.a", "with consent"),
        ("inc-1.b", "able to swallow"),
        ("inc-2", "ECOG 0-1"),
        ("exc-1", "Pregnancy\nNOTE: a test is needed"),
        ("exc-2", "Prior *chemo*"),
    ]


def test_a_sentence_beginning_with_exclusion_is_no_header() -> None:
    result = split("Inclusion Criteria:\n* Exclusion of pregnancy by a test", style="markdown")
    assert [(p.id, p.text) for p in result.pieces] == [
        ("inc-1", "Exclusion of pregnancy by a test")
    ]


def test_ids_are_stable_and_every_real_text_splits() -> None:
    for path in record_files():
        for item in read_records(path):
            assert not isinstance(item, RecordError), path.name
            first = split(item.eligibility_text, style=item.eligibility_style)
            again = split(item.eligibility_text, style=item.eligibility_style)
            assert [p.id for p in first.pieces] == [p.id for p in again.pieces]
            assert first.pieces, f"{Path(path).name}: no criterion"
            assert all(p.text.strip() for p in first.pieces)
