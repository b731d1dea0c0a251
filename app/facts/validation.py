"""Validate one raw resource with its `fhir.resources.R4B` model, repairing what it can.

Real data has broken elements (``"effectiveDateTime": "YYYY-MM-DD"``, ``"valueInteger":
""``). Rather than lose the whole resource, the elements pydantic names as invalid are
removed and validation is tried again (a few times); each repair is a data-quality
warning naming the element path, never its value.

A missing required element whose meaning is clear is read leniently: a ``status`` left
out (Observation, Procedure, DiagnosticReport) is read as ``unknown``, the code FHIR has
for it, with a ``resource.no_status`` warning. (A missing ``subject`` is set to the one
Patient at the Bundle boundary, `app.fhir.bundle`.) A resource that stays invalid is
skipped with a ``resource.unreadable`` warning naming it by reference and a reason code,
never the validator's text (which may quote the record)::

    missing_element: code          a required element is absent (Observation.code)
    invalid_element: value[x]      an element could not be repaired (e.g. two value[x])
    invalid_resource               the resource as a whole breaks a rule (two value[x])

Example::

    model = validate(Observation, raw, reading)   # -> Observation, or None
"""

from __future__ import annotations

import copy
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from app.facts.reading import Reading, reference

M = TypeVar("M", bound=BaseModel)

_MAX_REPAIRS = 3


def validate(model: type[M], raw: dict[str, Any], reading: Reading) -> M | None:
    source = reference(raw)
    data = raw
    reason = "invalid_resource"
    for _ in range(_MAX_REPAIRS + 1):
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            errors = exc.errors()
            locs = [tuple(error["loc"]) for error in errors]
            shown = [_path(error["loc"], error["type"]) for error in errors]
        if not locs or any(len(loc) == 0 for loc in locs):
            break
        missing = sorted({_path(e["loc"], e["type"]) for e in errors if _is_missing(e["type"])})
        if missing == ["status"] and "status" in model.model_fields and "status" not in data:
            data = {**data, "status": "unknown"}
            reading.warn(
                "resource.no_status", "The resource has no status; read as 'unknown'.", source
            )
            continue
        if missing:
            reason = f"missing_element: {', '.join(missing)}"
            break
        reason = f"invalid_element: {', '.join(sorted(set(shown)))}"
        if data is raw:
            data = copy.deepcopy(raw)  # never change the caller's record
        # Deepest and last-indexed first, so removing one never shifts another.
        ordered = sorted(locs, key=lambda loc: [str(p).zfill(8) for p in loc], reverse=True)
        if not all(_remove(data, loc) for loc in ordered):
            break
        reading.warn(
            "resource.invalid_element",
            f"Invalid element(s) ignored: {', '.join(sorted(set(shown)))}.",
            source,
        )
    reading.warn(
        "resource.unreadable", f"The resource is not valid FHIR R4 ({reason}); skipped.", source
    )
    return None


def _is_missing(error_type: str) -> bool:
    # pydantic says "missing"; fhir.resources' own required-field check says
    # "model_field_validation.missing".
    return error_type == "missing" or error_type.endswith(".missing")


_ELEMENT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,63}$")


def _path(loc: tuple[Any, ...], error_type: str) -> str:
    """The element path for a warning; an unknown key is the sender's text, never shown."""
    parts = [str(p) if isinstance(p, int) or _ELEMENT_NAME.match(str(p)) else "?" for p in loc]
    if error_type == "extra_forbidden" and parts:
        parts[-1] = "(unknown element)"
    return ".".join(parts)


def _remove(data: Any, loc: tuple[Any, ...]) -> bool:
    # Walk to the invalid element and drop it; pydantic may name a path below what exists
    # (a union member, a field of a scalar), so the deepest real node on the path goes.
    node = data
    for depth, part in enumerate(loc):
        if not _has(node, part):
            return False
        child = node[part]
        if depth == len(loc) - 1 or not isinstance(child, dict | list):
            del node[part]
            return True
        node = child
    return False


def _has(node: Any, part: Any) -> bool:
    if isinstance(node, dict):
        return isinstance(part, str) and part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
