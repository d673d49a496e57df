"""Serve the installed wheel from / and load every page type with its CSS and JS (scripts/wheel_smoke.sh).

Runs on the fresh virtualenv's python, from /, with no source tree on sys.path: only the wheel's
`gateway` command, the emulator it carries and PostgreSQL. The portal runs as production does
(GATEWAY_ENV=production, explicit Globus URLs and client credentials, gunicorn with the shipped
config); gunicorn terminates TLS itself here (a throw-away certificate through GUNICORN_CMD_ARGS)
because production's session cookie is `__Host-`/Secure and a browser sends it only over https.
Any failure stops the run with what broke and the tail of the logs.
"""

from __future__ import annotations

import argparse
import datetime
import ipaddress
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

STARTUP_SECONDS = 60
TASK_SECONDS = 60
HTML = "text/html"
CSS = "text/css"
JS = ("text/javascript", "application/javascript")


class SmokeFailure(Exception):
    """What broke, said plainly."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--venv", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--database", required=True, help="postgresql+psycopg://… (a schema is made in it)")
    args = parser.parse_args()
    smoke = Smoke(args.venv, args.work, args.database)
    try:
        smoke.run()
    except (SmokeFailure, AssertionError, requests.RequestException, subprocess.CalledProcessError) as exc:
        print(f"\nWHEEL SMOKE FAILED: {exc}", file=sys.stderr)
        smoke.print_logs()
        return 1
    finally:
        smoke.stop()
    return 0


class Smoke:
    """The fresh install, its emulator and its gunicorn, and the pages they serve."""

    def __init__(self, venv: Path, work: Path, database: str):
        self.venv, self.work, self.database = venv, work, database
        self.gateway = str(venv / "bin" / "gateway")
        self.processes: list[subprocess.Popen] = []
        self.logs: list[Path] = []
        self.schema: str | None = None
        self.package_dir: Path | None = None
        self.checked_assets: dict[str, str] = {}

    # -- the run ----------------------------------------------------------------------------
    def run(self) -> None:
        started = time.monotonic()
        self.check_install()
        portal_port = free_port()
        self.portal = f"https://127.0.0.1:{portal_port}"
        emulator = self.start_emulator(redirect_uri=f"{self.portal}/auth/callback")
        env = self.production_env(emulator, portal_port)
        self.step("gateway db upgrade (PostgreSQL, from /)")
        upgrade = subprocess.run(
            [self.gateway, "db", "upgrade"], cwd="/", env=env, capture_output=True, text=True, timeout=120, check=False
        )
        if upgrade.returncode != 0:
            raise SmokeFailure(f"`gateway db upgrade` exited {upgrade.returncode}:\n{upgrade.stdout}{upgrade.stderr}")
        self.check_schema_migrated()
        self.start_gunicorn(env)
        self.browse_every_page(emulator)
        print(f"    {len(self.checked_assets)} assets: " + ", ".join(sorted(self.checked_assets)))
        print(f"    pages and assets checked in {time.monotonic() - started:.1f} s")

    def check_install(self) -> None:
        self.step("the installed package, from / (no source tree)")
        probe = (
            "import importlib.util, json, app, emulator\n"
            "from app import resources\n"
            "print(json.dumps({'app': app.__file__, 'emulator': emulator.__file__,\n"
            "  'templates': str(resources.templates_dir()), 'static': str(resources.static_dir()),\n"
            "  'migrations': str(resources.migrations_dir()), 'gunicorn': str(resources.gunicorn_config()),\n"
            "  'checkout': str(resources.source_checkout()), 'config_package': bool(importlib.util.find_spec('config'))}))\n"
        )
        result = subprocess.run(
            [str(self.venv / "bin" / "python"), "-c", probe],
            cwd="/",
            capture_output=True,
            text=True,
            check=False,
            env=clean_env(),
        )
        if result.returncode != 0:
            raise SmokeFailure(f"the installed package does not import or find its resources:\n{result.stderr}")
        found = json.loads(result.stdout)
        venv = str(self.venv.resolve())
        for name in ("app", "emulator", "templates", "static", "migrations", "gunicorn"):
            if not str(Path(found[name]).resolve()).startswith(venv + os.sep):
                raise SmokeFailure(f"{name} resolves to {found[name]}, outside the fresh virtualenv {venv}")
        if found["checkout"] != "None":
            raise SmokeFailure(f"the installed copy believes it is a source checkout: {found['checkout']}")
        if found["config_package"]:
            raise SmokeFailure("the wheel installs an importable top-level package named `config`")
        self.package_dir = Path(found["app"]).parent
        print(f"    app: {self.package_dir}")

    def start_emulator(self, redirect_uri: str) -> dict[str, Any]:
        self.step("gateway emulator (from the wheel)")
        instance = self.work / "emulator"
        port = free_port()
        self.spawn(
            "emulator",
            [
                self.gateway,
                "emulator",
                "--port",
                str(port),
                "--instance",
                str(instance),
                "--redirect-uri",
                redirect_uri,
            ],
            clean_env(),
        )
        manifest_path = instance / "emulator.json"
        wait_until(manifest_path.exists, "the emulator's emulator.json", self.processes[-1])
        return json.loads(manifest_path.read_text())

    def production_env(self, emulator: dict[str, Any], port: int) -> dict[str, str]:
        self.schema = f"wheel_smoke_{uuid.uuid4().hex[:10]}"
        with self.connect() as connection:
            connection.execute(f'CREATE SCHEMA "{self.schema}"')
        separator = "&" if "?" in self.database else "?"
        key_line = subprocess.run(
            [self.gateway, "keys", "generate", "--kid", "smoke1"],
            cwd="/",
            env=clean_env(),
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        certificate, key = make_certificate(self.work / "tls")
        portal_client = emulator["clients"]["portal"]
        return {
            **clean_env(),
            "GATEWAY_ENV": "production",
            "GATEWAY_INSTANCE_DIR": str(self.work / "portal-instance"),
            "DATABASE_URL": f"{self.database}{separator}options=-csearch_path%3D{self.schema}",
            "SECRET_KEY": secrets.token_hex(32),
            "TOKEN_ENCRYPTION_KEYS": key_line,
            "TRUSTED_HOSTS": "127.0.0.1",
            # Real Globus is a configuration change away: the same names with the real services.
            "GLOBUS_CLIENT_ID": portal_client["client_id"],
            "GLOBUS_CLIENT_SECRET": portal_client["client_secret"],
            "GLOBUS_AUTH_URL": emulator["services"]["auth"],
            "GLOBUS_TRANSFER_URL": emulator["services"]["transfer"],
            "GLOBUS_SEARCH_URL": emulator["services"]["search"],
            "GLOBUS_SEARCH_INDEX_ID": emulator["search_index"]["id"],
            "GLOBUS_AUTH_ISSUER": emulator["issuer"],
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": "2",
            "GUNICORN_CMD_ARGS": f"--certfile {certificate} --keyfile {key}",
        }

    def check_schema_migrated(self) -> None:
        with self.connect() as connection:
            tables = {
                row[0]
                for row in connection.execute(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (self.schema,)
                )
            }
        for table in ("alembic_version", "users", "sessions"):
            if table not in tables:
                raise SmokeFailure(f"`gateway db upgrade` left no {table} table in {self.schema}: {sorted(tables)}")
        print(f"    {len(tables)} tables in schema {self.schema}")

    def start_gunicorn(self, env: dict[str, str]) -> None:
        self.step("gateway run --gunicorn (the shipped config, GATEWAY_ENV=production, from /)")
        self.spawn("gunicorn", [self.gateway, "run", "--gunicorn"], env)
        self.browser = requests.Session()
        # Loopback only, trusting exactly the throw-away certificate: no proxy or CA bundle from the
        # environment (REQUESTS_CA_BUNDLE would otherwise win over Session.verify).
        self.browser.trust_env = False
        self.browser.verify = str(self.work / "tls" / "cert.pem")

        def healthy() -> bool:
            try:
                return self.browser.get(self.portal + "/healthz", timeout=2).status_code == 200
            except requests.exceptions.SSLError:
                raise
            except requests.ConnectionError:
                return False

        wait_until(healthy, f"gunicorn at {self.portal}/healthz", self.processes[-1])
        ready = self.browser.get(self.portal + "/readyz", timeout=10)
        if ready.status_code != 200:
            raise SmokeFailure(f"/readyz answered {ready.status_code}: {ready.text[:300]}")

    # -- the pages --------------------------------------------------------------------------
    def browse_every_page(self, emulator: dict[str, Any]) -> None:
        self.step("log in as alice through the emulator, then every page type")
        self.page("welcome (logged out)", "/")
        self.log_in(emulator, "alice@example.edu")
        cryoem, archive = collection_id("cryoem-shared"), collection_id("lab-archive")
        self.page("dashboard", "/")
        self.page("collection search", "/collections/", params={"q": "Lab"}, expect_text="Lab Archive")
        self.page("collection", f"/collections/{archive}")
        self.page("bookmarks", "/collections/bookmarks")
        self.page("file manager", f"/browse/{cryoem}", params={"path": "/~/run 01/"}, expect_text="img_0001.tif")
        destination = self.make_folder(archive, folder_name=f"smoke-{uuid.uuid4().hex[:8]}")
        panes = self.page(
            "two-pane file manager",
            "/browse/",
            params={"left": cryoem, "left_path": "/~/run 01/", "right": archive, "right_path": destination},
        )
        review = self.page(
            "transfer form",
            "/transfers/new",
            method="post",
            # The panes' form starts transfers at /transfers/start; its "Review first" button posts
            # the same fields to /transfers/new, the full transfer form this smoke check loads.
            data=[*form_fields(panes, "/transfers/start"), ("left_file", "img_0001.tif"), ("direction", "left")],
        )
        self.page("batch transfer form", "/transfers/batch")
        submitted = self.browser.post(
            self.portal + "/transfers/submit",
            data=form_fields(review, "/transfers/submit"),
            allow_redirects=False,
            timeout=30,
        )
        location = submitted.headers.get("Location", "")
        if submitted.status_code != 302 or "/tasks/" not in location:
            raise SmokeFailure(
                f"submitting the transfer answered {submitted.status_code} -> {location!r}: {submitted.text[:500]}"
            )
        task_id = location.rstrip("/").rsplit("/", 1)[1]
        self.wait_for_task(task_id)
        self.page("tasks", "/tasks/", expect_text=task_id)
        self.page("task", f"/tasks/{task_id}")
        self.page("task's files", f"/tasks/{task_id}/successful", expect_text="img_0001.tif")
        self.page("error page (not found)", f"/tasks/{uuid.uuid4()}", status=404)
        self.page("error page (no such route)", "/no-such-page", status=404)
        dashboard = self.page("dashboard again", "/")
        out = self.browser.post(
            self.portal + "/logout", data=form_fields(dashboard, "/logout"), allow_redirects=False, timeout=30
        )
        if out.status_code != 302:
            raise SmokeFailure(f"POST /logout answered {out.status_code}: {out.text[:300]}")
        self.page("logged out", "/logged-out")

    def log_in(self, emulator: dict[str, Any], username: str) -> None:
        password = next(user["password"] for user in emulator["users"] if user["username"] == username)
        response = self.browser.get(self.portal + "/login", allow_redirects=False, timeout=30)
        for _ in range(10):
            if response.is_redirect:
                target = urljoin(response.url, response.headers["Location"])
                response = self.browser.get(target, allow_redirects=False, timeout=30)
                if target.startswith(self.portal + "/auth/callback"):
                    break
                continue
            forms = parse_forms(response.text)
            if not forms:
                raise SmokeFailure(
                    f"login stopped on a page without a form ({response.status_code}) at "
                    f"{response.url}: {response.text[:400]}"
                )
            form = forms[0]
            data = dict(form["fields"])
            if form["has_password"]:
                data.update(username=username, password=password)
            else:
                data["decision"] = "allow"
            response = self.browser.post(
                urljoin(response.url, form["action"]), data=data, allow_redirects=False, timeout=30
            )
        else:
            raise SmokeFailure("login did not reach the portal's /auth/callback within 10 steps")
        if response.status_code != 302 or response.headers.get("Location") != "/":
            raise SmokeFailure(
                f"/auth/callback answered {response.status_code} -> {response.headers.get('Location')}: "
                f"{response.text[:500]}"
            )
        print(f"    logged in as {username}")

    def make_folder(self, collection: str, folder_name: str) -> str:
        page = self.page("file manager (home)", f"/browse/{collection}", params={"path": "/~/"})
        fields = dict(form_fields(page, "/mkdir"))
        fields["name"] = folder_name
        made = self.browser.post(
            f"{self.portal}/browse/{collection}/mkdir", data=fields, allow_redirects=False, timeout=30
        )
        if made.status_code != 302:
            raise SmokeFailure(f"mkdir answered {made.status_code}: {made.text[:400]}")
        return f"/~/{folder_name}/"

    def wait_for_task(self, task_id: str) -> None:
        deadline = time.monotonic() + TASK_SECONDS
        while True:
            response = self.browser.get(f"{self.portal}/tasks/{task_id}/progress", timeout=30)
            expect_type(response, ("application/json",), f"/tasks/{task_id}/progress")
            document = response.json()
            if document["is_done"]:
                if document["status"] != "SUCCEEDED":
                    raise SmokeFailure(f"the smoke transfer ended {document['status']}: {document}")
                return
            if time.monotonic() > deadline:
                raise SmokeFailure(f"the smoke transfer is still {document['status']} after {TASK_SECONDS} s")
            time.sleep(0.25)

    def page(
        self,
        name: str,
        path: str,
        *,
        status: int = 200,
        method: str = "get",
        expect_text: str | None = None,
        **request: Any,
    ) -> str:
        """Load one page and every stylesheet and script it references; return its HTML."""
        response = self.browser.request(method, self.portal + path, allow_redirects=False, timeout=30, **request)
        if response.status_code != status:
            raise SmokeFailure(
                f"{name}: {method.upper()} {path} answered {response.status_code}, expected {status}: "
                f"{response.text[:600]}"
            )
        expect_type(response, (HTML,), f"{name} ({path})")
        if expect_text is not None and expect_text not in response.text:
            raise SmokeFailure(f"{name}: {path} does not show {expect_text!r}")
        assets = page_assets(response.text)
        if not assets["css"]:
            raise SmokeFailure(f"{name}: {path} references no stylesheet")
        for kind, urls in assets.items():
            for url in urls:
                self.asset(name, kind, url)
        print(
            f"    {response.status_code} {name}: {method.upper()} {urlsplit(response.url).path}"
            f" ({len(assets['css'])} css, {len(assets['js'])} js)"
        )
        return response.text

    def asset(self, page: str, kind: str, url: str) -> None:
        target = urljoin(self.portal + "/", url)
        if not target.startswith(self.portal + "/static/"):
            raise SmokeFailure(f"{page} loads {url} from outside the portal's /static/ (assets are served locally)")
        path = urlsplit(target).path
        if path in self.checked_assets:
            return
        response = self.browser.get(target, timeout=30)
        if response.status_code != 200:
            raise SmokeFailure(f"{page}: {kind} {path} answered {response.status_code}")
        expect_type(response, (CSS,) if kind == "css" else JS, f"{page}: {path}")
        shipped = self.package_dir / "static" / path.removeprefix("/static/")
        if not shipped.is_file() or shipped.read_bytes() != response.content:
            raise SmokeFailure(f"{path} is not the file the wheel installed at {shipped}")
        self.checked_assets[path] = response.headers["Content-Type"]

    # -- processes, database, logs ------------------------------------------------------------
    def spawn(self, name: str, command: list[str], env: dict[str, str]) -> None:
        log_path = self.work / f"{name}.log"
        self.logs.append(log_path)
        with open(log_path, "ab") as log:
            self.processes.append(
                subprocess.Popen(
                    command, cwd="/", env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                )
            )

    def connect(self):
        import psycopg

        return psycopg.connect(self.database.replace("postgresql+psycopg://", "postgresql://", 1), autocommit=True)

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in reversed(self.processes):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if self.schema:
            with self.connect() as connection:
                connection.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')

    def print_logs(self) -> None:
        for path in self.logs:
            lines = path.read_text(errors="replace").splitlines() if path.exists() else ["(no log written)"]
            print(f"\n--- last lines of {path.name} ---\n" + "\n".join(lines[-40:]), file=sys.stderr)

    @staticmethod
    def step(text: str) -> None:
        print(f"--> {text}", flush=True)


# -- helpers ------------------------------------------------------------------------------------
def clean_env() -> dict[str, str]:
    """This process's environment without portal settings, so only what the smoke sets counts."""
    prefixes = (
        "GATEWAY_",
        "GLOBUS_",
        "DATABASE_URL",
        "SESSION_BACKEND",
        "REDIS_URL",
        "SECRET_KEY",
        "TOKEN_",
        "GUNICORN_",
        "PYTHONPATH",
        "TRUSTED_",
    )
    return {key: value for key, value in os.environ.items() if not key.startswith(prefixes)}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(ready, what: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while not ready():
        if process.poll() is not None:
            raise SmokeFailure(f"waiting for {what}: the process exited with code {process.returncode}")
        if time.monotonic() > deadline:
            raise SmokeFailure(f"{what} did not come up within {STARTUP_SECONDS} s")
        time.sleep(0.1)


def collection_id(slug: str) -> str:
    """The emulator's seeded collection ids are uuid5 of 'emulator:collection:<slug>'."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"emulator:collection:{slug}"))


def expect_type(response: requests.Response, media_types: tuple[str, ...], what: str) -> None:
    content_type = response.headers.get("Content-Type", "")
    if content_type.split(";")[0].strip() not in media_types:
        raise SmokeFailure(f"{what}: Content-Type {content_type!r}, expected {' or '.join(media_types)}")


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A throw-away self-signed certificate for 127.0.0.1 (the client trusts exactly this one)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_path.chmod(0o600)
    return cert_path, key_path


class _Page(HTMLParser):
    """Forms (hidden fields, whether one asks for a password) and the stylesheets and scripts of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self.css: list[str] = []
        self.js: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(
                {"action": values.get("action", ""), "id": values.get("id", ""), "fields": [], "has_password": False}
            )
        elif tag == "input" and self.forms:
            owner = (
                next((f for f in self.forms if f["id"] == values["form"]), None)
                if values.get("form")
                else self.forms[-1]
            )
            if owner is not None and values.get("type") == "hidden":
                owner["fields"].append((values.get("name", ""), values.get("value", "")))
            if owner is not None and values.get("type") == "password":
                owner["has_password"] = True
        elif tag == "link" and "stylesheet" in values.get("rel", "").split():
            self.css.append(values.get("href", ""))
        elif tag == "script" and values.get("src"):
            self.js.append(values["src"])


def parse_forms(html: str) -> list[dict[str, Any]]:
    parser = _Page()
    parser.feed(html)
    return parser.forms


def page_assets(html: str) -> dict[str, list[str]]:
    parser = _Page()
    parser.feed(html)
    return {"css": parser.css, "js": parser.js}


def form_fields(html: str, action_contains: str) -> list[tuple[str, str]]:
    """The hidden fields of the first form whose action contains `action_contains`."""
    for form in parse_forms(html):
        if action_contains in form["action"]:
            return list(form["fields"])
    raise SmokeFailure(f"no form posting to *{action_contains}* on the page")


if __name__ == "__main__":
    sys.exit(main())
