"""Shared set-up for the staff web app's tests: the demo cooperative in a database of its own.

``demo_database(tmp_path_factory)`` seeds *Koperasi Demo Sejahtera* (savings, loans, PPOB and the
example plugin celengan) on SQLite or, under ``KOPCORE_TEST_DATABASE=postgresql://...``, in the
session's throw-away PostgreSQL database; the demo users log in with
:func:`kopcore._demo.demo_password`. ``Browser`` helpers live in ``test_web_browser.py``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import create_engine, text

from kopcore._demo import create_demo, demo_password
from kopcore.interfaces.api import make_app
from kopcore.kernel import Kernel
from kopcore.settings import Settings
from kopcore.testing import ON_POSTGRES

PLUGINS = ("savings", "loans", "ppob", "celengan")


#: The browser journeys run once, on SQLite: on PostgreSQL the same pages and their queries run
#: in the web apps' own tests (test_web*.py, test_member_app*.py), without a browser.
BROWSER_ONCE = pytest.mark.skipif(
    ON_POSTGRES, reason="the browser journeys run on SQLite; on PostgreSQL the pages' queries "
                        "run in test_web*.py and test_member_app*.py")

def demo_database(tmp_path: Path, postgres_database: str | None) -> tuple[Settings, str]:
    """A freshly seeded demo cooperative; returns its settings and database URL."""
    if postgres_database is None:
        url = f"sqlite:///{tmp_path / 'web-demo.db'}"
    else:
        engine = create_engine(postgres_database, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        url = postgres_database
    settings, _keys = create_demo(url, PLUGINS)
    return settings, url


@pytest.fixture(scope="module")
def demo_kernel(tmp_path_factory: pytest.TempPathFactory, postgres_database: str | None
                ) -> Any:
    settings, _url = demo_database(tmp_path_factory.mktemp("web"), postgres_database)
    kernel = Kernel.start(settings)
    yield kernel
    kernel.close()


def hidden(page: str, name: str) -> str:
    """The value of a form's hidden input."""
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no hidden input {name!r} on the page"
    return match.group(1)


def log_in(client: TestClient[Any], username: str, password: str | None = None) -> Any:
    """Log in through the login form; returns the last response."""
    form = client.get("/app/login").text
    return client.post("/app/login", data={
        "login_token": hidden(form, "login_token"), "username": username,
        "password": password if password is not None else demo_password(username),
        "next": "/app/"}, follow_redirects=False)


def client_for(kernel: Kernel) -> TestClient[Any]:
    return TestClient(make_app(kernel), base_url="http://testserver.local")
