"""The smaller code tables: rows of ``{system, code, ...}`` under a named table.

Read from ``data/observations.yaml``, ``data/metastasis.yaml`` and
``data/treatments.yaml``. A row names its code system by a short name of
``data/systems.yaml``; `rows` gives it back with the system's URL and checks the code's
form for that system. What a row's other fields mean is the table's business (see
`app.facts.codes`, which builds its lookups from these). Example::

    rows("observations", "ecog_codes")[0]
    # -> Row(system="http://loinc.org", code="89247-1", fields={})
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from app.vocabulary import checks
from app.vocabulary.files import VocabularyError, load, section

_LOINC_ANSWER = re.compile(r"^LA\d{1,6}-\d$")
# The form each system's codes must have; a system not named here is refused.
FORMS: dict[str, Callable[[str], bool]] = {
    "loinc": checks.loinc,
    "loinc_answer": lambda code: bool(_LOINC_ANSWER.match(code)),
    "snomed": checks.snomed,
    "hl7_v2_0136": lambda code: code in {"Y", "N"},
    "hgnc": str.isdigit,
    "mii_ecog": lambda code: code in {"0", "1", "2", "3", "4"},
    "mii_karnofsky": lambda code: bool(re.match(r"^(100|[1-9]?0)%$", code)),
    "mii_fernmetastasen": lambda code: bool(re.match(r"^[A-Z]{3}$", code)),
}


@dataclass(frozen=True)
class Row:
    system: str
    code: str
    fields: dict[str, Any] = field(default_factory=dict)


@cache
def systems() -> dict[str, str]:
    return {str(k): str(v) for k, v in section(load("systems"), "systems").items()}


@cache
def rows(file: str, table: str) -> tuple[Row, ...]:
    found = []
    urls = systems()
    for entry in section(load(file), table):
        name, code = str(entry.get("system")), str(entry.get("code"))
        form = FORMS.get(name)
        if form is None or name not in urls:
            raise VocabularyError(f"{file}.{table}: unknown code system {name!r}")
        if not form(code):
            raise VocabularyError(f"{file}.{table}: malformed {name} code {code!r}")
        rest = {k: v for k, v in entry.items() if k not in ("system", "code")}
        found.append(Row(urls[name], code, rest))
    return tuple(found)


def entries(file: str, table: str) -> list[dict[str, Any]]:
    """Rows of a table that holds no coded system (words, ICD-10 selectors)."""
    return [dict(e) for e in section(load(file), table)]
