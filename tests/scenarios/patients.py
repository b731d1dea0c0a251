"""The three seed trials' eligible patients, as charts a scenario changes one fact of.

Each is what a trial coordinator would accept for the trial, coded in the US Core /
mCODE style (`german_rectal_after_tem` is the same patient in the MII style). Dates sit
before `AS_OF`, the evaluation date of every scenario.
"""

from __future__ import annotations

from datetime import date

from tests.factories import SNOMED
from tests.scenarios.charts import (
    ADENO,
    BIOPSY_REPORT,
    ESOPHAGUS_US,
    MRI_PELVIS,
    PATHOLOGY_REPORT,
    RECTUM_GM,
    RECTUM_US,
    SCC,
    Chart,
    coding,
)

AS_OF = date(2026, 11, 23)

# SNOMED 314610005: transanal excision of neoplasm of rectal submucosa (examples/build.py).
TRANSANAL_EXCISION = coding(
    SNOMED, "314610005", "Transanal excision of neoplasm of rectal submucosa"
)


def rectal_after_tem(pid: str = "rectal-after-tem") -> Chart:
    """NCT06043999's patient: pT1 sm3 with LVI after TEM, 2.5 cm, cN0M0 at 7 cm on MRI."""
    chart = Chart(pid, gender="male", birth_date="1968-07-02")
    chart.primary_cancer(RECTUM_US, "Rectal adenocarcinoma", onset="2026-08-20", histology=ADENO)
    chart.report(
        MRI_PELVIS,
        "2026-08-25",
        "Staging MRI: lower edge of the tumour 7 cm from the anal verge. mrT1N0.",
        category="RAD",
    )
    chart.anal_verge(7.0, "2026-08-25")
    chart.clinical_tnm("cT1", "cN0", "cM0", "2026-08-28")
    chart.procedure(
        [TRANSANAL_EXCISION],
        "Transanal endoscopic microsurgery (TEM) local excision of rectal tumour",
        "2026-09-15",
    )
    chart.report(
        PATHOLOGY_REPORT,
        "2026-09-22",
        "TEM specimen: adenocarcinoma, poorly differentiated, greatest dimension 2.5 cm. "
        "pT1 sm3, lymphovascular invasion present, no perineural invasion. "
        "Margins clear (R0).",
    )
    chart.ecog(0, "2026-11-01")
    chart.normal_labs("2026-11-01")
    return chart


def german_rectal_after_tem(pid: str = "rectal-after-tem-mii") -> Chart:
    """The same patient as a German MII record: ICD-10-GM C20, UICC cTNM with cp-praefix."""
    chart = rectal_after_tem(pid)
    chart.drop(lambda r: r["resourceType"] != "Condition")
    chart.drop_codes("21905-5", "21906-3", "21907-1")
    chart.primary_cancer(RECTUM_GM, "Rektumkarzinom", onset="2026-08-20", histology=ADENO)
    chart.uicc_tnm("c", "T1", "N0", "M0", "2026-08-28")
    return chart


def rectal_early_low(pid: str = "rectal-early-low") -> Chart:
    """NCT06949098's patient: biopsy-proven cT1N0M0 rectal adenocarcinoma at 5 cm, ECOG 1."""
    chart = Chart(pid, gender="male", birth_date="1962-03-14")
    chart.primary_cancer(RECTUM_US, "Rectal adenocarcinoma", onset="2026-10-02", histology=ADENO)
    chart.report(
        BIOPSY_REPORT,
        "2026-10-05",
        "Rectal biopsy: moderately differentiated adenocarcinoma.",
    )
    chart.report(
        MRI_PELVIS,
        "2026-10-12",
        "MRI pelvis: rectal tumour, lower edge 5 cm from the anal verge. mrT1N0. "
        "No suspicious mesorectal nodes.",
        category="RAD",
    )
    chart.anal_verge(5.0, "2026-10-12")
    chart.clinical_tnm("cT1", "cN0", "cM0", "2026-10-15")
    chart.ecog(1, "2026-11-01")
    chart.normal_labs("2026-11-01")
    return chart


def esophageal_cn3(pid: str = "esophageal-cn3") -> Chart:
    """NCT06122493's patient: biopsy-proven esophageal SCC cT3N3M0, ECOG 1, KPS 80."""
    chart = Chart(pid, gender="male", birth_date="1966-11-30")
    chart.primary_cancer(
        ESOPHAGUS_US, "Esophageal squamous cell carcinoma", onset="2026-09-10", histology=SCC
    )
    chart.report(BIOPSY_REPORT, "2026-09-12", "Oesophageal biopsy: squamous cell carcinoma.")
    chart.clinical_tnm("cT3", "cN3", "cM0", "2026-09-20")
    chart.ecog(1, "2026-11-01")
    chart.karnofsky(80, "2026-11-01")
    chart.normal_labs("2026-11-01")
    return chart


# SNOMED CT 44054006 "Diabetes mellitus type 2": a real, common disorder that no value set
# of trialmatch includes, so the vocabulary cannot say what it is for any criterion.
UNCLASSIFIED_SNOMED = [coding(SNOMED, "44054006", "Diabetes mellitus type 2")]
UNCLASSIFIED_TEXT = "Chronic illness, see the referring hospital's letter"


def with_unclassified_snomed(chart: Chart) -> Chart:
    """An active Condition coded only in SNOMED CT, outside every value set."""
    chart.condition(UNCLASSIFIED_SNOMED, "Type 2 diabetes", onset="2015-04-01")
    return chart


def with_unclassified_text(chart: Chart) -> Chart:
    """An active Condition with text only, no coding (as many problem lists send it)."""
    chart.condition(None, UNCLASSIFIED_TEXT, onset="2018-01-01")
    return chart


def as_woman(chart: Chart, birth_date: str = "1984-05-09") -> Chart:
    """The same chart for a woman of child-bearing age."""
    chart.patient["gender"] = "female"
    chart.patient["birthDate"] = birth_date
    return chart


def pregnant(chart: Chart, when: str = "2026-11-20") -> Chart:
    """LOINC 82810-3 pregnancy status, answer SNOMED 77386006 (pregnant)."""
    as_woman(chart)
    chart.observation(
        coding("http://loinc.org", "82810-3", "Pregnancy status"),
        when,
        category="social-history",
        valueCodeableConcept={"coding": [coding(SNOMED, "77386006", "Pregnant")]},
    )
    return chart
