"""ICD-10 codes as data: normalized codes, and the prefixes and ranges that select them.

Real records carry ``C18.7``, ``C187`` and ``c18.7``; all are one code once normalized
(upper case, no dot, no space, no ICD-10-GM marker such as ``+``, ``*`` or ``!``).
A selector in a vocabulary file is a prefix (``I25.2``) or a range of equal-length
prefixes (``I20-I25``: every code whose first three characters are I20 to I25).
Example::

    normalize("c18.7")                      # -> "C187"
    Selector.parse("I20-I25").matches("I214")  # -> True
    Selector.parse("C18.7").matches("C187")    # -> True
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.vocabulary import checks
from app.vocabulary.files import VocabularyError

_NOT_CODE = re.compile(r"[^A-Z0-9]")


def normalize(code: str) -> str:
    return _NOT_CODE.sub("", code.upper())


@dataclass(frozen=True)
class Selector:
    low: str
    high: str

    @classmethod
    def parse(cls, text: str) -> Selector:
        low, _, high = str(text).partition("-")
        high = high or low
        if not (checks.icd10(low) and checks.icd10(high)):
            raise VocabularyError(f"malformed ICD-10 selector {text!r}")
        low, high = normalize(low), normalize(high)
        if len(low) != len(high) or low > high:
            raise VocabularyError(f"malformed ICD-10 range {text!r}")
        return cls(low, high)

    @property
    def length(self) -> int:
        """How specific the selector is: the length of its prefixes."""
        return len(self.low)

    def matches(self, code: str) -> bool:
        """``code`` is normalized."""
        head = code[: self.length]
        return len(head) == self.length and self.low <= head <= self.high

    def overlaps(self, other: Selector) -> bool:
        """Some code is selected by both."""
        n = min(self.length, other.length)
        return self.low[:n] <= other.high[:n] and other.low[:n] <= self.high[:n]


def selectors(texts: object) -> tuple[Selector, ...]:
    if texts is None:
        return ()
    if not isinstance(texts, list):
        raise VocabularyError("ICD-10 selectors must be a list")
    return tuple(Selector.parse(t) for t in texts)
