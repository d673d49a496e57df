"""The sealed cookie that keeps a form posted after its session ended (app/security/form_stash.py)."""

from __future__ import annotations

import time

import pytest

from app.security import form_stash


@pytest.fixture
def ctx(portal_app):
    with portal_app.test_request_context("/"):
        yield portal_app


def _read_back(portal_app, value):
    name = form_stash.cookie_name()
    with portal_app.test_request_context("/", headers={"Cookie": f"{name}={value}"}):
        from flask import request

        return form_stash.read(request)


def test_a_kept_form_reads_back_without_its_tokens(ctx):
    value = form_stash.seal(
        "/transfers/start",
        [("csrf_token", "secret"), ("form_token", "once"), ("left_file", "a b.tif"), ("left_file", "ü.dat")],
    )
    assert value is not None and "secret" not in value and "a b.tif" not in value, "sealed, not readable"
    form = _read_back(ctx, value)
    assert form is not None and form.action == "/transfers/start"
    assert form.fields == [("left_file", "a b.tif"), ("left_file", "ü.dat")]


def test_forged_old_oversized_or_offsite_forms_are_not_kept(ctx, monkeypatch):
    assert form_stash.seal("https://evil.example/x", [("a", "b")]) is None
    assert form_stash.seal("/transfers/batch", [(f"f{i}", "x") for i in range(form_stash.MAX_FIELDS + 1)]) is None
    noise = "".join(chr(0x4E00 + (i * 7919) % 20000) for i in range(4000))  # does not compress away
    assert form_stash.seal("/transfers/batch", [("batch", noise)]) is None
    value = form_stash.seal("/transfers/batch", [("batch", "a b")])
    assert _read_back(ctx, value[:-4] + "AAAA") is None
    later = time.time() + form_stash.STASH_LIFETIME + 5
    monkeypatch.setattr(form_stash.time, "time", lambda: later)
    assert _read_back(ctx, value) is None


def test_only_same_origin_posts_are_kept(ctx):
    with ctx.test_request_context("/x", method="POST", headers={"Sec-Fetch-Site": "cross-site"}):
        from flask import request

        assert not form_stash.same_origin(request)
    with ctx.test_request_context("/x", method="POST", headers={"Origin": "http://localhost"}):
        from flask import request

        assert form_stash.same_origin(request)
    with ctx.test_request_context("/x", method="POST", headers={"Origin": "http://evil.example"}):
        from flask import request

        assert not form_stash.same_origin(request)
