"""Benchmark: normalization time against `orjson.loads` of the same bytes.

Generates two records (200 and 5,000 resources), each mostly old labs: the nine analytes
trialmatch reads over ten years, plus labs it does not read (glucose, sodium, ...), with a
rectal cancer, its staging, an ECOG and a pathology report. Prints the median time of
``orjson.loads`` and of ``read_bundle`` + ``normalize`` on the same bytes, with the whole lab
history read (``facts=all``) and as a match reads it by default (``lab_history=False``: the
newest result per analyte), and how many resources were validated with a fhir.resources
model. Run::

    PYTHONPATH=. python bench/normalize.py
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import orjson

from app.facts import normalize as normalize_module
from app.facts.normalize import normalize
from app.facts.units import to_canonical
from app.fhir.bundle import read_bundle

AS_OF = date(2026, 11, 22)
READ = [
    ("718-7", 12.5, "g/dL"),
    ("777-3", 250, "10*3/uL"),
    ("6690-2", 6.1, "10*3/uL"),
    ("1742-6", 30, "U/L"),
    ("1920-8", 28, "U/L"),
    ("1975-2", 0.8, "mg/dL"),
    ("2160-0", 0.9, "mg/dL"),
    ("2039-6", 3.1, "ng/mL"),
    ("24108-3", 20, "U/mL"),
]
NOT_READ = [("2345-7", 5.4, "mmol/L"), ("2951-2", 140, "mmol/L"), ("2823-3", 4.1, "mmol/L")]


def _lab(index: int, code: str, value: float, unit: str, when: date) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": f"lab-{index}",
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "laboratory",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
        "subject": {"reference": "Patient/bench"},
        "effectiveDateTime": when.isoformat(),
        "valueQuantity": {
            "value": value,
            "unit": unit,
            "system": "http://unitsofmeasure.org",
            "code": unit,
        },
        "referenceRange": [
            {
                "high": {
                    "value": value * 1.5,
                    "unit": unit,
                    "system": "http://unitsofmeasure.org",
                    "code": unit,
                }
            }
        ],
    }


def record(size: int, seed: int = 4) -> bytes:
    rng = random.Random(seed)
    core: list[dict[str, Any]] = [
        {
            "resourceType": "Condition",
            "id": "crc",
            "subject": {"reference": "Patient/bench"},
            "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C20"}]},
            "onsetDateTime": "2026-03-01",
        },
        {
            "resourceType": "Observation",
            "id": "ecog",
            "status": "final",
            "subject": {"reference": "Patient/bench"},
            "code": {"coding": [{"system": "http://loinc.org", "code": "89247-1"}]},
            "effectiveDateTime": "2026-11-01",
            "valueInteger": 1,
        },
        {
            "resourceType": "DiagnosticReport",
            "id": "path",
            "status": "final",
            "subject": {"reference": "Patient/bench"},
            "code": {"text": "Pathology"},
            "effectiveDateTime": "2026-06-10",
            "conclusion": "ypT1 sm3 N0, R0, no lymphovascular invasion.",
        },
    ]
    for code, value in (
        ("21905-5", "cT2"),
        ("21906-3", "cN0"),
        ("21907-1", "cM0"),
        ("21908-9", "1"),
    ):
        core.append(
            {
                "resourceType": "Observation",
                "id": f"stage-{code}",
                "status": "final",
                "subject": {"reference": "Patient/bench"},
                "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
                "effectiveDateTime": "2026-03-01",
                "valueCodeableConcept": {
                    "coding": [{"system": "http://cancerstaging.org", "code": value}]
                },
            }
        )
    resources = list(core)
    index = 0
    while len(resources) < size - 1:
        index += 1
        code, value, unit = rng.choice(READ) if rng.random() < 0.7 else rng.choice(NOT_READ)
        when = AS_OF - timedelta(days=rng.randint(30, 3650))
        resources.append(_lab(index, code, round(value * rng.uniform(0.8, 1.2), 2), unit, when))
    patient = {
        "resourceType": "Patient",
        "id": "bench",
        "gender": "female",
        "birthDate": "1958-02-11",
    }
    entries = [{"fullUrl": "urn:uuid:bench", "resource": patient}] + [
        {"resource": r} for r in resources
    ]
    return orjson.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries})


def median_seconds(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    start = time.perf_counter()
    to_canonical("hemoglobin", 1, "g/dL")  # the UCUM registry loads once per process
    print(f"UCUM registry load (once per process): {1000 * (time.perf_counter() - start):.0f} ms")

    validated: list[int] = [0]
    real_validate = normalize_module.validate

    def counting(model: Any, raw: dict[str, Any], reading: Any) -> Any:
        validated[0] += 1
        return real_validate(model, raw, reading)

    normalize_module.validate = counting  # type: ignore[assignment]
    header = ("resources", "bytes", "lab history", "orjson.loads", "normalize", "ratio")
    print("{:>9} {:>10} {:>11} {:>13} {:>11} {:>7}  validated".format(*header))
    for size in (200, 5000):
        data = record(size)
        runs = 30 if size <= 200 else 7
        loads = median_seconds(lambda data=data: orjson.loads(data), runs)  # type: ignore[misc]
        # all: every result read (facts=all); latest: what a match reads by default.
        for view, history in (("all", True), ("latest", False)):

            def run(data: bytes = data, history: bool = history) -> object:
                return normalize(read_bundle(data), AS_OF, lab_history=history)

            took = median_seconds(run, runs)
            validated[0] = 0
            facts = normalize(read_bundle(data), AS_OF, lab_history=history)
            print(
                f"{size:>9} {len(data):>10,} {view:>11} {1000 * loads:>10.2f} ms "
                f"{1000 * took:>8.1f} ms {took / loads:>6.0f}x  {validated[0]:>9}"
                f"   ({len(facts.facts)} facts, {facts.history_not_read} older labs counted)"
            )
    normalize_module.validate = real_validate  # type: ignore[assignment]


if __name__ == "__main__":
    main()
