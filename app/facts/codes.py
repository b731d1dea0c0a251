"""The code sets the normalizer reads, each with its source.

Keys are ``(system, code)`` pairs (see `SNOMED`, `LOINC`, ...); ICD-10 is matched by prefix
because real data carries both ``C18`` and ``C18.7``. Sources, cited once here and by
short name below:

- LOINC: loinc.org (codes and LA answer lists as published in LOINC 2.7x).
- SNOMED: SNOMED CT International, browser.ihtsdotools.org; AJCC qualifier values
  (1228938002 cT3, ...) as used in mCODE STU2+ examples and DICOM CID 6160.
- mCODE: HL7 mCODE IG (STU1 and current) value sets and examples.
- MII: Medizininformatik-Initiative Onkologie module (UICC codes, cp-praefix extension).
- ICD-10: WHO ICD-10 / ICD-10-CM chapter II (neoplasms) and the named blocks.
- ICD-O-3: WHO ICD-O-3 morphology codes.
- DOMAIN: trialmatch's shared/DOMAIN.md primer (which itself cites the above).

Example::

    OBSERVATION_ROUTES[(LOINC, "21905-5")]   # -> "staging"
    icd10_category("B20.1")                   # -> "hiv"
"""

from __future__ import annotations

from typing import Literal

from app.facts.model import (
    Analyte,
    BiomarkerName,
    BiomarkerStatus,
    BodyRegion,
    CancerSite,
    ConditionCategory,
    Histology,
    LocalExcisionTechnique,
    MetastasisSite,
    StageCategory,
    StagingContext,
    TreatmentCategory,
)

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

# --- Where an Observation goes (LOINC, SNOMED; DOMAIN) -------------------------------
Concept = Literal[
    "staging", "performance", "labs", "biomarkers", "tumor", "pathology", "grade", "pregnancy"
]

# Staging observation codes -> (context, category). LOINC 2190x/2191x; SNOMED observables.
STAGING_CODES: dict[Code, tuple[StagingContext | None, StageCategory]] = {
    (LOINC, "21905-5"): ("clinical", "T"),
    (LOINC, "21906-3"): ("clinical", "N"),
    (LOINC, "21907-1"): ("clinical", "M"),
    (LOINC, "21908-9"): ("clinical", "group"),
    (LOINC, "21899-0"): ("pathological", "T"),
    (LOINC, "21900-6"): ("pathological", "N"),
    (LOINC, "21901-4"): ("pathological", "M"),
    (LOINC, "21902-2"): ("pathological", "group"),
    (LOINC, "21914-7"): (None, "group"),  # "Stage group.other": context from prefix only
    (SNOMED, "399504009"): ("clinical", "T"),
    (SNOMED, "399534004"): ("clinical", "N"),
    (SNOMED, "399387003"): ("clinical", "M"),
    (SNOMED, "399537006"): ("clinical", "group"),
    (SNOMED, "384625004"): ("pathological", "T"),
    (SNOMED, "371494008"): ("pathological", "N"),
    (SNOMED, "371497001"): ("pathological", "M"),
    (SNOMED, "399588009"): ("pathological", "group"),
}

# Staging system from Observation.method (SNOMED; MII tnm-version CodeSystem).
STAGING_SYSTEMS: dict[Code, str] = {
    (SNOMED, "897275008"): "AJCC 8",
    (SNOMED, "443830009"): "AJCC 7",
    (SNOMED, "444256004"): "AJCC 6",
}
MII_TNM_VERSION_SYSTEM = (
    "https://www.medizininformatik-initiative.de/fhir/ext/modul-onko/CodeSystem/"
    "mii-cs-onko-tnm-version"
)

# SNOMED AJCC qualifier values (SNOMED; DOMAIN; DICOM CID 6160 for the pT codes).
# Other SNOMED staging values are read from the coding's display, with a warning.
SNOMED_STAGE_VALUES: dict[str, str] = {
    "1228938002": "cT3",
    "1229967007": "cN0",
    "1229984001": "cN3",
    "1229901006": "cM0",
    "1228950008": "pTX",
    "1228951007": "pT0",
    "1228953005": "pTis",
    "1228957006": "pT1",
    "1228959009": "pT1a",
    "1228962007": "pT1b",
    "1229846008": "pT1c",
    "1229852009": "pT2",
    "1229859000": "pT3",
    "1229864001": "pT4",
    "1229865000": "pT4a",
    "1229866004": "pT4b",
    # Stage group qualifiers used by Synthea / MITRE fixtures.
    "258215001": "1",
    "258219007": "2",
    "258224005": "3",
    "258228008": "4",
    "261638004": "3A",
}

