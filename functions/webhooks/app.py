"""Platform webhooks: verify the signature on the raw body, apply the event once, answer fast."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.utilities.typing import LambdaContext

from huike.errors import HuikeError

logger = Logger()
app = APIGatewayRestResolver(enable_validation=True)


@app.post("/webhooks/shopify/<tenant_id>")
def shopify_webhook(tenant_id: str) -> dict[str, Any]:
    from huike.ingest import receive_shopify  # the domain loads on first use, not at cold import

    event = app.current_event
    result = receive_shopify(tenant_id, event.headers, raw_body(), app.lambda_context)
    logger.info("shopify delivery", extra={"tenant_id": tenant_id, **result})
    return result


def raw_body() -> bytes:
    """The exact bytes the platform signed (API Gateway base64-encodes non-UTF-8 bodies)."""
    event = app.current_event
    if event.is_base64_encoded:
        import base64

        return base64.b64decode(event.body or "")
    return (event.body or "").encode()


@app.exception_handler(HuikeError)
def domain_error(error: HuikeError) -> Response:
    logger.warning("rejected", extra={"status": error.status, "reason": str(error)})
    return Response(status_code=error.status, content_type=content_types.APPLICATION_JSON, body={"error": str(error)})


@app.exception_handler(Exception)
def in_progress_error(error: Exception) -> Response:
    from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError

    if isinstance(error, IdempotencyAlreadyInProgressError):
        body = {"error": "this delivery is already being processed; retry later"}
        return Response(status_code=409, content_type=content_types.APPLICATION_JSON, body=body)
    raise error


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
