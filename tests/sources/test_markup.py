"""Markdown and HTML in schedule text fields become clean text that keeps its link targets."""

from __future__ import annotations

import pytest

from bot.sources.markup import clean_markup


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # An autolink in bold keeps its URL (the regexes left "****").
        ("**<https://example.org/>**", "https://example.org/"),
        ("See **<https://example.org/>** now", "See https://example.org/ now"),
        # Entities are decoded once.
        ("&amp;lt; is how you write &lt;", "&lt; is how you write <"),
        ("<p>&amp;lt;b&amp;gt;</p>", "&lt;b&gt;"),
        # A link destination followed by a space is still a link.
        ("[text](https://example.org/a )", "text (https://example.org/a)"),
        ('[docs](https://example.org/d "Title") and more', "docs (https://example.org/d) and more"),
        # Heading markers go, at any level.
        ("##### Agenda\nFirst", "Agenda\nFirst"),
        ("# Title\n\nBody", "Title\n\nBody"),
        ("Setext\n======\nBody", "Setext\nBody"),
        # HTML links keep their targets; tags go; block tags break lines.
        (
            '<p>Read <a href="https://example.org/x">the paper</a>.</p><p>Then talk.</p>',
            "Read the paper (https://example.org/x).\n\nThen talk.",
        ),
        ("<ul>\n  <li>one</li>\n  <li>two</li>\n</ul>", "• one\n• two"),
        ("line<br>next<br/>last", "line\nnext\nlast"),
        ("- one\n- two", "• one\n• two"),
        ("Plain *emphasis* and __strong__ and `code`", "Plain emphasis and strong and code"),
        ("[https://example.org/](https://example.org/)", "https://example.org/"),
        ("<script>alert(1)</script>kept", "kept"),
        ("", ""),
        (None, ""),
    ],
)
def test_clean_markup(text: str | None, expected: str) -> None:
    assert clean_markup(text) == expected


def test_plain_text_is_left_alone() -> None:
    text = "snake_case and 2 * 3 < 7, see [1].\nNext line #2 costs $3 & more"
    assert clean_markup(text) == text
