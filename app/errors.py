"""The one error body of trialmatch, and the error tree behind it.

Every error leaves the service in the shape FastAPI uses for its own 422::

    {"detail": [{"type": "bundle.no_patient", "msg": "No Patient.", "loc": ["body"]}]}

``type`` is stable and machine-readable; ``msg`` is written by us and never carries
exception text or patient data.

    ApiError                    (any status, one or more details)
      +-- NotFound              404
      +-- InvalidInput          422
      +-- UpstreamError         502 / 504, from the EHR's FHIR server
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    type: str = Field(examples=["bundle.no_patient"])
    msg: str = Field(examples=["The Bundle holds no Patient resource."])
    loc: list[str | int] = Field(default_factory=list, examples=[["body"]])


class ErrorBody(BaseModel):
    detail: list[ErrorDetail]


class ApiError(Exception):
    """An error that becomes an HTTP response with the one error body."""

    status_code: int = 400

    def __init__(
        self,
        type_: str,
        msg: str,
        *,
        loc: Sequence[str | int] = (),
        status_code: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(type_)
        if status_code is not None:
            self.status_code = status_code
        self.details = [ErrorDetail(type=type_, msg=msg, loc=list(loc))]
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return ErrorBody(detail=self.details).model_dump()


class NotFound(ApiError):
    status_code = 404


class InvalidInput(ApiError):
    status_code = 422


class UpstreamError(ApiError):
    status_code = 502


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting the error body for these statuses."""
    return {status: {"model": ErrorBody} for status in statuses}


def documented_error(
    status: int, type_: str, msg: str, *, loc: Sequence[str | int] = ()
) -> dict[int | str, dict[str, Any]]:
    """One OpenAPI `responses=` entry: the error body for `status`, with an example.

    Example: ``responses=documented_error(404, "trial.not_found", "No trial has this id.")``
    """
    example = ErrorBody(detail=[ErrorDetail(type=type_, msg=msg, loc=list(loc))]).model_dump()
    return {status: {"model": ErrorBody, "content": {"application/json": {"example": example}}}}
