"""The rows of a programme grid as HTML, built in Python rather than in the template: a
1,000-event day is some 12,000 cells, and Jinja2's loops, tests and attribute look-ups per
cell cost several times what string joins do. Every text from the data goes through
`markupsafe.escape`, as the template's autoescaping would have sent it.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from bot.frontends.web.grid import Cell, Grid


def grid_rows(grid: Grid, talk_link: bool) -> Markup:
    """The grid's <tr> rows, one a line; titles link to the public talk pages when
    `talk_link`."""
    out: list[str] = []
    add = out.append
    for row in grid.rows:
        add(f'<tr><th scope="row">{row.starts:%H:%M}</th>')
        for cell in row.cells:
            add(_cell(cell, talk_link) if cell.talks else _blank(cell))
        add("</tr>\n")
    return Markup("".join(out))


def _blank(cell: Cell) -> str:
    rowspan = f' rowspan="{cell.rowspan}"' if cell.rowspan > 1 else ""
    colspan = f' colspan="{cell.colspan}"' if cell.colspan > 1 else ""
    return f"<td{rowspan}{colspan}></td>"


def _cell(cell: Cell, talk_link: bool) -> str:
    parts = ["<td"]
    if cell.rowspan > 1:
        parts.append(f' rowspan="{cell.rowspan}"')
    if cell.colspan > 1:
        parts.append(f' colspan="{cell.colspan}"')
    parts.append(' class="talk changed">' if cell.changed else ' class="talk">')
    for item in cell.talks:
        talk = item.talk
        title = escape(talk.title)
        if talk_link:
            href = f"/public/{escape(talk.conference_slug)}/talk/{escape(talk.slug)}"
            title = Markup(f'<a href="{href}">{title}</a>')
        parts.append(
            f'<div class="slot"><span class="title">{title}</span> '
            f'<span class="when">{escape(item.when)}</span>'
        )
        if item.who:
            parts.append(f' <span class="who">{escape(item.who)}</span>')
        if item.mark:
            parts.append(f' <mark class="change">{escape(item.mark)}</mark>')
        parts.append("</div>")
    parts.append("</td>")
    return "".join(parts)
