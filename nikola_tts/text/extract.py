"""Compiled post HTML (reST, Markdown or raw HTML) -> the prose a listener hears, as Blocks in page order."""

from __future__ import annotations

import warnings

from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning, NavigableString, Tag

from nikola_tts.text.blocks import Block, ExtractOptions, tidy

_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
# Elements that start a new Block; anything not listed (and not skipped) is read inline.
_BLOCK_TAGS = _HEADINGS | {
    "p", "li", "dt", "dd", "blockquote", "figcaption",
    "div", "section", "article", "main", "header", "footer", "aside", "figure", "details", "summary",
    "ul", "ol", "dl", "address", "center", "hgroup", "body", "html",
}
_CONTAINERS = {"div", "section", "article", "main", "header", "footer", "aside", "figure", "body", "html"}
# Not here: embed, source, track, wbr. They hold no text, and lxml's parser, not knowing them as
# void, nests whatever follows them inside them, so they are walked like inline tags.
_ALWAYS_SKIP = {
    "script", "style", "noscript", "template", "svg", "canvas", "iframe", "video", "audio", "object",
    "map", "math", "form", "button", "input", "select",
    "textarea", "option", "label", "nav", "hr", "head", "title", "meta", "link",
}
_CODE_CLASSES = {"code", "highlight", "codehilite", "sourcecode", "literal-block", "codetable", "highlighttable"}
_SKIP_CLASSES = {
    "audio-widget", "math", "arithmatex", "formula", "contents", "headerlink",
    "footnote", "footnote-list", "citation", "citation-list",
    "footnote-ref", "footnote-reference", "citation-reference",
}
# Notes by their ARIA role: docutils 0.22+ marks a footnote reference only so (class "brackets"),
# as do pandoc and other writers.
_SKIP_ROLES = {"doc-noteref", "doc-biblioref", "doc-footnote", "doc-endnote", "doc-endnotes", "doc-backlink"}

def _classes(tag: Tag) -> set[str]:
    value = tag.get("class") or ()
    return {value} if isinstance(value, str) else set(value)


def _is_code_block(tag: Tag) -> bool:
    if tag.name == "pre":
        return True
    if tag.name in ("div", "table") and _classes(tag) & _CODE_CLASSES:
        return True
    # A <code> standing alone in a container, not inside running text.
    if tag.name == "code" and tag.parent is not None and tag.parent.name in _CONTAINERS:
        return not any(isinstance(s, NavigableString) and s.strip() for s in tag.parent.children)
    return False


class _Walker:
    def __init__(self, options: ExtractOptions) -> None:
        self.options = options
        self.skip_classes = set(options.skip_classes)
        self.blocks: list[Block] = []
        self.elements: list[Tag] = []  # the page element each block reads, parallel to blocks
        self.buffer: list[str] = []
        self.kind = "paragraph"
        self.element: Tag | None = None  # the innermost block-level element being read

    def flush(self) -> None:
        if self.buffer:
            self.emit(self.kind, "".join(self.buffer))
            self.buffer = []

    def emit(self, kind: str, text: str, element: Tag | None = None) -> None:
        text = tidy(text)
        if any(ch.isalnum() for ch in text):
            self.blocks.append(Block(kind, text))
            self.elements.append(element if element is not None else self.element)

    def notice(self, phrase: str, element: Tag) -> None:
        if phrase:
            self.flush()
            self.emit("notice", phrase, element)

    def skipped(self, tag: Tag) -> bool:
        """True when tag is not read; emits the notice or alt text that stands in for it."""
        classes = _classes(tag)
        name = tag.name
        if classes & self.skip_classes or classes & _SKIP_CLASSES or name in _ALWAYS_SKIP:
            return True
        if any(c.startswith(("MathJax", "katex")) for c in classes):
            return True
        if name == "sup" and tag.get("id", "").startswith("fnref"):
            return True
        if tag.get("role") in _SKIP_ROLES:
            return True
        if _is_code_block(tag):
            self.notice(self.options.code_phrase, tag)
            return True
        if name == "table":
            self.notice(self.options.table_phrase, tag)
            return True
        if name == "img":
            if self.options.read_image_alt and tidy(tag.get("alt", "")):
                self.flush()
                self.emit("caption", tag["alt"], tag)
            return True
        if name == "figcaption":
            return not self.options.read_image_alt
        if name == "code":
            return not self.options.read_inline_code
        return False

    def walk(self, node: Tag) -> None:
        for child in node.children:
            if isinstance(child, Tag):
                self.visit(child)
            elif type(child) is NavigableString:  # not a Comment, Doctype, CData...
                self.buffer.append(child)

    def visit(self, tag: Tag) -> None:
        if tag.name == "br":
            self.buffer.append(" ")
        elif self.skipped(tag):
            # A skipped inline element must not glue its neighbours together.
            self.buffer.append(" ")
        elif tag.name in _BLOCK_TAGS:
            self.flush()
            outer, outer_element = self.kind, self.element
            self.kind, self.element = self._kind_for(tag.name, outer), tag
            self.walk(tag)
            self.flush()
            self.kind, self.element = outer, outer_element
        else:
            self.walk(tag)

    @staticmethod
    def _kind_for(name: str, outer: str) -> str:
        if name in _HEADINGS:
            return "heading"
        if name == "blockquote" or outer == "quote":
            return "quote"
        if name == "li":
            return "item"
        if name == "figcaption":
            return "caption"
        return outer if outer in ("item", "caption") else "paragraph"


def extract_blocks(html: str, options: ExtractOptions = ExtractOptions()) -> list[Block]:
    """The readable prose of an HTML fragment, one Block per heading, paragraph, item... in page order."""
    if not html or not html.strip():
        return []
    return [block for block, _ in locate_blocks(_parse(html, "lxml"), options)]


def locate_blocks(soup: Tag, options: ExtractOptions = ExtractOptions()) -> list[tuple[Block, Tag | None]]:
    """extract_blocks for a parsed page, each Block with the element it was read from (its paragraph,
    heading, item; the table or code block a notice stands for), so a page can mark where it is heard.
    The caller picks the parser: html.parser keeps each tag's position in the source."""
    walker = _Walker(options)
    walker.walk(soup)
    walker.flush()
    return list(zip(walker.blocks, walker.elements))


def parse_html(html: str) -> BeautifulSoup:
    """html as locate_blocks reads it, with each tag's line and column in the source (html.parser)."""
    return _parse(html, "html.parser")


def _parse(html: str, parser: str) -> BeautifulSoup:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)  # a short post can look like a URL
        return BeautifulSoup(html, parser)
