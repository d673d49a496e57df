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

# A folder drawn inline (no icon font, no CDN); `currentColor` follows the link colour.
FOLDER_ICON = (
    '<svg class="entry-icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">'
    '<path d="M1.5 3.5h4l1.5 1.5h7.5v8h-13z" fill="none" stroke="currentColor" stroke-width="1.3" '
    'stroke-linejoin="round"/></svg>'
)
FILE_ICON = (
    '<svg class="entry-icon entry-icon--file" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" '
    'focusable="false"><path d="M3.5 1.5h6l3 3v10h-9z" fill="none" stroke="currentColor" stroke-width="1.3" '
    'stroke-linejoin="round"/></svg>'
)


def listing_rows(
    entries: Iterable[FileEntry],
    *,
    folder_url: Callable[[str], str],
    rename_url: Callable[[str], str] | None,
    checkbox_form: str,
    file_field: str,
    dir_field: str,
    delete_form: str | None = None,
) -> Markup:
    """`<tr>` elements: a labelled checkbox, icon and name (folders link; the date again on a second
    line for narrow screens), size, date, and a row menu (rename; delete when `delete_form` names the
    form whose submit button asks for a delete confirmation of that one entry)."""
    form = escape(checkbox_form)
    fields = {True: escape(dir_field), False: escape(file_field)}
    with_menu = rename_url is not None or delete_form is not None
    rows = []
    for entry in entries:
        name = escape(entry.name)
        modified = entry.last_modified
        date = _time_element(modified) if modified else ""
        second_line = f'<span class="entry-meta">{date}</span>' if date else ""
        if entry.is_dir:
            cells = (
                f'<td class="name">{FOLDER_ICON}<a href="{escape(folder_url(entry.path))}">{name}/</a>'
                f'<span class="visually-hidden"> (folder)</span>{second_line}</td>'
                f'<td class="num"><span class="visually-hidden">folder</span></td>'
            )
        else:
            broken = ' <span class="badge badge--warn">broken link</span>' if entry.kind == "invalid_symlink" else ""
            cells = (
                f'<td class="name">{FILE_ICON}<span class="entry-name">{name}</span>{broken}{second_line}</td>'
                f'<td class="num">{filesize(entry.size)}</td>'
            )
        menu = _row_menu(entry, name, rename_url, delete_form, fields[entry.is_dir]) if with_menu else ""
        rows.append(
            f'<tr><td class="select"><input type="checkbox" form="{form}" name="{fields[entry.is_dir]}" '
            f'value="{name}" aria-label="Select {name}" data-selectable></td>'
            f'{cells}<td class="optional">{date}</td>{menu}</tr>\n'
        )
    return Markup("".join(rows))


def _row_menu(
    entry: FileEntry, name: Markup, rename_url: Callable[[str], str] | None, delete_form: str | None, field: Markup
) -> str:
    # <details> opens and closes without a script and works from the keyboard.
    items = []
    if rename_url is not None:
        items.append(
            f'<a href="{escape(rename_url(entry.name))}">Rename<span class="visually-hidden"> {name}</span></a>'
        )
    if delete_form is not None:
        items.append(
            f'<button type="submit" form="{escape(delete_form)}" name="{field}" value="{name}" class="link-button">'
            f'Delete…<span class="visually-hidden"> {name}</span></button>'
        )
    return (
        f'<td class="row-actions"><details class="row-menu"><summary aria-label="Actions for {name}">'
        f'<span aria-hidden="true">⋯</span></summary><div class="row-menu__items">{"".join(items)}</div>'
        f"</details></td>"
    )


def _time_element(moment: datetime) -> str:
    """`<time>` with the ISO stamp and the page's "2026-11-23 08:55 UTC", cut from one isoformat()."""
    stamp = moment.isoformat()
    # Transfer's timestamps are UTC: the shown text is a slice of the ISO string (the general
    # formatter converts zones and builds five fields, for 1,000 rows a page).
    if stamp.endswith("+00:00") and stamp[10:11] == "T":
        return f'<time datetime="{stamp}">{stamp[:10]} {stamp[11:16]} UTC</time>'
    return f'<time datetime="{stamp}">{when(moment)}</time>'
