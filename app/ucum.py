"""The one UCUM unit registry of the process (ucumvert on pint).

Building it costs about half a second and some megabytes, so the facts (lab results in
canonical units) and the criteria (thresholds in a rule's unit) share this one, built on
first use. Example::

    registry().from_ucum("10*3/uL")   # -> a pint quantity of 1 x 10^3 per microlitre
"""

from __future__ import annotations

from functools import cache

from ucumvert import PintUcumRegistry


@cache
def registry() -> PintUcumRegistry:
    return PintUcumRegistry()
