"""Facts read from report text: ``DiagnosticReport.conclusion`` and text ``presentedForm``.

Pathology and MRI reports carry what EHRs rarely code: "ypT1 sm3 N0", "mrT2N0", "lower
edge 6 cm from the anal verge", "R0", "no lymphovascular invasion", "poorly
differentiated", "liver metastases"; also sizes ("greatest dimension 32 mm",
`tumor.size_from_text`) and "dMMR", "KRAS G12D mutated" (`biomarkers.from_text`).
Every fact read here has ``read_from="text"``, the report's date, and a note quoting the
phrase it was read from; a coded fact of the same date wins over it (`PatientFacts`
accessors). Negated mentions ("no liver metastases") never give a present finding. A
stage needs its prefix (c, p, yp, mr, u): a bare "T2" has no context and is not read.
Example::

    read_text("ypT1 sm3 N0, R0, lower edge 6 cm from the anal verge", ["DiagnosticReport/1"],
              date(2026, 10, 1))
    # -> StageFact(post_neoadjuvant T1), StageFact(post_neoadjuvant N0),
    #    SubmucosalInvasionFact(sm3), AnalVergeDistanceFact(6.0), MarginFact(R0)
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fhir.resources.R4B.diagnosticreport import DiagnosticReport

from app.facts import biomarkers, pathology, tumor
from app.facts.cancer import grade_from_text
from app.facts.model import (
    AnalVergeDistanceFact,
    GradeFact,
    MarginFact,
    MetastasisFact,
    MetastasisSite,
    PerformanceFact,
    PerformanceScale,
    ResidualTumor,
    StageCategory,
    StageFact,
    StagingContext,
    SubmucosalInvasionFact,
    SubmucosalLevel,
)
from app.facts.reading import Reading, reference, to_date
from app.facts.staging import context_for_prefix, metastasis_from_m, parse_value

_STAGE = re.compile(
    r"(?<![A-Za-z])(?P<prefix>ymr|yp|yc|mr|c|p|u|y)"
    r"(?P<t>T(?:is|X|[0-4])[a-d]?)"
    r"(?:[\s,]*(?P<sm>sm\s?[1-3]))?"
    r"(?:[\s,]*(?P<n>N(?:X|[0-3])[a-c]?))?"
    r"(?:[\s,]*(?P<m>M(?:X|[01])[a-c]?))?"
    r"(?![A-Za-z0-9])"
)
_SM_LEVEL = re.compile(r"(?<![A-Za-z])sm\s?([1-3])(?![0-9])", re.IGNORECASE)
_DEPTH = re.compile(
    r"(\d+(?:[.,]\d+)?)\s*(µm|μm|um|microns?|micrometers?|micrometres?|mm)\b", re.IGNORECASE
)
_VERGE = re.compile(
    r"(\d+(?:[.,]\d+)?)\s*(cm|mm)\s+(?:from|above)\s+(?:the\s+)?anal\s+verge", re.IGNORECASE
)
_RESIDUAL = re.compile(r"(?<![A-Za-z0-9])R([012])(?![A-Za-z0-9])")
_MARGIN_INVOLVED = re.compile(
    r"\b(?:margins?\s+(?:is\s+|are\s+|was\s+|were\s+)?(?:involved|positive)"
    r"|(?:involved|positive)\s+(?:resection\s+|deep\s+|lateral\s+)?margins?)\b",
    re.IGNORECASE,
)
_MARGIN_CLEAR = re.compile(
    r"\b(?:margins?\s+(?:is\s+|are\s+|was\s+|were\s+)?"
    r"(?:clear|free|negative|uninvolved|not involved)"
    r"|(?:clear|free|negative|uninvolved)\s+(?:resection\s+|deep\s+|lateral\s+)?margins?)\b",
    re.IGNORECASE,
)
_NEGATION = re.compile(
    r"\b(?:no|without|negative\s+for|free\s+of|absence\s+of)\s+(?:\w+\s+){0,3}$", re.I
)
_METASTASIS_SITES: list[tuple[MetastasisSite, str]] = [
    ("liver", r"liver|hepatic"),
    ("lung", r"lung|pulmonary"),
    ("bone", r"bone|osseous|skeletal"),
    ("brain", r"brain|cerebral"),
    ("peritoneum", r"peritoneal"),
    ("adrenal", r"adrenal"),
]
_MRI = re.compile(r"\bMRI?\b|\bmagnetic resonance\b|(?<![A-Za-z])mrT", re.IGNORECASE)
# A full stop ends a sentence only before a space or the end: "1.5 mm" is one sentence.
_SENTENCE_END = re.compile(r"[.;](?:\s+|$)|\n")
# "liver metastases were excluded", "... are not seen": a negation after the mention.
_NEGATED_AFTER = re.compile(
    r"^\W*(?:\w+\s+){0,3}?(?:excluded|ruled\s+out|not\s+(?:seen|identified|present|detected)"
    r"|absent)\b",
    re.IGNORECASE,
)
_METASTASIS = re.compile(r"\bmetasta(?:sis|ses|tic)\b", re.IGNORECASE)

# Performance status stated as a score: "ECOG 2", "ECOG PS: 1", "ECOG-Status 1", "WHO
# performance status 1", "Karnofsky 70%", "KPS 70". Only a label, an optional ':', '=',
# 'of', 'is', then the number: "ECOG <= 1", "ECOG up to 2" are not statements of a score.
_SCORE_LINK = r"\s*(?:[:=]|\bof\b|\bis\b|\bwas\b|\bvon\b|\bist\b)?\s*"
_PERFORMANCE: list[tuple[PerformanceScale, re.Pattern[str]]] = [
    (
        "ecog",
        re.compile(
            r"(?<![A-Za-z])(?:ECOG(?:[\s-]*(?:PS|performance\s+(?:status|score)|Status"
            r"|Leistungsstatus|Leistungszustand|score))?|WHO[\s-]*(?:PS|performance\s+status)"
            rf"|Zubrod(?:\s+score)?){_SCORE_LINK}(?P<value>\d{{1,3}})(?![0-9]|[.,][0-9])",
            re.IGNORECASE,
        ),
    ),
    (
        "karnofsky",
        re.compile(
            r"(?<![A-Za-z])(?:Karnofsky(?:[\s-]*(?:Index|performance\s+(?:status|score|scale)"
            rf"|Status|score|PS))?|KPS){_SCORE_LINK}(?P<value>\d{{1,3}})\s*%?(?![0-9]|[.,][0-9])",
            re.IGNORECASE,
        ),
    ),
]
# "0-1", "0 or 1", "2 or less", "70 oder besser": a range or a bound, not a score.
_SCORE_RANGE = re.compile(
    r"^\s*(?:-|\u2013|/|\+|to\b|or\b|bis\b|oder\b|und\b|and\b|or\s+(?:less|lower|better|worse"
    r"|higher|more|greater|above|below))",
    re.IGNORECASE,
)
_SCORE_NEGATED = re.compile(r"\b(?:no|not|nicht|kein\w*|without|ohne)\s+$", re.IGNORECASE)
# A sentence about what a trial or a therapy requires is not a statement about the patient.
_REQUIREMENT = re.compile(
    r"\b(?:required|requires|requirement|eligib\w*|inclusion|exclusion|criteri\w*"
    r"|erforderlich|Voraussetzung|Einschluss\w*)\b",
    re.IGNORECASE,
)


def report_texts(report: DiagnosticReport) -> list[str]:
    """The conclusion and every text/plain presentedForm of a report."""
    texts = [report.conclusion] if report.conclusion else []
    for attachment in report.presentedForm or []:
        if attachment.data and (attachment.contentType or "").startswith("text/plain"):
            texts.append(attachment.data.decode("utf-8", errors="replace"))
    return texts


def read_report(report: DiagnosticReport) -> Reading:
    effective = (
        to_date(report.effectiveDateTime)
        or to_date(getattr(report.effectivePeriod, "start", None))
        or to_date(report.issued)
    )
    reading = Reading()
    for text in report_texts(report):
        reading.extend(read_text(text, [reference(report)], effective))
    return reading


def read_text(text: str, sources: list[str], effective: date | None) -> Reading:
    reading = Reading()
    facts = reading.facts

    def note(phrase: str) -> str:
        return f"Read from report text: '{' '.join(phrase.split())[:80]}'."

    def provenance(phrase: str) -> dict[str, Any]:
        """What every fact read here shares: its report, date, and the phrase read."""
        return {
            "note": note(phrase),
            "sources": sources,
            "effective": effective,
            "read_from": "text",
        }

    for match in _STAGE.finditer(text):
        prefix = match["prefix"].lower()
        context: StagingContext | None = (
            "clinical" if prefix in ("mr", "u") else context_for_prefix(prefix)
        )
        if context is None:
            continue
        phrase = match.group(0)
        extra = {
            "mr": " Prefix 'mr' (MRI staging) read as clinical.",
            "u": " Prefix 'u' (ultrasound staging) read as clinical.",
        }.get(prefix, "")
        categories: tuple[tuple[str, StageCategory], ...] = (("t", "T"), ("n", "N"), ("m", "M"))
        for key, category in categories:
            parsed = parse_value(match[key], category) if match[key] else None
            if parsed is None:
                continue
            facts.append(
                StageFact(
                    context=context,
                    category=category,
                    value=parsed[1],
                    note=note(phrase) + extra,
                    sources=sources,
                    effective=effective,
                    read_from="text",
                )
            )
            if category == "M":
                for fact in metastasis_from_m(parsed[1], sources, effective):
                    facts.append(
                        fact.model_copy(update={"read_from": "text", "note": note(phrase)})
                    )

    submucosal = _submucosal(text)
    if submucosal is not None:
        level, depth, phrase = submucosal
        facts.append(
            SubmucosalInvasionFact(
                level=level,
                depth_um=depth,
                **provenance(phrase),
            )
        )

    for match in _VERGE.finditer(text):
        cm = float(match[1].replace(",", ".")) * (0.1 if match[2].lower() == "mm" else 1.0)
        if 0 <= cm <= 30:
            facts.append(
                AnalVergeDistanceFact(
                    cm=round(cm, 4),
                    modality="mri" if _MRI.search(text) else None,
                    **provenance(match.group(0)),
                )
            )

    margin = _margin(text)
    if margin is not None:
        residual, involved, phrase = margin
        facts.append(
            MarginFact(
                residual=residual,
                involved=involved,
                **provenance(phrase),
            )
        )

    facts.extend(pathology.features_from_text(text, sources, effective))
    facts.extend(_performance(text, sources, effective))

    grade = grade_from_text(text)
    if grade is not None:
        facts.append(
            GradeFact(
                value=grade,
                note="Read from report text (differentiation or G category).",
                sources=sources,
                effective=effective,
                read_from="text",
            )
        )

    facts.extend(_metastases(text, sources, effective))
    facts.extend(tumor.size_from_text(text, sources, effective))
    facts.extend(biomarkers.from_text(text, sources, effective))
    return reading


_RESIDUAL_VALUES: dict[str, ResidualTumor] = {"0": "R0", "1": "R1", "2": "R2"}


def _margin(text: str) -> tuple[ResidualTumor | None, bool, str] | None:
    residual = _RESIDUAL.search(text)
    if residual:
        value = _RESIDUAL_VALUES[residual[1]]
        return value, value != "R0", residual.group(0)
    involved = _MARGIN_INVOLVED.search(text)
    clear = _MARGIN_CLEAR.search(text)
    if involved and not clear:
        return None, True, involved.group(0)
    if clear and not involved:
        return None, False, clear.group(0)
    return None  # both or neither: not decided by text


def _submucosal(text: str) -> tuple[SubmucosalLevel | None, float | None, str] | None:
    level_match = _SM_LEVEL.search(text)
    levels: dict[str, SubmucosalLevel] = {"1": "sm1", "2": "sm2", "3": "sm3"}
    level = levels[level_match[1]] if level_match else None
    depth: float | None = None
    phrase = level_match.group(0) if level_match else ""
    for sentence in _SENTENCE_END.split(text):
        if not re.search(r"submucos|depth of invasion", sentence, re.IGNORECASE):
            continue
        match = _DEPTH.search(sentence)
        if match:
            number = float(match[1].replace(",", "."))
            depth = number * 1000 if match[2].lower() == "mm" else number
            phrase = match.group(0)
            break
    if level is None and depth is None:
        return None
    return level, depth, phrase


def _performance(text: str, sources: list[str], effective: date | None) -> list[PerformanceFact]:
    found: list[PerformanceFact] = []
    for sentence in _SENTENCE_END.split(text):
        if _REQUIREMENT.search(sentence):
            continue
        for scale, pattern in _PERFORMANCE:
            for match in pattern.finditer(sentence):
                if _SCORE_RANGE.match(sentence[match.end() :]):
                    continue
                if _SCORE_NEGATED.search(sentence[: match.start()]):
                    continue
                value = int(match["value"])
                valid = value <= 5 if scale == "ecog" else value <= 100 and value % 10 == 0
                if valid:
                    found.append(
                        PerformanceFact(
                            scale=scale,
                            value=value,
                            sources=sources,
                            effective=effective,
                            read_from="text",
                            note=f"Read from report text: '{' '.join(match.group(0).split())}'.",
                        )
                    )
    return found


def _metastases(text: str, sources: list[str], effective: date | None) -> list[MetastasisFact]:
    found: list[MetastasisFact] = []
    for match in _METASTASIS.finditer(text):
        before = text[max(0, match.start() - 60) : match.start()]
        before = _SENTENCE_END.split(before)[-1]  # this sentence only
        after = _SENTENCE_END.split(text[match.end() : match.end() + 40])[0]
        negated = _NEGATION.search(before) is not None or _NEGATED_AFTER.match(after) is not None
        window = before[-30:]
        site = next(
            (s for s, words in _METASTASIS_SITES if re.search(rf"\b(?:{words})\b", window, re.I)),
            None,
        )
        phrase = (window + match.group(0)).strip()
        if negated:
            # "no distant metastases" is recorded absence; "no liver metastases" is not.
            if site is None:
                found.append(
                    MetastasisFact(
                        present=False,
                        sources=sources,
                        effective=effective,
                        read_from="text",
                        note=f"Read from report text: '{phrase}'.",
                    )
                )
            continue
        if site is not None:
            found.append(
                MetastasisFact(
                    present=True,
                    site=site,
                    sources=sources,
                    effective=effective,
                    read_from="text",
                    note=f"Read from report text: '{phrase}'.",
                )
            )
    return found
