"""Least privilege, proven locally: every function runs under its own role as SAM's translator
writes it from template.yaml, moto checks each call against that role (per table, index and state
machine), a permission the template lacks fails here and not after a deploy, and a permission no
function call needs is reported."""

from __future__ import annotations

import copy
import inspect
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from infra.local import iam
from infra.local.runtime import LocalRuntime
from infra.local.template import REGION, LocalTemplate, local_template
from tests.flows import test_agenda as agenda
from tests.flows import test_faults as faults
from tests.flows import test_marketing_flows as marketing
from tests.flows import test_order_story as order_story
from tests.flows import test_platform_payloads as platform_payloads
from tests.flows import test_unpaid_reminder as unpaid
from tests.integration import test_seller_customers as seller_customers
from tests.integration import test_send_policy_properties as policy_properties
from tests.support.clock import DAYTIME_UTC
from tests.support.seller import SellerApi
from tests.support.webhooks import CanonicalEvents, ShopifyWebhooks, WooCommerceWebhooks

# Grants no local call can exercise, each with the reason.
NOT_EMULATED = {
    # moto has no pinpoint-sms-voice-v2: infra/local/gaps.py answers MMS before moto sees it.
    ("sms-voice:SendMediaMessage", "*"),
    # Written by SAM for the stream's OnFailure destination: the Lambda service sends the failed
    # batch with the function's role; the handler never calls SQS.
    ("sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:huike-local-LifecycleDeadLetterQueue"),
    ("sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:huike-local-CustomerCountsDeadLetterQueue"),
    # Written by SAM for the function's DeadLetterQueue: Lambda keeps failed async invocations.
    ("sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:huike-local-InboundDeadLetterQueue"),
    ("sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:huike-local-ImportsDeadLetterQueue"),
}


def test_each_function_calls_aws_as_its_own_role(runtime):
    def caller() -> str:
        from huike.aws.clients import client

        return str(client("sts").get_caller_identity()["Arn"])

    for function in runtime.lambdas.functions:
        role = f"{runtime.template.physical_name(function)}-role"
        assert runtime.lambdas.in_container(function, caller).endswith(f":assumed-role/{role}/{function}")


def test_the_roles_are_the_ones_sams_translator_writes(runtime):
    resources = iam.translated(runtime.template)["Resources"]
    assert {resources[f]["Properties"]["Role"]["Fn::GetAtt"][0] for f in runtime.lambdas.functions} == {
        f"{function}Role" for function in runtime.lambdas.functions
    }
    inbound = iam.function_policies(runtime.template)["InboundFunction"]
    created = boto3.client("iam", region_name=REGION).get_role_policy(
        RoleName=f"{runtime.template.physical_name('InboundFunction')}-role", PolicyName="policy0"
    )["PolicyDocument"]
    assert created["Statement"] == inbound[0]["Statement"]


def without_statement(function: str, resource_suffix: str) -> LocalTemplate:
    """template.yaml with one statement of one function's policy removed."""
    document = copy.deepcopy(local_template().template)
    statements = document["Resources"][function]["Properties"]["Policies"][0]["Statement"]
    kept = [s for s in statements if resource_suffix not in str(s.get("Resource", ""))]
    assert len(kept) == len(statements) - 1, "the statement to remove was not found"
    document["Resources"][function]["Properties"]["Policies"][0]["Statement"] = kept
    return LocalTemplate(document)


def test_a_bounce_without_a_tenant_tag_needs_the_ledger_index_query_and_fails_locally_without_it():
    """The permission the inbound function once lacked: without it the bounce is AccessDenied here."""
    template = without_statement("InboundFunction", "/index/message_id-index")
    with LocalRuntime(template=template, start=DAYTIME_UTC) as runtime:
        runtime.seed_tenant()
        with pytest.raises(Exception, match=r"AccessDenied|not authorized to perform: dynamodb:Query"):
            runtime.inbound_ses("Bounce", "ann.buyer@example.com", tenant_id=None)


# -- no grant without a call that needs it -------------------------------------------------------------
def a_buyer_with_only_an_email_is_confirmed_by_email(runtime: LocalRuntime, events: Any) -> None:
    events.order_paid(customer={"platform_id": "buyer-mail", "email": marketing.BUYER_EMAIL})
    assert [m["to"] for m in runtime.outbox() if m["channel"] == "email"] == [marketing.BUYER_EMAIL]


