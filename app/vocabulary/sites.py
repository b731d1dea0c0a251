"""Cancer sites: ICD-O-3 topography site groups, from ICD-10, ICD-O-3 and SNOMED CT codes.

Read from ``data/cancer_sites.yaml``. A code is placed at the site whose prefix is the
longest one to select it (C18.1 appendix before C18 colon); sites form a hierarchy by
``parent`` (rectum, rectosigmoid and colon are colorectal; appendix is colon). Example::

    for_icd10("C18.7")     # -> Placement(site="colon", behavior="malignant")
    for_icd10("D01.2")     # -> Placement(site="rectum", behavior="in_situ")
    for_icd10("C97")       # -> Placement(site=None, behavior="malignant")  (not placed)
    for_icd10("C78.7")     # -> None  (a metastasis, not a primary)
    for_topography("C20.9")  # -> "rectum"
    within("appendix", "colorectal")   # -> True
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

from app.vocabulary import checks
from app.vocabulary.files import VocabularyError, load, section
from app.vocabulary.hierarchy import chain
from app.vocabulary.icd10 import Selector, normalize, selectors

PrimaryBehavior = Literal["malignant", "in_situ"]


@dataclass(frozen=True)
class Site:
    name: str
    label: str
    parent: str | None
    topography: tuple[Selector, ...]
    icd10: tuple[Selector, ...]
    in_situ: tuple[Selector, ...]
    snomed: frozenset[str]


@dataclass(frozen=True)
class Placement:
    """Where an ICD-10 neoplasm code puts a primary cancer; ``site`` None: not placed."""

    site: str | None
    behavior: PrimaryBehavior


@dataclass(frozen=True)
class _Catalogue:
    sites: dict[str, Site]
    malignant: tuple[Selector, ...]
    in_situ: tuple[Selector, ...]
    secondary: tuple[Selector, ...]
    history: tuple[Selector, ...]
    topography_secondary: tuple[Selector, ...]
    snomed: dict[str, str]


def _topography(texts: object) -> tuple[Selector, ...]:
    for text in texts if isinstance(texts, list) else []:
        if not checks.icdo3_topography(str(text)):
            raise VocabularyError(f"malformed ICD-O-3 topography {text!r}")
    return selectors(texts)


@cache
def _catalogue() -> _Catalogue:
    doc = load("cancer_sites")
    found: dict[str, Site] = {}
    snomed: dict[str, str] = {}
    for entry in section(doc, "sites"):
        name = entry["name"]
        if name in found:
            raise VocabularyError(f"cancer site {name!r} listed twice")
        topography = _topography(entry.get("topography"))
        codes = entry.get("snomed") or {}
        for code in codes:
            if not checks.snomed(str(code)) or str(code) in snomed:
                raise VocabularyError(f"bad or repeated SNOMED code {code!r} at {name!r}")
            snomed[str(code)] = name
        found[name] = Site(
            name=name,
            label=entry["label"],
            parent=entry.get("parent"),
            topography=topography,
            icd10=selectors(entry["icd10"]) if "icd10" in entry else topography,
            in_situ=selectors(entry.get("in_situ")),
            snomed=frozenset(str(c) for c in codes),
        )
    for site in found.values():
        if site.parent is not None and site.parent not in found:
            raise VocabularyError(f"cancer site {site.name!r} has an unknown parent")
    icd = section(doc, "icd10")
    return _Catalogue(
        sites=found,
        malignant=selectors(icd["malignant"]),
        in_situ=selectors(icd["in_situ"]),
        secondary=selectors(icd["secondary"]),
        history=selectors(icd["history"]),
        topography_secondary=_topography(doc.body.get("topography_secondary")),
        snomed=snomed,
    )


def names() -> list[str]:
    return list(_catalogue().sites)


def site(name: str) -> Site:
    return _catalogue().sites[name]


def _longest(code: str, attribute: str) -> str | None:
    best: tuple[int, str] | None = None
    for entry in _catalogue().sites.values():
        for selector in getattr(entry, attribute):
            if selector.matches(code) and (best is None or selector.length > best[0]):
                best = (selector.length, entry.name)
    return best[1] if best else None


@cache
def for_icd10(code: str) -> Placement | None:
    """The primary site of an ICD-10 code; None when it is no primary neoplasm code."""
    norm = normalize(code)
    catalogue = _catalogue()
    if not norm[1:3].isdigit():
        return None  # ICD-10-CM C4A, C7A, C7B: not in the WHO chapter this file follows
    if any(s.matches(norm) for s in catalogue.secondary):
        return None
    if any(s.matches(norm) for s in catalogue.malignant):
        return Placement(_longest(norm, "icd10"), "malignant")
    if any(s.matches(norm) for s in catalogue.in_situ):
        return Placement(_longest(norm, "in_situ"), "in_situ")
    return None


def is_history_code(code: str) -> bool:
    """A personal-history-of-malignancy code (Z85): a prior cancer, not the primary."""
    return any(s.matches(normalize(code)) for s in _catalogue().history)


@cache
def for_topography(code: str) -> str | None:
    """The site of an ICD-O-3 topography code (C20.9); None when not a primary site."""
    if not checks.icdo3_topography(code.strip().upper()):
        return None
    norm = normalize(code)
    if any(s.matches(norm) for s in _catalogue().topography_secondary):
        return None
    return _longest(norm, "topography")


def for_snomed(code: str) -> str | None:
    return _catalogue().snomed.get(code)


def snomed_codes() -> dict[str, str]:
    return dict(_catalogue().snomed)


def ancestors(name: str) -> list[str]:
    """The site itself, then its parent, its parent's parent, ..."""
    return chain(name, lambda n: _catalogue().sites[n].parent)


def within(name: str, ancestor: str) -> bool:
    """``name`` is ``ancestor`` or lies inside it (rectum within colorectal)."""
    return ancestor in ancestors(name)
