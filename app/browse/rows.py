"""The rows of a folder listing as HTML, built in Python because a page may hold 1,000 entries.

Rendering each row through Jinja costs ~25 µs (one escape per expression); this builds the same
markup in a third of the time. Every name, path and URL passes through `escape` exactly once, so
hostile names stay text; URLs come from the page's builders, already percent-encoded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from markupsafe import Markup, escape

from app.services.files import FileEntry
from app.templating import filesize, when


def listing_rows(
    entries: Iterable[FileEntry],
    *,
    folder_url: Callable[[str], str],
    rename_url: Callable[[str], str] | None,
    checkbox_form: str,
    file_field: str,
    dir_field: str,
) -> Markup:
    """`<tr>` elements for the entries: a labelled checkbox, name (folders link), size, date, rename."""
    form = escape(checkbox_form)
    fields = {True: escape(dir_field), False: escape(file_field)}
    rows = []
    for entry in entries:
        name = escape(entry.name)
        if entry.is_dir:
            cells = (
                f'<td class="name"><span class="entry-kind" aria-hidden="true">[folder]</span>'
                f'<a href="{escape(folder_url(entry.path))}">{name}/</a>'
                f'<span class="visually-hidden"> (folder)</span></td>'
                f'<td class="num"><span class="muted">folder</span></td>'
            )
        else:
            broken = ' <span class="badge badge--warn">broken link</span>' if entry.kind == "invalid_symlink" else ""
            cells = f'<td class="name">{name}{broken}</td><td class="num">{filesize(entry.size)}</td>'
        modified = entry.last_modified
        date = _time_element(modified) if modified else ""
        rename = (
            (
                f'<td class="optional"><a href="{escape(rename_url(entry.name))}">Rename'
                f'<span class="visually-hidden"> {name}</span></a></td>'
            )
            if rename_url
            else ""
        )
        rows.append(
            f'<tr><td class="select"><input type="checkbox" form="{form}" name="{fields[entry.is_dir]}" '
            f'value="{name}" aria-label="Select {name}" data-selectable></td>'
            f'{cells}<td class="optional">{date}</td>{rename}</tr>\n'
        )
    return Markup("".join(rows))


def _time_element(moment: datetime) -> str:
    """`<time>` with the ISO stamp and the page's "2026-11-23 08:55 UTC", cut from one isoformat()."""
    stamp = moment.isoformat()
    # Transfer's timestamps are UTC: the shown text is a slice of the ISO string (the general
    # formatter converts zones and builds five fields, for 1,000 rows a page).
    if stamp.endswith("+00:00") and stamp[10:11] == "T":
        return f'<time datetime="{stamp}">{stamp[:10]} {stamp[11:16]} UTC</time>'
    return f'<time datetime="{stamp}">{when(moment)}</time>'
