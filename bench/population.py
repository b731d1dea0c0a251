"""A seeded synthetic population, written as FHIR Bulk Data NDJSON (one file per type).

Sites, histologies, TNM, ECOG, labs, biomarkers and rectal tumour height are drawn from the
approximate published figures in bench/population.yaml (sources named there), with the
noise real exports carry: missing and stale data, staging only in report text, conflicting
staging, a few patients with thousands of labs, lines without a subject, and every subject
reference form (relative, absolute, versioned, urn:uuid). Same seed, same files. Run::

    PYTHONPATH=. python bench/population.py OUT_DIR --patients 10000 [--seed 7]

or from code: ``write_population(out_dir, patients=50, seed=1)``; ``patient_resources``
gives one patient's resources. The patients are invented; no real person is described.
"""

from __future__ import annotations

import argparse
import base64
import random
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import IO, Any

import orjson
import yaml

DISTRIBUTIONS = Path(__file__).with_name("population.yaml")
AS_OF = date(2026, 11, 23)  # the date the records are current on
BASE_URL = "https://ehr.example.org/fhir/"

SYSTEMS = {
    "icd10": "http://hl7.org/fhir/sid/icd-10-cm",
    "snomed": "http://snomed.info/sct",
    "loinc": "http://loinc.org",
    "rxnorm": "http://www.nlm.nih.gov/research/umls/rxnorm",
}
AJCC = "http://cancerstaging.org"
UCUM = "http://unitsofmeasure.org"
MCODE_HISTOLOGY = (
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior"
)
ECOG_ANSWERS = ["LA9622-7", "LA9623-5", "LA9624-3", "LA9625-0", "LA9626-8"]
CLINICAL_TNM = {"T": "21905-5", "N": "21906-3", "M": "21907-1"}

Resource = dict[str, Any]


@cache
def distributions() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(DISTRIBUTIONS.read_text())
    return loaded


def _coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    out = {"system": SYSTEMS.get(system, system), "code": code}
    if display:
        out["display"] = display
    return out


def _pick(rng: random.Random, shares: dict[str, float]) -> str:
    return rng.choices(list(shares), weights=list(shares.values()))[0]


def _pick_item(rng: random.Random, items: list[dict[str, Any]]) -> dict[str, Any]:
    return rng.choices(items, weights=[i["share"] for i in items])[0]


class _Patient:
    """One patient's resources as they are drawn; ids are unique within the patient."""

    def __init__(self, rng: random.Random, index: int) -> None:
        d = distributions()
        self.rng = rng
        self.form = _pick(rng, d["reference_forms"])
        self.pid = (
            str(uuid.UUID(int=rng.getrandbits(128))) if self.form == "uuid" else (f"p{index:07d}")
        )
        self.resources: list[Resource] = []
        self._n = 0

    def reference(self) -> dict[str, str]:
        form = self.form
        if form == "mixed":
            form = self.rng.choice(["relative", "absolute", "versioned"])
        ref = {
            "relative": f"Patient/{self.pid}",
            "absolute": f"{BASE_URL}Patient/{self.pid}",
            "versioned": f"Patient/{self.pid}/_history/{self.rng.randint(1, 9)}",
            "uuid": f"urn:uuid:{self.pid}",
        }[form]
        return {"reference": ref}

    def add(self, kind: str, body: Resource, *, subject: dict[str, str] | None = None) -> None:
        self._n += 1
        rid = self.pid if kind == "Patient" else f"{self.pid}-{self._n}"
        resource: Resource = {"resourceType": kind, "id": rid, **body}
        if kind not in ("Patient", "Medication"):
            resource["subject"] = subject if subject is not None else self.reference()
        self.resources.append(resource)

    def observation(self, code: dict[str, str], when: date, value: Resource, **extra: Any) -> None:
        category = extra.pop("category", "laboratory")
        self.add(
            "Observation",
            {
                "status": "final",
                "category": [
                    {
                        "coding": [
                            _coding(
                                "http://terminology.hl7.org/CodeSystem/observation-category",
                                category,
                            )
                        ]
                    }
                ],
                "code": {"coding": [code]},
                "effectiveDateTime": when.isoformat(),
                **value,
                **extra,
            },
        )

    def report(self, when: date, text: str, *, coded: bool = True) -> None:
        body: Resource = {"status": "final", "effectiveDateTime": when.isoformat()}
        if coded:
            body["code"] = {"coding": [_coding("loinc", "60567-5", "Pathology report")]}
            body["presentedForm"] = [
                {"contentType": "text/plain", "data": base64.b64encode(text.encode()).decode()}
            ]
            body["conclusion"] = text
        else:
            # Text only: no code, no result, the finding in the narrative alone.
            body["code"] = {"text": "Outside report"}
            body["text"] = {"status": "generated", "div": f"<div>{text}</div>"}
            body["conclusion"] = text
        self.add("DiagnosticReport", body)


def _days_ago(as_of: date, low: int, high: int, rng: random.Random) -> date:
    return as_of - timedelta(days=rng.randint(low, high))


