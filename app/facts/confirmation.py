"""How a cancer was proven: a pathology or cytology report that names its histology.

EHRs rarely code "biopsy-proven"; the proof is a final pathology report. A report counts
when it is a pathology report (HL7 v2-0074 section SP/CP/CY, or a LOINC pathology report
code) and its text names a malignant histology. The method is read from the report:
cytology (code or word), resection (excision, resection, TEM/TAMIS, polypectomy,
specimen of a resection), else biopsy when the code or the text says biopsy; a report
that says neither is not used. Example::

    read_report(report)   # "Rectal biopsy: moderately differentiated adenocarcinoma."
    # -> [DiagnosisConfirmationFact(method="biopsy", histology="adenocarcinoma")]

`confirm_primaries` then sets ``confirmed_by`` on the primary cancer the report proves,
adding the report to its sources and saying so in its note. Proof belongs to its cancer:
the report's histology must agree (or the primary have none recorded); the organ its text
names (`app/vocabulary/data/report_site_words.yaml`) must be the primary's site, and a report
that names no organ proves a primary only when the record has one primary; and the report
must be dated near the diagnosis (`PROOF_DAYS_BEFORE` before to `PROOF_DAYS_AFTER` after),
so a 2012 biopsy does not prove a 2026 cancer.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import cache

from fhir.resources.R4B.diagnosticreport import DiagnosticReport

from app.facts.model import (
    AnyFact,
    DiagnosisConfirmation,
    DiagnosisConfirmationFact,
    Histology,
    PrimaryCancerFact,
)
from app.facts.reading import reference, to_date
from app.facts.report_text import report_texts
from app.vocabulary import files

V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074"
LOINC = "http://loinc.org"
# HL7 v2 diagnostic service sections: surgical pathology, cytopathology, cytology.
PATHOLOGY_SECTIONS = frozenset({"SP", "CP", "CY"})
# LOINC pathology report codes (loinc.org): biopsy report, comprehensive pathology report
# panel, pathology study, final diagnosis, cytology study.
BIOPSY_REPORT_CODES = frozenset({"66117-3"})
CYTOLOGY_REPORT_CODES = frozenset({"33746-9"})
PATHOLOGY_REPORT_CODES = (
    frozenset({"60567-5", "11526-1", "22637-3", "60568-3"})
    | BIOPSY_REPORT_CODES
    | CYTOLOGY_REPORT_CODES
)

# Most specific first: "mucinous adenocarcinoma" before "adenocarcinoma".
_HISTOLOGIES: tuple[tuple[re.Pattern[str], Histology], ...] = (
    (re.compile(r"\bmucinous\s+adenocarcinoma\b", re.I), "mucinous_adenocarcinoma"),
    (re.compile(r"\bsignet[- ]ring\s+cell\s+carcinoma\b", re.I), "signet_ring_cell_carcinoma"),
    (re.compile(r"\badenocarcinoma\b", re.I), "adenocarcinoma"),
    (re.compile(r"\bsquamous\s+cell\s+carcinoma\b", re.I), "squamous_cell_carcinoma"),
)
_NEGATED = re.compile(r"\b(?:no|negative\s+for|without|free\s+of)\b[^.;\n]{0,40}$", re.I)
_RESECTION = re.compile(
    r"\b(?:resection|excision|excised|TEM|TAMIS|TSPM|polypectomy|mucosal\s+resection|"
    r"submucosal\s+dissection|EMR|ESD|oesophagectomy|esophagectomy)\b",
    re.I,
)
# A biopsy is taken before the diagnosis is recorded; a resection may follow months later.
PROOF_DAYS_BEFORE = 120
PROOF_DAYS_AFTER = 365


@cache
def _site_words() -> tuple[tuple[str, re.Pattern[str]], ...]:
    sites = files.section(files.load("report_site_words"), "sites")
    return tuple(
        (site, re.compile(r"\b(?:" + "|".join(words) + r")\b", re.I))
        for site, words in sites.items()
    )


def report_site(text: str) -> str | None:
    """The one cancer site a report's text names, or None (none named, or several)."""
    named = {site for site, pattern in _site_words() if pattern.search(text)}
    return named.pop() if len(named) == 1 else None


