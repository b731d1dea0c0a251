"""Pregnancy and breastfeeding: "Pregnant or breastfeeding women", "Not pregnant or nursing",
"Negative pregnancy test within 7 days (for women of childbearing potential)".

Example::

    read("pregnant or lactating women", Context("exclusion")).rule
    # -> any[pregnant, lactating]: excluded when true (false for a male patient)
    read("not pregnant or nursing", Context("inclusion")).rule
    # -> not any[pregnant, lactating]
    read("negative pregnancy test within 14 days prior to registration", Context("inclusion"))
    # -> any[sex male, all[not pregnant (within 14 days), judgement]]

Exclusions name the states; inclusions negate them ("not pregnant or nursing": neither).
"pregnant and lactating women" is both groups (``any``); "who are pregnant and
breastfeeding" (both at once?) is left as text. A state in the past ("had a pregnancy")
is left as text.

The negative-test inclusion is for women of childbearing potential, which no FHIR record
states reliably: a postmenopausal woman needs no test. So the rule fails only a woman
recorded pregnant within the window (she cannot have the negative test), passes a male
patient, and otherwise asks a person (the judgement part), never passing a woman on a
"not pregnant" status alone (a status is not the test the protocol asks for).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from app.eligibility.language import (
    AllOf,
    AnyOf,
    JudgementRule,
    LactatingRule,
    Not,
    PregnantRule,
    Rule,
    SexRule,
)
from app.registry.suggest import comparing, wording
from app.registry.suggest.reading import Context, Reading
from app.vocabulary import files

FILE = "suggestion_reproductive"


def _phrases(words: list[str]) -> str:
    ordered = sorted(words, key=len, reverse=True)
    return "(?:" + "|".join(r"\s+".join(map(re.escape, w.split())) for w in ordered) + ")"


@dataclass(frozen=True)
class _Words:
    state: dict[str, str]  # a state word -> "pregnant" | "lactating"
    state_pattern: str
    subject: str
    childbearing: str
    sample: str
    past: frozenset[str]


@cache
def _words() -> _Words:
    document = files.load(FILE)
    states = files.section(document, "states")
    by_word = {" ".join(w.split()): kind for kind, words in states.items() for w in words}
    child = files.section(document, "childbearing")
    childbearing = rf"{_phrases(child['nouns'])}\s+(?:of|with)\s+{_phrases(child['potential'])}"
    return _Words(
        state=by_word,
        state_pattern=rf"(?<![a-z-]){_phrases(list(by_word))}(?![a-z-])",
        subject=rf"(?<![a-z-]){_phrases(files.section(document, 'subjects'))}(?![a-z-])",
        childbearing=childbearing,
        sample=_phrases(files.section(document, "samples")),
        past=frozenset(files.section(document, "past")),
    )


@cache
def _patterns() -> dict[str, re.Pattern[str]]:
    w = _words()
    state, subject = rf"(?:currently\s+)?{w.state_pattern}", w.subject
    states = rf"{state}(?:\s*,\s*{state})*(?:\s*,?\s*or\s+{state})?"
    test = (
        rf"(?:{w.sample}(?:\s+or\s+{w.sample})?\s+)?pregnancy\s+test"
        rf"(?:\s*\(\s*{w.sample}(?:\s+or\s+{w.sample})?\s*\))?(?:\s+(?:done|performed))?"
    )
    window = rf"(?:\s+{comparing.window().pattern})?"
    only = rf"(?:\s*,?\s*\(?\s*(?:for|in)\s+{w.childbearing}(?:\s+only)?\s*\)?)?"
    lead = rf"(?:(?:for\s+)?{w.childbearing}\s*[:,]?\s+(?:must\s+have\s+)?(?:a\s+)?)?"
    event = rf"(?:\s+(?:prior\s+to|before)\s+(?:the\s+)?{comparing.event()})?"
    return {
        # exclusions: the states
        "states": re.compile(rf"{states}(?:\s+{subject})?"),
        "both_groups": re.compile(rf"{state}\s+and\s+{state}\s+{subject}"),
        "who_are": re.compile(rf"{subject}\s+(?:who|that)\s+(?:are|is)\s+{states}"),
        "subject_or": re.compile(rf"{state}\s+{subject}\s*,?\s+or\s+{state}"),
        "positive_test": re.compile(rf"positive\s+{test}{event}"),
        # inclusions: the states negated, or a negative test
        "not_states": re.compile(
            rf"(?:{subject}\s+(?:must|should|is|are)\s+)?not\s+(?:be\s+)?{states}(?:\s+{subject})?"
        ),
        "negative_test": re.compile(rf"{lead}negative\s+{test}{window}{only}"),
        "test_negative": re.compile(rf"{lead}{test}{window}\s+must\s+be\s+negative{only}"),
    }


_EXCLUSION = ("who_are", "subject_or", "both_groups", "states", "positive_test")
_INCLUSION = ("not_states", "negative_test", "test_negative")


def read(text: str, context: Context) -> Reading | None:
    if not any(w in text for w in ("pregnan", "lactat", "breast", "nursing")):
        return None
    kinds = _EXCLUSION if context.criterion_type == "exclusion" else _INCLUSION
    for kind in kinds:
        for m in _patterns()[kind].finditer(text):
            spans = [m.span()]
            leftover = wording.leftover(text, spans)
            if not wording.only_filler(leftover):
                continue  # another form may read more of the text
            if _words().past & set(leftover) or comparing.loose_alternative(text, spans):
                return None
            rule = _rule(kind, m)
            if rule is None:
                return None
            return Reading(rule, spans, note=_note(kind, rule))
    return None


def _states(found: str) -> Rule:
    kinds = []
    for m in re.finditer(_words().state_pattern, found):
        kind = _words().state[" ".join(m.group().split())]
        if kind not in kinds:
            kinds.append(kind)
    rules: list[Rule] = [
        PregnantRule(op="pregnant") if k == "pregnant" else LactatingRule(op="lactating")
        for k in kinds
    ]
    return rules[0] if len(rules) == 1 else AnyOf(op="any", of=rules)


def _rule(kind: str, m: re.Match[str]) -> Rule | None:
    if kind in ("negative_test", "test_negative"):
        days = comparing.days_of(m) if m["days"] else None
        within = f" within {days} days" if days is not None else ""
        question = (
            f"Is a negative pregnancy test on record{within}, or is the patient not of "
            "childbearing potential?"
        )
        return AnyOf(
            op="any",
            of=[
                SexRule(op="sex", one_of=["male"]),
                AllOf(
                    op="all",
                    of=[
                        Not(op="not", rule=PregnantRule(op="pregnant", within_days=days)),
                        JudgementRule(op="judgement", question=question),
                    ],
                ),
            ],
        )
    if kind == "positive_test":
        return PregnantRule(op="pregnant")
    states = _states(m.group())
    return Not(op="not", rule=states) if kind == "not_states" else states


def _note(kind: str, rule: Rule) -> str:
    if kind in ("negative_test", "test_negative"):
        return (
            "Read as: a male patient passes; a woman recorded pregnant fails; any other "
            "woman goes to a person (childbearing potential and the test are not in the "
            "record's codes)."
        )
    if kind == "positive_test":
        return "Read as a recorded pregnancy (a positive test means pregnant)."
    negated = isinstance(rule, Not)
    inner = rule.rule if isinstance(rule, Not) else rule
    named = (
        " or ".join(r.op for r in inner.of) if isinstance(inner, AnyOf) else str(inner.op)
    ).replace("lactating", "breastfeeding")
    return f"Read as {'not ' if negated else ''}{named} (false for a male patient)."
