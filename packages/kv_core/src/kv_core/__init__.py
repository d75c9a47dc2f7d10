"""KV Storage's core: the domain, its rules and its storage, in pure Python.

Public surface: the model records, the error hierarchy, plans and limits, the Store
port with its engines (``SqliteStore`` here; ``DynamoStore`` in
:mod:`kv_core.engines.dynamodb`, which needs the ``dynamodb`` extra), and the services.
"""

from __future__ import annotations

from kv_core.engines.sqlite import SqliteStore
from kv_core.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    KVError,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    QuotaExceeded,
    TooManyAttempts,
    Unauthorized,
)
from kv_core.limits import LIMITS, Limits
from kv_core.model import ApiKey, Item, Namespace, Usage, User
from kv_core.plans import PLANS, Plan, get_plan
from kv_core.services import CoreConfig, Services
from kv_core.store import Store

__all__ = [
    "LIMITS",
    "PLANS",
    "ApiKey",
    "Conflict",
    "CoreConfig",
    "Forbidden",
    "InvalidInput",
    "Item",
    "KVError",
    "Limits",
    "Namespace",
    "NotFound",
    "PayloadTooLarge",
    "Plan",
    "PreconditionFailed",
    "QuotaExceeded",
    "Services",
    "SqliteStore",
    "Store",
    "TooManyAttempts",
    "Unauthorized",
    "Usage",
    "User",
    "get_plan",
]
