"""Stage in a named staging context, and distant metastasis (brain, CNS, leptomeningeal).

Example::

    read("clinical stage ct2 or higher", Context("inclusion")).rule
    # StageRule(context="clinical", category="T", one_of=["T2", "T3", "T4"])
    read("clinical staged t3/4 or any node-positive disease", Context("inclusion")).rule
    # any: [stage clinical T [T3, T4], stage clinical N [N1, N2, N3]]
    read("known brain metastases", Context("exclusion")).rule
    # MetastasisRule(sites=["brain"])
    read("untreated or symptomatic cns metastases", Context("exclusion")).rule
    # all: [<CNS metastasis>, judgement "Are the metastases untreated or symptomatic?"]
    read("no evidence of metastatic disease", Context("inclusion")).rule
    # not: metastasis

Stages are read only with a context (words or a c / p / yp prefix); "stage IV" alone is
left as text. Qualifiers the record cannot show (untreated, symptomatic, active) make a
judgement part, so the rule excludes nobody without a person: a patient with treated,
stable brain metastases, whom such protocols admit, is asked about, never failed.
The vocabulary's metastasis sites have no spinal cord or meninges: a CNS metastasis is
the brain, or a person's reading of one recorded at an "other" site; leptomeningeal
disease is always a person's reading of a brain or "other" metastasis.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import cast

from app.eligibility.language import (
    AllOf,
    AnyOf,
    JudgementRule,
    MetastasisRule,
    Not,
    Rule,
    StageRule,
)
from app.facts.model import MetastasisSite, StageCategory, StagingContext
from app.registry.suggest.phrases import EDGE_BEFORE, alternation, lookup
from app.registry.suggest.reading import Context, Reading
from app.vocabulary import files

FILE = "suggestion_stage_words"


# --- stage ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _StageWords:
    contexts: dict[str, str]
    context_any: re.Pattern[str]
    tokens: re.Pattern[str]
    prefixes: dict[str, StagingContext]
    orders: dict[str, tuple[str, ...]]
    upward: frozenset[str]
    downward: frozenset[str]
    node_positive: frozenset[str]


@cache
def _stage_words() -> _StageWords:
    document = files.load(FILE)
    contexts = lookup(files.section(document, "contexts"))
    upward = [" ".join(w.split()) for w in files.section(document, "upward")]
    downward = [" ".join(w.split()) for w in files.section(document, "downward")]
    node_positive = [" ".join(w.split()) for w in files.section(document, "node_positive")]
    phrases = alternation([*upward, *downward, *node_positive], edges=False)
    return _StageWords(
        contexts=contexts,
        context_any=re.compile(alternation(contexts)),
        # A phrase of the data file, a word or value, or a sign between values.
        tokens=re.compile(rf"{EDGE_BEFORE}{phrases}(?![a-z0-9])|[a-z0-9+]+|[/,~-]"),
        prefixes=dict(files.section(document, "prefixes")),
        orders={
            k: tuple(str(v) for v in vs) for k, vs in files.section(document, "orders").items()
        },
        upward=frozenset(upward),
        downward=frozenset(downward),
        node_positive=frozenset(node_positive),
    )


_TNM = re.compile(r"^(yp|c|p)?([tnm])(is|[0-4][a-d]?)$")
_GROUP = re.compile(r"^(0|iv|i{1,3})([a-c])?$")
_PREFIXED = re.compile(r"(?<![a-z0-9])(?:yp|c|p)[tnm](?:is|[0-4])")
_BARE = re.compile(r"^[0-4][a-d]?$")  # the "4" of "t3/4"
_SEPARATORS = frozenset({"/", ",", "-", "~", "to", "or"})
_RANGE = frozenset({"-", "~", "to"})
_JOINERS = _SEPARATORS | {"and"}


@dataclass
class _Clause:
    category: str
    values: list[str]
    context: StagingContext | None
    ranged: bool = False


def _value(word: str, previous: _Clause | None) -> tuple[str, str, StagingContext | None] | None:
    """(category, value, context its prefix names) of one word, or None. A bare digit
    continues the category before it ("t3/4")."""
    match = _TNM.match(word)
    if match:
        prefix, category, rest = match.groups()
        context = _stage_words().prefixes.get(prefix) if prefix else None
        return category.upper(), category.upper() + rest, context
    match = _GROUP.match(word)
    if match:
        return "group", word.upper(), None
    if _BARE.match(word) and previous is not None and previous.category != "group":
        return previous.category, previous.category + word, previous.context
    return None


def _expand(clause: _Clause, direction: str | None) -> list[str] | None:
    """The clause's values, its range or its "or higher" spelled out; None if it has none."""
    order = _stage_words().orders[clause.category]
    values = clause.values
    if clause.ranged:
        low, high = values
        if low not in order or high not in order or order.index(low) >= order.index(high):
            return None
        values = list(order[order.index(low) : order.index(high) + 1])
    if direction is None:
        return values
    if len(values) != 1 or values[0] not in order:
        return None  # "T1b or higher": the neighbours of a subdivision are not in the order
    at = order.index(values[0])
    return list(order[at:] if direction == "up" else order[: at + 1])


