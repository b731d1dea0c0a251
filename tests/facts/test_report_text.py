"""Facts read from report text: stage, depth, height, margins, invasion, grade, metastases."""

from __future__ import annotations

from datetime import date

import pytest

from app.facts.model import (
    AnalVergeDistanceFact,
    GradeFact,
    MarginFact,
    MetastasisFact,
    PathologyFeatureFact,
    PerformanceFact,
    StageFact,
    SubmucosalInvasionFact,
)
from app.facts.report_text import read_text
from tests.factories import AJCC, facts_of, fixture_facts, observation, report

SOURCES = ["DiagnosticReport/r1"]
DAY = date(2026, 10, 1)


def read(text: str) -> list:
    return read_text(text, SOURCES, DAY).facts


def stages(text: str) -> set[tuple[str, str, str]]:
    return {(f.context, f.category, f.value) for f in read(text) if isinstance(f, StageFact)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ypT1 sm3 N0", {("post_neoadjuvant", "T", "T1"), ("post_neoadjuvant", "N", "N0")}),
        ("mrT2N0", {("clinical", "T", "T2"), ("clinical", "N", "N0")}),
        ("pT1", {("pathological", "T", "T1")}),
        ("cT2N0M0", {("clinical", "T", "T2"), ("clinical", "N", "N0"), ("clinical", "M", "M0")}),
        (
            "Staging: cT3, N1b, M1a.",
            {("clinical", "T", "T3"), ("clinical", "N", "N1b"), ("clinical", "M", "M1a")},
        ),
        ("T2 N0 without a prefix", set()),
        ("Opt3 is not a stage", set()),
    ],
)
def test_stage_from_text(text: str, expected: set) -> None:
    assert stages(text) == expected


def test_text_facts_say_so_and_carry_the_report_date() -> None:
    facts = read("ypT1 sm3 N0")
    assert facts and all(
        f.read_from == "text" and f.effective == DAY and f.sources == SOURCES for f in facts
    )
    # Each note quotes the phrase it was read from, and that phrase is in the text.
    assert all(f.note and f.note.split("'")[1] in "ypT1 sm3 N0" for f in facts)


@pytest.mark.parametrize(
    ("text", "level", "depth"),
    [
        ("pT1 sm3", "sm3", None),
        ("Depth of submucosal invasion 1200 um.", None, 1200.0),
        ("pT1 (sm2), submucosal invasion 1.5 mm", "sm2", 1500.0),
        ("Submucosal invasion of 800 µm.", None, 800.0),
    ],
)
def test_submucosal_level_and_depth(text: str, level: str | None, depth: float | None) -> None:
    found = [f for f in read(text) if isinstance(f, SubmucosalInvasionFact)]
    assert [(f.level, f.depth_um) for f in found] == [(level, depth)]


@pytest.mark.parametrize(
    ("text", "cm"),
    [
        ("lower edge 6 cm from the anal verge", 6.0),
        ("tumour 45 mm from anal verge", 4.5),
        ("7,5 cm above the anal verge", 7.5),
    ],
)
def test_distance_from_anal_verge(text: str, cm: float) -> None:
    found = [f for f in read(text) if isinstance(f, AnalVergeDistanceFact)]
    assert [f.cm for f in found] == [cm]


@pytest.mark.parametrize(
    ("text", "residual", "involved"),
    [
        ("Resection R0.", "R0", False),
        ("R1 resection", "R1", True),
        ("The circumferential margin is involved.", None, True),
        ("Margins are clear.", None, False),
        ("Margins clear; deep margin involved.", None, None),  # contradictory: not decided
    ],
)
def test_margins(text: str, residual: str | None, involved: bool | None) -> None:
    found = [f for f in read(text) if isinstance(f, MarginFact)]
    if involved is None:
        assert found == []
    else:
        assert [(f.residual, f.involved) for f in found] == [(residual, involved)]


@pytest.mark.parametrize(
    ("text", "feature", "present"),
    [
        ("Lymphovascular invasion present.", "lymphovascular_invasion", True),
        ("LVI: not identified.", "lymphovascular_invasion", False),
        ("No lymphovascular invasion.", "lymphovascular_invasion", False),
        ("Perineural invasion: present", "perineural_invasion", True),
        ("without perineural invasion", "perineural_invasion", False),
    ],
)
def test_invasion_present_or_absent(text: str, feature: str, present: bool) -> None:
    found = [(f.feature, f.present) for f in read(text) if isinstance(f, PathologyFeatureFact)]
    assert found == [(feature, present)]


