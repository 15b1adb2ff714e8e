"""HTML text for the report: every piece of spec text goes through `esc`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape


def esc(text: str) -> str:
    """Escape spec text for HTML text and for quoted attribute values."""
    return escape(text, quote=True)


def table(
    header: Sequence[str], rows: Iterable[Sequence[str]], css: str = "", row_header: bool = False
) -> str:
    """An HTML table: the header escaped here, the cells already escaped; `row_header` heads each row."""
    head = "".join(f'<th scope="col">{esc(cell)}</th>' for cell in header)

    def row_html(row: Sequence[str]) -> str:
        cells = [f"<td>{cell}</td>" for cell in row]
        if row_header and row:
            cells[0] = f'<th scope="row">{row[0]}</th>'
        return "<tr>" + "".join(cells) + "</tr>"

    body = "".join(row_html(row) for row in rows)
    klass = f' class="{esc(css)}"' if css else ""
    return f"<table{klass}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def lines(items: Iterable[str]) -> str:
    """Escaped text items as a list; empty when there are none."""
    found = [f"<li>{esc(item)}</li>" for item in items]
    return f"<ul>{''.join(found)}</ul>" if found else ""
