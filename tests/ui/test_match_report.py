"""The match report page (app/ui/match_report.py, match_report.html), rendered for every
bundled example patient from the very response /v1/match gives, and read back as a tree."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any, get_args

import orjson
import pytest

from app.config import REPO_ROOT
from app.eligibility.library import load_library
from app.facts.model import (
    AgeFact,
    AnalVergeDistanceFact,
    AnyFact,
    BiomarkerFact,
    ConditionFact,
    DeceasedFact,
    DiagnosisConfirmationFact,
    GradeFact,
    LabFact,
    LactationFact,
    MarginFact,
    MedicationFact,
    MetastasisFact,
    PathologyFeatureFact,
    PerformanceFact,
    PregnancyFact,
    PrimaryCancerFact,
    SexFact,
    StageFact,
    SubmucosalInvasionFact,
    TreatmentFact,
    TumorSizeFact,
    UnclassifiedFact,
    UnreadableFact,
)
from app.fhir.bundle import read_bundle
from app.matching.models import MatchResponse, TrialMatch
from app.matching.service import MatchOptions, match_record
from app.ui.fact_words import FAMILIES, IN_HEADLINE, details, family_of, headline
from app.ui.match_report import match_report
from app.ui.pages import templates
from tests.ui.report_html import Element, parse_html

LIBRARY = load_library(REPO_ROOT / "criteria")
EXAMPLES = sorted((REPO_ROOT / "examples" / "patients").glob("*.json"))
AS_OF = date(2026, 11, 23)  # the day the examples were written (README)
SCRIPT = "<script>alert('x')</script>"

# What a person reads for each status and outcome: spelled here, not taken from the module.
STATUS_WORDS = {
    "eligible": "✓ Eligible",
    "possibly_eligible": "? Possibly eligible",
    "ineligible": "✗ Ineligible",
}
OUTCOME_WORDS = {
    ("pass", None): "✓ Pass",
    ("fail", None): "✗ Fail",
    ("unknown", "data"): "? Unknown: data missing",
    ("unknown", "review"): "? Unknown: a person confirms",
}


def matched(body: bytes | dict[str, Any], **options: Any) -> MatchResponse:
    record = read_bundle(body)
    return match_record(
        record, LIBRARY, MatchOptions(as_of=AS_OF, include_ineligible=True, **options)
    )


def render(response: MatchResponse) -> str:
    """The page as a route renders it (app/ui/pages.py adds principal and csrf_token)."""
    template = templates.env.get_template("match_report.html")
    context = {"principal": None, "csrf_token": "", "source": "a posted Bundle"}
    return template.render(report=match_report(response), kept_until=None, **context)


def badge_text(element: Element, kind: str) -> str:
    [badge] = [b for b in element.find_all("span", class_="badge") if kind in " ".join(b.classes())]
    return badge.text()


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module", params=[p.stem for p in EXAMPLES])
def example(request: pytest.FixtureRequest) -> tuple[MatchResponse, Element]:
    response = matched((REPO_ROOT / "examples" / "patients" / f"{request.param}.json").read_bytes())
    return response, parse_html(render(response))


def test_every_trial_is_ranked_in_the_response_order_with_its_status(
    example: tuple[MatchResponse, Element],
) -> None:
    response, page = example
    assert response.matches, "every example is matched against the three bundled trials"
    ranking = page.find("table", class_="ranking").find("tbody").find_all("tr")
    shown = [
        (row.find("th").find("span", class_="nct").text(), badge_text(row, "status-"))
        for row in ranking
    ]
    assert shown == [(m.trial, STATUS_WORDS[m.status]) for m in response.matches]
    sections = page.find_all("section", class_="trial")
    assert [s.attr("id") for s in sections] == [f"trial-{m.trial}" for m in response.matches]
    for section, match in zip(sections, response.matches, strict=True):
        heading = section.find("h2").text()
        assert heading.startswith(f"{match.rank}. {match.trial}")
        assert (
            badge_text(section.find("p", class_="status-line"), "status-")
            == STATUS_WORDS[match.status]
        )


def _checklist_row(page: Element, match: TrialMatch, criterion_id: str) -> Element:
    return page.by_id(f"trial-{match.trial}-{criterion_id}")


def test_every_criterion_shows_its_verbatim_text_outcome_reason_and_encoding(
    example: tuple[MatchResponse, Element],
) -> None:
    response, page = example
    for match in response.matches:
        rows = page.by_id(f"trial-{match.trial}").find("table", class_="checklist")
        assert len(rows.find("tbody").find_all("tr")) == len(match.criteria)
        for verdict in match.criteria:
            row = _checklist_row(page, match, verdict.id)
            assert row.find("blockquote", class_="verbatim").text() == words(verdict.text)
            needs = verdict.needs if verdict.outcome == "unknown" else None
            assert badge_text(row, "outcome-") == OUTCOME_WORDS[(verdict.outcome, needs)]
            assert row.find("p", class_="reason").text() == words(verdict.reason)
            head = row.find("th")
            assert head.attr("scope") == "row"
            assert verdict.encoding in [t.text() for t in head.find_all("span", class_="tag")]
            evidence = " ".join(
                li.text()
                for ul in row.find_all("ul", class_="evidence")
                for li in ul.find_all("li")
            )
            for reference in [*verdict.evidence, *verdict.triggered_by]:
                assert reference in evidence
            shown_missing = [
                li.text()
                for ul in row.find_all("ul", class_="missing-data")
                for li in ul.find_all("li")
            ]
            assert shown_missing == [words(m) for m in verdict.missing_data]
            shown_assumptions = [
                li.text()
                for ul in row.find_all("ul", class_="assumptions")
                for li in ul.find_all("li")
            ]
            assert shown_assumptions == [words(a) for a in verdict.assumptions]
            confirms = row.find_all("p", class_="to-confirm")
            assert bool(confirms) == (verdict.outcome == "unknown" and verdict.needs == "review")


def test_fails_missing_data_and_reviews_are_listed_per_trial(
    example: tuple[MatchResponse, Element],
) -> None:
    response, page = example
    for match in response.matches:
        section = page.by_id(f"trial-{match.trial}")
        by_id = {v.id: v for v in match.criteria}
        for kind, ids in (
            ("fails", match.unmet),
            ("missing", match.missing),
            ("review", match.review),
        ):
            lists = section.find_all("ul", class_=kind)
            items = [li.text() for ul in lists for li in ul.find_all("li")]
            assert len(items) == len(ids), (match.trial, kind)
            for item, criterion_id in zip(items, ids, strict=True):
                verdict = by_id[criterion_id]
                assert item.startswith(f"{criterion_id} ({verdict.type})")
                assert words(verdict.text) in item
                if kind == "fails":
                    assert words(verdict.reason) in item
                if kind == "missing":
                    for need in verdict.missing_data:
                        assert need in item


def test_no_trial_shows_eligible_with_a_failing_or_undecided_criterion(
    example: tuple[MatchResponse, Element],
) -> None:
    response, page = example
    for match in response.matches:
        section = page.by_id(f"trial-{match.trial}")
        rows = section.find_all("tr", class_="criterion-row")
        outcomes = [badge_text(r, "outcome-") for r in rows]
        status = badge_text(section.find("p", class_="status-line"), "status-")
        if any(o.endswith(("Fail", "Unknown: data missing")) for o in outcomes):
            assert status != "✓ Eligible", match.trial


def test_the_facts_are_grouped_by_family_with_their_source_and_date(
    example: tuple[MatchResponse, Element],
) -> None:
    response, page = example
    facts = page.find("section", class_="patient-facts")
    families = facts.find_all("section", class_="fact-family")
    expected_order = [
        f.key for f in FAMILIES if any(family_of(x).key == f.key for x in response.facts)
    ]
    assert [s.attr("id") for s in families] == [f"facts-{key}" for key in expected_order]
    rows_by_family = {
        s.attr("id").removeprefix("facts-"): s.find("tbody").find_all("tr") for s in families
    }
    assert sum(len(rows) for rows in rows_by_family.values()) == len(response.facts)
    seen = {key: 0 for key in rows_by_family}
    for fact in response.facts:
        key = family_of(fact).key
        row = rows_by_family[key][seen[key]]
        seen[key] += 1
        cells = row.find_all("td")
        date_cell, read_cell, source_cell = cells[-3], cells[-2], cells[-1]
        expected_date = fact.effective.isoformat() if fact.effective else "no date recorded"
        assert date_cell.text() == expected_date
        assert read_cell.text().startswith(fact.read_from)
        assert [c.text() for c in source_cell.find_all("code")] == fact.sources
    # The labs are in the labs family and nowhere else.
    lab_sources = {s for f in response.facts if f.kind == "lab" for s in f.sources}
    if lab_sources:
        lab_rows = rows_by_family["labs"]
        assert lab_sources == {c.text() for r in lab_rows for c in r.find_all("code")}


def test_warnings_library_and_as_of_are_on_the_page(example: tuple[MatchResponse, Element]) -> None:
    response, page = example
    about = page.by_id("report-about").parent
    assert about is not None
    text = about.text()
    assert response.patient in text
    assert response.as_of.isoformat() in text
    assert response.library.digest in text
    assert response.library.software_version in text
    quality = page.find("section", class_="quality")
    if response.warnings:
        rows = quality.find("tbody").find_all("tr")
        assert [r.find("th").text() for r in rows] == [w.code for w in response.warnings]
        assert [r.find("td").text() for r in rows] == [words(w.message) for w in response.warnings]
    else:
        assert "No data-quality warning." in quality.text()
    assumed = {(m.trial, v.id) for m in response.matches for v in m.criteria if v.assumptions}
    links = page.find("section", class_="assumptions-all").find_all("a")
    assert {tuple(a.text().split()) for a in links} == assumed
    for link in links:  # each points at its checklist row
        assert page.by_id(link.attr("href").removeprefix("#")).tag == "tr"


def test_the_page_is_accessible_markup(example: tuple[MatchResponse, Element]) -> None:
    _, page = example
    headings = [int(e.tag[1]) for e in page.iter() if e.tag in {"h1", "h2", "h3", "h4", "h5", "h6"}]
    assert headings[0] == 1 and headings.count(1) == 1
    for before, after in itertools.pairwise(headings):
        assert after <= before + 1, "a heading level is skipped"
    for table in page.find_all("table"):
        assert table.find_all("caption"), "every table says what it holds"
        for th in table.find("thead").find_all("th"):
            assert th.attrs.get("scope") == "col"
        for th in table.find("tbody").find_all("th"):
            assert th.attrs.get("scope") == "row"
    # Checklists expand without a script: <details>, open so that print shows them whole.
    details = page.find_all("details", class_="checklist")
    assert details and all("open" in d.attrs for d in details)
    assert not page.find_all("script")
    assert not [e for e in page.iter() if any(a.startswith("on") for a in e.attrs)]


def test_a_failing_criterion_reads_in_the_protocols_words() -> None:
    """rectal_ecog_3: ECOG 3 fails NCT06949098's inc-2, whose words and reason are shown."""
    response = matched((REPO_ROOT / "examples" / "patients" / "rectal_ecog_3.json").read_bytes())
    page = parse_html(render(response))
    [match] = [m for m in response.matches if m.trial == "NCT06949098"]
    assert match.unmet == ["inc-2"]
    row = page.by_id("trial-NCT06949098-inc-2")
    assert row.find("blockquote").text() == "ECOG performance status 0-1"
    assert badge_text(row, "outcome-") == "✗ Fail"
    assert "ECOG 3" in row.find("p", class_="reason").text()
    assert "ECOG 3" in row.find("ul", class_="evidence").text()  # the fact behind it, dated
    assert row.find("ul", class_="evidence").find_all("time")


