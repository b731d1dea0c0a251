"""Stage: TNM categories and stage groups, each in its own staging context.

The algorithm, in prose:

1. The *context* (clinical, pathological, post-neoadjuvant) comes from the observation
   code (LOINC 21905-5 is clinical T, 21899-0 pathological T, ...; `codes.STAGING_CODES`).
2. An MII ``cp-praefix`` extension on the code overrides it: ``c`` and ``u`` (ultrasound,
   a clinical method) are clinical, ``p`` pathological, any ``y`` post-neoadjuvant.
3. The value's own prefix (AJCC ``ypT1``) makes a value post-neoadjuvant; a ``c``/``p``
   prefix that contradicts the code is reported and the code wins.
4. The *value* is read from an AJCC (cancerstaging.org) or UICC code, a SNOMED qualifier
   (`codes.SNOMED_STAGE_VALUES`, else the coding's display, with a warning), or
   ``valueString``. Values lose their prefix: ``cT3`` -> ``T3``; stage groups become Roman
   numerals: ``3C`` -> ``IIIC``.
5. An M category also gives a metastasis fact: M0 recorded absent, M1 present (no site).

Conflicting stages are all kept; `PatientFacts.stage` picks the newest of one context.
Example::

    parse_value("cT3", "T")      # -> ("c", "T3")
    parse_value("3C", "group")   # -> ("", "IIIC")
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.observation import Observation

from app.facts import codes
from app.facts.model import MetastasisFact, StageCategory, StageFact, StagingContext
from app.facts.reading import Reading, codings, displays, effective_date, reference, to_date

_ROMAN = {"0": "0", "1": "I", "2": "II", "3": "III", "4": "IV"}
_TNM = re.compile(r"^(yp|yc|rp|rc|c|p|r|a|u|y)?([TNM])(is|mi|X|x|[0-4])([a-d]?\d?)", re.I)
_GROUP = re.compile(r"^(yp|yc|c|p)?\s*(?:stage\s*)?(IV|III|II|I|0|[1-4])([A-C]\d?)?$", re.I)
_DISPLAY_TNM = re.compile(r"\b(yp|yc|c|p)?([TNM](?:is|mi|X|[0-4])[a-d]?\d?)\b")
_DISPLAY_GROUP = re.compile(r"\bstage\s+(IV|III|II|I|0|[1-4])([A-C]\d?)?\b", re.I)


def parse_value(text: str, category: StageCategory) -> tuple[str, str] | None:
    """(prefix, normalized value) of a TNM or stage-group code; None if not one."""
    text = text.strip()
    if category == "group":
        match = _GROUP.match(text)
        if not match:
            return None
        numeral = _ROMAN.get(match[2], match[2].upper())
        return (match[1] or "").lower(), numeral + (match[3] or "").upper()
    match = _TNM.match(text)
    if not match or match[2].upper() != category:
        return None
    core = match[3]
    core = core if core in ("is", "mi") else core.upper()
    return (match[1] or "").lower(), f"{category}{core}{match[4]}"


def context_for_prefix(prefix: str) -> StagingContext | None:
    if "y" in prefix:
        return "post_neoadjuvant"
    if prefix.startswith(("p", "a")):
        return "pathological"
    if prefix.startswith(("c", "u")):
        return "clinical"
    return None


def read_observation(observation: Observation) -> Reading:
    reading = Reading()
    source = reference(observation)
    known = [codes.STAGING_CODES[c] for c in codings(observation.code) if c in codes.STAGING_CODES]
    if not known:
        reading.warn("staging.unknown_code", "Staging code not readable after repair.", source)
        return reading
    base_context, category = known[0]
    note: str | None = None

    prefix_ext = _mii_prefix(observation.code)
    if prefix_ext is not None:
        from_ext = context_for_prefix(prefix_ext)
        if from_ext is not None:
            base_context = from_ext
        if prefix_ext == "u":
            note = "UICC prefix 'u' (staged by ultrasound) read as clinical staging."

    value = _value(observation, category, reading, source)
    if value is None:
        return reading
    prefix, normalized = value
    context = base_context
    from_value = context_for_prefix(prefix) if prefix else None
    if from_value == "post_neoadjuvant":
        context = from_value
    elif from_value is not None and base_context is not None and from_value != base_context:
        reading.warn(
            "staging.prefix_conflict",
            f"The value's prefix says {from_value} but the code says {base_context}; "
            "the code was followed.",
            source,
        )
    elif context is None:
        context = from_value
    if context is None:
        reading.warn("staging.unknown_context", "Staging context not recorded; skipped.", source)
        return reading

    effective = effective_date(observation)
    reading.facts.append(
        StageFact(
            context=context,
            category=category,
            value=normalized,
            system=_system(observation),
            sources=[source],
            effective=effective,
            note=note,
        )
    )
    if category == "M":
        reading.facts.extend(metastasis_from_m(normalized, [source], effective))
    return reading


def metastasis_from_m(
    value: str, sources: list[str], effective: date | None
) -> list[MetastasisFact]:
    """M0 records metastasis absent, M1 (any subcategory) present without a site."""
    if value == "M0":
        present = False
    elif value.startswith("M1"):
        present = True
    else:
        return []
    return [
        MetastasisFact(
            present=present,
            sources=sources,
            effective=effective,
            note=f"From the {value} category of the TNM stage.",
        )
    ]


def _mii_prefix(concept: Any) -> str | None:
    for extension in getattr(concept, "extension", None) or []:
        if extension.url == codes.CP_PREFIX_EXTENSION and extension.valueCodeableConcept:
            for _, code in codings(extension.valueCodeableConcept):
                return code.lower()
    return None


def _value(
    observation: Observation, category: StageCategory, reading: Reading, source: str
) -> tuple[str, str] | None:
    if observation.valueString:
        parsed = parse_value(observation.valueString, category)
        if parsed:
            return parsed
    concept = observation.valueCodeableConcept
    for system, code in codings(concept):
        if system in (codes.AJCC, codes.UICC) or system == "":
            parsed = parse_value(code, category)
            if parsed:
                return parsed
        if system == codes.SNOMED and code in codes.SNOMED_STAGE_VALUES:
            parsed = parse_value(codes.SNOMED_STAGE_VALUES[code], category)
            if parsed:
                return parsed
    for text in displays(concept):
        parsed = _from_display(text, category)
        if parsed:
            reading.warn(
                "staging.value_from_display",
                "Stage value code not known; read from its display text.",
                source,
            )
            return parsed
    reading.warn("staging.unknown_value", "Stage value not recognized; skipped.", source)
    return None


def _from_display(text: str, category: StageCategory) -> tuple[str, str] | None:
    if category == "group":
        match = _DISPLAY_GROUP.search(text)
        return parse_value(match[1] + (match[2] or ""), "group") if match else None
    for match in _DISPLAY_TNM.finditer(text):
        parsed = parse_value((match[1] or "") + match[2], category)
        if parsed:
            return parsed
    return None


def _system(observation: Observation) -> str | None:
    for system, code in codings(observation.method):
        if (system, code) in codes.STAGING_SYSTEMS:
            return codes.STAGING_SYSTEMS[(system, code)]
        if system == codes.MII_TNM_VERSION_SYSTEM:
            return f"UICC {code}"
    value_systems = {system for system, _ in codings(observation.valueCodeableConcept)}
    if codes.AJCC in value_systems:
        return "AJCC"
    if codes.UICC in value_systems:
        return "UICC"
    return None


# Condition.stage.type (SNOMED): clinical / pathological staging.
_STAGE_TYPES: dict[str, StagingContext] = {"260998006": "clinical", "261023001": "pathological"}


def read_condition_stages(
    condition: Condition, assessed: dict[str, StagingContext] | None = None
) -> Reading:
    """Stage groups in Condition.stage.summary, each in the context its type names.

    Without a type, the context of the staging Observations that ``stage.assessment``
    references (``assessed``: reference -> context) is used when they agree.
    """
    reading = Reading()
    source = reference(condition)
    effective = to_date(condition.recordedDate) or to_date(condition.onsetDateTime)
    for stage in condition.stage or []:
        if stage.summary is None:
            continue
        context: StagingContext | None = None
        for system, code in codings(stage.type):
            if system == codes.SNOMED and code in _STAGE_TYPES:
                context = _STAGE_TYPES[code]
        via_assessment = {
            (assessed or {}).get(str(ref.reference)) for ref in stage.assessment or []
        } - {None}
        if context is None and len(via_assessment) == 1:
            context = via_assessment.pop()
        parsed: tuple[str, str] | None = None
        for system, code in codings(stage.summary):
            if system in (codes.AJCC, codes.UICC):
                parsed = parse_value(code, "group")
            elif system == codes.SNOMED and code in codes.SNOMED_STAGE_VALUES:
                parsed = parse_value(codes.SNOMED_STAGE_VALUES[code], "group")
            if parsed:
                break
        if parsed is None:
            reading.warn("staging.unknown_value", "Condition stage not recognized.", source)
            continue
        prefix, value = parsed
        from_value = context_for_prefix(prefix) if prefix else None
        if from_value == "post_neoadjuvant" or context is None:
            context = from_value
        if context is None:
            reading.warn(
                "staging.unknown_context",
                "Condition stage has no type or prefix; context unknown, skipped.",
                source,
            )
            continue
        reading.facts.append(
            StageFact(
                context=context,
                category="group",
                value=value,
                sources=[source],
                effective=effective,
                note="From Condition.stage.summary.",
            )
        )
    return reading
