"""The README's list of error types is the code's: every stable error type the app raises is
listed, and every listed type is raised somewhere (no stale entry)."""

from __future__ import annotations

import re

from app.config import REPO_ROOT

# An error built with its type first: ApiError("x.y", ...), NotFound(...), cls("x.y", ...),
# super().__init__("x.y", ...). Data-quality warnings (reading.warn(...)) are not errors.
_RAISED = re.compile(
    r"(?:\b[A-Z][A-Za-z]*|\bcls|super\(\)\.__init__)\(\s*\"((?:auth|audit|bundle|cds|curation"
    r"|export|fhir|internal|patient|request|service|trial|ui)\.[a-z_]+)\""
)
_LISTED = re.compile(r"^\| `([a-z_]+\.[a-z_]+)` \|", re.MULTILINE)


def _raised() -> set[str]:
    found: set[str] = set()
    for path in (REPO_ROOT / "app").rglob("*.py"):
        found |= set(_RAISED.findall(path.read_text(encoding="utf-8")))
    return found


def _listed() -> set[str]:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Error types", 1)[1].split("\n## ", 1)[0]
    return set(_LISTED.findall(section))


def test_every_error_type_raised_is_listed_in_the_readme() -> None:
    raised = _raised()
    assert "bundle.no_patient" in raised and "auth.required" in raised  # the scan works
    assert raised - _listed() == set()


def test_every_listed_error_type_is_raised_somewhere() -> None:
    assert _listed() - _raised() == set()
