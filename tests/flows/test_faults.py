"""The engine under injected AWS faults: what a retry may and may not do twice."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from huike.store.consent import ConsentEntry
from huike.store.customers import Customer
from huike.store.orders import Order
from infra.local.moto_compat import aws_response
from tests.support.clock import DAYTIME_UTC, iso
from tests.support.contacts import BUYER_PHONE
from tests.support.payloads import shopify_order
from tests.support.stored import every, stored


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

    customer = stored(Customer, "demo", "shopify-207119551")
    assert (customer.order_count, customer.total_spent) == (1, 409.94)
    assert customer.last_order_id == "shopify-450789469"


def fail_the_write_of_an_order_once(runtime: Any) -> list[str]:
    """DynamoDB refuses, once, whichever write carries an order (an UpdateItem on the orders table,
    or a TransactWriteItems that includes it) with a definite, non-retried error, on the clients
    the webhook handler writes with (its container's one DynamoDB client). The
    error is raised from the before-send hook: botocore runs every before-send handler, moto's
    too, so a returned error response would still let moto apply the write. Returns the
    operations refused (for the test to check that the fault fired)."""
    from botocore.exceptions import ClientError

    from huike.config.env import environment
    from huike.store.base import dynamodb_connection

    orders_table = environment().orders_table
    refused: list[str] = []
    writes = ("UpdateItem", "PutItem", "TransactWriteItems")

    def refuse(request: Any, event_name: str, **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        if refused or f'"{orders_table}"' not in request.body.decode():
            return
        refused.append(operation)
        error = {"Error": {"Code": "AccessDeniedException", "Message": "refused by the test"}}
        raise ClientError(error, operation)  # type: ignore[arg-type]

    def install() -> None:
        client = dynamodb_connection().client  # every table's, transactions' included
        for operation in writes:
            client.meta.events.register_first(f"before-send.dynamodb.{operation}", refuse)

    runtime.lambdas.in_container("WebhookFunction", install)
    return refused


def consenting_order() -> dict[str, Any]:
    """orders/create for Bob, whose customer object carries his (dated) SMS and email consent."""
    order = shopify_order(created_at=iso(DAYTIME_UTC))
    given = iso(DAYTIME_UTC - dt.timedelta(minutes=1))
    order["customer"]["email_marketing_consent"] = {"state": "subscribed", "consent_updated_at": given}
    order["customer"]["sms_marketing_consent"] = {"state": "subscribed", "consent_updated_at": given}
    return order


def test_a_delivery_whose_order_write_fails_leaves_no_customer_consent_or_order(runtime, shopify):
    refused = fail_the_write_of_an_order_once(runtime)

    failed = shopify.post("orders/create", consenting_order(), webhook_id="consenting-order-1")

    assert refused, "the fault never fired"
    assert failed.status >= 500, failed.body
    assert list(every(Customer, "demo")) == []
    assert list(every(ConsentEntry, "demo")) == []
    assert list(every(Order, "demo")) == []


def test_a_failed_delivery_redelivered_stores_each_thing_once(runtime, shopify):
    fail_the_write_of_an_order_once(runtime)
    assert shopify.post("orders/create", consenting_order(), webhook_id="consenting-order-1").status >= 500

    again = shopify.post("orders/create", consenting_order(), webhook_id="consenting-order-1")

    assert again.status == 200, again.body
    assert [c.customer_id for c in every(Customer, "demo")] == ["shopify-207119551"]
    assert [o.order_id for o in every(Order, "demo")] == ["shopify-450789469"]
    entries = list(every(ConsentEntry, "demo"))
    assert sorted((e.channel, e.granted) for e in entries) == [("email", True), ("sms", True)]
    runtime.advance(seconds=3600)
    assert [m["to"] for m in runtime.outbox() if m["flow"] == "unpaid_reminder"] == [BUYER_PHONE]


def test_a_send_every_channel_refuses_is_counted_for_the_failed_send_alarm(runtime, shopify, capsys):
    assert shopify.post("orders/create", shopify_order(created_at=iso(DAYTIME_UTC))).status == 200
    refuse_every_message(runtime)
    capsys.readouterr()

    shopify.post("orders/create", shopify_order(created_at=iso(DAYTIME_UTC), financial_status="paid"))
    shopify.post("orders/paid", shopify_order(created_at=iso(DAYTIME_UTC), financial_status="paid"))

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"SendFailed"' in line]
    assert lines, "no SendFailed metric was emitted"
    [definition] = lines[0]["_aws"]["CloudWatchMetrics"]
    # What template.yaml's SendFailedAlarm watches: Huike / SendFailed / service=huike.
    assert (definition["Namespace"], definition["Metrics"][0]["Name"]) == ("Huike", "SendFailed")
    assert definition["Dimensions"] == [["service"]] and lines[0]["service"] == "huike"
    # SMS refused, then email (the fallback): the last refusal is the reason recorded.
    assert (lines[0]["channel"], lines[0]["reason"]) == ("email", "BadRequestException")


def throttle_text_messages(runtime: Any, times: int) -> list[str]:
    """SNS throttles the first `times` Publish calls, as when botocore's own retries ran out
    (the error raised from before-send, so botocore does not retry it again here). Returns the
    throttled calls (for the test to check that the fault fired)."""
    from botocore.exceptions import ClientError

    from huike.aws.clients import client

    throttled: list[str] = []

    def throttle(**_: Any) -> None:
        if len(throttled) < times:
            throttled.append("Publish")
            error = {
                "Error": {"Code": "Throttling", "Message": "Rate exceeded"},
                "ResponseMetadata": {"HTTPStatusCode": 400},
            }
            raise ClientError(error, "Publish")  # type: ignore[arg-type]

    for function in runtime.lambdas.functions:
        runtime.lambdas.in_container(
            function, lambda: client("sns").meta.events.register_first("before-send.sns.Publish", throttle)
        )
    return throttled


def test_a_throttled_text_is_retried_on_the_same_channel_never_rerouted_to_email(runtime, shopify):
    from huike.store.sends import SendRecord

    assert shopify.post("orders/create", shopify_order(created_at=iso(DAYTIME_UTC))).status == 200
    throttled = throttle_text_messages(runtime, times=2)

    paid = shopify.post("orders/paid", shopify_order(created_at=iso(DAYTIME_UTC), financial_status="paid"))
    assert paid.status == 200, paid.body
    runtime.wait_quiescent()

    assert throttled == ["Publish", "Publish"]  # the fault fired, twice
    confirmations = [m for m in runtime.outbox() if m["flow"] == "payment_confirmation"]
    assert [(m["channel"], m["to"]) for m in confirmations] == [("sms", BUYER_PHONE)]  # once, as a text
    [record] = [r for r in every(SendRecord, "demo") if r.flow == "payment_confirmation"]
    assert (record.status, record.channel) == ("sent", "sms")


def test_a_throttled_reminder_is_retried_by_the_state_machine_and_sent_once_as_a_text(runtime, shopify):
    from huike.store.sends import SendRecord

    assert shopify.post("orders/create", shopify_order(created_at=iso(DAYTIME_UTC))).status == 200
    throttled = throttle_text_messages(runtime, times=2)

    runtime.advance(seconds=3600)  # the reminder is due after 30 minutes; the task's Retry backs off

    assert throttled == ["Publish", "Publish"]
    reminders = [m for m in runtime.outbox() if m["flow"] == "unpaid_reminder"]
    assert [(m["channel"], m["to"]) for m in reminders] == [("sms", BUYER_PHONE)]
    [record] = [r for r in every(SendRecord, "demo") if r.flow == "unpaid_reminder"]
    assert (record.status, record.channel) == ("sent", "sms")


def test_a_flow_step_whose_retries_run_out_leaves_a_failed_key_and_a_failed_execution(runtime, shopify, seller):
    from huike.store.sends import SendRecord

    assert shopify.post("orders/create", shopify_order(created_at=iso(DAYTIME_UTC))).status == 200
    throttled = throttle_text_messages(runtime, times=100)

    runtime.advance(seconds=3600)

    assert len(throttled) == 4  # the first attempt and the task's three retries, never email
    assert [m for m in runtime.outbox() if m["flow"] == "unpaid_reminder"] == []
    [record] = [r for r in every(SendRecord, "demo") if r.flow == "unpaid_reminder"]
    assert record.status == "failed" and record.reason.startswith("retries-exhausted: "), record.reason
    [execution] = [e for e in runtime.executions() if e["name"].startswith("unpaid_reminder-")]
    assert execution["status"] == "FAILED"
    # The send log shows it to the seller.
    logged = seller.get("/sends", flow="unpaid_reminder")
    assert logged.status == 200, logged.body
    assert [(s["status"], s["reason"]) for s in logged.json()["items"]] == [("failed", record.reason)]
