"""Typed reads from parsed registry JSON: a wrong type is absent, never a crash.

Example::

    text(module, "briefTitle")            # str or None
    mapping(section, "statusModule")      # dict ({} when absent or not an object)
    items(module, "locations")            # list of dicts (other items dropped)
"""

from __future__ import annotations

from typing import Any


def mapping(node: Any, key: str) -> dict[str, Any]:
    value = node.get(key) if isinstance(node, dict) else None
    return value if isinstance(value, dict) else {}


def items(node: Any, key: str) -> list[dict[str, Any]]:
    value = node.get(key) if isinstance(node, dict) else None
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def strings(node: Any, key: str) -> tuple[str, ...]:
    value = node.get(key) if isinstance(node, dict) else None
    if not isinstance(value, list):
        return ()
    return tuple(v.strip() for v in value if isinstance(v, str) and v.strip())


def text(node: Any, key: str) -> str | None:
    value = node.get(key) if isinstance(node, dict) else None
    return value.strip() or None if isinstance(value, str) else None


def number(node: Any, key: str) -> float | None:
    value = node.get(key) if isinstance(node, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def boolean(node: Any, key: str) -> bool | None:
    value = node.get(key) if isinstance(node, dict) else None
    return value if isinstance(value, bool) else None
