"""Is a code well-formed for its system? The checks every vocabulary file passes.

- LOINC: ``^\\d{1,7}-\\d$`` whose last digit is the mod-10 check digit of the rest
  (the LOINC Users' Guide, "Check digit": Luhn over the digits).
- SNOMED CT: a numeric SCTID of 6 to 18 digits whose last digit is its Verhoeff check
  digit (SNOMED CT Technical Implementation Guide, "Check-digit").
- ICD-10 (WHO, -CM, -GM): ``^[A-Z]\\d{2}(\\.?\\w{1,4})?$``.
- ICD-O-3: morphology ``^\\d{4}/\\d$``; topography ``^C\\d{2}(\\.\\d)?$``.
- ATC: ``^[A-Z](\\d{2}([A-Z]([A-Z](\\d{2})?)?)?)?$`` (WHO ATC levels 1-5).

Example::

    loinc("718-7")       # -> True
    loinc("718-8")       # -> False (check digit)
    snomed("363351006")  # -> True
"""

from __future__ import annotations

import re

_LOINC = re.compile(r"^\d{1,7}-\d$")
_SNOMED = re.compile(r"^\d{6,18}$")
_ICD10 = re.compile(r"^[A-Z]\d{2}(\.?\w{1,4})?$")
_MORPHOLOGY = re.compile(r"^\d{4}/\d$")
_TOPOGRAPHY = re.compile(r"^C\d{2}(\.\d)?$")
_ATC = re.compile(r"^[A-Z](\d{2}([A-Z]([A-Z](\d{2})?)?)?)?$")

# Verhoeff's dihedral-group tables (multiplication, permutation, inverse).
_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)


def loinc(code: str) -> bool:
    if not _LOINC.match(code):
        return False
    body, check = code.split("-")
    total = 0
    # Luhn: from the rightmost digit of the body, double every other digit.
    for position, char in enumerate(reversed(body)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10 == int(check)


def snomed(code: str) -> bool:
    if not _SNOMED.match(code):
        return False
    check = 0
    for position, char in enumerate(reversed(code)):
        check = _D[check][_P[position % 8][int(char)]]
    return check == 0


def icd10(code: str) -> bool:
    return bool(_ICD10.match(code))


def icdo3_morphology(code: str) -> bool:
    return bool(_MORPHOLOGY.match(code))


def icdo3_topography(code: str) -> bool:
    return bool(_TOPOGRAPHY.match(code))


def atc(code: str) -> bool:
    return bool(_ATC.match(code))
