"""Listing rows built in Python: every hostile name stays text, URLs stay attribute-safe."""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser
from urllib.parse import quote

from app.browse.rows import listing_rows
from app.services.files import FileEntry

HOSTILE = "<img src=x onerror=alert(1)> \"q\" 'a' & ünï"


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def test_hostile_names_round_trip_as_text_and_attributes():
    when = datetime(2024, 5, 6, 7, 8, tzinfo=UTC)
    entries = [
        FileEntry(HOSTILE, "dir", 4096, when, "0755", f"/~/{HOSTILE}/"),
        FileEntry(HOSTILE + ".txt", "file", 1234, None, "0644", f"/~/{HOSTILE}.txt"),
    ]
    html = listing_rows(
        entries,
        folder_url=lambda p: "/browse/c?path=" + quote(p, safe=""),
        rename_url=lambda n: "/browse/c/rename?path=%2F~%2F&name=" + quote(n, safe=""),
        checkbox_form="selection-form",
        file_field="file",
        dir_field="dir",
    )
    parser = _Collect()
    parser.feed(str(html))
    assert not [tag for tag, _ in parser.tags if tag in ("img", "script")]
    boxes = [attrs for tag, attrs in parser.tags if tag == "input"]
    assert [(b["name"], b["value"]) for b in boxes] == [("dir", HOSTILE), ("file", HOSTILE + ".txt")]
    assert boxes[0]["aria-label"] == f"Select {HOSTILE}" and boxes[0]["form"] == "selection-form"
    links = [attrs["href"] for tag, attrs in parser.tags if tag == "a"]
    assert links[0] == "/browse/c?path=" + quote(f"/~/{HOSTILE}/", safe="")
    assert links[-1].endswith("name=" + quote(HOSTILE + ".txt", safe=""))
    text = "".join(parser.text)
    assert f"{HOSTILE}/" in text and "1.2 KB" in text and "2024-05-06 07:08 UTC" in text


def test_rows_without_rename_links():
    html = listing_rows(
        [FileEntry("a", "invalid_symlink", 0, None, "", "/a")],
        folder_url=str,
        rename_url=None,
        checkbox_form="panes-form",
        file_field="left_file",
        dir_field="left_dir",
    )
    assert "Rename" not in html and "broken link" in html and 'name="left_file"' in html
