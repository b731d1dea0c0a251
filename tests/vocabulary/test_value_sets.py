"""The value sets: the fact model's Literals and the data agree, every category a
criterion may name has codes, and no code sits in two values that exclude each other."""

from __future__ import annotations

from itertools import combinations
from typing import get_args

from app.facts.model import Analyte, CancerBehavior, CancerSite, ConditionCategory, Histology
from app.vocabulary import conditions, histology, labs, sites


def test_the_model_literals_are_the_data_values() -> None:
    assert set(get_args(CancerSite)) == set(sites.names())
    assert set(get_args(Histology)) == set(histology.names())
    assert set(get_args(Analyte)) == set(labs.names())
    assert set(get_args(ConditionCategory)) == set(conditions.names())
    assert set(histology.behaviours().values()) <= set(get_args(CancerBehavior))


def test_every_category_a_criterion_may_name_has_codes() -> None:
    empty = [
        name
        for name in get_args(ConditionCategory)
        if not (conditions.category(name).icd10 or conditions.category(name).snomed)
    ]
    assert empty == []


def test_every_histology_family_and_analyte_has_codes() -> None:
    families = [histology.family(n) for n in histology.names()]
    assert [f.name for f in families if not (f.types or f.ranges)] == []
    assert [n for n in labs.names() if not labs.analyte(n).loinc] == []


def test_no_icd10_code_in_two_categories_that_exclude_each_other() -> None:
    clashes = []
    for a, b in combinations(conditions.names(), 2):
        if conditions.related(a, b):
            continue
        for sa in conditions.category(a).icd10:
            for sb in conditions.category(b).icd10:
                if sa.overlaps(sb):
                    clashes.append((a, sa.low, b, sb.low))
    assert clashes == []


def test_no_histology_type_in_two_unrelated_families() -> None:
    def related(a: str, b: str) -> bool:
        return a in histology.ancestors(b) or b in histology.ancestors(a)

    clashes = []
    for a, b in combinations(histology.names(), 2):
        fa, fb = histology.family(a), histology.family(b)
        shared = {t for t in fa.types if fb.has_type(t)} | {t for t in fb.types if fa.has_type(t)}
        if shared and not related(a, b):
            clashes.append((a, b, sorted(shared)))
    assert clashes == []


def test_no_site_code_at_two_unrelated_sites() -> None:
    clashes = []
    for a, b in combinations(sites.names(), 2):
        if sites.within(a, b) or sites.within(b, a):
            continue
        sa, sb = sites.site(a), sites.site(b)
        for attribute in ("topography", "icd10", "in_situ"):
            for x in getattr(sa, attribute):
                for y in getattr(sb, attribute):
                    if x.overlaps(y) and x.length == y.length:
                        clashes.append((a, b, x.low))
    assert clashes == []


def test_a_snomed_code_means_one_thing_across_files() -> None:
    seen: dict[str, str] = {}
    clashes = []
    for where, table in (
        ("site", sites.snomed_codes()),
        ("histology", histology.snomed_codes()),
        ("condition", conditions.snomed_codes()),
    ):
        for code, value in table.items():
            if code in seen:
                clashes.append((code, seen[code], f"{where} {value}"))
            seen[code] = f"{where} {value}"
    assert clashes == []


def test_the_site_hierarchy() -> None:
    assert sites.within("rectum", "colorectal") and sites.within("appendix", "colorectal")
    assert sites.within("appendix", "colon")
    assert not sites.within("rectosigmoid", "rectum") and not sites.within("rectosigmoid", "colon")
    assert not sites.within("anus", "rectum") and not sites.within("anus", "colorectal")
    assert sites.within("leukemia", "hematologic")


def test_the_histology_hierarchy() -> None:
    assert histology.within("mucinous_adenocarcinoma", "adenocarcinoma")
    assert histology.within("signet_ring_cell_carcinoma", "carcinoma")
    assert histology.within("small_cell_carcinoma", "neuroendocrine")
    assert not histology.within("small_cell_carcinoma", "non_small_cell_carcinoma", ["lung"])
    assert not histology.within("adenocarcinoma", "non_small_cell_carcinoma")
    assert histology.within("adenocarcinoma", "non_small_cell_carcinoma", ["lung"])
    assert not histology.within("gist", "sarcoma")
    assert not histology.within("hepatocellular_carcinoma", "adenocarcinoma")


def test_the_condition_hierarchy() -> None:
    for child in (
        "ischemic_heart_disease",
        "myocardial_infarction",
        "unstable_angina",
        "heart_failure",
        "arrhythmia",
        "hypertension",
        "cerebrovascular_disease",
        "peripheral_vascular_disease",
    ):
        assert conditions.within(child, "cardiovascular_disease"), child
    for child in ("bacterial_infection", "fungal_infection", "viral_infection", "tuberculosis"):
        assert conditions.within(child, "infection"), child
    assert not conditions.within("hiv", "infection")
    assert not conditions.within("carcinoma_in_situ", "malignancy")
