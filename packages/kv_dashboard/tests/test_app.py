"""The dashboard's own pages for every error, and the headers of every answer."""

from __future__ import annotations

import pytest


@pytest.fixture
def failing(app, services, monkeypatch):
    """The app answering as in production, with the usage report broken."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def boom(*args, **kwargs):
        raise RuntimeError("secret detail of the failure")

    monkeypatch.setattr(services.usage, "report", boom)
    return app


def test_an_unexpected_error_is_the_dashboards_own_500_page(failing, browser, ann, caplog):
    response = browser.get("/")
    assert response.status_code == 500
    assert response.mimetype == "text/html"
    page = response.text
    assert "<title>Something went wrong · KV Storage</title>" in page
    assert "dashboard.css" in page
    assert "secret detail" not in page
    assert "Traceback" not in page
    assert "Internal Server Error" not in page  # werkzeug's page
    assert "secret detail of the failure" in caplog.text  # the log has it


@pytest.mark.parametrize(
    ("method", "path", "status", "title"),
    [
        ("DELETE", "/login", 405, "Method Not Allowed"),
        ("PUT", "/namespaces", 405, "Method Not Allowed"),
    ],
)
def test_other_refusals_are_the_dashboards_pages(browser, method, path, status, title):
    response = browser.client.open(path, method=method)
    assert response.status_code == status
    assert f"<h1>{title}</h1>" in response.text
    assert 'class="button button--primary"' in response.text
