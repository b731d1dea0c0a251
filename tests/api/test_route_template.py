"""route_template: the full template of the matched route, whatever prefixes it came through."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.testclient import TestClient

from app.api.route_template import route_template

inner = APIRouter(prefix="/inner")


@inner.get("/{patient_id}/matches")
def in_a_router(request: Request) -> dict[str, str | None]:
    return {"template": route_template(request)}


def app() -> FastAPI:
    application = FastAPI()
    application.include_router(inner, prefix="/outer")
    application.include_router(inner)

    @application.get("/direct/{patient_id}")
    def direct(request: Request) -> dict[str, str | None]:
        return {"template": route_template(request)}

    return application


def test_the_template_has_every_prefix() -> None:
    client = TestClient(app())
    assert client.get("/outer/inner/p-1/matches").json() == {
        "template": "/outer/inner/{patient_id}/matches"
    }
    assert client.get("/inner/p-1/matches").json() == {"template": "/inner/{patient_id}/matches"}
    assert client.get("/direct/p-1").json() == {"template": "/direct/{patient_id}"}
