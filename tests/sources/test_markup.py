"""Markdown and HTML in schedule text fields become clean text that keeps its link targets."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.sources import markup
from bot.sources.detect import load_schedule
from bot.sources.markup import clean_markup
from tests.conftest import SHARED


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


def _sample_texts() -> list[str]:
    texts: list[str] = []
    for name in ("pretalx-democon.json", "pretalx-rc3.json", "frab-camp2019.json"):
        document = json.loads((SHARED / "samples" / name).read_text(encoding="utf-8"))
        for day in document["schedule"]["conference"]["days"]:
            for events in day["rooms"].values():
                for event in events:
                    texts += [event.get("abstract") or "", event.get("description") or ""]
    return [text for text in texts if text.strip()]


@pytest.mark.samples(
    "samples/pretalx-democon.json", "samples/pretalx-rc3.json", "samples/frab-camp2019.json"
)
def test_the_paragraph_path_reads_texts_as_the_whole_parser_does() -> None:
    texts = [
        *_sample_texts(),
        "**Details**\r\n\r\nPlain sentence.",
        "A *long\nemphasis* over lines, [a link](https://example.org/) &amp; more\n\nNext.",
        "Tabs\tinside and trailing spaces  \nhard break",
    ]
    fast = [text for text in texts if not markup._BLOCK_HINT.search(text.replace("\r\n", "\n"))]
    assert len(fast) > 20
    for text in fast:
        writer = markup._TextWriter()
        writer.markdown(text.replace("\r\n", "\n").replace("\r", "\n"))
        expected = "\n".join(line.rstrip() for line in writer.text().split("\n"))
        expected = re.sub(r"\n{3,}", "\n\n", expected).strip()
        assert markup.clean_markup(text) == expected, text


def test_past_its_budget_markup_is_kept_as_it_is() -> None:
    budget = markup.MarkupBudget(6)
    assert clean_markup("**bold** text", budget) == "bold text"  # 4 markup characters
    assert budget.left == 2
    assert clean_markup("[*a*](https://example.org/)", budget) == "[*a*](https://example.org/)"
    assert clean_markup("plain words cost nothing", budget) == "plain words cost nothing"
    assert clean_markup("*a*", budget) == "a"  # what fits is still parsed
    assert budget.left == 0


@pytest.mark.samples("samples/frab-camp2019.json")
def test_one_import_shares_one_markup_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(markup, "MAX_MARKUP_CHARACTERS", 40)
    document = json.loads((SHARED / "samples" / "frab-camp2019.json").read_text())
    events = [
        event
        for day in document["schedule"]["conference"]["days"]
        for room in day["rooms"].values()
        for event in room
    ]
    for event in events:
        event["abstract"] = "**Bold** [link](https://example.org/)"  # 6 markup characters
        event["description"] = ""
    path = tmp_path / "camp.json"
    path.write_text(json.dumps(document))
    summaries = [talk.summary for talk in load_schedule(path).talks]
    parsed = summaries.count("Bold link (https://example.org/)")
    assert 1 <= parsed <= 40 // 6  # 6 markup characters each; biographies may take some
    assert summaries[parsed:] == ["**Bold** [link](https://example.org/)"] * (len(events) - parsed)
