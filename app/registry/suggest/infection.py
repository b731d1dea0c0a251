"""HIV, hepatitis B and hepatitis C as exclusions (or, negated, inclusions).

Example::

    read("known hiv infection", Context("exclusion")).rule
    # ConditionRule(categories=["hiv"])
    read("active hepatitis b or c", Context("exclusion")).rule
    # ConditionRule(categories=["hepatitis_b", "hepatitis_c"],
    #               statuses=["active", "recurrence", "relapse"])
    read("infection with hiv or hepatitis b or c", Context("exclusion")).rule
    # any: [condition [hiv],
    #       condition [hepatitis_b, hepatitis_c] statuses [active, recurrence, relapse],
    #       all: [condition [hepatitis_b, hepatitis_c], judgement "... a current infection?"]]
    read("no known active hepatitis b or c", Context("inclusion")).rule
    # not: condition [hepatitis_b, hepatitis_c] statuses [active, recurrence, relapse]

No record of the diagnosis counts as none (the condition operator's default, stated in
the verdict): what "known" means. Test results are not read ("negative HIV test",
"seronegative for hepatitis B antigen" stay text), and a qualifier other than "active"
or "history of" ("chronic", "untreated", "uncontrolled") leaves the text to a person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import cast

from app.eligibility.language import AllOf, AnyOf, ConditionRule, JudgementRule, Not, Rule
from app.facts.model import ConditionCategory, ConditionStatus
from app.registry.suggest.phrases import EDGE_BEFORE, alternation, canonical, find_name
from app.registry.suggest.reading import Context, Reading
from app.vocabulary import conditions, files

FILE = "suggestion_infection_words"
_CATEGORIES: tuple[ConditionCategory, ...] = ("hiv", "hepatitis_b", "hepatitis_c")
_NOT_ACTIVE = "Is the recorded hepatitis B or C a current infection? It is not recorded active."
_END = r"(?![a-z0-9])"  # a name may be followed by "-positive"


@dataclass(frozen=True)
class _Words:
    names: dict[str, tuple[ConditionCategory, ...]]
    abbreviations: dict[str, ConditionCategory]
    prefixes: dict[str, str]  # phrase -> "negation" | "history" | "active" | "lead"
    active_statuses: tuple[ConditionStatus, ...]
    core: re.Pattern[str]
    item: re.Pattern[str]
    prefix: re.Pattern[str]


@cache
def _words() -> _Words:
    document = files.load(FILE)
    names: dict[str, tuple[ConditionCategory, ...]] = {}
    for category, extra in files.section(document, "viruses").items():
        if category not in _CATEGORIES:
            raise files.VocabularyError(f"{FILE}: {category!r} is not hiv or hepatitis B/C")
        for word in [*conditions.category(category).words, *extra]:
            names[" ".join(str(word).lower().split())] = (category,)
    for pair in files.section(document, "pairs"):
        for word in pair["words"]:
            names[" ".join(word.lower().split())] = tuple(pair["categories"])
    abbreviations: dict[str, ConditionCategory] = {
        str(a): cast(ConditionCategory, category)
        for category, words in files.section(document, "abbreviations").items()
        for a in words
    }
    prefixes: dict[str, str] = {}
    for kind, key in (("negation", "negations"), ("history", "history_words"),
                      ("active", "active"), ("lead", "leads")):  # fmt: skip
        for word in files.section(document, key):
            prefixes[" ".join(str(word).lower().split())] = kind
    name = alternation(names, edges=False)
    item = rf"{EDGE_BEFORE}{name}{_END}(?:\s*\((?:{alternation(abbreviations, edges=False)})\))?"
    joined = r"(?:\s*,\s*(?:or\s+|and\s+|and/or\s+)?|\s+(?:or|and|and/or)\s+)"
    prefix = alternation(prefixes)
    tail = alternation(files.section(document, "tails"), edges=False)
    core = (
        rf"(?P<prefix>(?:{prefix}\s+)*)(?P<list>{item}(?:{joined}{item})*)"
        rf"(?:\s*(?P<tail>{tail}){_END})?"
    )
    return _Words(
        names=names,
        abbreviations=abbreviations,
        prefixes=prefixes,
        active_statuses=tuple(files.section(document, "active_statuses")),
        core=re.compile(EDGE_BEFORE + core),
        item=re.compile(item),
        prefix=re.compile(prefix),
    )


def _categories(listed: str) -> list[ConditionCategory] | None:
    """The categories a list of names holds; None when an abbreviation names another."""
    words = _words()
    found: list[ConditionCategory] = []
    for item in words.item.finditer(listed):
        text = item.group()
        named, _, abbreviation = text.partition("(")
        categories = _lookup(named.strip())
        if categories is None:
            return None
        if abbreviation:
            said = words.abbreviations.get(abbreviation.rstrip(")").strip())
            if categories != (said,):
                return None
        found += [c for c in categories if c not in found]
    return found


def _lookup(name: str) -> tuple[ConditionCategory, ...] | None:
    words = _words()
    found = words.names.get(canonical(name))
    if found is not None:
        return found
    key = find_name(name, {k: k for k in words.names})
    return words.names[key] if key is not None else None


def _rule(categories: list[ConditionCategory], kind: str | None) -> Rule:
    active = list(_words().active_statuses)
    if kind == "active":
        return ConditionRule(op="condition", categories=categories, statuses=active)
    if kind == "history":
        return ConditionRule(op="condition", categories=categories)
    hiv = [c for c in categories if c == "hiv"]
    hepatitis = [c for c in categories if c != "hiv"]
    parts: list[Rule] = []
    if hiv:
        parts.append(ConditionRule(op="condition", categories=hiv))
    if hepatitis:
        parts.append(ConditionRule(op="condition", categories=hepatitis, statuses=active))
        parts.append(
            AllOf(
                op="all",
                of=[
                    ConditionRule(op="condition", categories=hepatitis),
                    JudgementRule(op="judgement", question=_NOT_ACTIVE),
                ],
            )
        )
    return parts[0] if len(parts) == 1 else AnyOf(op="any", of=parts)


def read(text: str, context: Context) -> Reading | None:
    words = _words()
    found = list(words.core.finditer(text))
    if len(found) != 1:
        return None
    match = found[0]
    kinds = [
        words.prefixes[" ".join(p.group().split())]
        for p in words.prefix.finditer(match.group("prefix"))
    ]
    negated = "negation" in kinds
    if negated and kinds.index("negation") != 0:
        return None
    if negated != (context.criterion_type == "inclusion"):
        return None  # an exclusion names what excludes; an inclusion, negated, its absence
    qualifiers = {k for k in kinds if k in ("active", "history")}
    if len(qualifiers) > 1:
        return None  # "history of ... active ...": which applies to which is not said
    categories = _categories(match.group("list"))
    if not categories:
        return None
    kind = qualifiers.pop() if qualifiers else None
    rule = _rule(categories, kind)
    if negated:
        rule = Not(op="not", rule=rule)
    named = " or ".join(conditions.category(c).label for c in categories)
    how = {"active": "recorded active", "history": "any recorded diagnosis"}.get(kind or "")
    if how is None:
        how = "; ".join(
            part
            for part, named_here in (
                ("HIV whatever its status", "hiv" in categories),
                (
                    "hepatitis recorded active, or else for a person",
                    len(categories) > categories.count("hiv"),
                ),
            )
            if named_here
        )
    note = f"Read as {'no ' if negated else ''}{named} ({how}); no record counts as none."
    return Reading(rule, [match.span()], note=note)
