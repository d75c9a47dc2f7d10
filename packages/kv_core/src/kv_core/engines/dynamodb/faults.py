"""Which of DynamoDB's failures mean "the store cannot answer now".

botocore retries throttling, 5xx answers and lost connections itself (as the
settings allow, see :class:`~kv_core.engines.dynamodb.table.Table`); what is still
failing after its retries reaches here wrapped by pynamodb, and becomes
:class:`~kv_core.errors.StoreUnavailable`. A refused condition, a validation error or
missing credentials are not faults of the store and go through as they were.
"""

from __future__ import annotations

from botocore.exceptions import (
    ClientError,
    ConnectionError,
    HTTPClientError,
)

from kv_core.errors import StoreUnavailable
from kv_core.store.faults import causes, guarded

# Error codes DynamoDB answers when it is busy or failing, rather than refusing.
BUSY = frozenset(
    {
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "InternalFailure",
        "TransactionInProgressException",
        "TransactionConflictException",
    }
)
# Why a transaction's item was cancelled when DynamoDB, not a condition, cancelled it.
BUSY_CANCELLATIONS = frozenset(
    {"ThrottlingError", "ProvisionedThroughputExceeded", "TransactionConflict"}
)


def busy_answer(error: ClientError) -> bool:
    """Whether DynamoDB's answer says it is busy or failing (throttling, 5xx)."""
    code = error.response.get("Error", {}).get("Code", "")
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    reasons = {reason.get("Code") for reason in error.response.get("CancellationReasons", [])}
    return code in BUSY or int(status or 0) >= 500 or bool(reasons & BUSY_CANCELLATIONS)


def translate(error: BaseException) -> StoreUnavailable | None:
    """The domain's error for a fault somewhere in ``error``'s chain, else ``None``."""
    for cause in (*causes(error), getattr(error, "cause", None)):
        if isinstance(cause, ClientError) and busy_answer(cause):
            return StoreUnavailable()
        if isinstance(cause, ConnectionError | HTTPClientError):
            return StoreUnavailable()
    return None


faults_translated = guarded(translate)
