"""Lab limits: a value in a unit, or a multiple of the upper limit of normal (ULN).

Example::

    read("absolute neutrophil count >= 1,500/mm3", Context("inclusion")).rule
    # -> LabRule(analyte="neutrophils", unit="/mm3", gte=1500)
    read("ast and alt <= 2.5 x uln", Context("inclusion")).rule
    # -> all[lab_uln ast <= 2.5, lab_uln alt <= 2.5]
    read("ast/alt <= 3 x uln (or <= 5 x uln with liver metastases)", ...).rule
    # -> any[all[ast <= 3, alt <= 3], all[metastasis liver, ast <= 5, alt <= 5]]
    read("serum creatinine <= 1.5 x uln or creatinine clearance >= 50 ml/min", ...).rule
    # -> any[lab_uln creatinine <= 1.5, lab creatinine_clearance mL/min >= 50]
    read("alt > 2.5 x uln", Context("exclusion")).rule   # -> lab_uln alt > 2.5

How a limit is kept exact:

- The rule keeps the unit as written, in its UCUM code ("/mm3", "/uL", "10*9/L", "g/dL"):
  the evaluator converts each result into it (count per mm3 = per uL = 10^-3 x 10^9/L),
  so no threshold is rounded here. A unit the machinery cannot convert for the analyte
  (hemoglobin "/mm3") and a limit outside the analyte's plausible thresholds ("1.500/mm3",
  a decimal point for a thousands separator) leave the text as text.
- "<" is lt, "<=" lte, "at least" gte, "less than" lt, "no greater than" lte.
- A restatement in another unit ("90 g/L (9 g/dL)") is read only when both are the same
  limit.

Several analytes under one limit ("AST/ALT", "AST and ALT") must each meet it in an
inclusion (``all``); in an exclusion, "AST/ALT > 2.5 x ULN" excludes when either does
(``any``), and "AST and ALT > ..." (both? either?) is left as text. An inclusion may list
several limits ("platelets >= 100 x 10^9/L; hemoglobin >= 9 g/dL"): all must hold. An
exclusion is read only with one limit. The liver-metastases exception and "or" between
creatinine and its clearance are read only for an inclusion, where they widen who is
admitted. A text naming a calculation method (Cockcroft-Gault, MDRD, CKD-EPI,
"calculated") is left to a person: a result's method is not in the facts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import get_args

from app.eligibility.language import (
    AllOf,
    AnyOf,
    LabRule,
    LabUlnRule,
    MetastasisRule,
    Rule,
)
from app.facts.model import Analyte
from app.facts.units import CANONICAL_UNIT, UnitError, factor
from app.registry.suggest import comparing
from app.registry.suggest.reading import Context, Reading
from app.vocabulary import files
from app.vocabulary.files import VocabularyError

FILE = "suggestion_labs"
_WORD_START = re.compile(r"(?<![a-z0-9])[a-z0-9]")
_SAME_LIMIT = 1e-6  # relative difference below which two written limits are one


def _phrases(words: list[str] | dict[str, str], gap: str = r"\s+") -> str:
    """An alternation of the phrases, longest first, ``gap`` between their words (units
    allow none: "/ mm3" is also "/mm3")."""
    ordered = sorted(words, key=len, reverse=True)
    return "(?:" + "|".join(gap.join(map(re.escape, p.split(" "))) for p in ordered) + ")"


@dataclass(frozen=True)
class _Words:
    names: dict[Analyte, re.Pattern[str]]
    thresholds: dict[Analyte, tuple[float, float]]
    uln_multiple: tuple[float, float]
    uln_analytes: frozenset[str]
    exact_units: dict[str, frozenset[str]]
    units: dict[str, str]
    unit: re.Pattern[str]
    powers: dict[str, str]
    volumes: dict[str, str]
    exponent_unit: re.Pattern[str]
    uln: str
    name_words: str
    lead: re.Pattern[str]
    liver_metastases: str
    alternatives: tuple[frozenset[str], ...]
    method: re.Pattern[str]


def _analyte(name: str) -> Analyte:
    if name not in get_args(Analyte):
        raise VocabularyError(f"{FILE}: {name!r} is not an analyte of the fact model")
    return name  # type: ignore[return-value]  # checked against the Literal's values


@cache
def _words() -> _Words:
    document = files.load(FILE)
    names: dict[Analyte, re.Pattern[str]] = {}
    for name, spellings in files.section(document, "analytes").items():
        own = _phrases(spellings)
        # the name, then other names of the same analyte in brackets: "(ast) (sgot)",
        # "(ast/[sgot])", "(alt or sgpt)"; "serum" may stand before any of them
        item = rf"(?:serum\s+|plasma\s+)?{own}(?![a-z0-9])"
        inside = rf"(?:\s|[(\[\]/]|\bor\b|{item})*"
        names[_analyte(name)] = re.compile(
            rf"(?:serum\s+|plasma\s+)?{own}(?![a-z0-9])"
            rf"(?:\s*[(\[]{inside}[)\]])*"
        )
    exponent = files.section(document, "exponent_units")
    units = {str(k): str(v) for k, v in files.section(document, "units").items()}
    powers = {str(k): str(v) for k, v in exponent["powers"].items()}
    volumes = {str(k): str(v) for k, v in exponent["volumes"].items()}
    low, high = files.section(document, "uln_multiple")
    gap = r"\s*"
    return _Words(
        names=names,
        thresholds={
            _analyte(k): (float(v[0]), float(v[1]))
            for k, v in files.section(document, "thresholds").items()
        },
        uln_multiple=(float(low), float(high)),
        uln_analytes=frozenset(files.section(document, "uln_analytes")),
        exact_units={k: frozenset(v) for k, v in files.section(document, "exact_units").items()},
        units=units,
        unit=re.compile(rf"\s*(?P<unit>{_phrases(units, gap)})(?![a-z0-9])"),
        powers=powers,
        volumes=volumes,
        exponent_unit=re.compile(
            rf"\s*x\s*(?P<power>{_phrases(powers)})\s*(?P<volume>{_phrases(volumes, gap)})"
            r"(?![a-z0-9])"
        ),
        uln=_phrases(files.section(document, "uln")),
        name_words=_phrases(files.section(document, "name_words")),
        lead=re.compile(rf"{_phrases(files.section(document, 'leads'))}\s*:?\s+"),
        liver_metastases=_phrases(files.section(document, "liver_metastases")),
        alternatives=tuple(frozenset(g) for g in files.section(document, "alternatives")),
        method=re.compile(
            r"(?<![a-z])" + _phrases(files.section(document, "method_words")) + r"(?![a-z])"
        ),
    )


# --- one limit ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Limit:
    key: str  # gte / gt / lte / lt
    value: float
    unit: str | None  # UCUM; None: a multiple of the ULN


@cache
def _uln_limit() -> re.Pattern[str]:
    """ "1.5 x ULN", "x1.5 upper limit of normal range", "2 times the ULN", "5 ULN", "ULN",
    "1.5 x institutional upper limit of normal (ULN) for the institution"."""
    w = _words()
    uln = (
        rf"(?:the\s+)?(?:institutional\s+)?{w.uln}(?:\s*\(uln\))?"
        r"(?:\s+(?:for|of)\s+(?:the\s+)?institution(?:al)?)?(?![a-z0-9])"
    )
    number = comparing.NUMBER
    return re.compile(
        rf"(?:x\s*(?P<x_first>{number})\s*|(?P<multiple>{number})\s*(?:x|times)?\s*)?{uln}"
    )


@cache
def _limit_pattern() -> re.Pattern[str]:
    return re.compile(rf"(?P<cmp>{comparing.comparator()})\s*")


def _limit_at(text: str, pos: int) -> tuple[_Limit, int] | None:
    cmp = _limit_pattern().match(text, pos)
    if cmp is None:
        return None
    key = comparing.bound_of(cmp["cmp"])
    uln = _uln_limit().match(text, cmp.end())
    if uln is not None:
        written = uln["x_first"] or uln["multiple"]
        value = comparing.number(written) if written else 1.0
        return _Limit(key, value, None), uln.end()
    number = re.compile(comparing.NUMBER).match(text, cmp.end())
    if number is None:
        return None
    unit = _unit_at(text, number.end())
    if unit is None:
        return None
    return _Limit(key, comparing.number(number.group()), unit[0]), unit[1]


def _unit_at(text: str, pos: int) -> tuple[str, int] | None:
    w = _words()
    exponent = w.exponent_unit.match(text, pos)
    if exponent is not None:
        power = w.powers[" ".join(exponent["power"].split())]
        volume = w.volumes[_spelled(exponent["volume"], w.volumes)]
        return f"{power}{volume}", exponent.end()
    plain = w.unit.match(text, pos)
    if plain is not None:
        return w.units[_spelled(plain["unit"], w.units)], plain.end()
    return None


def _spelled(found: str, table: dict[str, str]) -> str:
    """The table key a match of `_phrases(table)` was (spaces inside may differ; keys that
    differ only by spaces mean one unit, checked by the tests)."""
    squeezed = re.sub(r"\s+", "", found)
    return next(k for k in table if re.sub(r"\s+", "", k) == squeezed)


def _restated_at(text: str, pos: int, limit: _Limit, analyte: Analyte) -> int | None:
    """ "(1500/uL)" or "(<9.6 g/dL)" after a limit: the end when it is the same limit,
    ``pos`` when there is none, None when it differs (which one holds is for a person)."""
    opened = re.compile(r"\s*\(\s*").match(text, pos)
    if opened is None or limit.unit is None:
        return pos
    at = opened.end()
    key = limit.key
    cmp = _limit_pattern().match(text, at)
    if cmp is not None:
        key, at = comparing.bound_of(cmp["cmp"]), cmp.end()
    number = re.compile(comparing.NUMBER).match(text, at)
    unit = _unit_at(text, number.end()) if number else None
    closed = re.compile(r"\s*\)").match(text, unit[1]) if unit else None
    if number is None or unit is None or closed is None:
        return pos  # a bracket that is not a restated limit: left to the leftover check
    if key != limit.key:
        return None
    first = _canonical(analyte, limit.value, limit.unit)
    second = _canonical(analyte, comparing.number(number.group()), unit[0])
    if first is None or second is None or abs(first - second) > _SAME_LIMIT * abs(first):
        return None
    return closed.end()


def _canonical(analyte: Analyte, value: float, unit: str) -> float | None:
    try:
        return value * factor(analyte, unit, CANONICAL_UNIT[analyte])
    except UnitError:
        return None


# --- one clause: analytes and their limit ----------------------------------------------


@dataclass(frozen=True)
class _Clause:
    analytes: tuple[Analyte, ...]
    joins: tuple[str, ...]  # how the analytes were joined: "/", ",", "and"
    limit: _Limit
    liver_exception: _Limit | None
    end: int


def _name_at(text: str, pos: int) -> tuple[Analyte, int] | None:
    found: list[tuple[int, Analyte]] = []
    for analyte, pattern in _words().names.items():
        m = pattern.match(text, pos)
        if m is not None:
            found.append((m.end(), analyte))
    if not found:
        return None
    found.sort(reverse=True)
    if len(found) > 1 and found[0][0] == found[1][0]:
        return None  # one name, two analytes
    end, analyte = found[0]
    return analyte, end


_JOIN = re.compile(r"\s*(?P<join>/|,\s*and\b|,|\band\b)\s*")


def _names_at(text: str, pos: int) -> tuple[list[Analyte], list[str], int] | None:
    first = _name_at(text, pos)
    if first is None:
        return None
    analytes, joins, end = [first[0]], [], first[1]
    while (join := _JOIN.match(text, end)) is not None:
        following = _name_at(text, join.end())
        if following is None:
            break
        joins.append("and" if "and" in join["join"] else join["join"])
        analytes.append(following[0])
        end = following[1]
    if len(set(analytes)) != len(analytes):
        return None
    return analytes, joins, end


@cache
def _link() -> re.Pattern[str]:
    return re.compile(
        rf"(?:\s+{_words().name_words}(?![a-z]))?"
        r"(?:\s*:|\s+of(?![a-z])|\s+is(?![a-z])|\s+must\s+be|\s+should\s+be)?\s*"
    )


@cache
def _exception_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    w = _words()
    who = (
        r"(?:(?:in|for)\s+(?:patients|participants|subjects)\s+with|with|in\s+the\s+presence"
        r"\s+of|in\s+case\s+of)\s+(?:known\s+)?"
    )
    bracket = re.compile(rf"\s*\(\s*(?:or\s+)?(?P<limit>.+?)\s+{who}{w.liver_metastases}\s*\)")
    sentence = re.compile(rf"\s*,?\s+or\s+(?P<limit>.+?)\s+{who}{w.liver_metastases}(?![a-z])")
    return bracket, sentence


def _clause_at(text: str, pos: int) -> _Clause | None:
    names = _names_at(text, pos)
    if names is None:
        return None
    analytes, joins, end = names
    link = _link().match(text, end)
    limited = _limit_at(text, link.end() if link else end)
    if limited is None:
        return None
    limit, end = limited
    for analyte in analytes:
        restated = _restated_at(text, end, limit, analyte)
        if restated is None:
            return None
        end = restated
    exception, end = _liver_exception_at(text, end, analytes, limit)
    return _Clause(tuple(analytes), tuple(joins), limit, exception, end)


def _liver_exception_at(
    text: str, pos: int, analytes: list[Analyte], limit: _Limit
) -> tuple[_Limit | None, int]:
    """ "(or <= 5 x ULN with liver metastases)", ", or ALT and AST < 5 x ULN in patients with
    liver metastases": the wider limit, for a ULN limit with an upper bound only."""
    if limit.unit is not None or limit.key not in ("lte", "lt"):
        return None, pos
    bracket, sentence = _exception_patterns()
    for pattern in (bracket, sentence):
        m = pattern.match(text, pos)
        if m is None:
            continue
        at = m.start("limit")
        if pattern is sentence:
            names = _names_at(text, at)
            if names is None or set(names[0]) != set(analytes):
                continue
            link = _link().match(text, names[2])
            at = link.end() if link else names[2]
        wider = _limit_at(text, at)
        if wider is None or wider[1] != m.end("limit") or wider[0].unit is not None:
            continue
        if wider[0].key not in ("lte", "lt") or wider[0].value <= limit.value:
            continue
        return wider[0], m.end()
    return None, pos


