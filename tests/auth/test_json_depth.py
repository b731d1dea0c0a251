"""The depth scanner agrees with a real JSON parser on documents built to confuse it."""

from __future__ import annotations

import json
import random
from typing import Any

from app.limits.json_depth import exceeds_depth

# Strings that look like structure to a naive scanner.
TRICKY = ["[", "]", "{", "}", '"', "\\", '\\"', '"]', "\\\\", '[{"a": 1}]', "ü[", "\n{", ""]


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _document(rng: random.Random, budget: int) -> Any:
    kind = rng.random()
    if budget <= 0 or kind < 0.3:
        return rng.choice([*TRICKY, 1, None, True, 2.5])
    if kind < 0.65:
        return [_document(rng, budget - 1) for _ in range(rng.randint(0, 3))]
    return {
        rng.choice(TRICKY) + str(i): _document(rng, budget - 1) for i in range(rng.randint(0, 3))
    }


def test_depth_matches_the_parser_on_random_documents() -> None:
    rng = random.Random(7)
    checked = 0
    for _ in range(400):
        document = _document(rng, rng.randint(1, 12))
        depth = _depth(document)
        for ensure_ascii in (True, False):
            body = json.dumps(document, ensure_ascii=ensure_ascii).encode()
            if depth > 0:
                assert exceeds_depth(body, depth - 1), body
            assert not exceeds_depth(body, depth), body
            checked += 1
    assert checked == 800


def test_an_unpaired_quote_is_measured_not_a_crash() -> None:
    # Invalid JSON is the parser's to refuse (422 request.json_invalid); measuring must not raise.
    body = b'{"resourceType": "Bundle", "entry": [{"a": "b""}, [[[[' + b"]" * 4 + b"]}"
    assert exceeds_depth(body, 3) is True
    assert exceeds_depth(b'{"a": ["x"", [1]]}', 8) is False
