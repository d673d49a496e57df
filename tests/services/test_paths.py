"""Path and name validation: what the portal forwards to Transfer, and what it refuses."""

from __future__ import annotations

import pytest

from app.services import paths
from app.services.errors import InvalidRequest


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", "/~/"),
        (None, "/~/"),
        ("/", "/"),
        ("~", "/~/"),
        ("~/data", "/~/data/"),
        ("/~/a//b/./c/", "/~/a/b/c/"),
        ("/data/Run 01/ünï côdé/", "/data/Run 01/ünï côdé/"),
        ('/it\'s "quoted"/<script>alert(1)</script>', '/it\'s "quoted"/<script>alert(1)</script>/'),
    ],
)
def test_directories_are_normalised(raw, expected):
    assert paths.normalize_directory(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "../etc",
        "/~/../../etc/passwd",
        "/data/../../secret",
        "/a/b/..",
        "/~/..",
        "relative/path",
        "/a\x00b",
        "/a\nb",
        "/" + "x" * 5000,
    ],
)
def test_traversal_and_garbage_are_refused(raw):
    with pytest.raises(InvalidRequest) as err:
        paths.normalize_directory(raw)
    assert err.value.field == "path"
    assert err.value.message


@pytest.mark.parametrize("name", ["a/b", "..", ".", "", "   ", "bad\x07name", "x" * 256, "é" * 200])
def test_bad_names_are_refused(name):
    with pytest.raises(InvalidRequest):
        paths.validate_name(name)


@pytest.mark.parametrize(
    "name", ["Run 01", "ünï côdé.txt", 'it\'s "q"', "<img src=x onerror=alert(1)>", "<script>alert(1)", "-r", ".hidden"]
)
def test_hostile_but_legal_names_are_kept_exactly(name):
    assert paths.validate_name(name) == name
    assert paths.join("/~/x/", name) == f"/~/x/{name}"


def test_parent_and_base_name():
    assert paths.parent_of("/~/a/b/") == "/~/a/"
    assert paths.parent_of("/~/a/file.txt") == "/~/a/"
    assert paths.parent_of("/~/") == "/~/"
    assert paths.parent_of("/") == "/"
    assert paths.base_name("/~/a/b/") == "b"
    assert paths.base_name("/~/") == ""


def test_breadcrumbs_walk_from_the_root():
    crumbs = paths.breadcrumbs("/~/Run 01/<b>/")
    assert [(c.label, c.path) for c in crumbs] == [
        ("Home", "/~/"),
        ("Run 01", "/~/Run 01/"),
        ("<b>", "/~/Run 01/<b>/"),
    ]
    assert [c.label for c in paths.breadcrumbs("/")] == ["Root"]


def test_normalize_any_keeps_files_as_files():
    assert paths.normalize_any("/~/a/f.txt") == "/~/a/f.txt"
    assert paths.normalize_any("/~/a/d/") == "/~/a/d/"
    with pytest.raises(InvalidRequest):
        paths.normalize_any("/~/a/../f.txt")