def test_missing_data_is_named() -> None:
    """rectal_missing_staging_and_performance: no ECOG, no staging: each named where it lacks."""
    path = REPO_ROOT / "examples" / "patients" / "rectal_missing_staging_and_performance.json"
    response = matched(path.read_bytes())
    page = parse_html(render(response))
    section = page.by_id("trial-NCT06043999")
    assert badge_text(section.find("p", class_="status-line"), "status-") == "? Possibly eligible"
    missing = section.find("ul", class_="missing").text()
    for need in ("ECOG", "clinical N stage", "clinical M stage", "tumor size"):
        assert need in missing
    row = page.by_id("trial-NCT06043999-exc-5.b")
    assert [li.text() for li in row.find("ul", class_="missing-data").find_all("li")] == ["ECOG"]


def _hostile_bundle() -> dict[str, Any]:
    patient = {
        "resourceType": "Patient",
        "id": "p-hostile",
        "gender": "female",
        "birthDate": "1960-01-01",
        "name": [{"family": SCRIPT, "given": [SCRIPT]}],
        "identifier": [{"system": "urn:mrn", "value": SCRIPT}],
    }
    unplaced = {
        "resourceType": "Condition",
        "id": "c-hostile",
        "subject": {"reference": "Patient/p-hostile"},
        "code": {
            "text": SCRIPT,
            "coding": [{"system": "http://snomed.info/sct", "code": "<b>1</b>"}],
        },
        "onsetDateTime": "2026-01-05",
    }
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": patient}, {"resource": unplaced}],
    }


