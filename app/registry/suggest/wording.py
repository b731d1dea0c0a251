"""How the suggestion reader sees a criterion's words: normalized text, hedges, leftovers.

Example::

    text = normalize("ECOG performance status \u2264 1.")    # -> "ecog performance status <= 1"
    hedged("ANC >= 1.5 unless in the opinion of the investigator")   # -> True
    leftover(text, [(0, 4), (24, 29)])      # -> ["performance", "status"]: not all filler
    only_filler(["patients", "must", "be"]) # -> True

A pattern reads a criterion only when it accounts for every word: after its spans are
taken out, what is left must be filler (app/vocabulary/data/suggestion_words.yaml). That is
the reader's guard against reading half a criterion: "ECOG 0-1 or KPS >= 70 with
investigator approval" is left as text, never read as "ECOG 0-1".
"""

from __future__ import annotations

import re
from functools import cache

from app.vocabulary import files

FILE = "suggestion_words"

# Comparators and signs written many ways in registry text, each to one ASCII form.
_REPLACEMENTS = (
    ("\u00a0", " "),
    ("\u2009", " "),
    ("\u202f", " "),
    ("\u2013", "-"),
    ("\u2014", "-"),
    ("\u2212", "-"),
    ("\u2265", ">="),
    ("\u2267", ">="),
    ("\u2264", "<="),
    ("\u2266", "<="),
    ("\uff1e", ">"),
    ("\uff1c", "<"),
    ("\u00d7", " x "),
    ("\u00b5", "u"),
    ("\u03bc", "u"),
    ("\u2019", "'"),
)
_WORD_COMPARATORS = (
    (r"\bgreater than or equal to\b", ">="),
    (r"\bmore than or equal to\b", ">="),
    (r"\bequal to or greater than\b", ">="),
    (r"\bequal to or more than\b", ">="),
    (r"\bless than or equal to\b", "<="),
    (r"\bequal to or less than\b", "<="),
    (r"=<", "<="),
    (r"=>", ">="),
    (r"<\s*=", "<="),
    (r">\s*=", ">="),
)
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[a-z0-9][a-z0-9'/.\-]*|[<>]=?|=")


def normalize(text: str) -> str:
    """Lower case, one form per comparator, single spaces, no trailing full stop or ';'."""
    for old, new in _REPLACEMENTS:
        text = text.replace(old, new)
    text = text.lower()
    for pattern, new in _WORD_COMPARATORS:
        text = re.sub(pattern, new, text)
    text = _SPACES.sub(" ", text).strip()
    return text.rstrip(" .;,")


@cache
def _words() -> tuple[tuple[re.Pattern[str], ...], frozenset[str]]:
    document = files.load(FILE)
    hedges = tuple(
        re.compile(r"(?<![a-z0-9])" + re.escape(h.lower()) + r"(?![a-z0-9])")
        for h in files.section(document, "hedges")
    )
    return hedges, frozenset(w.lower() for w in files.section(document, "filler"))


def hedged(text: str) -> bool:
    """The normalized text holds a phrase that leaves it to a person."""
    return any(p.search(text) for p in _words()[0])


def leftover(text: str, spans: list[tuple[int, int]]) -> list[str]:
    """The words of ``text`` outside every span (spans are [start, end) offsets)."""
    kept = list(text)
    for start, end in spans:
        for i in range(start, end):
            kept[i] = " "
    return [w.strip(".'/-") for w in _WORD.findall("".join(kept)) if w.strip(".'/-")]


def only_filler(words: list[str]) -> bool:
    return all(w in _words()[1] for w in words)


def fully_read(text: str, spans: list[tuple[int, int]]) -> bool:
    return only_filler(leftover(text, spans))


@cache
def _lead_ins() -> dict[str, tuple[str, ...]]:
    document = files.load(FILE)
    lead_ins = files.section(document, "lead_ins")
    return {
        "inclusion": tuple(lead_ins["inclusion"]),
        "exclusion": tuple(lead_ins["exclusion"]),
        "alternatives": tuple(files.section(document, "alternatives")),
        "conjunctions": tuple(files.section(document, "conjunctions")),
    }


def sub_items_stand_alone(parent: str, criterion_type: str) -> bool:
    """A sub-item is a criterion of its own only under a parent that lists them as such
    ("Adequate organ function, defined as:" for inclusion; "Any of the following:" for
    exclusion) and never under one that makes them alternatives or parts of one condition."""
    text = " " + normalize(parent) + " "
    words = _lead_ins()
    if not any(lead in text for lead in words[criterion_type]):
        return False
    if any(ch.isdigit() for ch in text):
        # "values obtained <= 14 days prior to registration": the parent qualifies its
        # sub-items (a window, a count) in words no sub-item's reading would carry.
        return False
    if criterion_type == "inclusion":
        return not any(alt in text for alt in words["alternatives"])
    # exclusion lead-ins are "any of" / "one of": the alternatives are each excluding.
    return not any(conj in text for conj in words["conjunctions"])
