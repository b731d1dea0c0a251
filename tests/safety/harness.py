"""FHIR in, verdicts out: the bundled library against a Bundle, through the real path.

`match_bundle` reads a Bundle as `POST /v1/match` does (read_bundle -> normalize -> the
library of criteria/ -> ranking) and returns each trial's match by NCT id. Scenarios start
from an example patient in examples/patients/ and change what the safety rule is about.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from functools import cache
from typing import Any

from app.config import REPO_ROOT
from app.eligibility.library import Library, load_library
from app.fhir.bundle import read_bundle
from app.matching.models import CriterionVerdict, TrialMatch
from app.matching.service import MatchOptions, match_record

EXAMPLES = REPO_ROOT / "examples" / "patients"
AS_OF = date(2026, 11, 23)


@cache
def library() -> Library:
    return load_library(REPO_ROOT / "criteria")


def example(name: str) -> dict[str, Any]:
    """A fresh copy of one example patient's Bundle."""
    return copy.deepcopy(json.loads((EXAMPLES / f"{name}.json").read_text()))


def match_bundle(bundle: dict[str, Any], as_of: date = AS_OF) -> dict[str, TrialMatch]:
    record = read_bundle(json.dumps(bundle).encode())
    options = MatchOptions(as_of=as_of, include_ineligible=True, include_closed=True)
    response = match_record(record, library(), options)
    return {m.trial: m for m in response.matches}


def criterion(match: TrialMatch, criterion_id: str) -> CriterionVerdict:
    return next(c for c in match.criteria if c.id == criterion_id)


def resources(bundle: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type
    ]


def the_patient(bundle: dict[str, Any]) -> dict[str, Any]:
    return resources(bundle, "Patient")[0]


def add(bundle: dict[str, Any], *new: dict[str, Any]) -> dict[str, Any]:
    """Add resources whose subject is the bundle's patient."""
    ref = f"Patient/{the_patient(bundle)['id']}"
    for resource in new:
        if resource["resourceType"] != "Patient":
            resource.setdefault("subject", {"reference": ref})
        bundle["entry"].append({"resource": resource})
    return bundle
