"""A local Globus-compatible backend: Auth, Transfer, Search and collection HTTPS in one Flask app.

The portal never imports this package; it talks to it over HTTP through globus-sdk, exactly as it
would talk to Globus. See docs/emulator.md for the contract (emulator.json, URLs, options).
"""

from emulator.app import create_app

__all__ = ["create_app"]