@pytest.mark.parametrize(
    ("text", "grade"),
    [
        ("poorly differentiated adenocarcinoma", "G3"),
        ("moderately differentiated", "G2"),
        ("G1", "G1"),
    ],
)
def test_grade(text: str, grade: str) -> None:
    assert [f.value for f in read(text) if isinstance(f, GradeFact)] == [grade]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Multiple liver metastases.", {(True, "liver")}),
        ("hepatic and pulmonary metastases", {(True, "liver")}),
        ("Lung metastasis in segment 6.", {(True, "lung")}),
        ("No liver metastases.", set()),  # never a present finding from a negation
        ("No distant metastases.", {(False, None)}),
        ("No evidence of metastatic disease.", {(False, None)}),
        ("No liver metastases. Bone metastases present.", {(True, "bone")}),
        ("Liver metastases were excluded.", set()),
        ("Pulmonary metastases: not seen.", set()),
        ("Regional lymph node metastases (2/14).", set()),  # regional, not distant
    ],
)
def test_metastasis_mentions(text: str, expected: set) -> None:
    assert {(f.present, f.site) for f in read(text) if isinstance(f, MetastasisFact)} == expected


def test_presented_form_text_is_read_like_the_conclusion() -> None:
    facts = facts_of(report("mrT3N1, lower edge 4 cm from the anal verge", presented=True))
    assert facts.stage("clinical", "T").value == "T3"  # type: ignore[union-attr]
    distance = facts.of_kind(AnalVergeDistanceFact)
    assert [(d.cm, d.modality) for d in distance] == [(4.0, "mri")]


def test_a_coded_fact_beats_a_text_fact_of_the_same_date() -> None:
    facts = facts_of(
        report("cT4 N2", when="2026-10-01"),
        observation("21905-5", when="2026-10-01", value_code=(AJCC, "cT3")),
    )
    chosen = facts.stage("clinical", "T")
    assert chosen is not None and (chosen.value, chosen.read_from) == ("T3", "code")
    assert {f.value for f in facts.of_kind(StageFact) if f.category == "T"} == {"T3", "T4"}


def test_text_only_scenario_fixture() -> None:
    facts = fixture_facts("rectal_cancer_text_only_reports")
    assert facts.stage("post_neoadjuvant", "T").value == "T1"  # type: ignore[union-attr]
    assert facts.stage("clinical", "T").value == "T2"  # type: ignore[union-attr]
    (depth,) = facts.of_kind(SubmucosalInvasionFact)
    assert (depth.level, depth.depth_um, depth.effective) == ("sm3", 1200.0, date(2026, 6, 10))
    (distance,) = facts.of_kind(AnalVergeDistanceFact)
    assert (distance.cm, distance.effective) == (6.0, date(2026, 4, 20))
    (margin,) = facts.of_kind(MarginFact)
    assert (margin.residual, margin.involved) == ("R1", True)
    assert {(m.present, m.site) for m in facts.of_kind(MetastasisFact)} == {(False, None)}
    features = {(f.feature, f.present) for f in facts.of_kind(PathologyFeatureFact)}
    assert features == {("lymphovascular_invasion", True), ("perineural_invasion", False)}
    assert all(f.read_from == "text" for f in facts.of_kind(StageFact))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dMMR, MSI-H.", {("mmr", "dmmr", None), ("msi", "msi_high", None)}),
        (
            "Mismatch repair proficient; microsatellite stable.",
            {("mmr", "pmmr", None), ("msi", "mss", None)},
        ),
        ("KRAS G12D mutated.", {("kras", "mutated", "G12D")}),
        (
            "NRAS wild-type. No BRAF mutation detected.",
            {("nras", "wild_type", None), ("braf", "wild_type", None)},
        ),
        ("Negative for KRAS mutation.", {("kras", "wild_type", None)}),
    ],
)
def test_biomarkers_from_text(text: str, expected: set) -> None:
    from app.facts.model import BiomarkerFact

    found = {(f.marker, f.status, f.detail) for f in read(text) if isinstance(f, BiomarkerFact)}
    assert found == expected


