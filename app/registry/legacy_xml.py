"""The legacy ClinicalTrials.gov XML, ``<clinical_study>`` (with or without an XML
declaration). Example::

    record = read_clinical_study(path.read_bytes())

Safety against entity attacks, without a third-party parser: a registry record never has a
DOCTYPE, so a document with a DOCTYPE or ENTITY declaration is refused twice over, by a
scan of the decoded text before parsing and by expat handlers that stop the parse at any
DOCTYPE or entity declaration (so no entity is ever defined, expanded or fetched). A
document that is not UTF-8 is refused too.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from xml.parsers import expat

from app.registry.record import (
    RecordError,
    RegistryArm,
    RegistryRecord,
    RegistrySite,
    study_url,
)

_PHASES = re.compile(r"/(?=\s*(?:Early\s+)?Phase)")  # "Phase 1/Phase 2", never "N/A"
_DECLARATION = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def looks_like_xml(raw: bytes) -> bool:
    return raw.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


def read_clinical_study(raw: bytes) -> RegistryRecord:
    try:
        decoded = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RecordError("not UTF-8") from None
    if _DECLARATION.search(decoded):
        raise RecordError("refused: the XML declares a DOCTYPE or entities")
    try:
        root = _parse(decoded)
    except ET.ParseError:
        raise RecordError("not well-formed XML") from None
    except _Declared:
        raise RecordError("refused: the XML declares a DOCTYPE or entities") from None
    if root.tag != "clinical_study":
        raise RecordError(f"root element is <{root.tag}>, not <clinical_study>")
    nct_id = _text(root, "id_info/nct_id")
    if nct_id is None:
        raise RecordError("no id_info/nct_id")
    title = _text(root, "brief_title") or _text(root, "official_title")
    if title is None:
        raise RecordError(f"{nct_id}: no title")
    volunteers = _text(root, "eligibility/healthy_volunteers")
    criteria = root.find("eligibility/criteria/textblock")
    return RegistryRecord(
        nct_id=nct_id,
        brief_title=title,
        official_title=_text(root, "official_title"),
        status=_text(root, "overall_status") or "Unknown status",
        status_is_legacy=True,
        phases=tuple(p.strip() for p in _PHASES.split(_text(root, "phase") or "") if p.strip()),
        phases_are_legacy=True,
        start_date=_text(root, "start_date"),
        completion_date=_text(root, "completion_date"),
        sponsor=_text(root, "sponsors/lead_sponsor/agency"),
        conditions=tuple(t for e in root.findall("condition") if (t := _clean(e.text))),
        arms=tuple(
            RegistryArm(
                label=label,
                type=_text(arm, "arm_group_type"),
                description=_text(arm, "description"),
            )
            for arm in root.findall("arm_group")
            if (label := _text(arm, "arm_group_label"))
        ),
        sites=tuple(
            RegistrySite(
                facility=facility,
                city=_text(location, "facility/address/city"),
                state=_text(location, "facility/address/state"),
                country=_text(location, "facility/address/country"),
                status=_text(location, "status"),
            )
            for location in root.findall("location")
            if (facility := _text(location, "facility/name"))
        ),
        eligibility_text=(criteria.text or "") if criteria is not None else "",
        eligibility_style="wrapped",
        sex=(_text(root, "eligibility/gender") or "").upper() or None,
        minimum_age=_text(root, "eligibility/minimum_age"),
        maximum_age=_text(root, "eligibility/maximum_age"),
        healthy_volunteers=None
        if volunteers is None
        else volunteers.lower().startswith(("yes", "accepts")),
        source_url=study_url(nct_id),
    )


class _Declared(Exception):
    """The document declares a DOCTYPE or an entity."""


def _refuse(*_: object) -> None:
    raise _Declared


def _parse(text: str) -> ET.Element:
    # A first pass with bare expat stops at any DOCTYPE or entity declaration; only a
    # document without one reaches ElementTree, which then has nothing to expand.
    checker = expat.ParserCreate()
    checker.StartDoctypeDeclHandler = _refuse
    checker.EntityDeclHandler = _refuse
    try:
        checker.Parse(text, True)
    except expat.ExpatError as exc:
        raise ET.ParseError(str(exc.code)) from None
    return ET.fromstring(text)  # noqa: S314 (checked above: no DOCTYPE, no entities)


def _clean(value: str | None) -> str | None:
    return " ".join(value.split()) or None if value else None


def _text(node: ET.Element, path: str) -> str | None:
    found = node.find(path)
    return _clean(found.text) if found is not None else None
