"""Biomarkers: MSI/MMR, KRAS, NRAS, BRAF, PD-L1 (and HER2, ER, PR for other cancers).

Two shapes in real data: a tumor-marker Observation whose LOINC names the marker
(MSI 43368-0, KRAS 21702-6, BRAF V600E 85299-6, PD-L1 83052-1, ...), and an mCODE genetic
variant (LOINC 69548-6) whose gene is a component 48018-6 with an HGNC id. Gene names in
display texts are sometimes wrong in public data: only codes are trusted for the marker;
a status may be read from an answer's display ("High", "deficient") when its code is
unknown. Example::

    read_observation(msi_obs)   # -> BiomarkerFact(marker="msi", status="msi_high")
"""

from __future__ import annotations

import re
from datetime import date

from fhir.resources.R4B.observation import Observation

from app.facts import codes
from app.facts.model import BiomarkerFact, BiomarkerName, BiomarkerStatus
from app.facts.reading import Reading, codings, displays, effective_date, reference

_WORDS: list[tuple[str, BiomarkerStatus]] = [
    ("msi-h", "msi_high"),
    ("high", "msi_high"),
    ("msi-l", "msi_low"),
    ("low", "msi_low"),
    ("stable", "mss"),
    ("mss", "mss"),
    ("deficient", "dmmr"),
    ("proficient", "pmmr"),
    ("wild", "wild_type"),
    ("not detected", "wild_type"),
    ("negative", "negative"),
    ("positive", "positive"),
    ("detected", "mutated"),
    ("equivocal", "equivocal"),
]


def read_observation(observation: Observation) -> Reading:
    reading = Reading()
    source = reference(observation)
    loincs = [code for system, code in codings(observation.code) if system == codes.LOINC]
    marker: BiomarkerName | None = None
    detail: str | None = None
    for code in loincs:
        if code in codes.BIOMARKER_CODES:
            marker, detail = codes.BIOMARKER_CODES[code]
            break
    if marker is None and codes.GENETIC_VARIANT_CODE in loincs:
        for component in observation.component or []:
            if (codes.LOINC, codes.GENE_STUDIED_CODE) not in codings(component.code):
                continue
            for system, code in codings(component.valueCodeableConcept):
                hgnc = code.removeprefix("HGNC:")
                if system in codes.HGNC_SYSTEMS and hgnc in codes.HGNC_GENES:
                    marker = codes.HGNC_GENES[hgnc]
        if marker is None:
            return reading  # a variant in a gene trialmatch does not track
    if marker is None:
        return reading
    status = _status(observation, marker)
    value = None
    if observation.valueQuantity is not None and observation.valueQuantity.value is not None:
        value = float(observation.valueQuantity.value)
    if status is None and value is None:
        reading.warn("biomarker.unknown_value", "Biomarker result not recognized.", source)
        return reading
    if codes.GENETIC_VARIANT_CODE in loincs and status == "positive":
        status = "mutated"
    reading.facts.append(
        BiomarkerFact(
            marker=marker,
            status=status,
            value=value,
            detail=detail,
            sources=[source],
            effective=effective_date(observation),
        )
    )
    return reading


def _status(observation: Observation, marker: BiomarkerName) -> BiomarkerStatus | None:
    concept = observation.valueCodeableConcept
    for pair in codings(concept):
        if pair in codes.BIOMARKER_ANSWERS:
            return _fit(codes.BIOMARKER_ANSWERS[pair], marker)
    texts = displays(concept) + ([observation.valueString] if observation.valueString else [])
    for text in texts:
        lowered = text.lower()
        for word, status in _WORDS:
            if status in ("msi_high", "msi_low", "mss") and marker != "msi":
                continue
            if word in lowered:
                return _fit(status, marker)
    return None