def test_tumor_size_from_text() -> None:
    from app.facts.model import TumorSizeFact

    assert [
        f.greatest_dimension_cm for f in read("Tumour size 3.2 cm.") if isinstance(f, TumorSizeFact)
    ] == [3.2]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Clinic note: patient well, ECOG 2.", {("ecog", 2)}),
        ("ECOG PS: 1", {("ecog", 1)}),
        ("WHO performance status 1, weight stable", {("ecog", 1)}),
        ("Karnofsky 70%", {("karnofsky", 70)}),
        ("KPS 70", {("karnofsky", 70)}),
        (
            "Allgemeinzustand: ECOG-Status 1, Karnofsky-Index 80 %.",
            {("ecog", 1), ("karnofsky", 80)},
        ),
        ("Performance status ECOG 0, KPS 90.", {("ecog", 0), ("karnofsky", 90)}),
    ],
)
def test_performance_status_stated_in_a_note(text: str, expected: set) -> None:
    found = [f for f in read(text) if isinstance(f, PerformanceFact)]
    assert {(f.scale, f.value) for f in found} == expected
    assert all(f.read_from == "text" and f.note and f.note.startswith("Read from") for f in found)


@pytest.mark.parametrize(
    "text",
    [
        "ECOG 0-1 required for enrolment.",
        "ECOG 0\u20131",
        "ECOG 0 or 1",
        "ECOG 2 or less",
        "ECOG <= 1",
        "KPS >= 70%",
        "Karnofsky 70-80%",
        "ECOG not assessed today.",
        "Eligibility: ECOG 1.",
        "ECOG 7",
        "KPS 75",
        "ECOG 1.5",
    ],
)
def test_a_ranged_negated_or_invalid_mention_is_no_score(text: str) -> None:
    assert [f for f in read(text) if isinstance(f, PerformanceFact)] == []


def test_a_score_in_an_attached_note_has_the_report_date_and_source() -> None:
    note = report("Tumorboard 14.10.2026: ECOG 1, KPS 80 %.", when="2026-10-14", presented=True)
    facts = facts_of(note)
    ecog = [f for f in facts.of_kind(PerformanceFact) if f.scale == "ecog"]
    assert [(f.value, str(f.effective), f.sources) for f in ecog] == [
        (1, "2026-10-14", [f"DiagnosticReport/{note['id']}"])
    ]
    assert not [f for f in facts.of_kind(PerformanceFact) if f.read_from == "derived"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("No perineural invasion identified.", {("perineural_invasion", False)}),
        ("Negative for lymphovascular invasion.", {("lymphovascular_invasion", False)}),
        ("LVI: not identified", {("lymphovascular_invasion", False)}),
        ("Without evidence of perineural invasion.", {("perineural_invasion", False)}),
        ("PNI absent.", {("perineural_invasion", False)}),
        ("Keine Perineuralscheideninfiltration.", {("perineural_invasion", False)}),
        ("Veneninvasion nicht nachweisbar.", {("venous_invasion", False)}),
        (
            "pT2 pN0 (0/14) L0 V0 Pn0 R0",
            {
                ("lymphatic_invasion", False),
                ("venous_invasion", False),
                ("perineural_invasion", False),
                ("lymphovascular_invasion", False),
            },
        ),
        ("PNI present.", {("perineural_invasion", True)}),
        ("Perineural invasion: identified", {("perineural_invasion", True)}),
        ("Positive for LVI.", {("lymphovascular_invasion", True)}),
        (
            "L1, V0, Pn1",
            {
                ("lymphatic_invasion", True),
                ("venous_invasion", False),
                ("perineural_invasion", True),
                ("lymphovascular_invasion", True),
            },
        ),
        (
            "Lymphangiosis carcinomatosa nachweisbar.",
            {("lymphatic_invasion", True), ("lymphovascular_invasion", True)},
        ),
        (
            "No LVI; PNI present.",
            {("lymphovascular_invasion", False), ("perineural_invasion", True)},
        ),
        ("No LVI or PNI.", {("lymphovascular_invasion", False), ("perineural_invasion", False)}),
        ("PNI present. No perineural invasion in the second block.", set()),  # both ways
        ("Bone scan: lesion at L1, otherwise unremarkable.", set()),  # a vertebra
        ("Post allogeneic stem cell transplant.", set()),
    ],
)
def test_invasion_phrasings(text: str, expected: set) -> None:
    found = {(f.feature, f.present) for f in read(text) if isinstance(f, PathologyFeatureFact)}
    assert found == expected
