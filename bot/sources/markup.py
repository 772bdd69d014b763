"""Plain text from the Markdown and HTML that schedule exports put in their text fields.

Abstracts, descriptions and biographies hold Markdown (pretalx), HTML (Pentabarf, frab) or
both. `clean_markup` parses the Markdown with markdown-it-py (CommonMark) and any HTML in it
with the standard library's `html.parser`, and writes the text a reader would see: no `**`,
no `#####`, no tags; a link keeps its target as "text (url)"; entities are decoded exactly
once (`&amp;lt;` reads `&lt;`); the blank lines between blocks are those of the source.
"""

from __future__ import annotations

import functools
import re
from html.parser import HTMLParser

from markdown_it import MarkdownIt
from markdown_it.token import Token

# What may open a block other than a paragraph (heading, quote, list, break, fence, HTML block,
# indented code, setext underline) or define a link reference. Text with none of these is
# paragraphs between blank lines, and each paragraph is parsed on its own, inline only: the
# same result as parsing the whole text, for a fraction of the time.
_BLOCK_HINT = re.compile(
    r"^ {0,3}(?:[*+-](?:[ \t]|$)|(?:[*_-][ \t]*){3,}$|[#>=<`~]|-+[ \t]*$|\d{1,9}[.)](?:[ \t]|$))"
    r"|^(?: {4}|\t)|\]:",
    re.M,
)
_INLINE_HINT = re.compile(r"[*_`<>&\[\]\\~!]")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_BLANK_LINES = re.compile(r"\n{3,}")

# How many markup characters one import may have parsed. Prose costs next to nothing, but
# each bracket, star or tag costs the parser some 10-60 us, so an export made of nothing else
# would take minutes; past the budget, texts are kept as they are (a real export, FOSDEM's or a
# 20,000-event one, uses a tenth of it).
MAX_MARKUP_CHARACTERS = 1_000_000
_MARKUP_CHARACTERS = "*_`<>&[]\\~!#"
_WITHOUT_MARKUP = str.maketrans("", "", _MARKUP_CHARACTERS)


class MarkupBudget:
    """The markup characters an import may still have parsed (see MAX_MARKUP_CHARACTERS)."""

    def __init__(self, characters: int | None = None) -> None:
        self.left = MAX_MARKUP_CHARACTERS if characters is None else characters

    def spend(self, text: str) -> bool:
        """Take the text's markup characters from the budget; False when they do not fit."""
        cost = len(text) - len(text.translate(_WITHOUT_MARKUP))
        if cost > self.left:
            return False
        self.left -= cost
        return True


_BLOCK_TAGS = frozenset(
    {"div", "ul", "ol", "table", "tr", "blockquote", "pre", "section", "article", "dl", "dt"}
    | {"dd", "h1", "h2", "h3", "h4", "h5", "h6", "header", "footer", "figure", "hr"}
)
_SKIPPED_TAGS = frozenset({"script", "style", "template", "head", "title"})

_MARKDOWN = MarkdownIt("commonmark", {"html": True})
# Block tokens that start a new block of text, with the source lines they cover (`map`).
_BLOCKS = frozenset(
    {
        "paragraph_open",
        "heading_open",
        "html_block",
        "fence",
        "code_block",
        "blockquote_open",
        "bullet_list_open",
        "ordered_list_open",
        "hr",
    }
)