# ECOG (LOINC 89247-1 family; SNOMED 423740007) and Karnofsky (LOINC 89243-0).
ECOG_CODES: frozenset[Code] = frozenset(
    {(LOINC, "89247-1"), (LOINC, "89262-0"), (SNOMED, "423740007")}
)
KARNOFSKY_CODES: frozenset[Code] = frozenset({(LOINC, "89243-0"), (SNOMED, "761869008")})
# LOINC answer lists LL529-9 (ECOG) and LL4986-7 (Karnofsky).
ECOG_ANSWERS: dict[str, int] = {
    "LA9622-7": 0,
    "LA9623-5": 1,
    "LA9624-3": 2,
    "LA9625-0": 3,
    "LA9626-8": 4,
    "LA9627-6": 5,
}
KARNOFSKY_ANSWERS: dict[str, int] = {
    "LA29175-9": 100,
    "LA29176-7": 90,
    "LA29177-5": 80,
    "LA29178-3": 70,
    "LA29179-1": 60,
    "LA29180-9": 50,
    "LA29181-7": 40,
    "LA29182-5": 30,
    "LA29183-3": 20,
    "LA29184-1": 10,
}

# Labs: LOINC main code and alternates (DOMAIN, "Labs").
LAB_CODES: dict[str, Analyte] = {
    "718-7": "hemoglobin",
    "777-3": "platelets",
    "26515-7": "platelets",
    "6690-2": "white_cells",
    "26464-8": "white_cells",
    "1742-6": "alt",
    "1743-4": "alt",
    "1744-2": "alt",
    "76625-3": "alt",
    "1920-8": "ast",
    "30239-8": "ast",
    "14409-7": "ast",
    "1975-2": "bilirubin_total",
    "42719-5": "bilirubin_total",
    "59828-4": "bilirubin_total",
    "2160-0": "creatinine",
    "38483-4": "creatinine",
    "14682-9": "creatinine",
    "2039-6": "cea",
    "83085-1": "cea",
    "24108-3": "ca19_9",
    "83084-4": "ca19_9",
}

# Biomarkers by LOINC (DOMAIN; mCODE tumor-marker examples).
BIOMARKER_CODES: dict[str, tuple[BiomarkerName, str | None]] = {
    "43368-0": ("msi", None),
    "62862-8": ("msi", None),
    "81695-9": ("msi", None),
    "21702-6": ("kras", None),
    "85509-8": ("kras", None),
    "85299-6": ("braf", "V600E"),
    "83052-1": ("pd_l1", None),
    "83053-9": ("pd_l1", None),
    "85147-7": ("pd_l1", None),
    "48676-1": ("her2", None),
    "85319-2": ("her2", None),
    "85318-4": ("her2", None),
    "18474-7": ("her2", None),
    "16112-5": ("er", None),
    "85337-4": ("er", None),
    "16113-3": ("pr", None),
    "85339-0": ("pr", None),
    "40557-1": ("pr", None),
}
GENETIC_VARIANT_CODE = "69548-6"
GENE_STUDIED_CODE = "48018-6"
# HGNC ids (genenames.org) of the genes trialmatch tracks.
HGNC_GENES: dict[str, BiomarkerName] = {"6407": "kras", "7989": "nras", "1097": "braf"}
# Answers (LOINC LA codes; SNOMED qualifiers).
BIOMARKER_ANSWERS: dict[Code, BiomarkerStatus] = {
    (LOINC, "LA6576-8"): "positive",
    (LOINC, "LA6577-6"): "negative",
    (SNOMED, "10828004"): "positive",
    (SNOMED, "260385009"): "negative",
    (LOINC, "LA14122-8"): "mss",
    (LOINC, "LA14123-6"): "msi_low",
    (LOINC, "LA14124-4"): "msi_high",
    (LOINC, "LA9633-4"): "mutated",  # "Present" (a variant was found)
    (LOINC, "LA9634-2"): "wild_type",  # "Absent"
}

