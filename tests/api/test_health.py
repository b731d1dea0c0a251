from fastapi.testclient import TestClient

from app.main import create_app


def test_healthz_answers_ok() -> None:
    client = TestClient(create_app())
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_unknown_route_has_the_one_error_body() -> None:
    client = TestClient(create_app())
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.json() == {
        "detail": [{"type": "request.not_found", "msg": "No such resource.", "loc": []}]
    }
