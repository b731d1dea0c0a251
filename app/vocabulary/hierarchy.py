"""Walking a vocabulary hierarchy (sites, histology families, condition categories).

Each value names at most one parent; a criterion on a parent covers its children::

    chain("sigmoid_colon", lambda n: parents[n])   # -> ["sigmoid_colon", "colon", "colorectal"]
"""

from __future__ import annotations

from collections.abc import Callable


def chain(name: str, parent_of: Callable[[str], str | None]) -> list[str]:
    """The value itself, then its parent, its parent's parent, ..."""
    found = []
    current: str | None = name
    while current is not None:
        found.append(current)
        current = parent_of(current)
    return found