TUMOR_DISTANCE_ANAL_VERGE = "33748-5"
TUMOR_SIZE_CODES = frozenset({"21889-1", "33728-7"})
GRADE_CODES = frozenset({"33732-9", "59847-4"})
RESIDUAL_TUMOR_CODE = "84892-9"
PREGNANCY_CODE = "82810-3"
PREGNANT_ANSWERS: dict[str, bool] = {"77386006": True, "60001007": False}
# Breastfeeding status (LOINC 63895-7), answers LA29252-6 currently / LA29253-4 not currently
# breastfeeding (LOINC answer list; as bound by e.g. the German ISiK Stillstatus profile),
# or HL7 v2-0136 Y / N. Read by the pregnancy reader: one concept, "pregnancy or lactation".
LACTATION_CODE = "63895-7"
LACTATING_ANSWERS: dict[Code, bool] = {
    (LOINC, "LA29252-6"): True,
    (LOINC, "LA29253-4"): False,
    ("http://terminology.hl7.org/CodeSystem/v2-0136", "Y"): True,
    ("http://terminology.hl7.org/CodeSystem/v2-0136", "N"): False,
}

# MII invasion categories (SNOMED observables; UICC L/V/Pn values).
INVASION_CODES: dict[
    str, Literal["lymphatic_invasion", "venous_invasion", "perineural_invasion"]
] = {
    "395715009": "lymphatic_invasion",
    "371493002": "venous_invasion",
    "371513001": "perineural_invasion",
}

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

# --- Primary cancer (SNOMED disorders; ICD-10 chapter II) -----------------------------
SNOMED_CANCER_SITES: dict[str, CancerSite] = {
    "363351006": "rectum",  # Malignant neoplasm of rectum
    "93984006": "rectum",  # Primary malignant neoplasm of rectum
    "254582000": "rectum",  # Carcinoma of rectum
    "363406005": "colon",  # Malignant neoplasm of colon
    "93761005": "colon",  # Primary malignant neoplasm of colon
    "269533000": "colon",  # Carcinoma of colon
    "363402007": "esophagus",  # Malignant neoplasm of esophagus
    "254837009": "other",  # Malignant neoplasm of breast
    "372137005": "other",  # Primary malignant neoplasm of breast
    "254637007": "other",  # Non-small cell lung cancer
}


def icd10_cancer_site(code: str) -> CancerSite | None:
    """The primary site of an ICD-10 C code; None for secondary (C77-C79) or non-cancer."""
    head = code.upper().replace(".", "")[:3]
    if len(head) < 3 or head[0] != "C" or not head[1:].isdigit():
        return None
    block = int(head[1:])
    if 77 <= block <= 79:
        return None
    if block == 20:
        return "rectum"
    if block == 18:
        return "colon"
    if block == 19:
        return "rectosigmoid"
    if block == 15:
        return "esophagus"
    return "other"


# Histology: ICD-O-3 morphology and SNOMED morphologic abnormalities (ICD-O-3; SNOMED).
ICDO3_HISTOLOGY: dict[str, Histology] = {
    "8140": "adenocarcinoma",
    "8480": "mucinous_adenocarcinoma",
    "8481": "mucinous_adenocarcinoma",
    "8490": "signet_ring_cell_carcinoma",
    "8070": "squamous_cell_carcinoma",
    "8071": "squamous_cell_carcinoma",
    "8072": "squamous_cell_carcinoma",
    "8240": "neuroendocrine",
    "8246": "neuroendocrine",
}
SNOMED_HISTOLOGY: dict[str, Histology] = {
    "35917007": "adenocarcinoma",
    "72495009": "mucinous_adenocarcinoma",
    "87737001": "signet_ring_cell_carcinoma",
    "28899001": "squamous_cell_carcinoma",
}

# --- Metastasis (SNOMED 128462008 family; ICD-10 C78/C79) -----------------------------
SECONDARY_CANCER_GENERIC = "128462008"
SNOMED_METASTASIS_SITES: dict[str, MetastasisSite] = {
    "94381002": "liver",
    "94391008": "lung",
    "94222008": "bone",
    "94225005": "brain",
}
# Body sites of a generic secondary cancer Condition (SNOMED body structures).
SNOMED_BODY_SITE_METASTASIS: dict[str, MetastasisSite] = {
    "10200004": "liver",
    "39607008": "lung",
    "272673000": "bone",
    "12738006": "brain",
    "15425007": "peritoneum",
    "23451007": "adrenal",
}