def _fit(status: BiomarkerStatus, marker: BiomarkerName) -> BiomarkerStatus:
    # A "positive" KRAS test means a mutation was found; MSI answers stay MSI answers.
    if marker in ("kras", "nras", "braf"):
        return {"positive": "mutated", "negative": "wild_type"}.get(status, status)  # type: ignore[return-value]
    return status


# Report text: abbreviations and phrases pathologists write. "loss of MLH1" is left out on
# purpose: "no loss of MLH1" is common and a word window cannot read it safely.
_TEXT_STATUS: list[tuple[BiomarkerName, BiomarkerStatus, re.Pattern[str]]] = [
    (
        "mmr",
        "dmmr",
        re.compile(
            r"\bdMMR\b|\b(?:MMR|mismatch[- ]repair)[- ]deficien(?:t|cy)\b"
            r"|\bdeficient mismatch[- ]repair\b",
            re.I,
        ),
    ),
    (
        "mmr",
        "pmmr",
        re.compile(
            r"\bpMMR\b|\b(?:MMR|mismatch[- ]repair)[- ]proficient\b"
            r"|\bproficient mismatch[- ]repair\b",
            re.I,
        ),
    ),
    (
        "msi",
        "msi_high",
        re.compile(
            r"\bMSI[- ]?H(?:igh)?\b|\bmicrosatellite instability[- ]high\b"
            r"|\bhigh[- ]level microsatellite instability\b",
            re.I,
        ),
    ),
    ("msi", "mss", re.compile(r"\bMSS\b|\bmicrosatellite[- ]stable\b", re.I)),
]
_GENE = re.compile(
    r"\b(?P<gene>KRAS|NRAS|BRAF)\b(?:\s+(?:gene|exon\s+\d+))?\s*(?::|is|was)?\s*"
    r"(?:(?P<wt>wild[- ]?type|wt|not mutated|no mutation)"
    r"|(?P<variant>[A-Z]\d{1,3}[A-Z])?\s*(?P<mut>mutat(?:ed|ion)|mutant|positive))",
    re.I,
)
_NO_MUTATION = re.compile(r"\bno\s+(?P<gene>KRAS|NRAS|BRAF)\b(?:\s+\w+){0,2}?\s+mutations?\b", re.I)


def from_text(text: str, sources: list[str], effective: date | None) -> list[BiomarkerFact]:
    """MMR, MSI and KRAS/NRAS/BRAF status written in a report; read_from='text'."""
    found: list[BiomarkerFact] = []

    def add(
        marker: BiomarkerName, status: BiomarkerStatus, phrase: str, detail: str | None = None
    ) -> None:
        found.append(
            BiomarkerFact(
                marker=marker,
                status=status,
                detail=detail,
                sources=sources,
                effective=effective,
                read_from="text",
                note=f"Read from report text: '{phrase}'.",
            )
        )

    for marker, status, pattern in _TEXT_STATUS:
        match = pattern.search(text)
        if match:
            add(marker, status, match.group(0))
    negated: set[str] = set()
    for match in _NO_MUTATION.finditer(text):
        gene = match["gene"].lower()
        negated.add(gene)
        add(_GENES[gene], "wild_type", match.group(0))
    for match in _GENE.finditer(text):
        gene = match["gene"].lower()
        if gene in negated:
            continue
        if match["wt"]:
            add(_GENES[gene], "wild_type", match.group(0))
        elif match["mut"]:
            before = text[max(0, match.start() - 40) : match.start()]
            if _NEGATED_BEFORE.search(before):  # "negative for KRAS mutation"
                add(_GENES[gene], "wild_type", before.strip() + " " + match.group(0))
                continue
            variant = match["variant"].upper() if match["variant"] else None
            add(_GENES[gene], "mutated", match.group(0), variant)
    return found


_NEGATED_BEFORE = re.compile(r"\b(?:no|not|negative\s+for|without|absence\s+of)\b[^.;]*$", re.I)
_GENES: dict[str, BiomarkerName] = {"kras": "kras", "nras": "nras", "braf": "braf"}
