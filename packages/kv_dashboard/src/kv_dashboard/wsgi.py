"""The dashboard as a WSGI callable configured from the environment (for Lambda)."""

from kv_dashboard.app import create_app

app = create_app()
