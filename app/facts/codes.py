"""The code sets the normalizer reads, built from the vocabulary data files.

Every code set lives in a versioned data file of `app.vocabulary` that names its source
(``app/vocabulary/data/*.yaml``); this module gives the readers the same names they
have always used, typed with the fact model's value sets, and checks once, on import,
that each value of the data is one the model allows (a data value the model does not
know fails at start, not at a patient). Keys are ``(system, code)`` pairs (see `SNOMED`,
`LOINC`, ...); ICD-10 is matched by prefix and range on the normalized code (``C18.7``
== ``C187``). URLs of code systems, extensions and profiles stay here. Example::

    OBSERVATION_ROUTES[(LOINC, "21905-5")]   # -> "staging"
    icd10_category("B20.1")                   # -> "hiv"
    icd10_cancer_site("C18.7")                # -> "colon"
"""

from __future__ import annotations

from functools import cache
from typing import Any, Literal, get_args

from app.facts.model import (
    Analyte,
    BiomarkerName,
    BiomarkerStatus,
    BodyRegion,
    CancerBehavior,
    CancerSite,
    ConditionCategory,
    Histology,
    LocalExcisionTechnique,
    MetastasisSite,
    StageCategory,
    StagingContext,
    TreatmentCategory,
)
from app.vocabulary import conditions, histology, labs, sites
from app.vocabulary.files import VocabularyError
from app.vocabulary.icd10 import Selector, normalize
from app.vocabulary.tables import Row, entries, rows

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
AJCC = "http://cancerstaging.org"
UICC = "https://www.uicc.org/resources/tnm"
ICD_O_3 = "http://terminology.hl7.org/CodeSystem/icd-o-3"
UCUM = "http://unitsofmeasure.org"
HGNC_SYSTEMS = frozenset({"http://www.genenames.org/geneId", "http://www.genenames.org"})
ICD10_SYSTEMS = frozenset(
    {
        "http://hl7.org/fhir/sid/icd-10-cm",
        "http://hl7.org/fhir/sid/icd-10",
        "http://fhir.de/CodeSystem/bfarm/icd-10-gm",
        "http://fhir.de/CodeSystem/dimdi/icd-10-gm",
    }
)

Code = tuple[str, str]


def _as(kind: Any, value: object) -> Any:
    """``value`` when it is one of the Literal ``kind``'s values; else the data is wrong."""
    if value not in get_args(kind):
        raise VocabularyError(f"vocabulary value {value!r} is not one the fact model allows")
    return value


def _key(row: Row) -> Code:
    return (row.system, row.code)


# --- Extensions (mCODE, MII, core) ---------------------------------------------------
HISTOLOGY_EXTENSION = (
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior"
)
ASSERTED_DATE_EXTENSION = "http://hl7.org/fhir/StructureDefinition/condition-assertedDate"
CP_PREFIX_EXTENSION = (
    "https://www.medizininformatik-initiative.de/fhir/ext/modul-onko/"
    "StructureDefinition/mii-ex-onko-tnm-cp-praefix"
)
PRIMARY_CANCER_PROFILE = "mcode-primary-cancer-condition"
SECONDARY_CANCER_PROFILE = "mcode-secondary-cancer-condition"
MII_TNM_VERSION_SYSTEM = (
    "https://www.medizininformatik-initiative.de/fhir/ext/modul-onko/CodeSystem/"
    "mii-cs-onko-tnm-version"
)

# --- Where an Observation goes (data/observations.yaml) ------------------------------
Concept = Literal[
    "staging", "performance", "labs", "biomarkers", "tumor", "pathology", "grade", "pregnancy"
]

_OBS = "observations"
STAGING_CODES: dict[Code, tuple[StagingContext | None, StageCategory]] = {
    _key(r): (
        None if r.fields["context"] is None else _as(StagingContext, r.fields["context"]),
        _as(StageCategory, r.fields["category"]),
    )
    for r in rows(_OBS, "staging_codes")
}
STAGING_SYSTEMS: dict[Code, str] = {
    _key(r): str(r.fields["system_name"]) for r in rows(_OBS, "staging_systems")
}
# Other SNOMED staging values are read from the coding's display, with a warning.
SNOMED_STAGE_VALUES: dict[str, str] = {
    r.code: str(r.fields["value"]) for r in rows(_OBS, "snomed_stage_values")
}
ECOG_CODES: frozenset[Code] = frozenset(_key(r) for r in rows(_OBS, "ecog_codes"))
KARNOFSKY_CODES: frozenset[Code] = frozenset(_key(r) for r in rows(_OBS, "karnofsky_codes"))
ECOG_ANSWERS: dict[str, int] = {r.code: int(r.fields["value"]) for r in rows(_OBS, "ecog_answers")}
KARNOFSKY_ANSWERS: dict[str, int] = {
    r.code: int(r.fields["value"]) for r in rows(_OBS, "karnofsky_answers")
}

