"""A data-quality warning: what in a record could not be read, or looked wrong.

Declared below both the FHIR boundary (`app.fhir`, which warns about Bundles and pulls) and
the normalizer (`app.facts`, which warns about resources), so neither imports the other
for it. Example::

    DataQualityWarning(code="observation.unknown_unit", message="...", source="Observation/1")
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class DataQualityWarning(BaseModel):
    """Something in the record that could not be read or was suspicious.

    ``message`` is written by trialmatch (never copied from the record), so it is safe
    to show; ``source`` names the resource.
    """

    model_config = ConfigDict(frozen=True)

    code: str = Field(examples=["observation.unknown_unit"])
    message: str
    source: str | None = None