def a_seller_reads_and_changes_settings_and_flows_and_reads_the_send_log(runtime: LocalRuntime, tenant: Any) -> None:
    from tests.integration.test_seller_api import three_buyers
    from tests.support.seller import SellerApi

    seller = SellerApi(runtime, tenant.api_key)
    assert seller.patch("/settings", {"quiet_hours": {"start": "22:00"}}).status == 200
    assert seller.patch("/flows/unpaid_reminder", {"delay_minutes": 30}).status == 200
    assert seller.get("/sends", flow="unpaid_reminder").status == 200
    assert seller.get("/changes").json()["items"]
    three_buyers(runtime, tenant)
    listed = seller.get("/customers").json()["items"]
    assert seller.get("/customers", phone="+15025550134").json()["items"]
    assert seller.post("/suppressions", {"address": "ann@example.com"}, "lp-1").status == 201
    assert seller.post("/suppressions", {"address": "not an address"}, "lp-2").status == 400
    assert seller.get("/suppressions").json()["items"]
    assert seller.delete("/suppressions/ann@example.com").status == 204
    for customer in listed:  # one with a phone only (GetItem), one with two addresses (BatchGetItem)
        assert seller.get(f"/customers/{customer['customer_id']}").status == 200
        assert seller.patch(f"/customers/{customer['customer_id']}", {"last_name": "Lee"}).status == 200
        assert seller.get(f"/customers/{customer['customer_id']}/consent/history").status == 200

    from tests.flows.test_marketing_flows import Events, identity

    Events(runtime, tenant).order_paid("order-9", customer=identity())
    runtime.advance(seconds=3 * 86400)
    Events(runtime, tenant).order_paid("order-10", customer=identity())  # a repeat order: the rhythm counts it
    assert seller.get("/insights").json()["repurchase_rhythm"]["intervals"] == 1
    preview = seller.post("/flows/unpaid_reminder/templates/sms/en/preview", {"order_id": "order-9"}, None)
    assert preview.status == 200 and preview.json()["errors"] == []
    assert (
        seller.request("PUT", "/flows/unpaid_reminder/templates/sms/en", {"text": "Pay {{ payment_link }}"}).status
        == 200
    )
    assert seller.get("/customers/buyer-1/orders").json()["items"]
    assert seller.get("/sends", customer_id="buyer-1").status == 200
    statement = {"channel": "email", "granted": True, "source": "phone call"}
    assert seller.post("/customers/buyer-1/consent", statement, "lp-3").status == 201
    assert seller.patch("/customers/buyer-1", {"birthday": "1990-06-01", "tags": ["vip"]}).status == 200
    runtime.wait_quiescent()  # the customers stream lists buyer-1 under the tag
    assert [c["customer_id"] for c in seller.get("/customers", tag="vip").json()["items"]] == ["buyer-1"]
    assert seller.post("/customers/buyer-1/erase", {}, "lp-4").status == 200


def a_seller_imports_customers_then_orders_and_reads_the_report(runtime: LocalRuntime, tenant: Any) -> None:
    from tests.integration import test_imports as imports
    from tests.support.import_files import shopify_customer_csv, shopify_orders_csv
    from tests.support.seller import SellerApi

    seller = SellerApi(runtime, tenant.api_key)
    customers = imports.import_file(
        runtime, seller, shopify_customer_csv(imports.SHOPIFY_CUSTOMERS), format="shopify_customers"
    )
    assert customers["counts"]["created"] == 3 and imports.report_lines(runtime, customers["report_url"])
    order = {
        "Name": "#1",
        "Id": "77",
        "Email": "cy@example.com",
        "Total": "9.00",
        "Paid at": "2026-01-05 10:00:00 -0500",
    }
    assert imports.import_file(runtime, seller, shopify_orders_csv([order]), format="shopify_orders")["counts"] == {
        "created": 1, "updated": 0, "merged": 0, "rejected": 0, "skipped": 0,
    }  # fmt: skip
    from tests.integration.test_segments import history

    heavy = [
        {
            **order,
            "Id": f"9{order['Id']}",
            "Name": f"#9{order['Name'][1:]}",
            "Total": "900.00",
            "Email": f"heavy-{order['Email']}",
        }
        for order in history(8)
    ]
    imports.import_file(runtime, seller, shopify_orders_csv(history(8)), format="shopify_orders")
    imports.import_file(runtime, seller, shopify_orders_csv(heavy), format="shopify_orders")
    assert seller.get("/customers", segment="lost").status == 200
    assert seller.get("/segments").json()["items"]
    runtime.advance(seconds=86400)  # the nightly refresh re-scores those the new thresholds move
    pending = imports.start_import(seller, format="jsonl")
    assert seller.post(f"/imports/{pending['id']}/cancel", {}, "lp-cancel").status == 200
    assert len(seller.get("/imports").json()["items"]) == 5


