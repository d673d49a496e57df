"""Same-site redirect targets: the open-redirect payload list all fall back."""

from __future__ import annotations

import pytest

from app.security.redirects import safe_next_path, same_site_referrer

OPEN_REDIRECT_PAYLOADS = [
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "https://evil.example/",
    "http:evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "%2F%2Fevil.example",
    "/%2F%2Fevil.example",
    "%2f%2fevil.example",
    "/%5Cevil.example",
    "/%5cevil.example",
    "%252F%252Fevil.example",
    "/%252F%252Fevil.example",
    "/%25252F%25252Fevil.example",
    "/\r\nLocation: https://evil.example",
    "/%0d%0aLocation:%20https://evil.example",
    "/%0D%0ASet-Cookie:%20x=y",
    "/\tevil",
    "/%09/evil.example",
    "/\x00evil",
    "evil.example",
    "",
    None,
    "/" + "a" * 5000,
]


@pytest.mark.parametrize("payload", OPEN_REDIRECT_PAYLOADS)
def test_open_redirect_payloads_are_refused(payload):
    assert safe_next_path(payload) is None


@pytest.mark.parametrize(
    "path",
    ["/", "/transfers", "/browse/abc?path=%2Fhome%2Falice", "/tasks/1234-5678#events", "/a/b/../c"],
)
def test_same_site_paths_are_kept_verbatim(path):
    assert safe_next_path(path) == path


@pytest.mark.parametrize(
    "referrer, expected",
    [
        ("http://portal.example/browse/x?path=%2F", "/browse/x?path=%2F"),
        ("http://portal.example/", "/"),
        ("http://evil.example/browse", None),
        ("http://portal.example.evil.example/", None),
        ("http://portal.example//evil.example", None),
        (None, None),
    ],
)
def test_same_site_referrer(referrer, expected):
    assert same_site_referrer(referrer, "http://portal.example/") == expected
