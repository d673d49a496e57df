"""The emulator's own HTML pages (login, consent, errors, logout), sent with the security headers a
real Globus Auth page carries: no framing, no sniffing, no referrer, and a CSP allowing only the
page's own inline style and forms that post back here."""

from __future__ import annotations

import base64
import functools
import hashlib
import re
from urllib.parse import urlsplit

from flask import Response, current_app, make_response, render_template

_BASE_TEMPLATE = "auth/base.html"
_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)
# A (lower-cased) host name or IP address; anything else cannot be written into a CSP source, so is left out.
_HOST = re.compile(r"[a-z0-9.:-]+")


@functools.cache
def _style_source() -> str:
    """The CSP hash of base.html's inline <style>, read from the template itself so the two never drift."""
    env = current_app.jinja_env
    assert env.loader is not None, "the emulator app always has a template loader"
    source, _filename, _uptodate = env.loader.get_source(env, _BASE_TEMPLATE)
    found = _STYLE.search(source)
    if found is None:
        raise RuntimeError(f"{_BASE_TEMPLATE} has no inline <style> to hash for the CSP")
    style = found.group(1)
    return "'sha256-" + base64.b64encode(hashlib.sha256(style.encode()).digest()).decode() + "'"


def _origin_source(uri: str) -> str | None:
    """The scheme://host[:port] of a redirect URI as a CSP source, or None if it is not plain http(s)."""
    parts = urlsplit(uri)
    try:
        port = parts.port
    except ValueError:  # not a number from 0 to 65535
        return None
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not _HOST.fullmatch(host):
        return None
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


def html_page(template: str, *, status: int = 200, redirect_uri: str | None = None, **context) -> Response:
    """Render one of the Auth pages with its security headers.

    `redirect_uri` is the client's (already validated) redirect URI when the page holds a form that
    can end in a redirect to it: browsers apply `form-action` to every redirect after a submit.
    """
    response = make_response(render_template(template, **context), status)
    form_action = ["'self'"]
    if redirect_uri and (client_origin := _origin_source(redirect_uri)):
        form_action.append(client_origin)
    response.headers["Content-Security-Policy"] = "; ".join(
        [
            "default-src 'none'",
            f"style-src {_style_source()}",
            f"form-action {' '.join(form_action)}",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ]
    )
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    # The pages carry a CSRF token and who is signed in; no cache should keep them.
    response.headers["Cache-Control"] = "no-store"
    return response
