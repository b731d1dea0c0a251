"""Numeric bounds: how a value is compared with a rule's gte / gt / lte / lt, and shown."""

from __future__ import annotations

from collections.abc import Sequence

from app.eligibility.language import Bounds
from app.eligibility.logic import Finding


def num(x: float) -> str:
    # Four significant digits: converted units (mg/dL to umol/L) give long decimals.
    return f"{x:.4g}"


def bounds_text(b: Bounds, unit: str = "") -> str:
    """'≥ 100 g/L', '≥ 80 and < 100 g/L'."""
    parts = []
    if b.gte is not None:
        parts.append(f"≥ {num(b.gte)}")
    if b.gt is not None:
        parts.append(f"> {num(b.gt)}")
    if b.lte is not None:
        parts.append(f"≤ {num(b.lte)}")
    if b.lt is not None:
        parts.append(f"< {num(b.lt)}")
    return " and ".join(parts) + (f" {unit}" if unit else "")


def within_range(
    rule: Bounds,
    values: range,
    *,
    span: str,
    wanted: str,
    missing: str,
    evidence: Sequence[str],
    assumptions: Sequence[str] = (),
) -> Finding:
    """A value known only as a range (a year-only birth date, a crosswalk): decided only
    when every value of the range is on the same side of the bounds, else unknown."""
    holds = [bounds_hold(rule, v) for v in values]
    if all(holds):
        return Finding.true(f"{span} is {wanted}", evidence=evidence, assumptions=assumptions)
    if not any(holds):
        return Finding.false(f"{span} is not {wanted}", evidence=evidence, assumptions=assumptions)
    return Finding.unknown(
        f"{span}: the limit falls inside this range",
        missing=[missing],
        evidence=evidence,
        assumptions=assumptions,
    )


def bounds_hold(b: Bounds, value: float) -> bool:
    return not (
        (b.gte is not None and value < b.gte)
        or (b.gt is not None and value <= b.gt)
        or (b.lte is not None and value > b.lte)
        or (b.lt is not None and value >= b.lt)
    )


def compare(b: Bounds, value: float, subject: str, unit: str, evidence: Sequence[str]) -> Finding:
    shown = f"{subject} {num(value)}{(' ' + unit) if unit else ''}"
    if bounds_hold(b, value):
        return Finding.true(f"{shown} is {bounds_text(b, unit)}", evidence=evidence)
    return Finding.false(f"{shown} is not {bounds_text(b, unit)}", evidence=evidence)
