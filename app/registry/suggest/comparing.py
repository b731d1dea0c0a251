"""Numeric limits and time windows as registry text writes them, for the measure families.

Example::

    match = limit().match("at least 1,500/mm3")
    bound_of(match["cmp"])          # -> "gte"
    number(match["number"])         # -> 1500.0
    postfix_bound("or more")        # -> "gte"
    window_days("within 7 days prior to registration")  # -> 7
    window_days("within 7 days of surgery")  # -> None: not a window the reader holds

The phrases are data (app/vocabulary/data/suggestion_comparators.yaml); this module only
builds the regular expressions, longest phrase first, so "no greater than" is never read
as "greater than". Numbers are written with thousands commas ("100,000") or a decimal
point; a decimal comma ("1,5") is not a number here, so such a text stays text.
"""

from __future__ import annotations

import re
from functools import cache

from app.registry.suggest import wording
from app.vocabulary import files

FILE = "suggestion_comparators"

BoundKey = str  # "gte" | "gt" | "lte" | "lt": the field of `app.eligibility.language.Bounds`

NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_DAYS = r"(?P<days>\d{1,3})\s+(?P<unit>days?|weeks?)"


def _alternation(phrases: list[str]) -> str:
    """A regex alternation of whole phrases, longest first; words keep word boundaries."""
    parts = []
    for phrase in sorted(phrases, key=len, reverse=True):
        body = r"\s+".join(re.escape(word) for word in phrase.split())
        if phrase[0].isalpha():
            body = r"(?<![a-z0-9])" + body
        if phrase[-1].isalpha():
            body += r"(?![a-z0-9])"
        parts.append(body)
    return "(?:" + "|".join(parts) + ")"


@cache
def _words() -> tuple[dict[str, BoundKey], dict[str, BoundKey], tuple[str, ...]]:
    document = files.load(FILE)
    prefix = {
        " ".join(phrase.split()): key
        for key, phrases in files.section(document, "prefix").items()
        for phrase in phrases
    }
    postfix = {
        " ".join(phrase.split()): key
        for key, phrases in files.section(document, "postfix").items()
        for phrase in phrases
    }
    return prefix, postfix, tuple(files.section(document, "events"))


def comparator() -> str:
    """A regex for one prefix comparator ("at least", ">=")."""
    return _alternation(list(_words()[0]))


def postfix() -> str:
    """A regex for one postfix comparator ("or more")."""
    return _alternation(list(_words()[1]))


def bound_of(phrase: str) -> BoundKey:
    return _words()[0][" ".join(phrase.split())]


def postfix_bound(phrase: str) -> BoundKey:
    return _words()[1][" ".join(phrase.split())]


@cache
def limit() -> re.Pattern[str]:
    """A comparator then a number: groups ``cmp`` and ``number``."""
    return re.compile(rf"(?P<cmp>{comparator()})\s*(?P<number>{NUMBER})")


def number(text: str) -> float:
    return float(text.replace(",", ""))


def event() -> str:
    """A regex for what a window counts back from ("registration", "the first dose")."""
    return _alternation(list(_words()[2]))


@cache
def window() -> re.Pattern[str]:
    """ "within 7 days prior to registration", "<= 14 days before randomization", "within
    2 weeks": groups ``days`` and ``unit``. No other event word is read: "within 7 days of
    surgery" is not a window here."""
    before = rf"(?:\s+(?:prior\s+to|before)\s+(?:the\s+)?{event()})"
    return re.compile(rf"(?:within|in\s+the\s+(?:last|past)|<=)\s*{_DAYS}{before}?")


def window_days(text: str) -> int | None:
    """The days of a window phrase that is the whole of ``text``, else None."""
    match = window().fullmatch(text)
    return None if match is None else days_of(match)


def days_of(match: re.Match[str]) -> int:
    days = int(match["days"])
    return days * 7 if match["unit"].startswith("week") else days


def loose_alternative(text: str, spans: list[tuple[int, int]]) -> bool:
    """An "or" (or "and/or") left outside the spans: the criterion is one alternative of
    something the reader did not read ("Creatinine <= 1.5 x ULN or", the rest in the next
    criterion), so reading the spans alone could fail a patient the other side admits."""
    return bool({"or", "and/or"} & set(wording.leftover(text, spans)))
