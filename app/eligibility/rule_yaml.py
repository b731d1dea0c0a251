"""A criterion's rule as a trial file would hold it: YAML, ``op`` first, unset fields left out.

Example::

    >>> print(rule_yaml({"lte": 1, "op": "performance", "scale": "ecog", "gte": None}))
    op: performance
    lte: 1
    scale: ecog

The one rendering the people who keep the library read: `trialmatch trials show`
(app/store/trials_cli.py) and the trial page (app/ui) both print it.
"""

from __future__ import annotations

from typing import Any

import yaml


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _op_first(value: Any) -> Any:
    if isinstance(value, dict):
        ordered = sorted(value.items(), key=lambda item: item[0] != "op")
        return {k: _op_first(v) for k, v in ordered}
    if isinstance(value, list):
        return [_op_first(v) for v in value]
    return value


def rule_yaml(rule: Any) -> str:
    """The rule as indented YAML, without a trailing newline."""
    document = _op_first(_without_nulls(rule))
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=96).rstrip()
