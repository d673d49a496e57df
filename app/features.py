"""Feature links shown in the navigation and on the dashboard.

A feature blueprint registers its entry page once, at import: `register_feature(...)`. Only
features whose endpoint exists in the running app are shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app


@dataclass(frozen=True)
class Feature:
    """A page of the portal worth a link in the nav and a card on the dashboard."""

    endpoint: str
    label: str
    description: str
    order: int = 100


_FEATURES: dict[str, Feature] = {}


def register_feature(endpoint: str, label: str, description: str, *, order: int = 100) -> None:
    """Add (or replace) the link to a feature's entry page."""
    _FEATURES[endpoint] = Feature(endpoint=endpoint, label=label, description=description, order=order)


def available_features() -> list[Feature]:
    """Registered features whose endpoint the running app serves, in display order."""
    return sorted(
        (f for f in _FEATURES.values() if f.endpoint in current_app.view_functions),
        key=lambda f: (f.order, f.label),
    )
