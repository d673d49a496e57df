"""Same-site redirect targets: anything that could leave the site falls back to the dashboard."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

MAX_TARGET_LENGTH = 2048
# Control characters (CRLF injection, tabs browsers strip), and backslashes (browsers read "\" as "/").
_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f\\]")


def safe_next_path(candidate: object) -> str | None:
    """Return `candidate` if it is a path on this site, else None.

    Accepts only "/..." paths; refuses "//host", "/\\host", scheme URLs such as "javascript:",
    and any of those hidden behind percent-encoding (checked after each decoding round).
    """
    if not isinstance(candidate, str) or not candidate or len(candidate) > MAX_TARGET_LENGTH:
        return None
    text = candidate
    for _ in range(4):
        if not _is_plain_path(text):
            return None
        decoded = unquote(text)
        if decoded == text:
            return candidate
        text = decoded
    # Still changing after several rounds: nested encoding has no honest use here.
    return None


def _is_plain_path(text: str) -> bool:
    if _FORBIDDEN.search(text) or not text.startswith("/") or text.startswith("//"):
        return False
    parts = urlsplit(text)
    return not parts.scheme and not parts.netloc


def same_site_referrer(referrer: str | None, host_url: str) -> str | None:
    """The path of a Referer on this site (host_url is "scheme://host/"), or None."""
    if not referrer or not referrer.startswith(host_url):
        return None
    return safe_next_path("/" + referrer[len(host_url) :])