# --- the whole text ----------------------------------------------------------------------


_AND = re.compile(r"\s*(?:;\s*(?:and\s+)?|,\s*(?:and\s+)?|\s+and\s+)")
_OR = re.compile(r"\s*,?\s+or\s+")


@dataclass(frozen=True)
class _Parsed:
    groups: list[list[_Clause]]  # all of the groups; any of the clauses in a group
    start: int
    end: int


def _parse_at(text: str, pos: int) -> _Parsed | None:
    lead = _words().lead.match(text, pos)
    at = lead.end() if lead else pos
    first = _clause_at(text, at)
    if first is None:
        return None
    groups, end = [[first]], first.end
    while True:
        alternative = _OR.match(text, end)
        if alternative is not None and (clause := _clause_at(text, alternative.end())):
            groups[-1].append(clause)
            end = clause.end
            continue
        joined = _AND.match(text, end)
        if joined is not None and (clause := _clause_at(text, joined.end())):
            groups.append([clause])
            end = clause.end
            continue
        return _Parsed(groups, pos, end)


def _analyte_rule(analyte: Analyte, limit: _Limit) -> LabRule | LabUlnRule | None:
    w = _words()
    if limit.unit is None:
        low, high = w.uln_multiple
        if analyte not in w.uln_analytes or not low <= limit.value <= high:
            return None
        return LabUlnRule.model_validate(
            {"op": "lab_uln", "analyte": analyte, limit.key: limit.value}
        )
    canonical = _canonical(analyte, limit.value, limit.unit)
    low, high = w.thresholds.get(analyte, (0.0, 0.0))
    if canonical is None or not low <= canonical <= high:
        return None  # a unit of another kind, or a limit no protocol sets: misread
    exact = w.exact_units.get(analyte)
    if exact is not None and limit.unit not in exact:
        return None  # e.g. a GFR per body surface written in mL/min
    return LabRule.model_validate(
        {"op": "lab", "analyte": analyte, "unit": limit.unit, limit.key: limit.value}
    )


