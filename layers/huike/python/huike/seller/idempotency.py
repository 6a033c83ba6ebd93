"""`Idempotency-Key` on every POST: the same key with the same body replays the first response;
the same key with another body is 422. Powertools Idempotency on the shared idempotency table,
keyed per tenant and key, for 24 hours."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from huike.core.caches import process_cache
from huike.core.errors import HuikeError

KEY_HOURS = 24


class IdempotencyKeyReused(HuikeError):
    status = 422


class IdempotencyKeyMissing(HuikeError):
    status = 400


def once(
    tenant_id: str,
    key: str | None,
    operation: str,
    body: Any,
    work: Callable[[], dict[str, Any]],
    lambda_context: Any = None,
) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyValidationError

    if not key or not key.strip() or len(key) > 255:
        raise IdempotencyKeyMissing("send an Idempotency-Key header (1-255 characters) with every POST")
    config, run = _runner()
    if lambda_context is not None:
        config.register_lambda_context(lambda_context)  # an in-progress claim expires with the request
    try:
        return run(request={"scope": [tenant_id, operation, key.strip()], "body": body, "work": work})
    except IdempotencyValidationError:
        raise IdempotencyKeyReused("this Idempotency-Key was used with another request body") from None


@process_cache
def _runner() -> tuple[Any, Callable[..., dict[str, Any]]]:
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    from huike.aws.clients import client
    from huike.config.env import environment

    table = environment().idempotency_table
    if not table:
        raise RuntimeError("IDEMPOTENCY_TABLE is not set: POSTs are applied once through it")
    persistence = DynamoDBPersistenceLayer(table_name=table, boto3_client=client("dynamodb"))
    config = IdempotencyConfig(
        event_key_jmespath="scope", payload_validation_jmespath="body", expires_after_seconds=KEY_HOURS * 3600
    )

    @idempotent_function(  # type: ignore[untyped-decorator]
        data_keyword_argument="request", persistence_store=persistence, config=config
    )
    def run(request: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = request["work"]()
        return result

    return config, run
