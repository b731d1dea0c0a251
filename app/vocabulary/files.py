"""Reading the vocabulary's data files: one parse and one check per file per process.

Each file is YAML with a header of three keys and a body::

    source: WHO ICD-O-3.2 (2019) topography; ...
    version: "2025.1"
    description: What the file holds and how it is read.
    ...body keys...

`load` returns the parsed `Document`, cached; a file without its header, or with a code
that is malformed for its system (`app.vocabulary.checks`), raises `VocabularyError`
the first time it is read, so a bad data change fails the first test that touches it.
Example::

    load("labs").version      # -> "2025.1"
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

HEADER = ("source", "version", "description")


class VocabularyError(ValueError):
    """A vocabulary file is missing, malformed, or holds a malformed code."""


@dataclass(frozen=True)
class Document:
    name: str
    source: str
    version: str
    description: str
    body: dict[str, Any]


def names() -> list[str]:
    """Every data file's name (without ``.yaml``), sorted."""
    folder = resources.files("app.vocabulary").joinpath("data")
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


@cache
def load(name: str) -> Document:
    path = resources.files("app.vocabulary").joinpath("data", f"{name}.yaml")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise VocabularyError(f"vocabulary file {name!r} cannot be read") from exc
    if not isinstance(raw, dict):
        raise VocabularyError(f"vocabulary file {name!r} is not a mapping")
    for key in HEADER:
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise VocabularyError(f"vocabulary file {name!r} does not name its {key}")
    body = {k: v for k, v in raw.items() if k not in HEADER}
    return Document(name, raw["source"], raw["version"], raw["description"], body)


def section(document: Document, key: str) -> Any:
    """A body key that must be present."""
    if key not in document.body:
        raise VocabularyError(f"vocabulary file {document.name!r} has no {key!r}")
    return document.body[key]