def icd10_metastasis_site(code: str) -> MetastasisSite | None:
    """ICD-10 C78/C79 secondary neoplasms to a site; None when the code is not one."""
    norm = code.upper().replace(".", "")
    if norm.startswith("C787"):
        return "liver"
    if norm.startswith("C780"):
        return "lung"
    if norm.startswith("C795"):
        return "bone"
    if norm.startswith("C793"):
        return "brain"
    if norm.startswith("C786"):
        return "peritoneum"
    if norm.startswith("C797"):
        return "adrenal"
    if norm.startswith(("C78", "C79")):
        return "other"
    return None


# --- History (ICD-10 blocks; SNOMED disorders) ----------------------------------------
ICD10_HISTORY: list[tuple[tuple[str, ...], ConditionCategory]] = [
    (("K50", "K51"), "inflammatory_bowel_disease"),
    (("D126",), "familial_adenomatous_polyposis"),  # ICD-10-GM: polyposis coli
    (("B20", "B21", "B22", "B23", "B24", "Z21"), "hiv"),
    (("B16", "B180", "B181"), "hepatitis_b"),
    (("B171", "B182"), "hepatitis_c"),
    (("A50", "A51", "A52", "A53"), "syphilis"),
    (("C44",), "non_melanoma_skin_cancer"),
    (("I21", "I22", "I252"), "myocardial_infarction"),
    (("I50",), "heart_failure"),
    (("I200",), "unstable_angina"),
    (("I739",), "peripheral_vascular_disease"),
    (("I27",), "pulmonary_hypertension"),
    (("J44",), "copd"),
    (("J96",), "respiratory_failure"),
    (("K72",), "hepatic_insufficiency"),
    (("N17", "N18", "N19"), "renal_insufficiency"),
    (("D65", "D66", "D67", "D68"), "coagulopathy"),
    (("D63",), "chronic_anemia"),
    (("D7281",), "leukopenia"),
    (("D696",), "thrombocytopenia"),
    (("D80", "D81", "D82", "D83", "D84"), "immunodeficiency"),
    (("M30", "M31", "M32", "M33", "M34", "M35", "M36"), "connective_tissue_disease"),
    (("F20", "F21", "F22", "F23", "F24", "F25", "F28", "F29", "F30", "F31"), "mental_illness"),
    (("F32", "F33"), "mental_illness"),
    (("F01", "F02", "F03", "G30"), "cognitive_impairment"),
    (("F11", "F12", "F13", "F14", "F15", "F16", "F18", "F19"), "drug_abuse"),
    (("F10",), "alcohol_dependence"),
]


def icd10_category(code: str) -> ConditionCategory | None:
    norm = code.upper().replace(".", "")
    for prefixes, category in ICD10_HISTORY:
        if norm.startswith(prefixes):
            return category
    return None


SNOMED_HISTORY: dict[str, ConditionCategory] = {
    "24526004": "inflammatory_bowel_disease",
    "34000006": "inflammatory_bowel_disease",  # Crohn's disease
    "64766004": "inflammatory_bowel_disease",  # ulcerative colitis
    "72900001": "familial_adenomatous_polyposis",
    "86406008": "hiv",
    "62479008": "hiv",  # AIDS
    "165816005": "hiv",  # HIV positive
    "66071002": "hepatitis_b",
    "61977001": "hepatitis_b",  # chronic type B viral hepatitis
    "50711007": "hepatitis_c",
    "128302006": "hepatitis_c",  # chronic hepatitis C
    "76272004": "syphilis",
    "22298006": "myocardial_infarction",
    "399211009": "myocardial_infarction",  # history of MI
    "84114007": "heart_failure",
    "42343007": "heart_failure",  # congestive heart failure
    "4557003": "unstable_angina",
    "400047006": "peripheral_vascular_disease",
    "70995007": "pulmonary_hypertension",
    "13645005": "copd",
    "409622000": "respiratory_failure",
    "59927004": "hepatic_insufficiency",
    "42399005": "renal_insufficiency",
    "709044004": "renal_insufficiency",  # chronic kidney disease
    "64779008": "coagulopathy",
    "234347009": "chronic_anemia",  # anemia of chronic disease
    "84828003": "leukopenia",
    "302215000": "thrombocytopenia",
    "234532001": "immunodeficiency",
    "105969002": "connective_tissue_disease",
    "74732009": "mental_illness",
    "386806002": "cognitive_impairment",
    "52448006": "cognitive_impairment",  # dementia
    "26416006": "drug_abuse",
    "7200002": "alcohol_dependence",
}

