"""Populations for the screening tests: the bundled example patients and generated ones,
as the resources of each patient and as Bulk NDJSON files."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from app.config import REPO_ROOT
from app.screening.patient_key import patient_key

EXAMPLES = REPO_ROOT / "examples" / "patients"
Resource = dict[str, Any]


def example_names() -> list[str]:
    return sorted(p.stem for p in EXAMPLES.glob("*.json"))


def example_resources(name: str) -> list[Resource]:
    """An example Bundle's resources, as the lines of a Bulk export would carry them."""
    bundle = json.loads((EXAMPLES / f"{name}.json").read_text())
    return [entry["resource"] for entry in bundle["entry"]]


def by_patient(resources: Iterable[Resource]) -> dict[str, list[Resource]]:
    """Resources grouped by patient key (the Python rules); unkeyed ones left out."""
    groups: dict[str, list[Resource]] = defaultdict(list)
    for resource in resources:
        key = patient_key(resource)
        if key is not None:
            groups[key].append(resource)
    return dict(groups)


def write_ndjson(directory: Path, resources: Iterable[Resource]) -> None:
    """Append resources to <Type>.ndjson files in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    for resource in resources:
        with (directory / f"{resource['resourceType']}.ndjson").open("ab") as out:
            out.write(orjson.dumps(resource) + b"\n")
