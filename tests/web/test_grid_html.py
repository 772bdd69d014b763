"""The grid's rows built in Python (bot/frontends/web/grid_html.py): the same HTML the
template's per-cell loop made with autoescaping, hostile text in every field shown as text."""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, datetime, timedelta

import jinja2
import markupsafe
import pytest

from bot.frontends.web import grid_html
from bot.frontends.web.grid import build_grid
from bot.frontends.web.grid_html import grid_rows
from bot.schedule_marks import Marks
from bot.store.changes import ProgrammeChange, TalkSnapshot
from bot.store.programme_grid import DayTalk

HOSTILE = '<script>alert("x")</script>\'"&'

# The loop grid.html had before the rows were built in Python, kept as the reference.
TEMPLATE_LOOP = (
    "{% for row in grid.rows %}"
    '<tr><th scope="row">{{ row.starts.strftime("%H:%M") }}</th>{% for cell in row.cells %}'
    '<td{% if cell.rowspan > 1 %} rowspan="{{ cell.rowspan }}"{% endif %}'
    '{% if cell.colspan > 1 %} colspan="{{ cell.colspan }}"{% endif %}'
    "{% if cell.talks %} class=\"talk{{ ' changed' if cell.changed else '' }}\"{% endif %}>"
    '{% for item in cell.talks %}<div class="slot"><span class="title">{% if talk_link %}'
    '<a href="/public/{{ item.talk.conference_slug }}/talk/{{ item.talk.slug }}">'
    "{{ item.talk.title }}</a>{% else %}{{ item.talk.title }}{% endif %}</span> "
    '<span class="when">{{ item.when }}</span>{% if item.who %} <span class="who">'
    '{{ item.who }}</span>{% endif %}{% if item.mark %} <mark class="change">'
    "{{ item.mark }}</mark>{% endif %}</div>{% endfor %}</td>{% endfor %}</tr>\n"
    "{% endfor %}"
)

DAY = datetime(2026, 5, 6, 9, 0, tzinfo=UTC)


def talk(slug: str, title: str, start: int, end: int | None, room: str | None) -> DayTalk:
    return DayTalk(
        HOSTILE,
        slug,
        title,
        DAY + timedelta(minutes=start),
        None if end is None else DAY + timedelta(minutes=end),
        room,
        (HOSTILE, "Ada") if start % 2 else (),
    )


def hostile_grid() -> tuple[list[DayTalk], Marks]:
    talks = [
        talk(HOSTILE, HOSTILE, 0, 90, "A"),
        talk("two", "Two & <b>bold</b>", 30, 60, HOSTILE),
        talk("three", "Three", 30, 45, HOSTILE),  # same start and room: one cell, two talks
        talk("four", "Four", 60, None, None),
        talk("five", "Five", 95, 120, "C"),
    ]
    moved = ProgrammeChange(
        HOSTILE,
        f"{HOSTILE}/two",
        "room",
        TalkSnapshot("Two", DAY, None, HOSTILE, ()),
        TalkSnapshot("Two", DAY, None, "B", ()),
        1,
        DAY,
    )
    return talks, Marks((moved,), UTC)


@pytest.mark.parametrize("talk_link", [False, True])
def test_rows_are_what_the_autoescaping_template_made(talk_link: bool) -> None:
    talks, marks = hostile_grid()
    grid = build_grid(talks, marks, UTC)
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    expected = env.from_string(TEMPLATE_LOOP).render(grid=grid, talk_link=talk_link)
    assert str(grid_rows(grid, talk_link)) == expected


def test_hostile_text_in_every_field_is_shown_as_text() -> None:
    talks, marks = hostile_grid()
    html = str(grid_rows(build_grid(talks, marks, UTC), talk_link=True))
    assert "<script>" not in html and "<b>" not in html
    assert html.count("&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&#39;&#34;&amp;") >= 5
    assert 'class="talk changed"' in html and "was in &lt;script&gt;" in html


ESCAPED = [
    HOSTILE,
    "<script>alert(1)</script>",
    "\"double\" and 'single'",
    "&amp; already escaped &lt;b&gt;",
    "Ä-Saal — café ☕ 日本語 \U0001f600 <é>",
    "",
    "plain",
]


@pytest.mark.parametrize("text", ESCAPED)
def test_the_escape_and_its_fallback_are_markupsafes(text: str) -> None:
    """The grid escapes with markupsafe's C escape when it is built (as here), else with the
    pure Python replacements: both give what `markupsafe.escape` gives."""
    from markupsafe import _speedups

    assert grid_html._escape is _speedups._escape_inner
    expected = str(markupsafe.escape(text))
    assert grid_html._escape(text) == expected
    assert grid_html._escape_text(text) == expected
    assert type(grid_html._escape(text)) is str


def test_without_the_c_extension_the_python_escape_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "markupsafe._speedups", None)  # its import fails
    spec = importlib.util.find_spec("bot.frontends.web.grid_html")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module._escape is module._escape_text
    assert all(module._escape(text) == str(markupsafe.escape(text)) for text in ESCAPED)
