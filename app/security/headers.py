"""Security headers on every response, and no caching of anything shown to a logged-in user."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request

REAL_GLOBUS_AUTH = "https://auth.globus.org"


def content_security_policy(auth_origin: str) -> str:
    """The CSP: only our own scripts and styles, no framing, forms only to us and Globus Auth."""
    # form-action also governs where a form's POST may redirect (logout → Globus Auth).
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'none'",
            f"form-action 'self' {auth_origin}",
            "frame-ancestors 'none'",
        ]
    )


def auth_origin(auth_url: str | None) -> str:
    """scheme://host[:port] of the Globus Auth service the portal logs in with."""
    if not auth_url:
        return REAL_GLOBUS_AUTH
    parts = urlsplit(auth_url)
    return f"{parts.scheme}://{parts.netloc}"


def apply_security_headers(response: Response) -> Response:
    """after_request hook: add the headers; mark user-specific pages no-store."""
    config = current_app.config
    headers = response.headers
    headers.setdefault("Content-Security-Policy", config["GATEWAY_CSP"])
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if config["GATEWAY_ENV"] == "production":
        headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
    if g.get("current_user_id") is not None or not request.path.startswith("/static/"):
        # Anything but our static assets may carry user data; never let a cache keep it.
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    return response


def init_security_headers(app: Flask) -> None:
    """Compute the CSP once and install the after_request hook."""
    app.config["GATEWAY_CSP"] = content_security_policy(auth_origin(app.config.get("GLOBUS_AUTH_URL")))
    app.after_request(apply_security_headers)
