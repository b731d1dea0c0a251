"""Word lists of the data files as regular expressions, for the pattern readers.

Example::

    alternation(["brain metastases", "cns metastases"])
    # -> r"(?<![a-z0-9-])(?:brain\\s+metastases|cns\\s+metastases)(?![a-z0-9-])"
    pattern = re.compile(alternation(["anti-pd-1"]))
    bool(pattern.search("prior anti pd-1 therapy"))   # -> True: a hyphen may be a space

A phrase matches as whole words of the normalized text (`wording.normalize`): any run of
spaces stands for its spaces, and a hyphen may be written as a space or left out
("non-small cell" is also "non small cell" and "nonsmall cell"). The longest phrase is
tried first, so "non-small cell lung cancer" wins over "small cell lung cancer".
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# A hyphen joins words: "small cell lung cancer" is not read inside "non-small cell lung
# cancer", nor "hiv" inside "hiv-1".
EDGE_BEFORE = r"(?<![a-z0-9-])"
EDGE_AFTER = r"(?![a-z0-9-])"


def phrase(text: str) -> str:
    """One phrase as a regular expression (no word edges)."""
    parts = []
    for word in text.lower().split():
        parts.append(r"[-\s]?".join(re.escape(piece) for piece in word.split("-")))
    return r"\s+".join(parts)


def alternation(phrases: Iterable[str], *, edges: bool = True) -> str:
    """Any of the phrases, longest first, as one non-capturing group."""
    ordered = sorted({p.strip().lower() for p in phrases if p.strip()}, key=len, reverse=True)
    if not ordered:
        raise ValueError("an alternation needs at least one phrase")
    body = "(?:" + "|".join(phrase(p) for p in ordered) + ")"
    return EDGE_BEFORE + body + EDGE_AFTER if edges else body


def lookup(table: dict[str, list[str]]) -> dict[str, str]:
    """{phrase: name} from {name: [phrases]}, each phrase lower-cased with single spaces;
    a phrase listed under two names is an error in the data file."""
    found: dict[str, str] = {}
    for name, words in table.items():
        for word in words:
            key = " ".join(str(word).lower().split())
            if found.setdefault(key, name) != name:
                raise ValueError(f"phrase {word!r} is listed for {found[key]} and {name}")
    return found


def canonical(matched: str) -> str:
    """A matched phrase in the form `lookup` keys use (one space, hyphens kept)."""
    return " ".join(matched.split())


def find_name(matched: str, table: dict[str, str]) -> str | None:
    """The name of a matched phrase, trying its spelling with the hyphens the data has."""
    key = canonical(matched)
    if key in table:
        return table[key]
    squeezed = re.sub(r"[-\s]", "", key)
    for written, name in table.items():
        if re.sub(r"[-\s]", "", written) == squeezed:
            return name
    return None
