"""Drug classes as data: RxNorm ingredients, ATC groups and drug names -> the classes criteria name.

The vocabulary is ``data/medications.yaml``; its header names its sources
(WHO ATC index, NLM RxNorm), its version and what it holds. It is read and checked once per
process (`drug_vocabulary`). Classes form a hierarchy: ``fluoropyrimidine`` is a kind of
``chemotherapy``, which is a kind of ``systemic_therapy``. Example::

    >>> vocab = drug_vocabulary()
    >>> vocab.by_rxnorm("194000")                 # capecitabine
    'capecitabine'
    >>> vocab.by_atc("L01FF09")                   # a PD-1 antibody not listed by name
    (None, ('anti_pd1_pdl1',))
    >>> vocab.by_name("Xeloda 500 mg tablets")
    ['capecitabine']
    >>> "chemotherapy" in vocab.lineage("fluoropyrimidine")
    True

This package imports neither `app.facts` nor `app.eligibility` (both read it). A small
self-contained loader: the shared loader (``app.vocabulary.files``, branch ``vocab``) is not
on main yet; the file sits where that loader looks (``data/``) with its header (source,
version, description), so switching is ``files.load("medications")``.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Literal, Self, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

DATA_FILE = Path(__file__).parent / "data" / "medications.yaml"

# The class names criteria may use: the keys of ``classes:`` in the data file (checked at load).
DrugClass = Literal[
    "systemic_therapy",
    "chemotherapy",
    "fluoropyrimidine",
    "platinum",
    "taxane",
    "irinotecan",
    "other_chemotherapy",
    "immunotherapy",
    "anti_pd1_pdl1",
    "anti_ctla4",
    "targeted_therapy",
    "anti_egfr",
    "anti_vegf",
    "anticoagulant",
    "antiplatelet",
    "systemic_corticosteroid",
    "immunosuppressant",
    "investigational_agent",
    "other_medication",
]

# Known to be none of the classes: never a hit, and never a reason for doubt either.
OTHER: DrugClass = "other_medication"
# An investigational agent's own class is unknown: it may be any of the others.
INVESTIGATIONAL: DrugClass = "investigational_agent"

_ATC_CODE = re.compile(r"^[A-Z](\d{2}([A-Z]([A-Z](\d{2})?)?)?)?$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClassEntry(_Strict):
    label: str = Field(min_length=1)
    parent: DrugClass | None = None


class IngredientEntry(_Strict):
    classes: list[DrugClass] = Field(min_length=1)
    rxnorm: list[str] = Field(default_factory=list)
    atc: list[str] = Field(default_factory=list)
    legacy_atc: list[str] = Field(default_factory=list)
    names: list[str] = Field(min_length=1)


class Systems(_Strict):
    rxnorm: str
    atc: str


class VocabularyFile(_Strict):
    source: str = Field(min_length=1)
    version: str = Field(min_length=1)
    description: str = Field(min_length=1)
    systems: Systems
    classes: dict[DrugClass, ClassEntry]
    atc_groups: dict[str, list[DrugClass]]
    ingredients: dict[str, IngredientEntry]
    regimens: dict[str, list[str]]

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        missing = set(get_args(DrugClass)) - set(self.classes)
        if missing:
            raise ValueError(f"classes not declared: {sorted(missing)}")
        for group in self.atc_groups:
            if not _ATC_CODE.match(group):
                raise ValueError(f"not an ATC code: {group!r}")
        seen_codes: dict[str, str] = {}
        seen_names: dict[str, str] = {}
        for name, entry in self.ingredients.items():
            for code in [*entry.atc, *entry.legacy_atc]:
                if not _ATC_CODE.match(code) or len(code) != 7:
                    raise ValueError(f"{name}: not a full ATC code: {code!r}")
            for code in [*(f"rxnorm|{c}" for c in entry.rxnorm), *entry.atc, *entry.legacy_atc]:
                if seen_codes.setdefault(code, name) != name:
                    raise ValueError(f"{code} is listed for {seen_codes[code]} and {name}")
            for written in entry.names:
                key = normalized(written)
                if seen_names.setdefault(key, name) != name:
                    raise ValueError(f"name {written!r} is listed twice")
        for regimen, parts in self.regimens.items():
            unknown = [p for p in parts if p not in self.ingredients]
            if unknown:
                raise ValueError(f"regimen {regimen}: unknown ingredients {unknown}")
            if seen_names.setdefault(normalized(regimen), regimen) != regimen:
                raise ValueError(f"regimen {regimen!r} is also an ingredient name")
        return self


def normalized(text: str) -> str:
    """Lower case, every run of other characters one space: '5-FU' -> '5 fu'."""
    return " ".join(re.split(r"[^0-9a-z]+", text.lower())).strip()


class DrugVocabulary:
    """The data file, indexed for lookups by code and by name."""

    def __init__(self, data: VocabularyFile) -> None:
        self.data = data
        self.rxnorm_system = data.systems.rxnorm
        self.atc_system = data.systems.atc
        self._rxnorm = {c: n for n, e in data.ingredients.items() for c in e.rxnorm}
        self._atc = {c: n for n, e in data.ingredients.items() for c in [*e.atc, *e.legacy_atc]}
        names: dict[str, list[str]] = {}
        for name, entry in data.ingredients.items():
            for written in entry.names:
                names[normalized(written)] = [name]
        for regimen, parts in data.regimens.items():
            names[normalized(regimen)] = list(parts)
        # Longest first, so 'nab paclitaxel' is found before 'paclitaxel' within it.
        self._names = sorted(names.items(), key=lambda item: -len(item[0]))

    def classes_of(self, ingredient: str) -> tuple[DrugClass, ...]:
        return tuple(self.data.ingredients[ingredient].classes)

    def by_rxnorm(self, code: str) -> str | None:
        """The ingredient of an RxNorm ingredient CUI, or None."""
        return self._rxnorm.get(code.strip())

    def by_atc(self, code: str) -> tuple[str | None, tuple[DrugClass, ...]]:
        """(ingredient, classes) of an ATC code: a listed full code names its ingredient;
        otherwise the longest matching group gives the classes; () when none matches."""
        code = code.strip().upper()
        ingredient = self._atc.get(code)
        if ingredient is not None:
            return ingredient, self.classes_of(ingredient)
        for length in range(len(code), 0, -1):
            classes = self.data.atc_groups.get(code[:length])
            if classes is not None:
                return None, tuple(classes)
        return None, ()

    def by_name(self, text: str) -> list[str]:
        """Ingredients named in a drug's text (ingredient, synonym, brand or regimen name),
        each once, in the order found."""
        rest = f" {normalized(text)} "
        found: list[str] = []
        for key, ingredients in self._names:
            needle = f" {key} "
            if needle in rest:
                rest = rest.replace(needle, " | ")
                found.extend(i for i in ingredients if i not in found)
        return found

    def lineage(self, drug_class: DrugClass) -> tuple[DrugClass, ...]:
        """The class and its ancestors, nearest first."""
        chain: list[DrugClass] = []
        current: DrugClass | None = drug_class
        while current is not None and current not in chain:
            chain.append(current)
            current = self.data.classes[current].parent
        return tuple(chain)

    def label(self, drug_class: DrugClass) -> str:
        return self.data.classes[drug_class].label


@cache
def drug_vocabulary(path: Path = DATA_FILE) -> DrugVocabulary:
    """The vocabulary of one data file, read and checked once per process."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return DrugVocabulary(VocabularyFile.model_validate(raw))