def _clauses(text: str, start: int) -> tuple[list[_Clause], set[str], int] | None:
    """The stage values from ``start`` on, grouped by category, with the words joining
    the groups and where the reading ends (at the first word that is no stage)."""
    words = _stage_words()
    clauses: list[_Clause] = []
    joiners: set[str] = set()
    pending: str | None = None
    end = start
    for match in words.tokens.finditer(text, start):
        word = " ".join(match.group().split())
        last = clauses[-1] if clauses else None
        if word in words.node_positive:
            if last is not None:
                joiners.add(pending or "and")
            clauses.append(_Clause("N", list(words.orders["N"][1:]), None))
            pending = None
        elif word in _JOINERS:
            if pending is not None or last is None:
                return None
            pending = word
        elif word in words.upward or word in words.downward:
            if last is None or pending is not None:
                return None
            expanded = _expand(last, "up" if word in words.upward else "down")
            if expanded is None:
                return None
            last.values, last.ranged = expanded, False
        else:
            found = _value(word, last if pending in _SEPARATORS else None)
            if found is None:
                break
            category, value, prefix = found
            if last is not None and pending in _SEPARATORS and last.category == category:
                if pending in _RANGE:
                    if last.ranged or len(last.values) != 1:
                        return None
                    last.ranged = True
                last.values.append(value)
                if prefix is not None and last.context not in (None, prefix):
                    return None
                last.context = last.context or prefix
            else:
                if last is not None and last.category == category:
                    return None  # "t3 and t4", "t3 t4": not one stage, nor a list of them
                if last is not None:
                    joiners.add(pending or "and")
                clauses.append(_Clause(category, [value], prefix))
            pending = None
        end = match.end()
    if pending is not None:
        return None  # "t3 or": the sign joins the value to a word that is no stage
    return clauses, joiners, end


def _stage(text: str) -> Reading | None:
    words = _stage_words()
    named = list(words.context_any.finditer(text))
    if len(named) > 1:
        return None
    context: StagingContext | None = None
    if named:
        context = cast(StagingContext, words.contexts[" ".join(named[0].group().split())])
        first, start = named[0].start(), named[0].end()
    else:
        prefixed = _PREFIXED.search(text)
        if prefixed is None:
            return None
        first = start = prefixed.start()
    parsed = _clauses(text, start)
    if parsed is None:
        return None
    clauses, joiners, end = parsed
    if not clauses or len(joiners) > 1 or not joiners <= {"or", "and"}:
        return None  # "t3, n1": whether all or any is meant is not said
    rules: list[Rule] = []
    for clause in clauses:
        values = _expand(clause, None)
        where = clause.context or context
        if values is None or where is None or clause.context not in (None, where):
            return None
        if context is not None and where != context:
            return None
        rules.append(
            StageRule(
                op="stage",
                context=where,
                category=cast(StageCategory, clause.category),
                one_of=list(dict.fromkeys(values)),
            )
        )
    joiner = joiners.pop() if joiners else "and"
    rule: Rule = rules[0]
    if len(rules) > 1:
        rule = AnyOf(op="any", of=rules) if joiner == "or" else AllOf(op="all", of=rules)
    return Reading(rule, [(first, end)], note=f"Read as {_stage_note(rules, joiner)}.")


def _stage_note(rules: list[Rule], joiner: str) -> str:
    parts = [
        f"{r.context} {'stage group' if r.category == 'group' else r.category} "
        + " or ".join(r.one_of)
        for r in rules
        if isinstance(r, StageRule)
    ]
    return f" {joiner} ".join(parts)


