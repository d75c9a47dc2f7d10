"""The JSON shapes of the domain records, as the OpenAPI document describes them."""

from __future__ import annotations

from typing import Any

from kv_core.model import ApiKey, Namespace, User
from kv_core.services import UsageReport


def user_json(user: User) -> dict[str, Any]:
    return {"id": user.id, "email": user.email, "plan": user.plan, "createdAt": user.created_at}


def namespace_json(namespace: Namespace) -> dict[str, Any]:
    return {
        "id": namespace.id,
        "name": namespace.name,
        "createdAt": namespace.created_at,
        "itemCount": namespace.item_count,
        "sizeBytes": namespace.size_bytes,
    }


def api_key_json(key: ApiKey, requests_this_month: int = 0) -> dict[str, Any]:
    """A key's metadata and its requests this month (UTC): never the raw key nor its
    hash."""
    return {
        "id": key.id,
        "name": key.name,
        "namespace": key.namespace,
        "access": key.access,
        "prefix": key.prefix,
        "createdAt": key.created_at,
        "lastUsedAt": key.last_used_at,
        "keyPrefix": key.key_prefix,
        "expiresAt": key.expires_at,
        "requestsThisMonth": requests_this_month,
    }


def usage_json(report: UsageReport) -> dict[str, Any]:
    return {
        "plan": report.plan.name,
        "month": report.month,
        "requests": {
            "used": report.requests_used,
            "limit": report.requests_limit,
            "status": report.requests_status,
        },
        "storage": {
            "usedBytes": report.storage_used,
            "limitBytes": report.storage_limit,
            "status": report.storage_status,
        },
        "status": report.status,
    }
