"""Portal models. Every module in this package is imported here, so that `db.metadata` (and with it
Alembic's autogenerate) always sees every table, including models added by later features."""

from __future__ import annotations

import importlib
import pkgutil

from app.models.identity import Identity, User
from app.models.server_session import ServerSession
from app.models.token import PendingRevocation, StoredToken

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["Identity", "PendingRevocation", "ServerSession", "StoredToken", "User"]
