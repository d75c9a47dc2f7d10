"""KV Storage's REST API.

Public surface: :func:`create_app` (the Flask application factory) and
:func:`openapi_document` (the whole contract as OpenAPI 3.1).
"""

from kv_api.app import create_app
from kv_api.openapi import openapi_document

__all__ = ["create_app", "openapi_document"]