# Pregnancy as a Condition (SNOMED 77386006 "Pregnant"; ICD-10 Z33.1 pregnant state).
PREGNANCY_CONDITION_SNOMED = frozenset({"77386006"})

# --- Procedures (SNOMED procedures; mCODE procedure profiles) -------------------------
SNOMED_TREATMENTS: dict[str, tuple[TreatmentCategory, LocalExcisionTechnique | None]] = {
    "108290001": ("radiotherapy", None),  # Radiation oncology AND/OR radiotherapy
    "448385000": ("radiotherapy", None),  # Megavoltage radiation therapy using photons
    "367336001": ("chemotherapy", None),
    "396487001": ("surgery", None),  # Sentinel lymph node biopsy
    "443497002": ("surgery", None),  # Excision of sentinel lymph node
    "82035006": ("local_excision", "polypectomy"),  # Polypectomy (procedure)
}
RADIATION_PROFILE = "mcode-cancer-related-radiation-procedure"
SURGERY_PROFILE = "mcode-cancer-related-surgical-procedure"

# Words in a procedure's name, for procedures coded in local systems (read as text).
TREATMENT_WORDS: list[tuple[str, TreatmentCategory, LocalExcisionTechnique | None]] = [
    ("transanal endoscopic microsurgery", "local_excision", "TEM"),
    ("transanal minimally invasive surgery", "local_excision", "TAMIS"),
    ("tamis", "local_excision", "TAMIS"),
    ("tem ", "local_excision", "TEM"),
    ("endoscopic submucosal dissection", "local_excision", "ESD"),
    ("endoscopic mucosal resection", "local_excision", "EMR"),
    ("polypectomy", "local_excision", "polypectomy"),
    ("local excision", "local_excision", "other"),
    ("total mesorectal excision", "total_mesorectal_excision", None),
    ("chemoradiotherapy", "chemoradiotherapy", None),
    ("radiotherapy", "radiotherapy", None),
    ("radiation", "radiotherapy", None),
    ("chemotherapy", "chemotherapy", None),
    ("immunotherapy", "immunotherapy", None),
]

# Radiotherapy body sites (SNOMED body structures).
SNOMED_BODY_REGIONS: dict[str, BodyRegion] = {
    "12921003": "pelvis",
    "51185008": "chest",
    "818983003": "abdomen",
    "113345001": "abdomen",
    "34402009": "rectum",
    "32849002": "esophagus",
    "10200004": "liver",
}


# --- codes added by the shape readers: to move into app/vocabulary ---------------------
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
MII_ECOG_ANSWERS: dict[str, int] = {"0": 0, "1": 1, "2": 2, "3": 3, "4": 4}
MII_KARNOFSKY_ANSWERS: dict[str, int] = {f"{value}%": value for value in range(0, 101, 10)}

# MII distant metastasis: one Observation per site, code SNOMED 385421009 "Site of distant
# metastasis", value from mii-cs-onko-fernmetastasen (oBDS 11.1, the TNM localisation
# abbreviations). The CodeSystem was published under two URLs (mii-cs-fernmetastasen before
# the module unified its URLs); both are read. Sites trialmatch has no category for are
# "other"; GEN (generalised) is a metastasis whose sites are not named (site None).
SITE_OF_DISTANT_METASTASIS = "385421009"
MII_METASTASIS_SYSTEMS = frozenset(
    {
        "https://www.medizininformatik-initiative.de/fhir/ext/modul-onko/CodeSystem/"
        "mii-cs-onko-fernmetastasen",
        "https://www.medizininformatik-initiative.de/fhir/ext/modul-onko/CodeSystem/"
        "mii-cs-fernmetastasen",
    }
)
MII_METASTASIS_SITES: dict[str, MetastasisSite | None] = {
    "PUL": "lung",  # Lunge
    "OSS": "bone",  # Knochen
    "HEP": "liver",  # Leber
    "BRA": "brain",  # Hirn
    "LYM": "distant_lymph_node",  # Lymphknoten (distant: this is a distant-metastasis item)
    "MAR": "other",  # Knochenmark
    "PLE": "other",  # Pleura
    "PER": "peritoneum",  # Peritoneum
    "ADR": "adrenal",  # Nebennieren
    "SKI": "other",  # Haut
    "OTH": "other",  # andere Organe
    "GEN": None,  # generalisierte Metastasierung: present, sites not named
}
