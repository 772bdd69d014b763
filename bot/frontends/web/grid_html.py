"""The rows of a programme grid as HTML, built in Python rather than in the template: a
1,000-event day is some 2,700 cells, and Jinja2's loops, tests and attribute look-ups per
cell cost several times what string joins do. Every text from the data is escaped as the
template's autoescaping would have (`_escape`: markupsafe's own escape, its C form when
built, as a str).
"""

from __future__ import annotations

from markupsafe import Markup

from bot.frontends.web.grid import Cell, Grid


def grid_rows(grid: Grid, talk_link: bool) -> Markup:
    """The grid's <tr> rows, one a line; titles link to the public talk pages when
    `talk_link`."""
    out: list[str] = []
    add = out.append
    escape = _escape
    links: dict[str, str] = {}  # conference slug -> the start of its talk links
    # A grid's cells come in a few dozen shapes: each empty one's HTML, and each talk cell's
    # opening by (rowspan, colspan, changed), is made once.
    empty: dict[Cell, str] = {}
    opening: dict[tuple[int, int, bool], str] = {}
    for row in grid.rows:
        starts = row.starts  # HH:MM, not by strftime (5x slower)
        add(f'<tr><th scope="row">{starts.hour:02d}:{starts.minute:02d}</th>')
        for cell in row.cells:
            if not cell.talks:
                blank = empty.get(cell)
                if blank is None:
                    blank = empty[cell] = f"{_spans(cell)}></td>"
                add(blank)
                continue
            shape = cell[1:]
            head = opening.get(shape)
            if head is None:
                changed = " changed" if cell.changed else ""
                head = opening[shape] = f'{_spans(cell)} class="talk{changed}">'
            add(head)
            for talk, when, who, mark in cell.talks:
                if talk_link:
                    link = links.get(talk.conference_slug)
                    if link is None:
                        link = links[talk.conference_slug] = (
                            f'<a href="/public/{escape(talk.conference_slug)}/talk/'
                        )
                    title = f'{link}{escape(talk.slug)}">{escape(talk.title)}</a>'
                else:
                    title = escape(talk.title)
                speakers = f' <span class="who">{escape(who)}</span>' if who else ""
                changes = f' <mark class="change">{escape(mark)}</mark>' if mark else ""
                # `when` is two HH:MM times the grid formatted: nothing in it to escape.
                add(
                    f'<div class="slot"><span class="title">{title}</span> '
                    f'<span class="when">{when}</span>{speakers}{changes}</div>'
                )
            add("</td>")
        add("</tr>\n")
    return Markup("".join(out))


def _escape_text(text: str) -> str:
    """`markupsafe.escape(text)` for a str, as a str: the same five replacements (its pure
    Python form), without a Markup object made per text."""
    return (
        text.replace("&", "&amp;")
        .replace(">", "&gt;")
        .replace("<", "&lt;")
        .replace("'", "&#39;")
        .replace('"', "&#34;")
    )


try:  # what markupsafe.escape calls for a str: its C form, 2,000 texts a 1,000-event day
    from markupsafe._speedups import _escape_inner
except ImportError:  # markupsafe built without its C extension
    _escape_inner = _escape_text
_escape = _escape_inner


def _spans(cell: Cell) -> str:
    """'<td' with the cell's rowspan and colspan where they are more than one."""
    if cell.rowspan == 1:
        return "<td" if cell.colspan == 1 else f'<td colspan="{cell.colspan}"'
    if cell.colspan == 1:
        return f'<td rowspan="{cell.rowspan}"'
    return f'<td rowspan="{cell.rowspan}" colspan="{cell.colspan}"'