# Labs: LOINC code -> analyte (data/labs.yaml).
LAB_CODES: dict[str, Analyte] = {
    code: _as(Analyte, name) for code, name in labs.loinc_codes().items()
}

BIOMARKER_CODES: dict[str, tuple[BiomarkerName, str | None]] = {
    r.code: (_as(BiomarkerName, r.fields["marker"]), r.fields.get("detail"))
    for r in rows(_OBS, "biomarker_codes")
}
_NAMED = {str(r.fields["name"]): r.code for r in rows(_OBS, "named_codes")}
GENETIC_VARIANT_CODE = _NAMED["genetic_variant"]
GENE_STUDIED_CODE = _NAMED["gene_studied"]
HGNC_GENES: dict[str, BiomarkerName] = {
    r.code: _as(BiomarkerName, r.fields["marker"]) for r in rows(_OBS, "genes")
}
BIOMARKER_ANSWERS: dict[Code, BiomarkerStatus] = {
    _key(r): _as(BiomarkerStatus, r.fields["status"]) for r in rows(_OBS, "biomarker_answers")
}

TUMOR_DISTANCE_ANAL_VERGE = _NAMED["tumor_distance_anal_verge"]
TUMOR_SIZE_CODES = frozenset(r.code for r in rows(_OBS, "tumor_size_codes"))
GRADE_CODES = frozenset(r.code for r in rows(_OBS, "grade_codes"))
RESIDUAL_TUMOR_CODE = _NAMED["residual_tumor"]
PREGNANCY_CODE = _NAMED["pregnancy"]
PREGNANT_ANSWERS: dict[str, bool] = {
    r.code: bool(r.fields["pregnant"]) for r in rows(_OBS, "pregnancy_answers")
}
# Read by the pregnancy reader: one concept, "pregnancy or lactation".
LACTATION_CODE = _NAMED["lactation"]
LACTATING_ANSWERS: dict[Code, bool] = {
    _key(r): bool(r.fields["lactating"]) for r in rows(_OBS, "lactation_answers")
}
# ICD-O-3 morphology in an Observation (LOINC 59847-4 "Histology and Behavior ICD-O-3").
HISTOLOGY_OBSERVATION_CODE = "59847-4"

INVASION_CODES: dict[
    str, Literal["lymphatic_invasion", "venous_invasion", "perineural_invasion"]
] = {r.code: r.fields["feature"] for r in rows(_OBS, "invasion_codes")}
if not set(INVASION_CODES.values()) <= {
    "lymphatic_invasion",
    "venous_invasion",
    "perineural_invasion",
}:
    raise VocabularyError("an invasion code names a feature the pathology reader does not read")

OBSERVATION_ROUTES: dict[Code, Concept] = {
    **{code: "staging" for code in STAGING_CODES},
    **{code: "performance" for code in ECOG_CODES | KARNOFSKY_CODES},
    **{(LOINC, code): "labs" for code in LAB_CODES},
    **{(LOINC, code): "biomarkers" for code in BIOMARKER_CODES},
    (LOINC, GENETIC_VARIANT_CODE): "biomarkers",
    (LOINC, TUMOR_DISTANCE_ANAL_VERGE): "tumor",
    **{(LOINC, code): "tumor" for code in TUMOR_SIZE_CODES},
    **{(LOINC, code): "grade" for code in GRADE_CODES},
    (LOINC, RESIDUAL_TUMOR_CODE): "pathology",
    **{(SNOMED, code): "pathology" for code in INVASION_CODES},
    (LOINC, PREGNANCY_CODE): "pregnancy",
    (LOINC, LACTATION_CODE): "pregnancy",
}

# --- Primary cancer (data/cancer_sites.yaml) ------------------------------------------
SNOMED_CANCER_SITES: dict[str, CancerSite] = {
    code: _as(CancerSite, name) for code, name in sites.snomed_codes().items()
}
for _name in sites.names():
    _as(CancerSite, _name)


def icd10_cancer_site(code: str) -> CancerSite | None:
    """The primary site of an ICD-10 C code; None for secondary (C77-C79), non-cancer, or a
    cancer code the vocabulary cannot place (see `icd10_primary` to tell those apart)."""
    placement = sites.for_icd10(code)
    return None if placement is None else placement.site  # type: ignore[return-value]


def icd10_primary(code: str) -> tuple[CancerSite | None, CancerBehavior] | None:
    """(site or None when not placed, behaviour) of a primary neoplasm ICD-10 code
    (C00-C97 but C77-C79; in situ D00-D09); None when the code is no such neoplasm."""
    placement = sites.for_icd10(code)
    if placement is None:
        return None
    return placement.site, placement.behavior  # type: ignore[return-value]