def test_record_text_is_escaped() -> None:
    response = matched(orjson.loads(orjson.dumps(_hostile_bundle())))
    html = render(response)
    assert SCRIPT not in html and "<b>1</b>" not in html
    page = parse_html(html)
    assert not page.find_all("script") and not page.find_all("b")
    unclassified = page.by_id("facts-unclassified")
    assert f"Condition not classified: {SCRIPT}" in unclassified.text()  # shown as text
    assert "<b>1</b>" in unclassified.text()


ONE_OF_EACH: list[AnyFact] = [
    AgeFact(years_min=63, years_max=64, birth_date_precision="year"),
    SexFact(value="female"),
    DeceasedFact(died=date(2026, 1, 2)),
    PregnancyFact(pregnant=False),
    LactationFact(lactating=True),
    PrimaryCancerFact(site="rectum", histology="adenocarcinoma"),
    DiagnosisConfirmationFact(method="biopsy", histology="adenocarcinoma"),
    GradeFact(value="G3"),
    StageFact(context="pathological", category="T", value="T1"),
    SubmucosalInvasionFact(level="sm3"),
    AnalVergeDistanceFact(cm=4.5),
    TumorSizeFact(greatest_dimension_cm=3.2),
    PathologyFeatureFact(feature="perineural_invasion", present=True),
    MarginFact(residual="R1"),
    MetastasisFact(present=True, site="liver"),
    PerformanceFact(scale="karnofsky", value=70),
    LabFact(analyte="platelets", value=150.0, unit="10*9/L"),
    BiomarkerFact(marker="kras", status="mutated", detail="G12D"),
    ConditionFact(category="hepatitis_b"),
    TreatmentFact(category="radiotherapy", body_region="chest"),
    UnclassifiedFact(resource_type="Procedure", display="Z.n. Bestrahlung"),
    UnreadableFact(family="lab", key="hemoglobin"),
    MedicationFact(
        ingredient="oxaliplatin", resource_type="MedicationStatement", status="completed"
    ),
]
HEADLINES = [
    "Age 63-64",
    "Sex: female",
    "Recorded deceased",
    "Not pregnant",
    "Breastfeeding",
    "Primary cancer: rectum, adenocarcinoma",
    "Diagnosis proven by biopsy: adenocarcinoma",
    "Grade G3",
    "pT1",
    "Submucosal invasion sm3",
    "Distance from the anal verge: 4.5 cm",
    "Tumor size: 3.2 cm",
    "Perineural invasion: present",
    "Resection margin R1",
    "Distant metastasis: liver",
    "Karnofsky 70",
    "Platelets 150 10*9/L",
    "KRAS: mutated",
    "Hepatitis B",
    "Prior radiotherapy",
    "Procedure not classified: Z.n. Bestrahlung",
    "Unreadable lab result: hemoglobin",
    "Medication: oxaliplatin",
]


