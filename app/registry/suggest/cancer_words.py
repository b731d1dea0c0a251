"""How a criterion names a cancer: its site, its histology and how it was proven.

Read from app/vocabulary/data/suggestion_cancer_words.yaml (with the organ words of
report_site_words.yaml and the family labels of histology.yaml). Example::

    mentions("rectal adenocarcinoma")
    # -> [Mention(span=(0, 21), sites=("rectum",), histology="adenocarcinoma")]
    mentions("cancer of the pancreas or colon")[0].sites     # -> ("pancreas", "colon")
    mentions("small cell lung cancer (sclc)")                # two mentions, the same cancer
    confirmation("histologically or cytologically confirmed nsclc")
    # -> Proof(span=(0, 42), methods=("biopsy", "resection", "cytology"))
    with_subsites(("colorectal",))   # -> ("colorectal", "colon", "appendix", ...)

A mention is one noun with its organ words: "<organ> <noun>", "<noun> of the <organ>", or
a term naming both ("nsclc"). Several organs joined by "or" / "and" are alternatives of one
cancer. A noun is a histology family or "cancer" (any histology).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import cast, get_args

from app.facts.model import CancerSite, DiagnosisConfirmation, Histology
from app.registry.suggest.phrases import EDGE_AFTER, EDGE_BEFORE, alternation, find_name, lookup
from app.vocabulary import files, histology, sites

FILE = "suggestion_cancer_words"


@dataclass(frozen=True)
class Mention:
    span: tuple[int, int]
    sites: tuple[CancerSite, ...]  # () : no site named
    histology: Histology | None  # None: any histology ("cancer")


@dataclass(frozen=True)
class Proof:
    span: tuple[int, int]
    methods: tuple[DiagnosisConfirmation, ...]


@dataclass(frozen=True)
class _Words:
    site_patterns: tuple[tuple[CancerSite, re.Pattern[str]], ...]
    site_any: str
    histologies: dict[str, str]
    histology_any: str
    cancer_any: str
    combined: dict[str, tuple[CancerSite | None, Histology | None]]
    combined_any: str
    stems: dict[str, tuple[DiagnosisConfirmation, ...]]
    verbs_any: str


@cache
def _words() -> _Words:
    document = files.load(FILE)
    organ_words: dict[str, list[str]] = {
        site: list(words)
        for site, words in files.section(files.load("report_site_words"), "sites").items()
    }
    for site, words in files.section(document, "sites").items():
        organ_words.setdefault(site, [])
        organ_words[site] += [alternation([w], edges=False) for w in words]
    known_sites = set(get_args(CancerSite))
    if not set(organ_words) <= known_sites:
        raise files.VocabularyError(f"{FILE}: unknown cancer sites in its organ words")
    site_patterns = tuple(
        (cast(CancerSite, site), re.compile(EDGE_BEFORE + "(?:" + "|".join(ws) + ")" + EDGE_AFTER))
        for site, ws in organ_words.items()
    )
    site_any = "(?:" + "|".join(w for ws in organ_words.values() for w in ws) + ")"

    unread = set(files.section(document, "histology_unread"))
    named: dict[str, list[str]] = {
        name: [histology.family(name).label] for name in histology.names() if name not in unread
    }
    for name, words in files.section(document, "histology_synonyms").items():
        named[name] = [*named.get(name, []), *words]
    histologies = lookup(named)

    combined: dict[str, tuple[CancerSite | None, Histology | None]] = {}
    for entry in files.section(document, "combined"):
        for word in entry["words"]:
            combined[" ".join(word.lower().split())] = (entry["site"], entry["histology"])
    proof = files.section(document, "confirmation")
    stems = {stem: tuple(methods) for stem, methods in proof["stems"].items()}
    return _Words(
        site_patterns=site_patterns,
        site_any=site_any,
        histologies=histologies,
        histology_any=alternation(histologies, edges=False),
        cancer_any=alternation(files.section(document, "cancer_nouns"), edges=False),
        combined=combined,
        combined_any=alternation(combined, edges=False),
        stems=stems,
        verbs_any=alternation(proof["verbs"], edges=False),
    )


@cache
def _mention_pattern() -> re.Pattern[str]:
    w = _words()
    organs = rf"{w.site_any}(?:\s*(?:,|or|and|and/or)\s+(?:the\s+)?{w.site_any})*"
    noun = rf"(?:{w.histology_any}|{w.cancer_any})"
    return re.compile(
        EDGE_BEFORE
        + rf"(?:(?P<before>{organs})\s+(?P<noun1>{noun})"
        + rf"|(?P<noun2>{noun})\s+of\s+(?:the\s+)?(?P<after>{organs})"
        + rf"|(?P<combined>{w.combined_any})"
        + rf"|(?P<bare>{w.histology_any}))"
        + EDGE_AFTER
    )


def _sites_in(text: str) -> tuple[CancerSite, ...]:
    found: list[tuple[int, CancerSite]] = []
    for site, pattern in _words().site_patterns:
        found += [(m.start(), site) for m in pattern.finditer(text)]
    ordered: list[CancerSite] = []
    for _, site in sorted(found):
        if site not in ordered:
            ordered.append(site)
    return tuple(ordered)


def _noun(text: str) -> Histology | None:
    return cast(Histology | None, find_name(text, _words().histologies))


def mentions(text: str) -> list[Mention]:
    """Every cancer the text names, in order (a histology alone has no sites)."""
    found: list[Mention] = []
    for match in _mention_pattern().finditer(text):
        span = match.span()
        if match.group("combined"):
            site, family = _words().combined[" ".join(match.group("combined").split())]
            found.append(Mention(span, (site,) if site else (), family))
            continue
        noun = match.group("noun1") or match.group("noun2") or match.group("bare")
        organs = match.group("before") or match.group("after") or ""
        found.append(Mention(span, _sites_in(organs), _noun(noun)))
    return found


@cache
def _proof_pattern() -> re.Pattern[str]:
    w = _words()
    stem = "(?:" + "|".join(re.escape(s) for s in w.stems) + r")[a-z]*"
    stems = rf"{stem}(?:\s*(?:or|and/or|and)\s+(?:a\s+)?{stem})?"
    return re.compile(
        EDGE_BEFORE
        + rf"(?:(?P<lead>{stems})\s*-?\s*(?:{w.verbs_any})"
        + rf"|(?:confirmed|proven)\s+by\s+(?P<tail>{stems}))"
        + EDGE_AFTER
    )


def confirmation(text: str) -> Proof | None:
    """How the text says the diagnosis was proven; None when it says nothing of it, or
    says it twice."""
    found = list(_proof_pattern().finditer(text))
    if len(found) != 1:
        return None
    match = found[0]
    named = match.group("lead") or match.group("tail")
    methods: list[DiagnosisConfirmation] = []
    for stem, admitted in _words().stems.items():
        if re.search(rf"{EDGE_BEFORE}{re.escape(stem)}", named):
            methods += [m for m in admitted if m not in methods]
    return Proof(match.span(), tuple(methods))


def with_subsites(wanted: tuple[CancerSite, ...]) -> tuple[CancerSite, ...]:
    """The sites and every site inside one of them (colorectal: colon, rectum, ...)."""
    return tuple(
        cast(CancerSite, name)
        for name in sites.names()
        if any(sites.within(name, site) for site in wanted)
    )