def topography_cancer_site(code: str) -> CancerSite | None:
    """The site of an ICD-O-3 topography code (C20.9 -> rectum)."""
    return sites.for_topography(code)  # type: ignore[return-value]


def site_within(site: CancerSite, ancestor: CancerSite) -> bool:
    """``site`` is ``ancestor`` or inside it (rectum within colorectal)."""
    return sites.within(site, ancestor)


def site_ancestors(site: CancerSite) -> list[CancerSite]:
    return sites.ancestors(site)  # type: ignore[return-value]


def site_relatives(site: CancerSite) -> frozenset[CancerSite]:
    """The site, the sites it lies in, and the sites that lie in it: every site a
    criterion may name that a cancer recorded at ``site`` may be (or be inside)."""
    return _relatives(site)


@cache
def _relatives(site: CancerSite) -> frozenset[CancerSite]:
    # The site tree is fixed per process; per match this was ~150 tree walks per cancer.
    return frozenset(
        s  # type: ignore[misc]
        for s in sites.names()
        if sites.within(s, site) or sites.within(site, s)
    )


def is_malignancy_history(code: str) -> bool:
    """An ICD-10 personal-history-of-malignancy code (Z85): a prior cancer."""
    return sites.is_history_code(code)


# Histology (data/histology.yaml): ICD-O-3 four-digit type and SNOMED morphology.
for _name in histology.names():
    _as(Histology, _name)
SNOMED_HISTOLOGY: dict[str, Histology] = {
    code: _as(Histology, name) for code, name in histology.snomed_codes().items()
}
BEHAVIORS: dict[str, CancerBehavior] = {
    digit: _as(CancerBehavior, name) for digit, name in histology.behaviours().items()
}


def morphology(code: str) -> tuple[Histology | None, CancerBehavior | None]:
    """(family, behaviour) of an ICD-O-3 morphology code; either is None when unknown."""
    found = histology.for_morphology(code)
    return found.family, found.behavior  # type: ignore[return-value]


def histology_within(name: Histology, family: Histology, site: CancerSite | None = None) -> bool:
    """Histology ``name`` belongs to ``family`` (at ``site``, for site-bound members)."""
    return histology.within(name, family, sites.ancestors(site) if site else None)


def _histology_types() -> set[str]:
    found: set[str] = set()
    for name in histology.names():
        family = histology.family(name)
        found |= family.types
        for low, high in family.ranges:
            found |= {f"{n:04d}" for n in range(int(low), int(high) + 1)}
    return found


# ICD-O-3 four-digit histology type -> its deepest family.
ICDO3_HISTOLOGY: dict[str, Histology] = {
    t: _as(Histology, histology.for_morphology(t).family) for t in sorted(_histology_types())
}

# --- Metastasis (data/metastasis.yaml) ------------------------------------------------
_MET = "metastasis"
SECONDARY_CANCER_GENERIC = rows(_MET, "secondary_generic")[0].code
SNOMED_METASTASIS_SITES: dict[str, MetastasisSite] = {
    r.code: _as(MetastasisSite, r.fields["site"]) for r in rows(_MET, "snomed_metastasis_sites")
}
SNOMED_BODY_SITE_METASTASIS: dict[str, MetastasisSite] = {
    r.code: _as(MetastasisSite, r.fields["site"]) for r in rows(_MET, "body_site_metastasis")
}
_ICD10_METASTASIS: list[tuple[Selector, MetastasisSite]] = sorted(
    (
        (Selector.parse(e["icd10"]), _as(MetastasisSite, e["site"]))
        for e in entries(_MET, "icd10_metastasis_sites")
    ),
    key=lambda pair: -pair[0].length,
)


def icd10_metastasis_site(code: str) -> MetastasisSite | None:
    """ICD-10 C78/C79 secondary neoplasms to a site; None when the code is not one."""
    norm = normalize(code)
    return next((site for sel, site in _ICD10_METASTASIS if sel.matches(norm)), None)


# --- History (data/conditions.yaml) ---------------------------------------------------
for _name in conditions.names():
    _as(ConditionCategory, _name)
# (ICD-10 selectors, category) of every category, the deepest category first.
ICD10_HISTORY: list[tuple[tuple[str, ...], ConditionCategory]] = [
    (
        tuple(s.low if s.low == s.high else f"{s.low}-{s.high}" for s in c.icd10),
        _as(ConditionCategory, c.name),
    )
    for c in sorted(
        (conditions.category(n) for n in conditions.names()),
        key=lambda c: -len(conditions.ancestors(c.name)),
    )
    if c.icd10
]


def icd10_category(code: str) -> ConditionCategory | None:
    """The deepest category whose ICD-10 selectors select the code."""
    return conditions.for_icd10(code)  # type: ignore[return-value]


