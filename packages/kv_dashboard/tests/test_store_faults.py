"""The dashboard while its store fails: a page that says so, with the API's status and
``Retry-After``, and nothing half-written; the next request after the fault works."""

from __future__ import annotations

import errno

from kv_core.engines.sqlite.faults import translate


def create_namespace(browser, token):
    return browser.client.post("/namespaces", data={"csrf_token": token, "name": "shop"})


def assert_page(response, status, says):
    page = response.get_data(as_text=True)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert says in page
    assert "Traceback" not in page
    assert int(response.headers["Retry-After"]) >= 1


def test_an_io_error_gets_a_page_that_says_so_and_heals(browser, ann, services, sqlite_faults):
    token = browser.token()
    with sqlite_faults(services.store).io_errors():
        assert_page(create_namespace(browser, token), 503, "Try again in a moment")
    assert [ns.name for ns in services.namespaces.list(ann)] == ["app"]
    assert create_namespace(browser, token).status_code == 302


def test_a_full_disk_gets_its_own_page(browser, ann, services, monkeypatch):
    # A namespace fits in a page the file has, so the disk is full only for it here:
    # the engine's own translation of ENOSPC, raised where the write would be.
    def no_space(namespace):
        raise translate(OSError(errno.ENOSPC, "No space left on device"))

    token = browser.token()
    monkeypatch.setattr(services.store, "create_namespace", no_space)
    assert_page(create_namespace(browser, token), 507, "disk is full")
    monkeypatch.undo()
    assert create_namespace(browser, token).status_code == 302