def a_seller_moves_a_birthday_to_tomorrow(runtime: LocalRuntime, events: Any, seller: SellerApi) -> None:
    """A birthday within the sweep's reach starts its execution from the seller API at once."""
    events.post("customer.updated", customer=marketing.buyer(birthday="1990-12-20"))
    moved = seller.patch(f"/customers/{marketing.BUYER_ID}", {"birthday": "1990-11-24"})
    assert moved.status == 200, moved.body
    assert [e for e in runtime.executions() if e["name"].endswith("-2026-1124")]


STORIES: list[tuple[Callable[..., Any], dict[str, Any]]] = [
    (marketing.test_buyer_without_phone_gets_email_with_one_click_unsubscribe, {}),
    (marketing.test_bounce_or_complaint_suppresses_later_email, {"notification": "Bounce"}),
    (marketing.test_stop_mid_flow_suppresses_and_start_restores, {}),
    (marketing.test_birthday_message_at_eight_local_and_next_year_scheduled, {}),
    (marketing.test_browse_abandonment_names_the_product_four_hours_later, {}),
    (order_story.test_refund_after_delivery_sends_refund_care_and_cancels_the_review_invite, {"source": "shopify"}),
    (order_story.test_stop_from_a_shopify_buyer_consenting_to_sms_only_ends_every_text, {}),
    (order_story.test_same_shopify_delivery_twice_confirms_payment_once, {}),
    (unpaid.test_a_buyer_without_a_textable_phone_is_reminded_by_email, {}),
    (platform_payloads.test_a_woocommerce_guest_order_first_seen_completed_gets_its_shipping_notice, {}),
    (a_buyer_with_only_an_email_is_confirmed_by_email, {}),
    (faults.test_a_failed_delivery_redelivered_stores_each_thing_once, {}),
    (a_seller_reads_and_changes_settings_and_flows_and_reads_the_send_log, {}),
    (policy_properties.test_stop_then_start_allows_marketing_again_only_with_consent, {}),
    (a_seller_imports_customers_then_orders_and_reads_the_report, {}),
    (agenda.test_no_execution_waits_more_than_two_days, {}),
    (unpaid.test_reminder_due_at_23h_local_is_deferred_to_08h_local, {}),
    (a_seller_moves_a_birthday_to_tomorrow, {}),
    (seller_customers.test_a_corrected_birthday_schedules_its_message_and_manual_tags_replace_the_old, {}),
]


def run_story(story: Callable[..., Any], given: dict[str, Any]) -> None:
    with LocalRuntime(start=DAYTIME_UTC) as runtime:
        fixtures: dict[str, Any] = {"runtime": runtime}
        wanted = inspect.signature(story).parameters
        if any(name in wanted for name in ("tenant", "events", "shopify", "woocommerce", "canonical", "seller")):
            tenant = fixtures["tenant"] = runtime.seed_tenant()
            fixtures["events"] = marketing.Events(runtime, tenant)
            fixtures["shopify"] = ShopifyWebhooks(runtime, tenant)
            fixtures["woocommerce"] = WooCommerceWebhooks(runtime, tenant)
            fixtures["canonical"] = CanonicalEvents(runtime, tenant)
            fixtures["seller"] = SellerApi(runtime, tenant.api_key)
        story(**{name: fixtures.get(name, given.get(name)) for name in wanted})
        iam.remember_calls(runtime.identities)


def test_no_function_holds_a_permission_its_calls_never_need():
    for story, given in STORIES:
        run_story(story, given)
    unused = [
        f"{grant.function}: {grant.action} on {'NOT ' if grant.not_resource else ''}{grant.resource}"
        for grant in iam.unused_grants(local_template())
        if (grant.action, grant.resource) not in NOT_EMULATED
    ]
    assert unused == [], "granted in template.yaml, used by no call:\n" + "\n".join(unused)
