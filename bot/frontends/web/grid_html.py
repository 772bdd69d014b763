"""The rows of a programme grid as HTML, built in Python rather than in the template: a
1,000-event day is some 2,700 cells, and Jinja2's loops, tests and attribute look-ups per
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
    links: dict[str, str] = {}  # conference slug -> the start of its talk links
    for row in grid.rows:
        add(f'<tr><th scope="row">{row.starts:%H:%M}</th>')
        for cell in row.cells:
            add(_spans(cell))
            if not cell.talks:
                add("></td>")
                continue
            add(' class="talk changed">' if cell.changed else ' class="talk">')
            for item in cell.talks:
                talk = item.talk
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
                    f'<span class="when">{item.when}</span>'
                )
                if item.who:
                    add(f' <span class="who">{escape(item.who)}</span>')
                if item.mark:
                    add(f' <mark class="change">{escape(item.mark)}</mark>')
                add("</div>")
            add("</td>")
        add("</tr>\n")
    return Markup("".join(out))


def _spans(cell: Cell) -> str:
    """'<td' with the cell's rowspan and colspan where they are more than one."""
    if cell.rowspan == 1:
        return "<td" if cell.colspan == 1 else f'<td colspan="{cell.colspan}"'
    if cell.colspan == 1:
        return f'<td rowspan="{cell.rowspan}"'
    return f'<td rowspan="{cell.rowspan}" colspan="{cell.colspan}"'
