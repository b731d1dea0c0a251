"""Age limits in years: "Age >= 18 years", "aged 18-75", "18 years of age or older".

Example::

    read("age >= 18 years", Context("inclusion")).rule   # AgeRule(op="age", gte=18)
    read("aged 18 to 75 years", Context("inclusion")).rule  # AgeRule(gte=18, lte=75)
    read("age < 18 years", Context("exclusion")).rule    # AgeRule(lt=18): excluded when true

Only ages in years are read ("6 months" is left as text). A range "18-75" is inclusive at
both ends, as protocols mean it. A text that names anything besides the age (a sex, a
condition) is left to the other words' check in `app.registry.suggest`.
"""

from __future__ import annotations

import re

from app.eligibility.language import AgeRule
from app.registry.suggest.reading import Context, Reading

_NUMBER = r"(\d{1,3})"
_YEARS = r"(?:\s*years?(?:\s+of\s+age|\s+old)?)"
_LEAD = r"(?:(?:aged?|age)\s*(?:of\s+)?(?:is\s+)?)"

# (pattern, bound builder) pairs: each pattern reads the whole age phrase.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            rf"{_LEAD}?(?:between\s+)?{_NUMBER}{_YEARS}?\s*(?:-|to|and)\s*{_NUMBER}{_YEARS}"
            r"(?:\s+inclusive)?"
        ),
        "range",
    ),
    (re.compile(rf"{_LEAD}{_NUMBER}\s*-\s*{_NUMBER}{_YEARS}?(?:\s+inclusive)?"), "range"),
    (re.compile(rf"{_LEAD}?(>=|>|<=|<)\s*{_NUMBER}{_YEARS}?"), "compare"),
    (re.compile(rf"{_LEAD}?(?:at\s+least\s+){_NUMBER}{_YEARS}"), "at_least"),
    (
        re.compile(rf"{_LEAD}?{_NUMBER}{_YEARS}\s+or\s+(older|over|above|more|greater|younger)"),
        "or_more",
    ),
    (re.compile(rf"{_LEAD}?(?:over|older\s+than)\s+{_NUMBER}{_YEARS}"), "over"),
    (re.compile(rf"{_LEAD}?(?:under|younger\s+than)\s+{_NUMBER}{_YEARS}"), "under"),
)
_COMPARE = {">=": "gte", ">": "gt", "<=": "lte", "<": "lt"}


def _rule(kind: str, match: re.Match[str]) -> AgeRule | None:
    groups = match.groups()
    if kind == "range":
        low, high = int(groups[0]), int(groups[1])
        return AgeRule(op="age", gte=low, lte=high) if low < high else None
    if kind == "compare":
        return AgeRule.model_validate({"op": "age", _COMPARE[groups[0]]: int(groups[1])})
    if kind == "at_least":
        return AgeRule(op="age", gte=int(groups[0]))
    if kind == "or_more":
        years, word = int(groups[0]), groups[1]
        return AgeRule(op="age", lte=years) if word == "younger" else AgeRule(op="age", gte=years)
    if kind == "over":
        return AgeRule(op="age", gt=int(groups[0]))
    return AgeRule(op="age", lt=int(groups[0]))


def read(text: str, context: Context) -> Reading | None:
    if "age" not in text and "year" not in text:
        return None  # a bare ">= 18" is not an age
    for pattern, kind in _PATTERNS:
        match = pattern.search(text)
        if match is None:
            continue
        rule = _rule(kind, match)
        if rule is None:
            return None
        return Reading(rule, [match.span()], note=f"Read as age {_words(rule)} years.")
    return None


def _words(rule: AgeRule) -> str:
    parts = [
        f"{sign} {value:g}"
        for sign, value in ((">=", rule.gte), (">", rule.gt), ("<=", rule.lte), ("<", rule.lt))
        if value is not None
    ]
    return " and ".join(parts)
