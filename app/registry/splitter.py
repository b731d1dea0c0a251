"""The registry's free-text eligibility split into criteria, verbatim, with stable ids.

Example::

    split("Inclusion Criteria:\\n\\n* Age \\\\>= 18\\n  * with consent\\n\\nExclusion Criteria:\\n"
          "\\n* Pregnancy", style="markdown")
    # -> [Piece("inc-1", "inclusion", "Age >= 18"), Piece("inc-1.a", "inclusion",
    #     "with consent"), Piece("exc-1", "exclusion", "Pregnancy")]

How the text is read:

- Line ends: CRLF and CR become LF; tabs become spaces.
- Sections: a line "Inclusion Criteria:", "Key inclusion criteria", "INCLUSION CRITERIA",
  "-Exclusion criteria for part B:" (any case, an optional Key/Main/Major, an optional
  bullet) starts a section. Text before any header is inclusion.
- Items: a line starting with a bullet (``*``, ``-``, ``+``, ``•``, ``o``), a number
  (``1.``, ``1)``) or a letter (``a.``, ``a)``) starts one. An item indented deeper than
  the current top-level item is its sub-item (``inc-4.a``, ``inc-4.b``, ...); deeper
  still (or past ``z``) is kept inside the sub-item's text, marker and all.
- Unbulleted lists: a plain line is its own criterion in API v2 and classic JSON (they
  do not wrap lines); in hard-wrapped XML a paragraph (lines up to a blank line) is one.
  A plain line indented deeper than the current item continues it.
- Headings: a short plain line ending with ":" ("Hepatic:", "DISEASE CHARACTERISTICS:")
  is no criterion; the criteria under it name it (``heading``).
- Notes: a line starting "Note:" / "NOTE -" / "N.B." is attached to the criterion before
  it (a warning if none), never a criterion of its own.
- Markdown (API v2 only): a backslash escaping punctuation (``\\>=``, ``\\<``, ``\\*``,
  ``\\^``) is removed: the text is the registry's as its web page shows it (``>=``), the
  escaping backslash dropped. Nothing else is changed, except that a wrapped XML line's
  indentation becomes one space.
- Ids: ``inc-N`` / ``exc-N`` numbered from 1 in order of the text, per section;
  re-splitting the same text gives the same ids.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from app.registry.record import TextStyle

MAX_HEADING = 80
Section = Literal["inclusion", "exclusion"]

_HEADER = re.compile(
    r"^[-*+•\s]*(?:key|main|major|general)?\s*(inclusion|exclusion)"
    r"(?:\s+criteria)?(?P<rest>[^:]{0,60}?)\s*(?::(?P<after>.*))?$",
    re.IGNORECASE,
)
_MARKER = re.compile(
    r"^(?P<marker>[*+•]|-(?=\s|[A-Za-z(])|o(?=\s+[A-Z(])|\d{1,2}[.)](?=\s)|[a-zA-Z][.)](?=\s))"
    r"\s*(?P<text>.*)$"
)
_NOTE = re.compile(r"^(?:notes?\b\s*[:\-\u2013]|n\.\s?b\.)", re.IGNORECASE)
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>^~|=])")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


@dataclass
class Piece:
    id: str
    type: Section
    text: str
    heading: str | None = None


@dataclass
class _Item:
    piece: Piece
    indent: int
    subs: list[_Item] = field(default_factory=list)


@dataclass
class Split:
    pieces: list[Piece]
    warnings: list[str]


def unescape(text: str) -> str:
    """Markdown backslash escapes removed: ``\\>=`` -> ``>=``."""
    return _ESCAPE.sub(r"\1", text)


def _header(content: str) -> tuple[Section, str] | None:
    """(section, text after the colon) when the line is a section header."""
    match = _HEADER.match(content)
    if match is None:
        return None
    rest, after = match.group("rest").strip(), (match.group("after") or "").strip()
    if not re.search(r"criteria", content, re.IGNORECASE) and not content.rstrip().endswith(":"):
        return None  # "Exclusion of ..." is a sentence, not a header
    if rest and not re.match(r"^(for|in|of|\(|-|\u2013)", rest, re.IGNORECASE):
        return None
    return ("inclusion" if match.group(1).lower() == "inclusion" else "exclusion"), after


def split(text: str, *, style: TextStyle) -> Split:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").expandtabs(4).split("\n")
    warnings: list[str] = []
    sections: dict[Section, list[_Item]] = {"inclusion": [], "exclusion": []}
    section: Section = "inclusion"
    heading: str | None = None
    top: _Item | None = None
    last: _Item | None = None
    blank_before = True

    def new_top(content: str, indent: int) -> None:
        nonlocal top, last
        item = _Item(Piece("", section, content, heading), indent)
        sections[section].append(item)
        top = last = item

    for raw in lines:
        if not raw.strip():
            blank_before = True
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        body = raw.strip()
        content = unescape(body) if style == "markdown" else body
        header = _header(content)
        if header is not None:
            section, after = header
            heading, top, last = None, None, None
            if after:
                new_top(after, indent)
            blank_before = False
            continue
        marker = _MARKER.match(body)
        if _NOTE.match(content) or (marker and _NOTE.match(_strip_marker(content))):
            if last is None:
                warnings.append("a note before any criterion was left out")
            else:
                last.piece.text += "\n" + content
            blank_before = False
            continue
        if marker is not None:
            item_text = _strip_marker(content)
            if not item_text:
                continue
            if top is None or indent <= top.indent:
                new_top(item_text, indent)
            elif (top.subs and indent > top.subs[-1].indent) or len(top.subs) >= len(_LETTERS):
                sub = top.subs[-1]
                sub.piece.text += "\n" + content
                last = sub
            else:
                sub = _Item(Piece("", section, item_text, heading), indent)
                top.subs.append(sub)
                last = sub
            blank_before = False
            continue
        continues = (
            last is not None
            and top is not None
            and (indent > top.indent or (style == "wrapped" and not blank_before))
        )
        if continues and last is not None:
            joiner = " " if style == "wrapped" and not blank_before else "\n"
            last.piece.text += joiner + content
        elif content.endswith(":") and len(content) <= MAX_HEADING:
            heading, top, last = content, None, None
        else:
            new_top(content, indent)
        blank_before = False

    pieces: list[Piece] = []
    for name, items in sections.items():
        prefix = "inc" if name == "inclusion" else "exc"
        for number, item in enumerate(items, start=1):
            item.piece.id = f"{prefix}-{number}"
            pieces.append(item.piece)
            for letter, sub in zip(_LETTERS, item.subs, strict=False):
                sub.piece.id = f"{prefix}-{number}.{letter}"
                pieces.append(sub.piece)
    if not pieces:
        warnings.append("the eligibility text holds no criterion")
    return Split(pieces, warnings)


def _strip_marker(content: str) -> str:
    match = _MARKER.match(content)
    return match.group("text").strip() if match else content
