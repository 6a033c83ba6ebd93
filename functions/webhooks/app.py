"""Public HTTP entry points: platform webhooks (signature checked on the raw body, the event
applied once, answered fast) and RFC 8058 one-click unsubscribe."""

from __future__ import annotations

from huike.core.coldstart import collector_paused_on_cold_start

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.utilities.typing import LambdaContext

from huike.core.errors import HuikeError

logger = Logger()
app = APIGatewayRestResolver()


@app.post("/webhooks/shopify/<tenant_id>", summary="Shopify webhook (X-Shopify-Hmac-Sha256)", tags=["webhooks"])
def shopify_webhook(tenant_id: str) -> dict[str, Any]:
    from huike.ingest.service import receive_shopify  # the domain loads on first use, not at cold import

    return _logged(
        "shopify", tenant_id, receive_shopify(tenant_id, app.current_event.headers, raw_body(), app.lambda_context)
    )


@app.post(
    "/webhooks/woocommerce/<tenant_id>", summary="WooCommerce webhook (X-WC-Webhook-Signature)", tags=["webhooks"]
)
def woocommerce_webhook(tenant_id: str) -> dict[str, Any]:
    from huike.ingest.service import receive_woocommerce

    return _logged(
        "woocommerce",
        tenant_id,
        receive_woocommerce(tenant_id, app.current_event.headers, raw_body(), app.lambda_context),
    )


@app.post(
    "/webhooks/events/<tenant_id>",
    summary="Huike canonical event (Huike-Signature: t=<unix>,v1=<hex HMAC-SHA256 of '<t>.<body>'>)",
    description="Body: a canonical event (see components.schemas.Event in docs/openapi.json).",
    tags=["webhooks"],
)
def canonical_event(tenant_id: str) -> dict[str, Any]:
    from huike.ingest.service import receive_canonical

    return _logged(
        "events", tenant_id, receive_canonical(tenant_id, app.current_event.headers, raw_body(), app.lambda_context)
    )


@app.post("/unsubscribe/<tenant_id>/<token>", summary="RFC 8058 one-click unsubscribe", tags=["consent"])
def one_click_unsubscribe(tenant_id: str, token: str) -> dict[str, Any]:
    from huike.consent.unsubscribe import unsubscribe

    identity = app.current_event.request_context.identity
    return unsubscribe(tenant_id, token, identity.user_agent, identity.source_ip)


@app.get("/unsubscribe/<tenant_id>/<token>", summary="Unsubscribe confirmation page", tags=["consent"])
def unsubscribe_page(tenant_id: str, token: str):  # type: ignore[no-untyped-def]  # no return annotation: Powertools would document HTML as a JSON schema
    # A GET never unsubscribes: mail scanners prefetch links. The page's button POSTs.
    html = (
        "<!doctype html><meta charset='utf-8'><title>Unsubscribe</title>"
        "<form method='post'><p>Stop marketing email from this shop?</p>"
        "<button type='submit'>Unsubscribe</button></form>"
    )
    return Response(status_code=200, content_type=content_types.TEXT_HTML, body=html)


def raw_body() -> bytes:
    """The exact bytes the platform signed (API Gateway base64-encodes non-UTF-8 bodies)."""
    event = app.current_event
    if event.is_base64_encoded:
        import base64

        return base64.b64decode(event.body or "")
    return (event.body or "").encode()


def _logged(source: str, tenant_id: str, result: dict[str, Any]) -> dict[str, Any]:
    logger.info("webhook delivery", extra={"source": source, "tenant_id": tenant_id, **result})
    return result


@app.exception_handler(HuikeError)  # type: ignore[untyped-decorator]
def domain_error(error: HuikeError) -> Response[dict[str, str]]:
    logger.warning("rejected", extra={"status": error.status, "reason": str(error)})
    return Response(status_code=error.status, content_type=content_types.APPLICATION_JSON, body={"error": str(error)})


@app.exception_handler(Exception)  # type: ignore[untyped-decorator]
def in_progress_error(error: Exception) -> Response[dict[str, str]]:
    from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError

    if isinstance(error, IdempotencyAlreadyInProgressError):
        body = {"error": "this delivery is already being processed; retry later"}
        return Response(status_code=409, content_type=content_types.APPLICATION_JSON, body=body)
    raise error


@collector_paused_on_cold_start
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from huike.config.env import WebhookEnvironment, require_environment

    require_environment(WebhookEnvironment)  # once per container: a missing name fails the cold start
    return app.resolve(event, context)
