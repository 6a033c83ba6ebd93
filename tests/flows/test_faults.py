"""The engine under injected AWS faults: what a retry may and may not do twice."""

from __future__ import annotations

import json
from typing import Any

from huike.store.customers import Customer
from infra.local.moto_compat import aws_response
from tests.support.clock import DAYTIME_UTC, iso
from tests.support.payloads import shopify_order


def refuse_every_message(runtime: Any) -> None:
    """SNS and SES refuse every send (a definite error, not retried by botocore), on the clients
    of every function's container."""
    from huike.aws.clients import client

    def sns_refusal(request: Any, **_: Any) -> Any:
        body = (
            b"<ErrorResponse><Error><Type>Sender</Type><Code>InvalidParameter</Code>"
            b"<Message>refused by the test</Message></Error><RequestId>r-1</RequestId></ErrorResponse>"
        )
        return aws_response(request.url, 400, {"Content-Type": "text/xml"}, body)

    def ses_refusal(request: Any, **_: Any) -> Any:
        body = json.dumps({"message": "refused by the test"}).encode()
        headers = {"x-amzn-ErrorType": "BadRequestException", "Content-Type": "application/json"}
        return aws_response(request.url, 400, headers, body)

    def refuse() -> None:
        client("sns").meta.events.register_first("before-send.sns.Publish", sns_refusal)
        client("sesv2").meta.events.register_first("before-send.sesv2.SendEmail", ses_refusal)

    for function in runtime.lambdas.functions:
        runtime.lambdas.in_container(function, refuse)


def test_a_paid_order_is_counted_once_when_its_confirmation_fails_and_the_stream_retries(runtime, shopify):
    created = shopify.post("orders/create", shopify_order(created_at=iso(DAYTIME_UTC)))
    assert created.status == 200, created.body
    refuse_every_message(runtime)

    paid = shopify.post("orders/paid", shopify_order(created_at=iso(DAYTIME_UTC), financial_status="paid"))
    assert paid.status == 200, paid.body  # the platform is answered; the stream record is retried

    customer = Customer.get("demo", "shopify-207119551")
    assert (customer.order_count, customer.total_spent) == (1, 409.94)
    assert customer.last_order_id == "shopify-450789469"