def clean_markup(text: str | None, budget: MarkupBudget | None = None) -> str:
    """Plain text from a schedule text field (Markdown, HTML, or both); '' for None. With a
    `budget` that the text's markup does not fit, the text is only normalised."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if budget is not None and not budget.spend(text):
        pass
    elif _BLOCK_HINT.search(text):
        writer = _TextWriter()
        writer.markdown(text)
        text = writer.text()
    else:
        text = "\n\n".join(_paragraph(part) for part in _PARAGRAPH_BREAK.split(text))
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


def _paragraph(text: str) -> str:
    """One Markdown paragraph as text: its lines without their indentation, and inline
    markup parsed where there is any (most paragraphs have none: import speed)."""
    text = "\n".join(line.lstrip(" \t") for line in text.strip("\n").split("\n"))
    return _inline(text) if _INLINE_HINT.search(text) else text


@functools.lru_cache(maxsize=4096)
def _inline(text: str) -> str:
    """A paragraph's inline Markdown as text (cached: exports repeat lines such as
    "**Details**")."""
    writer = _TextWriter()
    for token in _MARKDOWN.parseInline(text):
        writer.block(token)
    writer.close_html()
    return writer.text()


def with_target(label: str, target: str) -> str:
    """The text a link adds after its label: " (url)", or '' when the label already says it
    (an autolink, a bare URL as its own label, an in-page anchor)."""
    target = target.strip()
    shown = label.strip()
    if not target or target.startswith("#"):
        return ""
    bare = target.removeprefix("mailto:")
    if not shown:
        return target
    if shown in (target, bare) or target.rstrip("/") == shown.rstrip("/"):
        return ""
    return f" ({target})"


class _TextWriter(HTMLParser):
    """Collects the text of Markdown tokens and of the HTML inside them, in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        # (href, where the link's text starts in `parts`) for each open link.
        self.links: list[tuple[str, int]] = []
        self.skipping = 0
        self.preformatted = 0
        self.last_line = -1  # the source line the previous block ended on
        self.in_list_item = False
        self.ordered: list[int | None] = []

    def text(self) -> str:
        return "".join(self.parts)

    def write(self, text: str) -> None:
        if text:
            self.parts.append(text)

    def at_line_start(self) -> bool:
        return not self.parts or self.parts[-1].endswith("\n")

    def newline(self, count: int = 1) -> None:
        if self.parts:
            self.write("\n" * count)

    # -- Markdown -------------------------------------------------------------------------

    def markdown(self, text: str) -> None:
        for token in _MARKDOWN.parse(text):
            self.block(token)
        self.close_html()

    def block(self, token: Token) -> None:
        kind = token.type
        if kind in _BLOCKS and token.map is not None:
            if not (kind == "paragraph_open" and self.in_list_item):
                self.newline(2 if token.map[0] > self.last_line else 1)
            self.last_line = token.map[1]
        self.in_list_item = kind == "list_item_open"
        if kind == "inline":
            for child in token.children or ():
                self.inline(child)
        elif kind == "html_block":
            self.html(token.content)
        elif kind in ("fence", "code_block"):
            self.write(token.content.rstrip("\n"))
        elif kind == "bullet_list_open":
            self.ordered.append(None)
        elif kind == "ordered_list_open":
            start = token.attrGet("start")
            self.ordered.append(int(start) if isinstance(start, int | str) else 1)
        elif kind in ("bullet_list_close", "ordered_list_close") and self.ordered:
            self.ordered.pop()
        elif kind == "list_item_open":
            if token.map is not None:
                self.newline(2 if token.map[0] > self.last_line else 1)
                self.last_line = token.map[1]
            number = self.ordered[-1] if self.ordered else None
            if number is None:
                self.write("• ")
            else:
                self.write(f"{number}. ")
                self.ordered[-1] = number + 1

    def inline(self, token: Token) -> None:
        kind = token.type
        if kind in ("text", "code_inline"):
            self.write(token.content)
        elif kind in ("softbreak", "hardbreak"):
            self.write("\n")
        elif kind == "html_inline":
            self.html(token.content)
        elif kind == "link_open":
            self.links.append((str(token.attrGet("href") or ""), len(self.parts)))
        elif kind == "link_close":
            self.end_link()
        elif kind == "image":
            self.write(token.content)

    def end_link(self) -> None:
        if not self.links:
            return
        href, start = self.links.pop()
        self.write(with_target("".join(self.parts[start:]), href))

    # -- HTML -----------------------------------------------------------------------------

    def html(self, markup: str) -> None:
        try:
            self.feed(markup)
            self.close_html()
        except (AssertionError, ValueError):  # a malformed declaration such as "<![if"
            self.reset()
            self.write(re.sub(r"<[^>]*>", "", markup))

    def close_html(self) -> None:
        # Text after the last tag waits in the parser's buffer until it is told to go on.
        self.goahead(True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self.skipping += 1
        elif tag == "br":
            self.write("\n")
        elif tag == "p":
            self.newline(2)
        elif tag == "li":
            self.newline()
            self.write("• ")
        elif tag in _BLOCK_TAGS:
            self.newline()
            self.preformatted += tag == "pre"
        elif tag == "a":
            href = next((value for name, value in attrs if name == "href" and value), "")
            self.links.append((href, len(self.parts)))
        elif tag == "img":
            self.write(next((value for name, value in attrs if name == "alt" and value), ""))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "img", "hr"):
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag == "p":
            self.newline(2)
        elif tag in _BLOCK_TAGS:
            self.newline()
            self.preformatted = max(0, self.preformatted - (tag == "pre"))
        elif tag == "a":
            self.end_link()

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if not self.preformatted:
            data = re.sub(r"\s+", " ", data)
            if self.at_line_start():
                data = data.lstrip()
        self.write(data)