def _lab(p: _Patient, spec: dict[str, Any], when: date, rng: random.Random) -> None:
    value = max(rng.gauss(spec["mean"], spec["sd"]), spec["mean"] * 0.05)
    unit, factor = spec["unit"], 1.0
    alt = spec.get("alt")
    if alt and rng.random() < alt["share"]:
        unit, factor = alt["unit"], alt["factor"]

    def quantity(v: float) -> dict[str, Any]:
        return {"value": round(v * factor, 2), "unit": unit, "system": UCUM, "code": unit}

    p.observation(
        _coding("loinc", spec["loinc"], spec["display"]),
        when,
        {"valueQuantity": quantity(value)},
        referenceRange=[{"low": quantity(spec["low"]), "high": quantity(spec["high"])}],
    )


def _stage(p: _Patient, category: str, value: str, when: date) -> None:
    p.observation(
        _coding("loinc", CLINICAL_TNM[category]),
        when,
        {"valueCodeableConcept": {"coding": [{"system": AJCC, "code": value}]}},
        category="survey",
        method={"coding": [_coding("snomed", "897275008", "AJCC 8th edition")]},
    )


def patient_resources(rng: random.Random, index: int, as_of: date = AS_OF) -> list[Resource]:
    """One patient's resources (Patient first), drawn from `rng`; lines without a subject
    and contained references are among them, as in real exports."""
    d, noise = distributions(), distributions()["noise"]
    p = _Patient(rng, index)
    site = _pick(rng, {name: s["share"] for name, s in d["sites"].items()})
    male = rng.random() < d["male_share"][site]
    age = max(25, min(95, round(rng.gauss(d["age_at_diagnosis"]["median"][site], 11))))
    diagnosed = _days_ago(as_of, 10, 400, rng)
    birth = date(diagnosed.year - age, rng.randint(1, 12), rng.randint(1, 28))
    patient: Resource = {
        "gender": "male" if male else "female",
        "birthDate": str(birth.year) if rng.random() < noise["year_only_birth"] else str(birth),
    }
    if rng.random() < noise["deceased"]:
        patient["deceasedDateTime"] = _days_ago(as_of, 1, 30, rng).isoformat()
    p.add("Patient", patient)

    spec = d["sites"][site]
    histology = _pick_item(rng, d["histology"][site])
    p.add(
        "Condition",
        {
            "clinicalStatus": {
                "coding": [
                    _coding("http://terminology.hl7.org/CodeSystem/condition-clinical", "active")
                ]
            },
            "category": [{"coding": [_coding("snomed", "64572001", "Disease")]}],
            "code": {
                "coding": [_coding(c["system"], c["code"], c["display"]) for c in spec["codes"]],
                "text": spec["text"],
            },
            "extension": [
                {
                    "url": MCODE_HISTOLOGY,
                    "valueCodeableConcept": {
                        "coding": [_coding("snomed", histology["code"], histology["display"])]
                    },
                }
            ],
            "onsetDateTime": diagnosed.isoformat(),
        },
    )

    family = (
        "colorectal"
        if site in ("rectum", "colon")
        else ("esophagus" if site == "esophagus" else "other")
    )
    summary = _pick(rng, d["stage_at_diagnosis"][family])
    staged = _days_ago(as_of, 5, min(110, (as_of - diagnosed).days + 5), rng)
    if summary != "unknown" and rng.random() >= noise["missing_stage"]:
        tnm = {cat: rng.choice(d["tnm"][summary][cat]) for cat in ("T", "N", "M")}
        if rng.random() < noise["text_only_stage"]:
            p.report(staged, f"Staging summary: {tnm['T']} {tnm['N']} {tnm['M']}.", coded=False)
        else:
            for category, value in tnm.items():
                _stage(p, category, value, staged)
            if rng.random() < noise["conflicting_stage"]:
                other = rng.choice([t for t in ("cT1", "cT2", "cT3", "cT4a") if t != tnm["T"]])
                _stage(p, "T", other, staged)
        if summary == "distant":
            met = _pick_item(rng, d["metastasis"])
            p.add(
                "Condition",
                {
                    "code": {"coding": [_coding("icd10", met["code"], met["display"])]},
                    "onsetDateTime": staged.isoformat(),
                },
            )
        if (
            site == "rectum"
            and tnm["T"] == "cT1"
            and rng.random() < (d["treatment"]["local_excision_share"])
        ):
            excised = staged + timedelta(days=rng.randint(1, 4))
            p.add(
                "Procedure",
                {
                    "status": "completed",
                    "code": {
                        "coding": [_coding("snomed", "314610005", "Transanal excision")],
                        "text": "Transanal endoscopic microsurgery (TEM) local excision",
                    },
                    "performedDateTime": excised.isoformat(),
                },
            )
            depth = rng.choice(["sm1", "sm2", "sm3"])
            lvi = rng.choice(["present", "absent"])
            p.report(
                excised + timedelta(days=5),
                f"TEM specimen: adenocarcinoma, pT1 {depth}, lymphovascular invasion {lvi}. "
                "Margins clear (R0).",
            )
        if summary != "localized" and rng.random() < d["treatment"]["neoadjuvant_share"]:
            for drug in d["treatment"]["regimen"]:
                concept = {"coding": [_coding("rxnorm", drug["rxnorm"], drug["display"])]}
                body: Resource = {"status": "active", "effectiveDateTime": staged.isoformat()}
                if rng.random() < noise["medication_reference"]:
                    p.add("Medication", {"code": concept})
                    body["medicationReference"] = {"reference": f"Medication/{p.pid}-{p._n}"}
                else:
                    body["medicationCodeableConcept"] = concept
                p.add("MedicationStatement", body)

    if site == "rectum" and rng.random() < 0.85:
        band = _pick_item(rng, d["anal_verge_cm"])
        p.observation(
            _coding("loinc", "33748-5", "Distance from anal verge"),
            staged,
            {
                "valueQuantity": {
                    "value": round(rng.uniform(band["low"], band["high"]), 1),
                    "unit": "cm",
                    "system": UCUM,
                    "code": "cm",
                }
            },
            category="imaging",
        )
    if site == "esophagus" and rng.random() < d["treatment"]["chest_radiotherapy_share"]:
        p.add(
            "Procedure",
            {
                "status": "completed",
                "code": {"coding": [_coding("snomed", "108290001", "Radiotherapy")]},
                "bodySite": [{"coding": [_coding("snomed", "51185008", "Thoracic structure")]}],
                "performedDateTime": "2015-03-01",
            },
        )

    if rng.random() >= noise["missing_ecog"]:
        stale = rng.random() < noise["stale_ecog"]
        when = _days_ago(as_of, 40, 200, rng) if stale else _days_ago(as_of, 0, 25, rng)
        score = rng.choices(range(5), weights=d["ecog"])[0]
        p.observation(
            _coding("loinc", "89247-1", "ECOG Performance Status score"),
            when,
            {
                "valueCodeableConcept": {
                    "coding": [_coding("loinc", ECOG_ANSWERS[score])],
                    "text": str(score),
                }
            },
            category="survey",
        )
    if rng.random() >= noise["missing_labs"]:
        stale = rng.random() < noise["stale_labs"]
        when = _days_ago(as_of, 35, 300, rng) if stale else _days_ago(as_of, 0, 25, rng)
        for lab in d["labs"]:
            _lab(p, lab, when, rng)
    if rng.random() < noise["many_labs"]:
        for _ in range(rng.randint(1000, 3000)):
            _lab(p, rng.choice(d["labs"]), _days_ago(as_of, 30, 3000, rng), rng)

    if family == "colorectal" and rng.random() < d["biomarkers"]["tested"]:
        tested = _days_ago(as_of, 5, 300, rng)
        b = d["biomarkers"]
        msi = "LA14122-8" if rng.random() >= b["msi_high"] else "LA26203-2"
        p.observation(
            _coding("loinc", "43368-0", "Microsatellite instability"),
            tested,
            {"valueCodeableConcept": {"coding": [_coding("loinc", msi)]}},
        )
        kras = "LA6576-8" if rng.random() < b["kras_mutated"] else "LA6577-6"
        p.observation(
            _coding("loinc", "21702-6", "KRAS gene mutations found"),
            tested,
            {"valueCodeableConcept": {"coding": [_coding("loinc", kras)]}},
        )
        braf = "LA6576-8" if rng.random() < b["braf_v600e"] else "LA6577-6"
        p.observation(
            _coding("loinc", "85299-6", "BRAF p.V600E"),
            tested,
            {"valueCodeableConcept": {"coding": [_coding("loinc", braf)]}},
        )

    if rng.random() < noise["no_subject_line"]:
        p.add("Observation", {"status": "final", "code": {"text": "Note"}}, subject={})
        del p.resources[-1]["subject"]
    if rng.random() < noise["contained_subject"]:
        p.add(
            "Observation",
            {"status": "final", "code": {"text": "Note"}},
            subject={"reference": "#p1"},
        )
    if rng.random() < noise["encounters"]:
        p.add("Encounter", {"status": "finished", "class": {"code": "AMB"}})
    return p.resources


def population(patients: int, seed: int, as_of: date = AS_OF) -> Iterator[list[Resource]]:
    """Each patient's resources in turn; patient i depends only on (seed, i)."""
    for index in range(patients):
        yield patient_resources(random.Random(f"{seed}:{index}"), index, as_of)


def write_population(
    out_dir: Path, *, patients: int, seed: int = 1, as_of: date = AS_OF
) -> Counter[str]:
    """Write <Type>.ndjson files into `out_dir`; the number of lines of each type."""
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: Counter[str] = Counter()
    with ExitStack() as stack:
        files: dict[str, IO[bytes]] = {}
        for resources in population(patients, seed, as_of):
            for resource in resources:
                kind = resource["resourceType"]
                if kind not in files:
                    files[kind] = stack.enter_context((out_dir / f"{kind}.ndjson").open("wb"))
                files[kind].write(orjson.dumps(resource) + b"\n")
                counts[kind] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--patients", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    counts = write_population(args.out_dir, patients=args.patients, seed=args.seed)
    print(", ".join(f"{kind} {n}" for kind, n in sorted(counts.items())))


if __name__ == "__main__":
    main()
