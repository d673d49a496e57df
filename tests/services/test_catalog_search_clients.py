"""The catalog's Search clients against the emulator with the real SDK: anonymous sees public only."""

from __future__ import annotations

from flask import current_app

from app.services import user_clients


def _total(client) -> int:
    index_id = current_app.config["GLOBUS_SEARCH_INDEX_ID"]
    return int(client.post_search(index_id, {"q": "*", "limit": 1})["total"])


def test_anonymous_sees_only_public_records_and_login_widens_them(live_portal, alice_id):
    with live_portal.context():
        public = _total(user_clients.anonymous_search_client())
        alice = _total(user_clients.search_client(alice_id))
    assert 0 < public < alice
