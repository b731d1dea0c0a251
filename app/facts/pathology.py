"""High-risk pathology features: lymphatic, venous and perineural invasion; margins.

MII codes each invasion category as its own Observation (SNOMED 395715009 lymphatic L,
371493002 venous V, 371513001 perineural Pn) with a UICC value (L0/L1, V0-V2, Pn0/Pn1);
residual tumor is LOINC 84892-9 (R0/R1/R2/RX). L1 or V1/V2 also count as
lymphovascular invasion. An ``X`` value (not assessed) is no fact.

Pathology text (`features_from_text`, called by `app.facts.report_text`) states the same
features in words, read clause by clause (a clause ends at . ; , or "but"):

- absent: a negation right before the mention ("no perineural invasion identified",
  "negative for lymphovascular invasion", "without evidence of LVI", "no LVI or PNI",
  German "keine Perineuralscheideninfiltration", "kein Nachweis einer Lymphangiosis"), or
  right after it ("LVI: not identified", "PNI absent", "Veneninvasion nicht nachweisbar");
- present: "PNI present", "lymphovascular invasion: identified", "positive for PNI";
- UICC categories: "L0 V0 Pn0", "L1, V0" (L and V only beside another category, so a
  vertebra "L1" is not read; Pn alone is read). L0 with V0 is no lymphovascular invasion.

"no LVI; PNI present" reads each feature on its own; a feature stated both ways is not
decided. Example::

    read_observation(obs_l1)   # -> lymphatic_invasion present, lymphovascular_invasion present
    features_from_text("No LVI; PNI present.", sources, day)
    # -> [PathologyFeatureFact(lymphovascular_invasion, present=False),
    #     PathologyFeatureFact(perineural_invasion, present=True)]
"""

from __future__ import annotations

import re
from datetime import date

from fhir.resources.R4B.observation import Observation

from app.facts import codes
from app.facts.model import MarginFact, PathologyFeature, PathologyFeatureFact, ResidualTumor
from app.facts.reading import Reading, codings, displays, effective_date, reference

_INVASION_VALUE = re.compile(r"^(L|V|Pn)([0-2])$", re.IGNORECASE)
_RESIDUAL = re.compile(r"\bR([012X])\b", re.IGNORECASE)


def read_observation(observation: Observation) -> Reading:
    reading = Reading()
    source = reference(observation)
    effective = effective_date(observation)
    texts = [code for _, code in codings(observation.valueCodeableConcept)]
    texts += displays(observation.valueCodeableConcept)
    if observation.valueString:
        texts.append(observation.valueString)
    observed = {code for _, code in codings(observation.code)}
    if codes.RESIDUAL_TUMOR_CODE in observed:
        for text in texts:
            match = _RESIDUAL.search(text)
            if match:
                residual: ResidualTumor = f"R{match[1].upper()}"  # type: ignore[assignment]
                involved = None if residual == "RX" else residual != "R0"
                reading.facts.append(
                    MarginFact(
                        residual=residual, involved=involved, sources=[source], effective=effective
                    )
                )
                return reading
        reading.warn("pathology.unknown_value", "Residual tumor value not recognized.", source)
        return reading
    feature = next(codes.INVASION_CODES[c] for c in observed if c in codes.INVASION_CODES)
    for text in texts:
        match = _INVASION_VALUE.match(text.strip())
        if match:
            detail = match[1].capitalize() + match[2] if match[1].lower() == "pn" else text.upper()
            present = match[2] != "0"
            reading.facts.append(
                PathologyFeatureFact(
                    feature=feature,
                    present=present,
                    detail=detail,
                    sources=[source],
                    effective=effective,
                )
            )
            if feature != "perineural_invasion" and present:
                reading.facts.append(
                    PathologyFeatureFact(
                        feature="lymphovascular_invasion",
                        present=True,
                        detail=detail,
                        sources=[source],
                        effective=effective,
                        read_from="derived",
                        note=f"{detail} is lymphovascular invasion.",
                    )
                )
            return reading
    reading.warn("pathology.unknown_value", "Invasion value not recognized (or X).", source)
    return reading


