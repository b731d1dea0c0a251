"""Reference ranges given only as text: ``referenceRange.text`` when no ``high`` is coded.

Lab systems often send the printed range and nothing else. The forms read (a decimal
comma is a decimal point; the unit, if any, follows the last number and is converted
like the value; no unit means the result's unit):

    "< 35 U/L", "<= 1,2 mg/dl", "≤ 40", "bis 50 U/l", "up to 40"   -> high only
    "> 60", ">= 3.5", "≥ 60 mL/min", "ab 60"                         -> low only
    "0.3-1.2 mg/dL", "3.5 - 5.0", "12,0 - 16,0 g/dl", "4 to 10"     -> low and high
    (the dash may be a hyphen, an en dash or an em dash)

Anything else (words, several ranges, "negative", "see comment") is no range: a ULN is
never guessed. Example::

    parse("0,3 - 1,2 mg/dl")   # -> TextRange(low=0.3, high=1.2, unit="mg/dl")
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class TextRange:
    low: float | None
    high: float | None
    unit: str | None


_NUMBER = r"(\d+(?:[.,]\d+)?)"
# A unit: UCUM-ish characters, no spaces; "U/L", "mg/dl", "10*9/L", "10^9/l", "µmol/L".
_UNIT = r"(?:\s*(?P<unit>[A-Za-zµμ%*^/0-9.\[\]{}]*[A-Za-zµμ%\]}][A-Za-zµμ%*^/0-9.\[\]{}]*))?"
_UPPER = re.compile(
    rf"^\s*(?:<=?|≤|=<|bis|up\s+to|max\.?|maximal)\s*{_NUMBER}{_UNIT}\s*$", re.IGNORECASE
)
_LOWER = re.compile(
    rf"^\s*(?:>=?|≥|=>|ab|from|min\.?|minimal)\s*{_NUMBER}{_UNIT}\s*$", re.IGNORECASE
)
_DASH = r"(?:-|\u2013|\u2014|to|bis)"
_BETWEEN = re.compile(rf"^\s*{_NUMBER}\s*{_DASH}\s*{_NUMBER}{_UNIT}\s*$", re.IGNORECASE)


def parse(text: str) -> TextRange | None:
    """The range a reference-range text states, or None when it states none."""
    if match := _UPPER.match(text):
        return TextRange(None, _number(match[1]), match["unit"])
    if match := _LOWER.match(text):
        return TextRange(_number(match[1]), None, match["unit"])
    if match := _BETWEEN.match(text):
        low, high = _number(match[1]), _number(match[2])
        return TextRange(low, high, match["unit"]) if low <= high else None
    return None


def _number(text: str) -> float:
    return float(text.replace(",", "."))
