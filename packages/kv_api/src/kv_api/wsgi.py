"""The API as a WSGI callable configured from the environment (for Lambda)."""

from kv_api.app import create_app

app = create_app()
