"""Comorbidity categories: ICD-10 selectors, SNOMED CT codes and words, as a hierarchy.

Read from ``data/conditions.yaml``. A code is read as the deepest category that selects
it (I21.4 is myocardial infarction, inside ischemic heart disease, inside cardiovascular
disease); `within` walks the hierarchy, so a criterion on a parent covers its children.
Example::

    for_icd10("I21.4")       # -> "myocardial_infarction"
    for_icd10("Z85.038")     # -> "malignancy"  (a prior cancer)
    for_snomed("49436004")   # -> "arrhythmia"
    for_text("History of atrial fibrillation")   # -> "arrhythmia"
    within("myocardial_infarction", "cardiovascular_disease")   # -> True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from app.vocabulary import checks
from app.vocabulary.files import VocabularyError, load, section
from app.vocabulary.hierarchy import chain
from app.vocabulary.icd10 import Selector, normalize, selectors


@dataclass(frozen=True)
class Category:
    name: str
    label: str
    parent: str | None
    icd10: tuple[Selector, ...]
    snomed: frozenset[str]
    words: tuple[str, ...]


@dataclass(frozen=True)
class _Catalogue:
    categories: dict[str, Category]
    snomed: dict[str, str]
    words: tuple[tuple[re.Pattern[str], str], ...]  # longest word first


@cache
def _catalogue() -> _Catalogue:
    doc = load("conditions")
    found: dict[str, Category] = {}
    snomed: dict[str, str] = {}
    for entry in section(doc, "categories"):
        name = entry["name"]
        if name in found:
            raise VocabularyError(f"condition category {name!r} listed twice")
        codes = [str(c) for c in entry.get("snomed") or {}]
        for code in codes:
            if not checks.snomed(code) or code in snomed:
                raise VocabularyError(f"bad or repeated SNOMED code {code!r} in {name!r}")
            snomed[code] = name
        found[name] = Category(
            name=name,
            label=entry["label"],
            parent=entry.get("parent"),
            icd10=selectors(entry.get("icd10")),
            snomed=frozenset(codes),
            words=tuple(str(w).lower() for w in entry.get("words") or []),
        )
    for category in found.values():
        if category.parent is not None and category.parent not in found:
            raise VocabularyError(f"condition category {category.name!r} has an unknown parent")
    words = sorted(((w, c.name) for c in found.values() for w in c.words), key=lambda p: -len(p[0]))
    patterns = tuple((re.compile(rf"\b{re.escape(w)}\b"), name) for w, name in words)
    return _Catalogue(found, snomed, patterns)


def names() -> list[str]:
    return list(_catalogue().categories)


def category(name: str) -> Category:
    return _catalogue().categories[name]


def ancestors(name: str) -> list[str]:
    """The category itself, then its parent, its parent's parent, ..."""
    return chain(name, lambda n: _catalogue().categories[n].parent)


def within(name: str, ancestor: str) -> bool:
    return ancestor in ancestors(name)


def related(a: str, b: str) -> bool:
    """One of the two contains the other: only then may they share a code."""
    return within(a, b) or within(b, a)


@cache
def for_icd10(code: str) -> str | None:
    norm = normalize(code)
    best: tuple[int, int, str] | None = None
    for entry in _catalogue().categories.values():
        for selector in entry.icd10:
            if selector.matches(norm):
                rank = (len(ancestors(entry.name)), selector.length, entry.name)
                if best is None or rank > best:
                    best = rank
    return best[2] if best else None


def for_snomed(code: str) -> str | None:
    return _catalogue().snomed.get(code)


def snomed_codes() -> dict[str, str]:
    return dict(_catalogue().snomed)


def for_text(text: str) -> str | None:
    """The category a text names, by its longest matching word; None if none."""
    lowered = text.lower()
    for pattern, name in _catalogue().words:
        if pattern.search(lowered):
            return name
    return None
