"""Distant metastases recorded as Observations: the MII Onkologie Fernmetastasen profile.

The MII (oBDS item 11) records each site of distant metastasis as its own Observation:
code SNOMED 385421009 "Site of distant metastasis", value a localisation code of the MII
CodeSystem (PUL lung, OSS bone, HEP liver, ...; `codes.MII_METASTASIS_SITES`) or a SNOMED
body structure, date the diagnostic confirmation. Each is a metastasis recorded present at
that site. GEN (generalised) is present with no site named. A value trialmatch cannot read
is still a metastasis, present, at an unnamed site, with a warning: the code alone says
there is one. Example::

    read_observation(obs_385421009_hep)   # -> MetastasisFact(present=True, site="liver")
"""

from __future__ import annotations

from fhir.resources.R4B.observation import Observation

from app.facts import codes
from app.facts.model import MetastasisFact, MetastasisSite
from app.facts.reading import Reading, codings, effective_date, reference


def read_observation(observation: Observation) -> Reading:
    reading = Reading()
    source = reference(observation)
    found = _site(observation)
    note = None
    if found is None:
        note = "Site of distant metastasis recorded; its site code was not recognized."
        reading.warn(
            "metastasis.unknown_site",
            "Site of distant metastasis not recognized; read as a metastasis, site unnamed.",
            source,
        )
    reading.facts.append(
        MetastasisFact(
            present=True,
            site=found[0] if found else None,
            sources=[source],
            effective=effective_date(observation),
            note=note,
        )
    )
    return reading


def _site(observation: Observation) -> tuple[MetastasisSite | None] | None:
    """(site,) when the value names one (site None for GEN), None when it is not read."""
    for system, code in codings(observation.valueCodeableConcept):
        if system in codes.MII_METASTASIS_SYSTEMS and code.upper() in codes.MII_METASTASIS_SITES:
            return (codes.MII_METASTASIS_SITES[code.upper()],)
        if system == codes.SNOMED and code in codes.SNOMED_BODY_SITE_METASTASIS:
            return (codes.SNOMED_BODY_SITE_METASTASIS[code],)
    return None