def text_category(text: str) -> ConditionCategory | None:
    """The category a diagnosis's text names by one of its words (data/conditions.yaml)."""
    return conditions.for_text(text)  # type: ignore[return-value]


def category_within(category: ConditionCategory, ancestor: ConditionCategory) -> bool:
    """``category`` is ``ancestor`` or inside it (myocardial infarction within
    cardiovascular disease)."""
    return conditions.within(category, ancestor)


SNOMED_HISTORY: dict[str, ConditionCategory] = {
    code: _as(ConditionCategory, name) for code, name in conditions.snomed_codes().items()
}

PREGNANCY_CONDITION_SNOMED = frozenset(r.code for r in rows(_MET, "pregnancy_conditions"))

# --- Procedures (data/treatments.yaml) ------------------------------------------------
_TR = "treatments"
SNOMED_TREATMENTS: dict[str, tuple[TreatmentCategory, LocalExcisionTechnique | None]] = {
    r.code: (
        _as(TreatmentCategory, r.fields["category"]),
        _as(LocalExcisionTechnique, r.fields["technique"]) if "technique" in r.fields else None,
    )
    for r in rows(_TR, "snomed_treatments")
}
RADIATION_PROFILE = "mcode-cancer-related-radiation-procedure"
SURGERY_PROFILE = "mcode-cancer-related-surgical-procedure"

# Words in a procedure's name, for procedures coded in local systems (read as text).
TREATMENT_WORDS: list[tuple[str, TreatmentCategory, LocalExcisionTechnique | None]] = [
    (
        str(e["words"]),
        _as(TreatmentCategory, e["category"]),
        _as(LocalExcisionTechnique, e["technique"]) if "technique" in e else None,
    )
    for e in entries(_TR, "treatment_words")
]

SNOMED_BODY_REGIONS: dict[str, BodyRegion] = {
    r.code: _as(BodyRegion, r.fields["region"]) for r in rows(_TR, "body_regions")
}


# --- MII Onkologie codes read by the shape readers (data/observations.yaml, metastasis.yaml)
# Sources: MII Onkologie module (github.com/medizininformatik-initiative/
# kerndatensatzmodul-onkologie, input/fsh/oBDS/11_Fernmetastasen and
# 12_Allgemeiner_Leistungszustand: dev branch of 2024-10 and later revisions); oBDS 2021
# items 11.1 and 12.1.

# MII performance status: ECOG as CodeSystem mii-cs-onko-allgemeiner-leistungszustand-ecog
# (0-4; U = unknown, no value) and Karnofsky as mii-cs-onko-allgemeiner-leistungszustand-
# karnofsky ("100%" ... "0%"). The 2024 profile sends both as components of one Observation
# (code SNOMED 423690003) with component codes SNOMED 423740007 / 761869008.
MII_ECOG_SYSTEM = (
    "https://www.medizininformatik-initiative.de/fhir/ext/modul-onko/CodeSystem/"
    "mii-cs-onko-allgemeiner-leistungszustand-ecog"
)
MII_KARNOFSKY_SYSTEM = (
    "https://www.medizininformatik-initiative.de/fhir/ext/modul-onko/CodeSystem/"
    "mii-cs-onko-allgemeiner-leistungszustand-karnofsky"
)
MII_ECOG_ANSWERS: dict[str, int] = {
    r.code: int(r.fields["value"]) for r in rows(_OBS, "mii_ecog_answers")
}
MII_KARNOFSKY_ANSWERS: dict[str, int] = {
    r.code: int(r.fields["value"]) for r in rows(_OBS, "mii_karnofsky_answers")
}

# MII distant metastasis: one Observation per site, code SNOMED 385421009 "Site of distant
# metastasis", value from mii-cs-onko-fernmetastasen (oBDS 11.1, the TNM localisation
# abbreviations). The CodeSystem was published under two URLs (mii-cs-fernmetastasen before
# the module unified its URLs); both are read. Sites trialmatch has no category for are
# "other"; GEN (generalised) is a metastasis whose sites are not named (site None).
SITE_OF_DISTANT_METASTASIS = rows(_MET, "site_of_distant_metastasis")[0].code
MII_METASTASIS_SYSTEMS = frozenset(
    {
        "https://www.medizininformatik-initiative.de/fhir/ext/modul-onko/CodeSystem/"
        "mii-cs-onko-fernmetastasen",
        "https://www.medizininformatik-initiative.de/fhir/ext/modul-onko/CodeSystem/"
        "mii-cs-fernmetastasen",
    }
)
MII_METASTASIS_SITES: dict[str, MetastasisSite | None] = {
    r.code: None if r.fields["site"] is None else _as(MetastasisSite, r.fields["site"])
    for r in rows(_MET, "mii_metastasis_sites")
}