# --- metastasis -------------------------------------------------------------------------

_CNS_ELSEWHERE = (
    "Is the metastasis recorded at another site in the central nervous system (spinal "
    "cord, meninges)?"
)
_LEPTOMENINGEAL = "Is the brain or other metastasis leptomeningeal disease?"
_KIND_WORDS = {
    "any": "distant metastasis",
    "brain": "brain metastasis",
    "cns": "CNS metastasis (brain; another CNS site for a person)",
    "leptomeningeal": "leptomeningeal disease (for a person, from a brain or other metastasis)",
}


@dataclass(frozen=True)
class _MetastasisWords:
    terms: dict[str, str]
    core: re.Pattern[str]
    qualifiers: dict[str, str]
    term: re.Pattern[str]
    qualifier: re.Pattern[str]


@cache
def _metastasis_words() -> _MetastasisWords:
    section = files.section(files.load(FILE), "metastasis")
    terms = lookup(section["terms"])
    qualifiers = lookup({q: [q] for q in section["qualifiers"]})
    term = alternation(terms)
    qualifier = alternation(qualifiers)
    joined = r"(?:\s*,\s*(?:or\s+|and/or\s+)?|\s+(?:or|and/or)\s+)"
    core = (
        rf"(?:(?P<negation>{alternation(section['negations'])})\s+)?"
        rf"(?:(?P<lead>{alternation(section['leads'])})\s+)?"
        rf"(?:(?P<qualifiers>{qualifier}(?:{joined}{qualifier})*)\s+)?"
        rf"(?P<terms>{term}(?:{joined}(?:(?:{alternation(section['leads'])})\s+)?{term})*)"
        rf"(?:\s+(?P<tail>{alternation(section['exclusion_tails'])}))?"
    )
    return _MetastasisWords(
        terms, re.compile(core), qualifiers, re.compile(term), re.compile(qualifier)
    )


def _sites(*names: MetastasisSite) -> MetastasisRule:
    return MetastasisRule(op="metastasis", sites=list(names))


def _term_rule(kind: str) -> Rule:
    if kind == "any":
        return MetastasisRule(op="metastasis")
    if kind == "brain":
        return _sites("brain")
    if kind == "cns":
        elsewhere = AllOf(
            op="all", of=[_sites("other"), JudgementRule(op="judgement", question=_CNS_ELSEWHERE)]
        )
        return AnyOf(op="any", of=[_sites("brain"), elsewhere])
    return AllOf(
        op="all",
        of=[_sites("brain", "other"), JudgementRule(op="judgement", question=_LEPTOMENINGEAL)],
    )


def _metastasis(text: str, context: Context) -> Reading | None:
    words = _metastasis_words()
    found = list(words.core.finditer(text))
    if len(found) != 1:
        return None
    match = found[0]
    negated = match.group("negation") is not None
    excluding = context.criterion_type == "exclusion"
    # An exclusion names what excludes ("no brain metastases" as one is not read); an
    # inclusion asks for it or, negated, for its absence.
    if (negated and excluding) or (match.group("tail") and not excluding):
        return None
    kinds: list[str] = []
    for term in words.term.finditer(match.group("terms")):
        kind = words.terms[" ".join(term.group().split())]
        if kind not in kinds:
            kinds.append(kind)
    parts = [_term_rule(kind) for kind in kinds]
    qualifiers = match.group("qualifiers")
    if qualifiers:
        named = [
            words.qualifiers[" ".join(q.group().split())]
            for q in words.qualifier.finditer(qualifiers)
        ]
        question = "Are the metastases " + " or ".join(named) + "?"
        parts = [
            AllOf(op="all", of=[part, JudgementRule(op="judgement", question=question)])
            for part in parts
        ]
    rule: Rule = parts[0] if len(parts) == 1 else AnyOf(op="any", of=parts)
    if negated:
        rule = Not(op="not", rule=rule)
    named_kinds = " or ".join(_KIND_WORDS[kind] for kind in kinds)
    note = ("Read as no " if negated else "Read as ") + named_kinds
    if qualifiers:
        note += ", with a question for what the record cannot show (" + qualifiers + ")"
    return Reading(rule, [match.span()], note=note + ".")


def read(text: str, context: Context) -> Reading | None:
    return _stage(text) or _metastasis(text, context)