def _joined(rules: list[Rule], kind: str) -> Rule:
    """One rule, or all / any of them, a nested one of the same kind flattened."""
    if len(rules) == 1:
        return rules[0]
    model = AllOf if kind == "all" else AnyOf
    flat: list[Rule] = []
    for rule in rules:
        flat.extend(rule.of if isinstance(rule, model) else [rule])
    return AllOf(op="all", of=flat) if kind == "all" else AnyOf(op="any", of=flat)


def _clause_rule(clause: _Clause, context: Context) -> Rule | None:
    exclusion = context.criterion_type == "exclusion"
    if exclusion and ("and" in clause.joins or clause.liver_exception is not None):
        return None
    rules: list[Rule] = []
    wider: list[Rule] = []
    for analyte in clause.analytes:
        rule = _analyte_rule(analyte, clause.limit)
        if rule is None:
            return None
        rules.append(rule)
        if clause.liver_exception is not None:
            exception = _analyte_rule(analyte, clause.liver_exception)
            if exception is None:
                return None
            wider.append(exception)
    base = _joined(rules, "any" if exclusion else "all")
    if not wider:
        return base
    liver = MetastasisRule(op="metastasis", sites=["liver"])
    return AnyOf(op="any", of=[base, AllOf(op="all", of=[liver, *wider])])


