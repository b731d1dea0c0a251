"""Histology: ICD-O-3 morphology codes grouped into the families criteria name.

Read from ``data/histology.yaml``. A code is placed in the deepest family that lists its
four-digit histology type (mucinous adenocarcinoma before adenocarcinoma); its fifth
digit is the behaviour. Families form a hierarchy by ``parent``, and a family may take
members at one site only (non-small cell carcinoma at the lung). Example::

    for_morphology("8480/3")     # -> Morphology(family="mucinous_adenocarcinoma",
                                 #               behavior="malignant")
    within("mucinous_adenocarcinoma", "adenocarcinoma")          # -> True
    within("adenocarcinoma", "non_small_cell_carcinoma", "lung")  # -> True
    within("adenocarcinoma", "non_small_cell_carcinoma")          # -> False
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from app.vocabulary import checks
from app.vocabulary.files import VocabularyError, load, section
from app.vocabulary.hierarchy import chain


@dataclass(frozen=True)
class Family:
    name: str
    label: str
    parent: str | None
    types: frozenset[str]  # four-digit histology types
    ranges: tuple[tuple[str, str], ...]
    snomed: frozenset[str]
    at_site: dict[str, frozenset[str]]

    def has_type(self, histology_type: str) -> bool:
        return histology_type in self.types or any(
            low <= histology_type <= high for low, high in self.ranges
        )


@dataclass(frozen=True)
class Morphology:
    family: str | None  # None: the type is in no family
    behavior: str | None  # None: no (known) behaviour digit


@dataclass(frozen=True)
class _Catalogue:
    families: dict[str, Family]
    behaviours: dict[str, str]
    snomed: dict[str, str]


def _range(text: object) -> tuple[str, str]:
    low, _, high = str(text).partition("-")
    if not (len(low) == len(high) == 4 and low.isdigit() and high.isdigit() and low <= high):
        raise VocabularyError(f"malformed ICD-O-3 histology range {text!r}")
    return low, high


@cache
def _catalogue() -> _Catalogue:
    doc = load("histology")
    behaviours = {str(k): str(v) for k, v in section(doc, "behaviours").items()}
    families: dict[str, Family] = {}
    snomed: dict[str, str] = {}
    for entry in section(doc, "families"):
        name = entry["name"]
        if name in families:
            raise VocabularyError(f"histology family {name!r} listed twice")
        types = set()
        for code in entry.get("morphology") or []:
            if not checks.icdo3_morphology(code):
                raise VocabularyError(f"malformed ICD-O-3 morphology {code!r} in {name!r}")
            types.add(code[:4])
        for code in entry.get("snomed") or {}:
            if not checks.snomed(str(code)) or str(code) in snomed:
                raise VocabularyError(f"bad or repeated SNOMED code {code!r} in {name!r}")
            snomed[str(code)] = name
        families[name] = Family(
            name=name,
            label=entry["label"],
            parent=entry.get("parent"),
            types=frozenset(types),
            ranges=tuple(_range(r) for r in entry.get("morphology_ranges") or []),
            snomed=frozenset(str(c) for c in entry.get("snomed") or {}),
            at_site={
                site: frozenset(members) for site, members in (entry.get("at_site") or {}).items()
            },
        )
    for family in families.values():
        named = [family.parent] if family.parent else []
        named += [m for members in family.at_site.values() for m in members]
        if any(n not in families for n in named):
            raise VocabularyError(f"histology family {family.name!r} names an unknown family")
    return _Catalogue(families, behaviours, snomed)


def names() -> list[str]:
    return list(_catalogue().families)


def family(name: str) -> Family:
    return _catalogue().families[name]


def behaviours() -> dict[str, str]:
    return dict(_catalogue().behaviours)


def ancestors(name: str) -> list[str]:
    """The family itself, then its parent, its parent's parent, ..."""
    return chain(name, lambda n: _catalogue().families[n].parent)


@cache
def for_morphology(code: str) -> Morphology:
    """Family and behaviour of an ICD-O-3 morphology code ('8140/3', or '8140')."""
    histology_type, _, digit = code.strip().partition("/")
    matches = [f for f in _catalogue().families.values() if f.has_type(histology_type)]
    deepest = max(matches, key=lambda f: len(ancestors(f.name)), default=None)
    return Morphology(
        family=deepest.name if deepest else None,
        behavior=_catalogue().behaviours.get(digit) if digit else None,
    )


def for_snomed(code: str) -> str | None:
    return _catalogue().snomed.get(code)


def snomed_codes() -> dict[str, str]:
    return dict(_catalogue().snomed)


def within(name: str, wanted: str, site_ancestors: list[str] | None = None) -> bool:
    """Histology ``name`` belongs to family ``wanted`` (itself, a descendant, or a
    member of ``wanted`` at one of the sites in ``site_ancestors``)."""
    chain = ancestors(name)
    if wanted in chain:
        return True
    for site in site_ancestors or []:
        # A descendant of a member counts too (a mucinous adenocarcinoma of the lung).
        if _catalogue().families[wanted].at_site.get(site, frozenset()) & set(chain):
            return True
    return False
