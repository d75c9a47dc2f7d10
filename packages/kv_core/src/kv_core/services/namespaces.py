"""A user's namespaces: create, list, look up, delete with everything in them."""

from __future__ import annotations

from kv_core.errors import NotFound
from kv_core.hashing import new_id
from kv_core.model import Namespace, isoformat
from kv_core.names import validate_namespace_name
from kv_core.services.api_keys import ApiKeys
from kv_core.services.config import CoreConfig
from kv_core.store import Store


class Namespaces:
    def __init__(self, store: Store, config: CoreConfig, api_keys: ApiKeys) -> None:
        self.store = store
        self.config = config
        self.api_keys = api_keys

    def create(self, user_id: str, name: str) -> Namespace:
        """A new, empty namespace; ``Conflict`` if the user has one of that name."""
        validate_namespace_name(name)
        namespace = Namespace(new_id(), user_id, name, isoformat(self.config.clock()))
        self.store.create_namespace(namespace)
        return namespace

    def list(self, user_id: str) -> list[Namespace]:
        return self.store.list_namespaces(user_id)

    def get(self, user_id: str, name: str) -> Namespace:
        """The user's namespace called ``name``; another user's is ``NotFound`` too."""
        namespace = self.store.get_namespace(user_id, name)
        if namespace is None:
            raise NotFound(f"You have no namespace called '{name}'.", code="namespace_not_found")
        return namespace

    def delete(self, user_id: str, name: str) -> Namespace:
        """Delete a namespace, its items and its API keys."""
        deleted = self.store.delete_namespace(user_id, name)
        if deleted is None:
            raise NotFound(f"You have no namespace called '{name}'.", code="namespace_not_found")
        self.api_keys.forget_namespace(deleted.id)
        return deleted