_BIOPSY = re.compile(r"\bbiops(?:y|ies)\b", re.I)
_CYTOLOGY = re.compile(r"\bcytolog(?:y|ical)\b", re.I)


def _codes(report: DiagnosticReport) -> tuple[set[str], set[str]]:
    sections = {
        c.code
        for concept in report.category or []
        for c in concept.coding or []
        if c.system == V2_0074 and c.code
    }
    loinc = {c.code for c in report.code.coding or [] if c.system == LOINC and c.code}
    return sections, loinc


def _histology(text: str) -> Histology | None:
    for pattern, histology in _HISTOLOGIES:
        for match in pattern.finditer(text):
            if not _NEGATED.search(text[: match.start()]):
                return histology
    return None


def _method(text: str, loinc: set[str]) -> DiagnosisConfirmation | None:
    if loinc & CYTOLOGY_REPORT_CODES or _CYTOLOGY.search(text):
        return "cytology"
    if _RESECTION.search(text):
        return "resection"
    if loinc & BIOPSY_REPORT_CODES or _BIOPSY.search(text):
        return "biopsy"
    return None


def read_report(report: DiagnosticReport) -> list[DiagnosisConfirmationFact]:
    sections, loinc = _codes(report)
    if not (sections & PATHOLOGY_SECTIONS or loinc & PATHOLOGY_REPORT_CODES):
        return []
    if report.status not in ("final", "amended", "corrected", "appended"):
        return []  # a preliminary report proves nothing yet
    effective = to_date(report.effectiveDateTime) or to_date(report.issued)
    found: list[DiagnosisConfirmationFact] = []
    for text in report_texts(report):
        histology = _histology(text)
        method = _method(text, loinc)
        if histology is not None and method is not None:
            found.append(
                DiagnosisConfirmationFact(
                    method=method,
                    histology=histology,
                    site=report_site(text),
                    sources=[reference(report)],
                    effective=effective,
                    read_from="text",
                    note=f"{method} report names {histology.replace('_', ' ')}",
                )
            )
    return found


def _agrees(primary: Histology | None, proven: Histology) -> bool:
    if primary is None or primary == proven:
        return True
    adenocarcinomas = {"adenocarcinoma", "mucinous_adenocarcinoma", "signet_ring_cell_carcinoma"}
    return primary == "adenocarcinoma" and proven in adenocarcinomas


def _proves(proof: DiagnosisConfirmationFact, primary: PrimaryCancerFact, primaries: int) -> bool:
    """Whether the report proves this primary: histology, organ and date all fit."""
    if not _agrees(primary.histology, proof.histology):
        return False
    if proof.site is None and primaries != 1:
        return False
    if proof.site is not None and proof.site != primary.site:
        return False
    diagnosed: date | None = primary.diagnosed or primary.effective
    if diagnosed is not None and proof.effective is not None:
        earliest = diagnosed - timedelta(days=PROOF_DAYS_BEFORE)
        latest = diagnosed + timedelta(days=PROOF_DAYS_AFTER)
        return earliest <= proof.effective <= latest
    return True


def confirm_primaries(facts: list[AnyFact]) -> list[AnyFact]:
    """Primary cancers with ``confirmed_by`` set from a report that proves them.

    Only a primary with no recorded confirmation is changed; a biopsy proof is preferred
    to a resection one (the diagnosis came first), then the earliest report.
    """
    proofs = sorted(
        (f for f in facts if isinstance(f, DiagnosisConfirmationFact)),
        key=lambda f: (f.method != "biopsy", f.effective is None, f.effective),
    )
    if not proofs:
        return facts
    primaries = sum(isinstance(f, PrimaryCancerFact) for f in facts)
    out: list[AnyFact] = []
    for fact in facts:
        if isinstance(fact, PrimaryCancerFact) and fact.confirmed_by is None:
            proof = next((p for p in proofs if _proves(p, fact, primaries)), None)
            if proof is not None:
                note = f"confirmed_by from {proof.sources[0]} ({proof.note})"
                fact = fact.model_copy(
                    update={
                        "confirmed_by": proof.method,
                        "histology": fact.histology or proof.histology,
                        "sources": [*fact.sources, *proof.sources],
                        "note": f"{fact.note}; {note}" if fact.note else note,
                    }
                )
        out.append(fact)
    return out
