"""High-risk pathology features: lymphatic, venous and perineural invasion; margins.

MII codes each invasion category as its own Observation (SNOMED 395715009 lymphatic L,
371493002 venous V, 371513001 perineural Pn) with a UICC value (L0/L1, V0-V2, Pn0/Pn1);
residual tumor is LOINC 84892-9 (R0/R1/R2/RX). L1 or V1/V2 also count as
lymphovascular invasion. An ``X`` value (not assessed) is no fact. Example::

    read_observation(obs_l1)   # -> lymphatic_invasion present, lymphovascular_invasion present
"""

from __future__ import annotations

import re

from fhir.resources.R4B.observation import Observation

from app.facts import codes
from app.facts.model import MarginFact, PathologyFeatureFact, ResidualTumor
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
