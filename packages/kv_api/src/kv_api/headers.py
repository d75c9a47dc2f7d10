"""Headers the API adds to its answers, made in one place for the Flask hooks and for
the fast path (:mod:`kv_api.fast_path`)."""

from __future__ import annotations

import itertools
import os
import re

from flask import Response

from kv_core.services import Principal

REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")


class _Ids:
    """Request ids unique across processes: a random prefix per process (made anew
    after a fork) and a counter, cheaper than random bytes per request."""

    def __init__(self) -> None:
        self.renew()
        os.register_at_fork(after_in_child=self.renew)

    def renew(self) -> None:
        self.prefix = os.urandom(12).hex()
        self.counter = itertools.count()

    def next(self) -> str:
        return f"{self.prefix}{next(self.counter):08x}"


_IDS = _Ids()


def request_id(given: str | None) -> str:
    """Echo a well-formed incoming id (from a proxy), or make one."""
    if given is not None and REQUEST_ID.fullmatch(given):
        return given
    return _IDS.next()


def quota_headers(principal: Principal | None) -> dict[str, str]:
    """The monthly request quota, on every data-plane answer that reached a namespace."""
    if principal is None or principal.requests_used is None:
        return {}
    return {
        "X-RateLimit-Limit": str(principal.plan.requests_per_month),
        "X-RateLimit-Remaining": str(principal.requests_remaining),
    }


def no_store(response: Response) -> Response:
    """Mark an answer that shows a secret (a raw API key, a session token) as one that
    no cache may keep."""
    response.headers["Cache-Control"] = "no-store"
    return response
