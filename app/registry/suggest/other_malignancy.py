"""Another malignancy than the trial's own, within a window, with its exceptions.

Example::

    context = Context("inclusion", ("lung",))
    read("no other malignancy within the past year except nonmelanoma skin cancer", context)
    # not: OtherMalignancyRule(index_sites=["lung"], within_months=12,
    #                          except_categories=["non_melanoma_skin_cancer"])
    read("history of another primary malignancy", Context("exclusion", ("stomach",))).rule
    # OtherMalignancyRule(index_sites=["stomach"])

The trial's own cancer is the context's index sites (the registry conditions); a trial
without them gets no suggestion. Every exception must be one the vocabulary holds exactly
(app/vocabulary/data/suggestion_malignancy_words.yaml); any other exception, or a
qualifier ("invasive", "active", "cured", "uncontrolled"), leaves the text to a person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import cast

from app.eligibility.language import Not, OtherMalignancyRule, Rule
from app.facts.model import ConditionCategory
from app.registry.suggest.phrases import EDGE_BEFORE, alternation, find_name, lookup
from app.registry.suggest.reading import Context, Reading
from app.vocabulary import files

FILE = "suggestion_malignancy_words"
_MONTHS = {"year": 12, "month": 1}


@dataclass(frozen=True)
class _Words:
    prefixes: dict[str, str]  # phrase -> negation | history | others | primary
    prefix: re.Pattern[str]
    exceptions: dict[str, str]
    exception: re.Pattern[str]
    core: re.Pattern[str]


@cache
def _words() -> _Words:
    document = files.load(FILE)
    prefixes: dict[str, str] = {}
    for kind in ("negations", "history_words", "others", "primary"):
        for word in files.section(document, kind):
            key = " ".join(str(word).lower().split())
            if prefixes.setdefault(key, kind) != kind:
                raise files.VocabularyError(f"{FILE}: {word!r} is listed twice")
    exceptions = lookup(files.section(document, "exceptions"))
    prefix = alternation(prefixes)
    exception = alternation(exceptions)
    window = (
        r"(?:(?:within|in)\s+the\s+(?:past|last)\s+(?:(?P<n>\d{1,2})\s+)?(?P<unit>year|month)s?"
        r"|within\s+(?P<n2>\d{1,2})\s+(?P<unit2>year|month)s?)"
        rf"(?:\s+(?:before|prior\s+to|of)\s+{alternation(files.section(document, 'anchors'))})?"
    )
    joined = r"(?:\s*,\s*(?:or\s+)?|\s+or\s+)"
    core = (
        rf"(?P<prefix>(?:{prefix}\s+)*)(?P<noun>{alternation(files.section(document, 'nouns'))})"
        rf"(?:\s+(?P<window>{window}))?"
        rf"(?:\s*,?\s*{alternation(files.section(document, 'except_words'))}\s+"
        rf"(?P<exceptions>{exception}(?:{joined}{exception})*))?"
        rf"(?:\s+{alternation(files.section(document, 'exclusion_tails'))})?"
    )
    return _Words(
        prefixes,
        re.compile(prefix),
        exceptions,
        re.compile(exception),
        re.compile(EDGE_BEFORE + core),
    )


def _months(match: re.Match[str]) -> int | None:
    if not match.group("window"):
        return None
    number = match.group("n") or match.group("n2") or "1"
    unit = match.group("unit") or match.group("unit2")
    months = int(number) * _MONTHS[unit]
    return months if months >= 1 else None


def read(text: str, context: Context) -> Reading | None:
    if not context.index_sites:
        return None
    words = _words()
    found = list(words.core.finditer(text))
    if len(found) != 1:
        return None
    match = found[0]
    kinds = [
        words.prefixes[" ".join(p.group().split())]
        for p in words.prefix.finditer(match.group("prefix"))
    ]
    if len(kinds) != len(set(kinds)):
        return None
    negated = "negations" in kinds
    if negated and kinds[0] != "negations":
        return None
    if negated != (context.criterion_type == "inclusion"):
        return None
    if "others" not in kinds and "history_words" not in kinds:
        return None  # a bare "malignancy" may be the trial's own cancer
    excepted: list[ConditionCategory] = []
    for item in words.exception.finditer(match.group("exceptions") or ""):
        category = find_name(item.group(), words.exceptions)
        if category is None:
            return None
        if category not in excepted:
            excepted.append(cast(ConditionCategory, category))
    months = _months(match)
    rule: Rule = OtherMalignancyRule(
        op="other_malignancy",
        index_sites=list(context.index_sites),
        except_categories=excepted,
        within_months=months,
    )
    if negated:
        rule = Not(op="not", rule=rule)
    note = "Read as " + ("no " if negated else "") + "malignancy other than the trial's own ("
    note += " or ".join(context.index_sites) + ")"
    if months:
        note += f" diagnosed within {months} months"
    if excepted:
        note += ", except " + " or ".join(c.replace("_", " ") for c in excepted)
    return Reading(rule, [match.span()], note=note + "; no record counts as none.")
