"""`GET /v1/trials` paging bounds: an offset past any database integer is a 422, not a 500.

Found by schemathesis (scripts/api-fuzz.sh): ``offset=2185491633238254900995948544``
overflowed SQLite's 64-bit integer inside the query.
"""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_a_huge_offset_is_refused_with_the_error_body(client: TestClient) -> None:
    response = client.get("/v1/trials", params={"offset": str(2**90)})
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["type"] == "request.less_than_equal"
    assert detail["loc"] == ["query", "offset"]


def test_the_largest_offset_allowed_answers_an_empty_page(client: TestClient) -> None:
    response = client.get("/v1/trials", params={"offset": "1000000"})
    assert response.status_code == 200
    assert response.json()["items"] == []
    assert response.json()["paging"]["offset"] == 1_000_000