# Words naming each feature (English, German). Word boundaries on every side.
_FEATURE_WORDS: list[tuple[PathologyFeature, str]] = [
    (
        "lymphovascular_invasion",
        r"lympho-?vascular\s+(?:space\s+)?invasion|LVSI|LVI|angiolymphatic\s+invasion",
    ),
    (
        "lymphatic_invasion",
        r"lymphatic\s+invasion|Lymphgef(?:ä|ae)(?:ß|ss)invasion|Lymphangiosis(?:\s+carcinomatosa)?",
    ),
    ("venous_invasion", r"venous\s+invasion|Veneninvasion|Veneneinbruch"),
    (
        "perineural_invasion",
        r"perineural\s+invasion|PNI|Perineuralscheideninfiltration|Perineuralscheideninvasion"
        r"|perineurale\s+Invasion",
    ),
]
_ANY_FEATURE = "|".join(words for _, words in _FEATURE_WORDS)
_CLAUSE_END = re.compile(r"[.;,]\s|[.;]$|\n|\b(?:but|however|aber|jedoch)\b", re.IGNORECASE)
# A negation attached to the mention: only qualifiers and other features may stand between.
_NEGATED_BEFORE = re.compile(
    r"\b(?:no|not|without|negative\s+for|free\s+of|absence\s+of|ohne|keine?[mnrs]?"
    r"|kein\s+(?:Anhalt|Hinweis|Nachweis)\s+(?:f(?:ü|ue)r|auf|von|einer?|eines))\s+"
    r"(?:(?:evidence|signs?|foci|definite|obvious|convincing|any)\s+(?:of\s+)?)*"
    rf"(?:(?:{_ANY_FEATURE})\s*(?:,|/|or|and|nor|oder|und|noch)\s*)*$",
    re.IGNORECASE,
)
_POSITIVE_BEFORE = re.compile(r"\b(?:positive\s+for|with)\s+$", re.IGNORECASE)
_STATED_AFTER = re.compile(
    r"^\s*(?::|-|is|was|were|are|ist)?\s*(?:"
    r"(?P<absent>not\s+(?:identified|seen|present|detected|found|evident)|absent|negative|none"
    r"|nicht\s+(?:nachweisbar|nachgewiesen|vorhanden))"
    r"|(?P<present>present|identified|seen|positive|detected|noted|nachweisbar|vorhanden))\b",
    re.IGNORECASE,
)
_UICC_RUN = re.compile(
    r"(?:(?<![A-Za-z0-9])(?:L[01X]|V[0-2X]|Pn[01X])(?![A-Za-z0-9])[\s,/]*){2,}"
    r"|(?<![A-Za-z0-9])Pn[01X](?![A-Za-z0-9])"
)
_UICC = re.compile(r"(?<![A-Za-z0-9])(L|V|Pn)([0-2X])(?![A-Za-z0-9])")
_UICC_FEATURE: dict[str, PathologyFeature] = {
    "L": "lymphatic_invasion",
    "V": "venous_invasion",
    "Pn": "perineural_invasion",
}


def features_from_text(
    text: str, sources: list[str], effective: date | None
) -> list[PathologyFeatureFact]:
    """Invasion features stated in pathology text, present or absent (see the docstring)."""
    stated: dict[PathologyFeature, dict[bool, str]] = {}

    def state(feature: PathologyFeature, present: bool, phrase: str) -> None:
        stated.setdefault(feature, {}).setdefault(present, phrase)
        if present and feature in ("lymphatic_invasion", "venous_invasion"):
            stated.setdefault("lymphovascular_invasion", {}).setdefault(True, phrase)

    for clause in _CLAUSE_END.split(text):
        for feature, words in _FEATURE_WORDS:
            for match in re.finditer(rf"\b(?:{words})\b", clause, re.IGNORECASE):
                before, after = clause[: match.start()], clause[match.end() :]
                after_match = _STATED_AFTER.match(after)
                phrase = clause.strip()
                if _NEGATED_BEFORE.search(before):
                    state(feature, False, phrase)
                elif after_match is not None:
                    state(feature, after_match["present"] is not None, phrase)
                elif _POSITIVE_BEFORE.search(before):
                    state(feature, True, phrase)

    categories: dict[str, str] = {}
    for run in _UICC_RUN.finditer(text):
        for letter, value in _UICC.findall(run.group(0)):
            if value != "X":
                categories[letter] = value
                feature = _UICC_FEATURE[letter]
                state(feature, value != "0", run.group(0).strip())
    if categories.get("L") == "0" and categories.get("V") == "0":
        state("lymphovascular_invasion", False, "L0 V0")

    facts = []
    for feature, polarity in stated.items():
        if len(polarity) != 1:
            continue  # stated both ways: not decided by text
        present, phrase = next(iter(polarity.items()))
        facts.append(
            PathologyFeatureFact(
                feature=feature,
                present=present,
                sources=sources,
                effective=effective,
                read_from="text",
                note=f"Read from report text: '{' '.join(phrase.split())[:80]}'.",
            )
        )
    return facts
