"""Prior therapies: chemotherapy, radiotherapy (by body region), checkpoint inhibitors.

Example::

    read("previous pelvis radiotherapy", Context("exclusion")).rule
    # any: [treatment [radiotherapy, chemoradiotherapy] body_regions [pelvis, rectum],
    #       all: [treatment ... body_regions [abdomen], judgement "... include the pelvis?"]]
    read("no prior chemotherapy for current lung cancer", Context("inclusion", ("lung",)))
    # not: any [treatment [chemotherapy, chemoradiotherapy] for_cancer_at [lung],
    #           all: [medication [chemotherapy], judgement "Was it for the lung cancer?"]]
    read("at least 5 years since prior chemotherapy", Context("inclusion")).rule
    # not: any [medication [chemotherapy] within_months 60, treatment ... within_months 60]
    read("prior anti-pd-1 or anti-pd-l1 therapy", Context("exclusion")).rule
    # any [medication [anti_pd1_pdl1], all: [treatment [immunotherapy], judgement ...]]

A therapy is looked for both as a medication (by drug class) and as a procedure (by
treatment category), as the words of app/vocabulary/data/suggestion_therapy_words.yaml
say. What the language cannot state exactly is asked of a person, never guessed: whether
a medication treated the trial's cancer (medications carry no link to a cancer), whether a
procedure "immunotherapy" was an anti-PD-1 antibody, whether a procedure ended within a
window counted in days (procedure windows are in months: the month window holds the days
one, and a person settles what falls between). A window is counted back from the
evaluation date, the date the match is made for.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache

from app.eligibility.language import (
    AllOf,
    AnyOf,
    JudgementRule,
    MedicationRule,
    Not,
    Rule,
    TreatmentRule,
)
from app.facts.model import BodyRegion, CancerSite, TreatmentCategory
from app.registry.suggest.cancer_words import mentions, with_subsites
from app.registry.suggest.phrases import alternation, canonical, lookup
from app.registry.suggest.reading import Context, Reading
from app.vocabulary import files
from app.vocabulary import sites as site_vocabulary
from app.vocabulary.medications import DrugClass

FILE = "suggestion_therapy_words"
_DAYS_PER_MONTH_AT_LEAST = 28  # every calendar month has at least 28 days


@dataclass(frozen=True)
class _Therapy:
    name: str
    label: str
    classes: tuple[DrugClass, ...]
    categories: tuple[TreatmentCategory, ...]
    asked: tuple[TreatmentCategory, ...]


@dataclass(frozen=True)
class _Region:
    name: str
    sure: tuple[BodyRegion, ...]
    asked: tuple[BodyRegion, ...]


@dataclass(frozen=True)
class _Window:
    days: int | None = None
    months: int | None = None

    def words(self) -> str:
        return f"{self.days} days" if self.days else f"{self.months} months"


@dataclass(frozen=True)
class _Words:
    therapies: dict[str, _Therapy]
    by_phrase: dict[str, str]
    regions: dict[str, _Region]
    region_phrase: dict[str, str]
    pattern: re.Pattern[str]
    therapy: re.Pattern[str]
    cancer_leads: frozenset[str]


@cache
def _words() -> _Words:
    document = files.load(FILE)
    raw = files.section(document, "therapies")
    therapies = {
        name: _Therapy(
            name=name,
            label=entry["label"],
            classes=tuple(entry.get("medication") or ()),
            categories=tuple(entry.get("treatment") or ()),
            asked=tuple(entry.get("asked") or ()),
        )
        for name, entry in raw.items()
    }
    by_phrase = lookup({name: entry["words"] for name, entry in raw.items()})
    raw_regions = files.section(document, "regions")
    regions = {
        name: _Region(name, tuple(entry["sure"]), tuple(entry.get("asked") or ()))
        for name, entry in raw_regions.items()
    }
    region_phrase = lookup({name: entry["words"] for name, entry in raw_regions.items()})

    noun = alternation(files.section(document, "nouns"))
    therapy = rf"{alternation(by_phrase)}(?:\s+{noun})?"
    joined = r"(?:\s*,\s*(?:or\s+)?|\s+or\s+|\s+and/or\s+)"
    region = alternation(region_phrase)
    unit = r"(?P<unit>days?|weeks?|months?|years?)"
    anchor = alternation(files.section(document, "anchors"))
    window = (
        rf"(?:within(?:\s+the\s+(?:last|past))?|in\s+the\s+(?:last|past)|<=)\s+"
        rf"(?P<number>\d{{1,3}})\s+{unit}(?:\s+(?:before|prior\s+to|of)\s+{anchor})?"
    )
    since = (
        rf"(?P<since>{alternation(files.section(document, 'since'))})\s+"
        rf"(?P<since_number>\d{{1,3}})\s+(?P<since_unit>days?|weeks?|months?|years?)\s+since"
        rf"(?:\s+(?:the\s+)?(?:last|prior|previous|any\s+prior))?"
    )
    this_cancer = alternation(files.section(document, "this_cancer"))
    pattern = (
        rf"(?:{since}\s+|(?P<negation>{alternation(files.section(document, 'negations'))})\s+"
        rf"|(?:{alternation(files.section(document, 'leads'))})\s+)?"
        rf"(?:(?P<region_before>{region})\s+)?"
        rf"(?P<therapies>{therapy}(?:{joined}{therapy})*)"
        rf"(?:\s+to\s+the\s+(?P<region_after>{region}))?"
        rf"(?:\s+for\s+(?:(?P<this_cancer>{this_cancer})|(?P<cancer>[a-z -]+?cancer|[a-z -]+?"
        rf"carcinoma)))?"
        rf"(?:\s+{window})?"
    )
    return _Words(
        therapies,
        by_phrase,
        regions,
        region_phrase,
        re.compile(pattern),
        re.compile(alternation(by_phrase)),
        frozenset(files.section(document, "cancer_leads")),
    )


def _window(number: str | None, unit: str | None) -> _Window | None:
    if number is None or unit is None:
        return None
    n = int(number)
    if n < 1:
        return None
    if unit.startswith("day"):
        return _Window(days=n)
    if unit.startswith("week"):
        return _Window(days=7 * n)
    if unit.startswith("month"):
        return _Window(months=n)
    return _Window(months=12 * n)


def _judged(rule: Rule, question: str) -> AllOf:
    return AllOf(op="all", of=[rule, JudgementRule(op="judgement", question=question)])


def _procedure(
    categories: tuple[TreatmentCategory, ...],
    name: str,
    regions: tuple[BodyRegion, ...] | None,
    window: _Window | None,
    sites: tuple[CancerSite, ...],
) -> Rule:
    months = None
    if window is not None:
        months = window.months or math.ceil((window.days or 0) / _DAYS_PER_MONTH_AT_LEAST)
    rule: Rule = TreatmentRule(
        op="treatment",
        categories=list(categories),
        body_regions=list(regions) if regions else None,
        within_months=months,
        for_cancer_at=list(with_subsites(sites)) if sites else None,
    )
    if window is not None and window.days:
        rule = _judged(rule, f"Did the {name} (a recorded procedure) end within {window.words()}?")
    return rule


def _therapy_rule(
    therapy: _Therapy,
    region: _Region | None,
    window: _Window | None,
    sites: tuple[CancerSite, ...],
) -> Rule:
    name = therapy.label
    where = " of the " + _site_words(sites) if sites else ""
    parts: list[Rule] = []
    if therapy.classes:
        medication: Rule = MedicationRule(
            op="medication",
            classes=list(therapy.classes),
            within_days=window.days if window else None,
            within_months=window.months if window else None,
        )
        if sites:
            medication = _judged(medication, f"Was the recorded {name} for the cancer{where}?")
        parts.append(medication)
    if therapy.categories:
        parts.append(
            _procedure(therapy.categories, name, region.sure if region else None, window, sites)
        )
        if region is not None and region.asked:
            asked = _procedure(therapy.categories, name, region.asked, window, sites)
            parts.append(
                _judged(
                    asked,
                    f"Did the {name} to the {', '.join(region.asked)} include the {region.name}?",
                )
            )
    for category in therapy.asked:
        procedure = _procedure((category,), category, None, window, sites)
        parts.append(_judged(procedure, f"Was the recorded {category} procedure an {name}?"))
    return parts[0] if len(parts) == 1 else AnyOf(op="any", of=parts)


def read(text: str, context: Context) -> Reading | None:
    words = _words()
    found = list(words.pattern.finditer(text))
    found = [m for m in found if m.group("therapies")]
    if len(found) != 1:
        return None
    match = found[0]
    negated = match.group("negation") is not None
    since = match.group("since") is not None
    if context.criterion_type == "exclusion" and (negated or since):
        return None
    if context.criterion_type == "inclusion" and not (negated or since):
        return None  # an inclusion asking for a prior therapy is a line of treatment: text
    therapies: list[_Therapy] = []
    for phrase_match in words.therapy.finditer(match.group("therapies")):
        name = words.by_phrase.get(canonical(phrase_match.group()))
        if name is None:
            return None  # a hyphen spelled otherwise than the data file: not read
        if words.therapies[name] not in therapies:
            therapies.append(words.therapies[name])
    named_region = match.group("region_before") or match.group("region_after")
    region = None
    if named_region is not None:
        key = words.region_phrase.get(canonical(named_region))
        if key is None or any(not t.categories or t.classes for t in therapies):
            return None  # a region is read for radiotherapy only
        region = words.regions[key]
    sites = _for_cancer(match, context)
    if sites is None:
        return None
    if since:
        window = _window(match.group("since_number"), match.group("since_unit"))
        if window is None or match.group("number"):
            return None
    else:
        window = _window(match.group("number"), match.group("unit"))
    parts = [_therapy_rule(t, region, window, sites) for t in therapies]
    rule: Rule = parts[0] if len(parts) == 1 else AnyOf(op="any", of=parts)
    if negated or since:
        rule = Not(op="not", rule=rule)
    return Reading(
        rule, [match.span()], note=_note(therapies, region, window, sites, negated or since)
    )


def _for_cancer(match: re.Match[str], context: Context) -> tuple[CancerSite, ...] | None:
    """The sites of the cancer the therapy was for; () when the text names none, None when
    it names one that cannot be read."""
    if match.group("this_cancer"):
        return context.index_sites or None
    named = match.group("cancer")
    if named is None:
        return ()
    found = mentions(named)
    if len(found) != 1 or found[0].span[1] != len(named) or not found[0].sites:
        return None
    before = named[: found[0].span[0]].split()
    if any(w not in _words().cancer_leads for w in before):
        return None  # "for metastatic colon cancer": a condition besides the cancer
    return found[0].sites


def _site_words(named: tuple[CancerSite, ...]) -> str:
    return " or ".join(site_vocabulary.site(s).label for s in named)


def _note(
    therapies: list[_Therapy],
    region: _Region | None,
    window: _Window | None,
    sites: tuple[CancerSite, ...],
    negated: bool,
) -> str:
    what = " or ".join(t.label for t in therapies)
    if region is not None:
        what += f" to the {region.name}"
    if sites:
        what += " for the cancer of the " + _site_words(sites)
    if window is not None:
        what += f" within {window.words()}"
    kinds = {"medication" for t in therapies if t.classes} | {
        "procedure" for t in therapies if t.categories or t.asked
    }
    recorded = " or a ".join(sorted(kinds))
    return ("Read as no " if negated else "Read as ") + what + f" (recorded as a {recorded})."
