"""Performance status: ECOG (also written WHO or Zubrod) and Karnofsky limits.

Example::

    read("ecog performance status 0-1", Context("inclusion")).rule
    # -> PerformanceRule(scale="ecog", lte=1)
    read("karnofsky performance status < 80", Context("exclusion")).rule
    # -> PerformanceRule(scale="karnofsky", lt=80): excluded when true
    read("ecog 0-1 or kps >= 70", Context("inclusion")).rule
    # -> any[ecog <= 1, karnofsky >= 70]
    read("ecog performance status <= 2 (karnofsky >= 60%)", Context("inclusion")).rule
    # -> any[ecog <= 2, karnofsky >= 60]: the second scale restates the first

Values are read as ranges ("0-1", "0 to 1"), lists of consecutive values ("0, 1, or 2"),
comparisons ("<= 1", "2 or more") or one value ("ECOG 0"); a list with a gap ("0 or 2") or
a value off the scale is left as text. "or" between two scales is an ``any``, as the
words say, for inclusion and exclusion alike. A parenthesis restating the limit on the
other scale is an ``any`` for an inclusion (either scale admits); for an exclusion it is
left to a person (either or both would exclude). "within 7 days prior to allocation"
becomes ``within_days``; otherwise the operator's freshness rule applies (28 days).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import cache

from app.eligibility.language import AnyOf, PerformanceRule, Rule
from app.facts.model import PerformanceScale
from app.registry.suggest import comparing
from app.registry.suggest.reading import Context, Reading
from app.vocabulary import files

FILE = "suggestion_performance"
_WIDE = str.maketrans("\uff08\uff09\uff1a", "():")  # full-width ( ) : as in CJK texts
_WORD_START = re.compile(r"(?<![a-z0-9])[a-z0-9]")


@dataclass(frozen=True)
class _Limits:
    low: int
    high: int
    step: int


@dataclass(frozen=True)
class _Words:
    scales: dict[PerformanceScale, re.Pattern[str]]  # name, then status words and brackets
    needs_status: dict[str, re.Pattern[str]]  # a name that is a scale only before these
    value_words: str
    prefix: str
    limits: dict[PerformanceScale, _Limits]


def _phrases(words: list[str]) -> str:
    return "(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + ")"


@cache
def _words() -> _Words:
    document = files.load(FILE)
    status = _phrases(files.section(document, "status_words"))
    names = files.section(document, "scales")
    scales: dict[PerformanceScale, re.Pattern[str]] = {}
    for scale in ("ecog", "karnofsky"):
        name = _phrases(names[scale])
        item = rf"(?:{name}|{status})(?![a-z])"
        decor = rf"\s*\(\s*{item}(?:\s*{item})*\s*\)"
        scales[scale] = re.compile(
            rf"(?<![a-z0-9])(?P<name>{name})(?![a-z])(?P<rest>(?:{decor}|\s*{status}(?![a-z]))*)"
        )
    limits = {
        scale: _Limits(int(v["low"]), int(v["high"]), int(v["step"]))
        for scale, v in files.section(document, "limits").items()
    }
    return _Words(
        scales=scales,
        needs_status={
            name: re.compile(rf"(?<![a-z]){_phrases(needed)}(?![a-z])")
            for name, needed in files.section(document, "needs_status_word").items()
        },
        value_words=_phrases(files.section(document, "value_words")),
        prefix=_phrases(files.section(document, "prefix_words")),
        limits=limits,
    )


_N = r"\d{1,3}"


@cache
def _values() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(kind, pattern) for a value; each pattern matched at a position, the longest wins."""
    pct = r"(?:\s*%)?"
    return (
        ("range", re.compile(rf"(?P<a>{_N}){pct}\s*(?:-|to|~)\s*(?P<b>{_N}){pct}")),
        ("range", re.compile(rf"between\s+(?P<a>{_N}){pct}\s+and\s+(?P<b>{_N}){pct}")),
        (
            "list",
            re.compile(
                rf"(?P<list>{_N}{pct}(?:\s*,\s*{_N}{pct})*\s*,?\s*(?:or|and)\s+{_N}{pct}"
                rf"|{_N}{pct}(?:\s*,\s*{_N}{pct})+)(?![0-9])"
            ),
        ),
        ("compare", re.compile(rf"(?P<cmp>{comparing.comparator()})\s*(?P<a>{_N}){pct}")),
        ("postfix", re.compile(rf"(?P<a>{_N}){pct}\s+(?P<post>{comparing.postfix()})")),
        ("exact", re.compile(rf"(?P<a>{_N}){pct}")),
    )


@dataclass(frozen=True)
class _Phrase:
    rule: PerformanceRule
    start: int
    end: int


def _bounds(scale: PerformanceScale, kind: str, m: re.Match[str]) -> dict[str, int] | None:
    limits = _words().limits[scale]
    if kind == "compare" or kind == "postfix":
        value = int(m["a"])
        key = (
            comparing.bound_of(m["cmp"])
            if kind == "compare"
            else comparing.postfix_bound(m["post"])
        )
        if not limits.low <= value <= limits.high:
            return None
        bounds = {key: value}
    else:
        if kind == "list":
            values = sorted(int(v) for v in re.findall(r"\d+", m["list"]))
            if any(b - a != limits.step for a, b in itertools.pairwise(values)):
                return None  # "0 or 2": not a range
            low, high = values[0], values[-1]
        elif kind == "range":
            low, high = int(m["a"]), int(m["b"])
            if low >= high:
                return None
        else:
            low = high = int(m["a"])
        if low < limits.low or high > limits.high or (low - limits.low) % limits.step:
            return None
        bounds = {}
        if low > limits.low:
            bounds["gte"] = low
        if high < limits.high:
            bounds["lte"] = high
    tautology = bounds in ({"gte": limits.low}, {"lte": limits.high}, {})
    return None if tautology else bounds


