"""What the wheel carries: every Python package, and the page/migration/config folders inside `app`.

The end-to-end proof (build the wheel, install it outside the tree, serve every page from /) is
scripts/wheel_smoke.sh, run by CI; these checks are the fast part of it.
"""

from __future__ import annotations

import runpy
import tomllib
from pathlib import Path

from app import resources

ROOT = Path(__file__).resolve().parents[2]
MAPPED = {"app.templates": "templates", "app.static": "static", "app.migrations": "migrations", "app.conf": "config"}


def _setuptools() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as handle:
        return tomllib.load(handle)["tool"]["setuptools"]


def test_every_python_package_in_the_tree_is_listed_for_the_wheel():
    listed = set(_setuptools()["packages"])
    in_tree = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("app", "emulator")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert in_tree - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
    assert listed - in_tree - set(MAPPED) == set(), "listed in pyproject.toml but not in the tree"


def test_the_top_level_folders_are_installed_inside_the_app_package():
    assert _setuptools()["package-dir"] == MAPPED
    # `config` is a folder of files, not an importable package another library's could shadow.
    assert not (ROOT / "config" / "__init__.py").exists()
    assert not (ROOT / "config" / "settings.py").exists()


def test_resources_are_found_through_the_package():
    assert (resources.templates_dir() / "base.html").is_file()
    assert (resources.static_dir() / "css" / "gateway.css").is_file()
    assert (resources.migrations_dir() / "env.py").is_file()
    assert (resources.migrations_dir() / "versions").is_dir()
    assert resources.gunicorn_config().is_file() and resources.example_env().is_file()
    # In this (editable) install they are the checkout's folders, found through the install record.
    assert resources.source_checkout() == ROOT
    assert resources.templates_dir() == ROOT / "templates"


def test_the_shipped_gunicorn_config_names_the_installed_entry_point():
    settings = runpy.run_path(str(resources.gunicorn_config()))
    assert settings["wsgi_app"] == "app.wsgi:app"
