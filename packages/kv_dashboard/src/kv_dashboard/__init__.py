"""KV Storage's dashboard: the account holder's pages, rendered on the server."""

from kv_dashboard.app import create_app

__all__ = ["create_app"]