def test_every_fact_kind_has_a_family_and_a_headline() -> None:
    union = get_args(get_args(AnyFact)[0])
    assert {type(f) for f in ONE_OF_EACH} == set(union)
    families = [family_of(f).key for f in ONE_OF_EACH]
    assert set(families) == {f.key for f in FAMILIES}  # no family is empty of kinds
    assert families[ONE_OF_EACH.index(next(f for f in ONE_OF_EACH if f.kind == "lab"))] == "labs"
    assert [headline(f) for f in ONE_OF_EACH][:-1] == HEADLINES[:-1]
    assert headline(ONE_OF_EACH[-1]).startswith(HEADLINES[-1])  # with its drug classes
    for fact in ONE_OF_EACH:  # a misspelt field would be shown twice, never hidden
        assert IN_HEADLINE.get(fact.kind, frozenset()) <= set(type(fact).model_fields)
    assert set(IN_HEADLINE) <= {f.kind for f in ONE_OF_EACH}
    # Details carry what was recorded beyond the headline, and nothing of provenance.
    assert details(LabFact(analyte="alt", value=22.0, unit="U/L", reference_high=40.0)) == [
        ("reference high", "40")
    ]
    assert ("detail", "G12D") in details(ONE_OF_EACH[17])
    assert ("body region", "chest") in details(ONE_OF_EACH[19])
    assert all(
        label not in {"sources", "effective", "read from", "note", "kind"}
        for f in ONE_OF_EACH
        for label, _ in details(f)
    )


def test_the_print_sheet_hides_navigation_and_forms_and_breaks_pages() -> None:
    css = (REPO_ROOT / "app" / "ui" / "static" / "trialmatch.css").read_text()
    printed = css.split("@media print", 1)[1]
    block = printed[printed.index("{") + 1 :]
    assert "header.site, nav, form" in block.split("}", 1)[0]
    assert "section.trial { break-before: page; }" in block
    assert "details::details-content" in block


def test_report_of_an_empty_match_says_so() -> None:
    path = REPO_ROOT / "examples" / "patients" / "rectal_ecog_3.json"
    response = matched(path.read_bytes(), trials=["NCT06949098"])
    empty = response.model_copy(update={"matches": []})
    page = parse_html(render(empty))
    assert "No trial matched." in page.by_id("report-ranked").parent.text()  # type: ignore[union-attr]
    assert not page.find_all("section", class_="trial")
