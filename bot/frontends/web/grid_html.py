"""The rows of a programme grid as HTML, built in Python rather than in the template: a
1,000-event day is some 2,700 cells, and Jinja2's loops, tests and attribute look-ups per
cell cost several times what string joins do. Every text from the data is escaped as the
template's autoescaping would have (`_escape`: markupsafe's own replacements).
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
    empty: dict[tuple[int, int], str] = {}  # (rowspan, colspan) -> an empty cell
    for row in grid.rows:
        starts = row.starts  # HH:MM, not by strftime (5x slower)
        add(f'<tr><th scope="row">{starts.hour:02d}:{starts.minute:02d}</th>')
        for cell in row.cells:
            if not cell.talks:
                shape = (cell.rowspan, cell.colspan)
                blank = empty.get(shape)
                if blank is None:
                    blank = empty[shape] = f"{_spans(cell)}></td>"
                add(blank)
                continue
            add(_spans(cell))
            add(' class="talk changed">' if cell.changed else ' class="talk">')
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
                # `when` is two HH:MM times the grid formatted: nothing in it to escape.
                add(
                    f'<div class="slot"><span class="title">{title}</span> '
                    f'<span class="when">{when}</span>'
                )
                if who:
                    add(f' <span class="who">{escape(who)}</span>')
                if mark:
                    add(f' <mark class="change">{escape(mark)}</mark>')
                add("</div>")
            add("</td>")
        add("</tr>\n")
    return Markup("".join(out))


def _escape(text: str) -> str:
    """`markupsafe.escape(text)` for a str, as a str: the same five replacements (its pure
    Python form), without a Markup object made per text."""
    return (
        text.replace("&", "&amp;")
        .replace(">", "&gt;")
        .replace("<", "&lt;")
        .replace("'", "&#39;")
        .replace('"', "&#34;")
    )


def _spans(cell: Cell) -> str:
    """'<td' with the cell's rowspan and colspan where they are more than one."""
    if cell.rowspan == 1:
        return "<td" if cell.colspan == 1 else f'<td colspan="{cell.colspan}"'
    if cell.colspan == 1:
        return f'<td rowspan="{cell.rowspan}"'
    return f'<td rowspan="{cell.rowspan}" colspan="{cell.colspan}"'