def _value_at(scale: PerformanceScale, text: str, pos: int) -> tuple[dict[str, int], int] | None:
    best: tuple[str, re.Match[str]] | None = None
    for kind, pattern in _values():
        m = pattern.match(text, pos)
        if m is not None and (best is None or m.end() > best[1].end()):
            best = (kind, m)
    if best is None or re.match(r"[0-9.,]", text[best[1].end() : best[1].end() + 1]):
        return None
    bounds = _bounds(scale, *best)
    return None if bounds is None else (bounds, best[1].end())


def _scale_at(text: str, pos: int) -> tuple[PerformanceScale, int] | None:
    words = _words()
    for scale, pattern in words.scales.items():
        m = pattern.match(text, pos)
        if m is None:
            continue
        needed = words.needs_status.get(m["name"])
        if needed is not None and not needed.search(m["rest"]):
            return None  # "who" alone is the pronoun
        return scale, m.end()
    return None


def _tail(text: str, end: int) -> tuple[int, int | None]:
    """Value words and a window after the value: the new end and the window's days."""
    m = re.compile(rf"(?:\s*{_words().value_words}(?![a-z]))*").match(text, end)
    end = m.end() if m else end
    w = re.compile(r"\s+").match(text, end)
    if w is not None:
        found = comparing.window().match(text, w.end())
        if found is not None:
            return found.end(), comparing.days_of(found)
    return end, None


def _phrase_at(text: str, pos: int) -> _Phrase | None:
    """One scale and its value at ``pos``: "ECOG PS 0-1", "performance status of 0 or 1 on
    the ECOG scale", "clinical performance status of ECOG 0 or 1"."""
    link = re.compile(r"\s*(?:[:=]\s*|of\s+|is\s+)?")
    prefix = re.compile(rf"{_words().prefix}\s+").match(text, pos)
    starts = [pos] if prefix is None else [prefix.end(), pos]
    for start in starts:
        scale = _scale_at(text, start)
        if scale is None:
            continue
        at = link.match(text, scale[1])
        value = _value_at(scale[0], text, at.end() if at else scale[1])
        if value is not None:
            return _made(scale[0], value[0], pos, text, value[1])
    if prefix is None:
        return None
    # "performance status of 0 or 1 on the ECOG (performance scale)"
    for scale_name in ("ecog", "karnofsky"):
        value = _value_at(scale_name, text, prefix.end())
        if value is None:
            continue
        on = re.compile(r"\s+(?:on|according\s+to|by)\s+(?:the\s+)?").match(text, value[1])
        scale = _scale_at(text, on.end()) if on else None
        if scale is not None and scale[0] == scale_name:
            return _made(scale[0], value[0], pos, text, scale[1])
    return None


def _made(
    scale: PerformanceScale, bounds: dict[str, int], start: int, text: str, end: int
) -> _Phrase:
    end, days = _tail(text, end)
    rule = PerformanceRule.model_validate(
        {"op": "performance", "scale": scale, **bounds, "within_days": days}
    )
    return _Phrase(rule, start, end)


def _combined(text: str, first: _Phrase, context: Context) -> tuple[Rule, int] | None:
    """A second scale joined by "or", or restating the first in brackets."""
    joined = re.compile(r"\s*,?\s*or\s+").match(text, first.end)
    bracket = re.compile(r"\s*\(\s*(?:or\s+)?").match(text, first.end)
    for join, is_bracket in ((joined, False), (bracket, True)):
        if join is None:
            continue
        second = _phrase_at(text, join.end())
        if second is None or second.rule.scale == first.rule.scale:
            continue
        if first.rule.within_days is not None or second.rule.within_days is not None:
            return None  # a window after the second scale: for one or for both?
        end = second.end
        if is_bracket:
            close = re.compile(r"\s*\)").match(text, end)
            if close is None or context.criterion_type == "exclusion":
                return None
            end = close.end()
        return AnyOf(op="any", of=[first.rule, second.rule]), end
    return None


def read(text: str, context: Context) -> Reading | None:
    if not any(w in text for w in ("ecog", "karnofsky", "kps", "zubrod", "who", "performance")):
        return None
    text = text.translate(_WIDE)
    for start in _WORD_START.finditer(text):
        first = _phrase_at(text, start.start())
        if first is None:
            continue
        combined = _combined(text, first, context)
        rule: Rule = first.rule if combined is None else combined[0]
        end = first.end if combined is None else combined[1]
        spans = [(first.start, end)]
        if comparing.loose_alternative(text, spans):
            return None
        return Reading(rule, spans, note=f"Read as {_described(rule)}.")
    return None


def _described(rule: Rule) -> str:
    if isinstance(rule, AnyOf):
        return " or ".join(_described(r) for r in rule.of)
    assert isinstance(rule, PerformanceRule)
    label = "ECOG" if rule.scale == "ecog" else "Karnofsky"
    parts = [
        f"{sign} {value:g}"
        for sign, value in ((">=", rule.gte), (">", rule.gt), ("<=", rule.lte), ("<", rule.lt))
        if value is not None
    ]
    window = f" within {rule.within_days} days" if rule.within_days is not None else ""
    return f"{label} {' and '.join(parts)}{window}"
