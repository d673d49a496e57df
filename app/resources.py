"""Where the portal's templates, static files, migrations and shipped configuration files are.

They live inside the installed package: pyproject.toml maps the source tree's `templates/`,
`static/`, `migrations/` and `config/` to `app/templates`, `app/static`, `app/migrations` and
`app/conf`, so a wheel carries them next to the code and they are found through the package.

An editable install (`pip install -e .`, what dev.sh makes) leaves them where they are in the
checkout, and setuptools' editable finder cannot import a folder without `__init__.py`; for that
case only — the installer recorded the install as editable (PEP 610 `direct_url.json`) — the same
mapping is read from the checkout's pyproject.toml. An installed copy never looks at a source tree.
"""

from __future__ import annotations

import json
import tomllib
from functools import cache
from importlib import metadata, resources
from pathlib import Path
from urllib.parse import unquote, urlparse

DISTRIBUTION = "science-gateway"
PACKAGE = "app"


class ResourceMissing(RuntimeError):
    """A folder the installed package should carry is not there (a broken build or install)."""


def templates_dir() -> Path:
    """The Jinja templates of the portal's pages."""
    return _resource("templates")


def static_dir() -> Path:
    """CSS and JavaScript served under /static."""
    return _resource("static")


def migrations_dir() -> Path:
    """The Alembic environment and versions (flask-migrate's `directory`)."""
    return _resource("migrations")


def gunicorn_config() -> Path:
    """The shipped gunicorn configuration file."""
    return _resource("conf") / "gunicorn.conf.py"


def example_env() -> Path:
    """The shipped example environment file, every setting with a comment."""
    return _resource("conf") / "example.env"


@cache
def source_checkout() -> Path | None:
    """The project directory of an editable install, None for an installed copy."""
    package_dir = _package_dir()
    # Every record of the distribution on sys.path (a checkout may also hold a stale *.egg-info):
    # only an editable one whose checkout is where `app` was really imported from counts.
    for distribution in metadata.distributions(name=DISTRIBUTION):
        root = _editable_root(distribution.read_text("direct_url.json"))
        if root is not None and (root / PACKAGE).resolve() == package_dir.resolve():
            return root
    return None


def _editable_root(direct_url_json: str | None) -> Path | None:
    if not direct_url_json:
        return None
    direct_url = json.loads(direct_url_json)
    if not direct_url.get("dir_info", {}).get("editable"):
        return None
    url = urlparse(direct_url.get("url", ""))
    root = Path(unquote(url.path)) if url.scheme == "file" else None
    return root if root is not None and (root / "pyproject.toml").is_file() else None


def _package_dir() -> Path:
    return Path(str(resources.files(PACKAGE)))


@cache
def _resource(name: str) -> Path:
    inside_package = _package_dir() / name
    if inside_package.is_dir():
        return inside_package
    checkout = source_checkout()
    if checkout is not None:
        mapped = _package_dir_mapping(checkout).get(f"{PACKAGE}.{name}")
        if mapped and (checkout / mapped).is_dir():
            return checkout / mapped
    raise ResourceMissing(
        f"{inside_package} is missing: the {DISTRIBUTION} install is incomplete; reinstall it from a "
        "wheel built by `pip wheel .` (or `pip install -e .` in a checkout)."
    )


def _package_dir_mapping(checkout: Path) -> dict[str, str]:
    with open(checkout / "pyproject.toml", "rb") as handle:
        project = tomllib.load(handle)
    return project.get("tool", {}).get("setuptools", {}).get("package-dir", {})
