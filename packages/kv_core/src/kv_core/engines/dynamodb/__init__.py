"""The production engine: one DynamoDB table, through pynamodb."""

from kv_core.engines.dynamodb.store import DynamoStore

__all__ = ["DynamoStore"]