def _rule(parsed: _Parsed, context: Context) -> Rule | None:
    exclusion = context.criterion_type == "exclusion"
    if exclusion and (len(parsed.groups) > 1 or len(parsed.groups[0]) > 1):
        return None
    parts: list[Rule] = []
    for group in parsed.groups:
        if len(group) > 1 and not _alternatives(group):
            return None
        rules = [_clause_rule(clause, context) for clause in group]
        if any(r is None for r in rules):
            return None
        parts.append(_joined([r for r in rules if r is not None], "any"))
    return _joined(parts, "all")


def _alternatives(group: list[_Clause]) -> bool:
    """Clauses joined by "or": one analyte each, all of one group of alternatives."""
    if any(len(c.analytes) != 1 or c.liver_exception is not None for c in group):
        return False
    analytes = {c.analytes[0] for c in group}
    return len(analytes) == len(group) and any(analytes <= g for g in _words().alternatives)


def read(text: str, context: Context) -> Reading | None:
    if _words().method.search(text):
        return None
    for start in _WORD_START.finditer(text):
        parsed = _parse_at(text, start.start())
        if parsed is None:
            continue
        spans = [(parsed.start, parsed.end)]
        if comparing.loose_alternative(text, spans):
            return None
        rule = _rule(parsed, context)
        if rule is None:
            return None
        return Reading(rule, spans, note=f"Read as {_described(rule)}.")
    return None


def _described(rule: Rule) -> str:
    if isinstance(rule, AllOf):
        return "(" + " and ".join(_described(r) for r in rule.of) + ")"
    if isinstance(rule, AnyOf):
        return "(" + " or ".join(_described(r) for r in rule.of) + ")"
    if isinstance(rule, MetastasisRule):
        return "liver metastases present"
    assert isinstance(rule, LabRule | LabUlnRule)
    unit = " x ULN" if isinstance(rule, LabUlnRule) else f" {rule.unit}"
    parts = [
        f"{sign} {value:g}{unit}"
        for sign, value in ((">=", rule.gte), (">", rule.gt), ("<=", rule.lte), ("<", rule.lt))
        if value is not None
    ]
    return f"{rule.analyte} {' and '.join(parts)}"
