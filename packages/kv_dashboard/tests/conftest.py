"""A dashboard over a fresh SQLite store, and a browser-like client that sends the
CSRF token its pages carry."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from kv_core.engines.sqlite import SqliteStore
from kv_core.services import CoreConfig, Services
from kv_core.settings import Settings
from kv_dashboard import create_app

PASSWORD = "s3cret-pass"
CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


class Clock:
    def __init__(self) -> None:
        self.moment = datetime(2026, 11, 10, 12, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.moment


class Browser:
    """A test client that, like a browser, posts forms with the token of its page."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)

    def token(self) -> str:
        page = self.client.get("/signup" if not self.logged_in() else "/")
        found = CSRF.search(page.get_data(as_text=True))
        assert found, "the page carries no CSRF token"
        return found.group(1)

    def logged_in(self) -> bool:
        return self.client.get("/").status_code == 200

    def post(self, path: str, data: dict | None = None, **kwargs):
        return self.client.post(path, data={"csrf_token": self.token(), **(data or {})}, **kwargs)

    def signup(self, email: str, password: str = PASSWORD):
        return self.post("/signup", {"email": email, "password": password})

    def login(self, email: str, password: str = PASSWORD):
        return self.post("/login", {"email": email, "password": password})


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def services(tmp_path: Path, clock):
    store = SqliteStore(tmp_path / "kv.sqlite3")
    yield Services(store, CoreConfig(secret=b"k" * 32, clock=clock))
    store.close()


@pytest.fixture
def settings(tmp_path: Path):
    return Settings(data_dir=tmp_path, secret="test-secret", secure_cookies=False)


@pytest.fixture
def app(services, settings):
    return create_app({"TESTING": True}, services=services, settings=settings)


@pytest.fixture
def new_browser(app):
    """Another browser, with its own cookies (on another app if given one)."""
    return lambda other=None: Browser((other or app).test_client())


@pytest.fixture
def browser(new_browser):
    return new_browser()


@pytest.fixture
def ann(browser, services):
    """Ann, signed up and logged in, with namespace ``app``; returns her user id."""
    assert browser.signup("ann@example.com").status_code == 302
    user = services.store.get_user_by_email("ann@example.com")
    services.namespaces.create(user.id, "app")
    return user.id
