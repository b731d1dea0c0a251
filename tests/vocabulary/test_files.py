"""Every vocabulary file: its header, every code well-formed for its system, every unit UCUM.

The codes are collected from the raw YAML (not through the loaders), by the keys that
name a system, so a code that no loader reads is checked too.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.ucum import registry
from app.vocabulary import checks, icd10, labs
from app.vocabulary.files import HEADER, VocabularyError, load, names

DATA = Path(__file__).parents[2] / "app" / "vocabulary" / "data"
FILES = sorted(p.stem for p in DATA.glob("*.yaml"))

# Key in a file -> the check its codes (list items, or mapping keys) must pass.
BY_KEY = {
    "loinc": checks.loinc,
    "snomed": checks.snomed,
    "topography": checks.icdo3_topography,
    "topography_secondary": checks.icdo3_topography,
    "morphology": checks.icdo3_morphology,
    "atc": checks.atc,
}
ICD10_KEYS = {"icd10", "in_situ", "malignant", "secondary", "history"}
# A row {system: x, code: y} is checked by the check of its system.
BY_SYSTEM = {"loinc": checks.loinc, "snomed": checks.snomed, "icd10": checks.icd10}


def raw(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DATA / f"{name}.yaml").read_text(encoding="utf-8"))
    return data


def coded(node: Any) -> Iterator[tuple[str, str]]:
    """(key or system, code) of every code in a parsed file."""
    if isinstance(node, dict):
        if "system" in node and "code" in node:
            yield str(node["system"]), str(node["code"])
        for key, value in node.items():
            named = key in BY_KEY or key in ICD10_KEYS
            if named and isinstance(value, str) and key in ICD10_KEYS:
                yield str(key), value  # a row's one selector
            elif named and isinstance(value, list):
                yield from ((str(key), str(item)) for item in value)
            elif named and isinstance(value, dict) and key != "icd10":
                yield from ((str(key), str(item)) for item in value)  # code: display
            else:
                yield from coded(value)
    elif isinstance(node, list):
        for item in node:
            yield from coded(item)


def icd10_selector_ok(text: str) -> bool:
    low, _, high = text.partition("-")
    return checks.icd10(low) and (not high or checks.icd10(high))


def test_the_data_folder_is_what_the_loader_lists() -> None:
    assert names() == FILES
    assert len(FILES) >= 8


@pytest.mark.parametrize("name", FILES)
def test_every_file_names_source_version_and_description(name: str) -> None:
    data = raw(name)
    for key in HEADER:
        assert isinstance(data.get(key), str) and data[key].strip(), f"{name}: no {key}"
    assert load(name).version == data["version"]


@pytest.mark.parametrize("name", FILES)
def test_every_code_is_well_formed_for_its_system(name: str) -> None:
    found = list(coded(raw(name)))
    bad = []
    for key, code in found:
        if key in ICD10_KEYS:
            ok = icd10_selector_ok(code)
        elif key in BY_KEY:
            ok = BY_KEY[key](code)
        elif key in BY_SYSTEM:
            ok = BY_SYSTEM[key](code)
        else:
            continue  # answers (LA codes), HGNC ids, v2 tables: checked by the loader
        if not ok:
            bad.append((key, code))
    assert bad == []


def test_the_walk_finds_the_codes_it_checks() -> None:
    # Guards the test above against checking nothing: known codes are found.
    assert ("loinc", "751-8") in set(coded(raw("labs")))
    assert ("snomed", "363351006") in set(coded(raw("cancer_sites")))
    assert ("morphology", "8480/3") in set(coded(raw("histology")))
    assert ("icd10", "I20-I25") in set(coded(raw("conditions")))
    assert ("snomed", "399504009") in set(coded(raw("observations")))


def test_the_checks_refuse_a_wrong_check_digit() -> None:
    assert checks.loinc("751-8") and not checks.loinc("751-7")
    assert checks.snomed("363351006") and not checks.snomed("363351007")
    assert checks.icd10("C18.7") and checks.icd10("C187") and not checks.icd10("18.7")
    assert checks.icdo3_morphology("8140/3") and not checks.icdo3_morphology("8140")
    assert checks.atc("L01XC07") and not checks.atc("L1")


def test_every_lab_unit_and_unit_spelling_is_ucum() -> None:
    units = {labs.analyte(n).unit for n in labs.names()}
    units |= {target for group in labs.spelling_groups().values() for target in group.values()}
    refused = []
    for unit in sorted(units):
        try:
            registry().from_ucum(unit)
        except Exception:
            refused.append(unit)
    assert refused == []


def test_a_malformed_selector_is_refused() -> None:
    with pytest.raises(VocabularyError):
        icd10.Selector.parse("I25-I20")
    with pytest.raises(VocabularyError):
        icd10.Selector.parse("25.2")


def test_the_data_files_ship_in_the_wheel() -> None:
    pyproject = tomllib.loads((DATA.parents[2] / "pyproject.toml").read_text())
    globs = pyproject["tool"]["setuptools"]["package-data"]["app.vocabulary"]
    shipped = {p.name for g in globs for p in (DATA.parent).glob(g)}
    assert shipped == {f"{n}.yaml" for n in FILES}
