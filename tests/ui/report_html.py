"""A small element tree from the standard library's HTML parser, for tests that read pages.

Tests ask a page what a person would see (the rows of a table, the text of a badge), not
whether a string occurs somewhere in it. Example::

    page = parse_html(response.text)
    [row.text() for row in page.find_all("tr", class_="criterion-row")]
    page.by_id("trial-NCT06949098").find("span", class_="badge").text()   # "✓ Eligible"
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

# Elements without an end tag (HTML's void elements).
VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None] = field(default_factory=dict)
    children: list[Element | str] = field(default_factory=list)
    parent: Element | None = None

    def attr(self, name: str) -> str:
        value = self.attrs.get(name)
        if value is None:
            raise AssertionError(f"<{self.tag}> has no {name}")
        return value

    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def text(self) -> str:
        """The text a reader sees, whitespace collapsed."""
        parts: list[str] = []
        for child in self.children:
            parts.append(child if isinstance(child, str) else child.text())
        return " ".join(" ".join(parts).split())

    def iter(self) -> list[Element]:
        found: list[Element] = []
        for child in self.children:
            if isinstance(child, Element):
                found.append(child)
                found.extend(child.iter())
        return found

    def find_all(self, tag: str | None = None, *, class_: str | None = None) -> list[Element]:
        return [
            e
            for e in self.iter()
            if (tag is None or e.tag == tag) and (class_ is None or class_ in e.classes())
        ]

    def find(self, tag: str | None = None, *, class_: str | None = None) -> Element:
        found = self.find_all(tag, class_=class_)
        if not found:
            raise AssertionError(f"no <{tag}> of class {class_!r} in <{self.tag}>")
        return found[0]

    def by_id(self, element_id: str) -> Element:
        found = [e for e in self.iter() if e.attrs.get("id") == element_id]
        if len(found) != 1:
            raise AssertionError(f"{len(found)} elements with id {element_id!r}")
        return found[0]

    def ancestors(self) -> list[Element]:
        chain: list[Element] = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document")
        self.open = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, dict(attrs), parent=self.open[-1])
        self.open[-1].children.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open[-1].children.append(Element(tag, dict(attrs), parent=self.open[-1]))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        # Templates close every element they open; a stray end tag is a broken page.
        if self.open[-1].tag != tag:
            raise AssertionError(f"</{tag}> closes <{self.open[-1].tag}>")
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.open[-1].children.append(data)


def parse_html(page: str) -> Element:
    """The page's tree; raises AssertionError on an element closed out of order."""
    builder = _TreeBuilder()
    builder.feed(page)
    builder.close()
    if len(builder.open) != 1:
        raise AssertionError(f"unclosed <{builder.open[-1].tag}>")
    return builder.root
