"""A tiny "partner portal": another web app, with its own Globus client, that logs its users in
through Globus Auth asking for the gateway's API scope and then calls the gateway's API for them.

It is what a lab's own portal would do with the gateway: nothing here imports the gateway.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import globus_sdk
import requests
from flask import Flask, abort, jsonify, redirect, request


def partner_app(*, auth_url: str, client_id: str, client_secret: str, api_scope: str, gateway_api: str) -> Flask:
    """The partner portal: /login, /callback, POST /transfer (calls the gateway for the logged-in user)."""
    app = Flask("partner_portal")
    # In memory: the partner's logged-in users by its own cookie (it is a test app, one process).
    users: dict[str, dict[str, Any]] = {}
    pending: dict[str, globus_sdk.ConfidentialAppAuthClient] = {}

    def auth_client() -> globus_sdk.ConfidentialAppAuthClient:
        return globus_sdk.ConfidentialAppAuthClient(client_id, client_secret, base_url=auth_url)

    @app.get("/login")
    def login():
        client = auth_client()
        state = secrets.token_urlsafe(16)
        client.oauth2_start_flow(request.url_root + "callback", requested_scopes=api_scope, state=state)
        pending[state] = client
        return redirect(client.oauth2_get_authorize_url())

    @app.get("/callback")
    def callback():
        client = pending.pop(request.args.get("state", ""), None)
        if client is None:
            abort(400)
        tokens = client.oauth2_exchange_code_for_tokens(request.args["code"])
        cookie = secrets.token_urlsafe(16)
        users[cookie] = {"api_token": tokens.by_resource_server[client_id_of(api_scope)]["access_token"]}
        response = jsonify({"logged_in": True})
        response.set_cookie("partner", cookie)
        return response

    @app.post("/transfer")
    def transfer():
        user = users.get(request.cookies.get("partner", ""))
        if user is None:
            abort(401)
        body = request.get_json()
        body.setdefault("submission_id", str(uuid.uuid4()))
        answer = requests.post(
            f"{gateway_api}/transfers",
            json=body,
            headers={"Authorization": f"Bearer {user['api_token']}"},
            timeout=60,
        )
        return jsonify(answer.json()), answer.status_code

    return app


def client_id_of(api_scope: str) -> str:
    """The resource server (the gateway's client id) of https://auth.globus.org/scopes/<id>/gateway_api."""
    return api_scope.rstrip("/").split("/")[-2]
