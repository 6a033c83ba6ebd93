"""POST /webhooks/events bodies: Huike's canonical events, validated with field paths."""

from __future__ import annotations

import copy
import datetime as dt
import json

import pytest

from huike.core.errors import BadRequest
from huike.ingest.platforms.canonical import OPENAPI_EXAMPLE, to_event


def example(**overrides):
    body = copy.deepcopy(OPENAPI_EXAMPLE)
    body.update(overrides)
    return body


def test_openapi_example_is_a_valid_order_paid_event():
    event = to_event(json.loads(json.dumps(OPENAPI_EXAMPLE)))
    assert event.type == "order.paid"
    assert event.source == "events"
    assert event.occurred_at == dt.datetime(2026, 11, 23, 7, 5, tzinfo=dt.UTC)
    assert event.order.paid_at is not None
    assert event.order.line_items[0].quantity == 2
    assert event.customer.consents[0].channel == "sms"
    assert event.customer.birthday == dt.date(1995, 6, 18)


def test_source_is_always_events():
    assert to_event(example(source="shopify")).source == "events"


def test_minimal_cart_updated_is_accepted():
    body = {
        "id": "cart-1-v3",
        "type": "cart.updated",
        "occurred_at": "2026-11-23T15:00:00Z",
        "customer": {"phone": "+8613800138000"},
        "cart": {"cart_id": "jd-cart-1", "updated_at": "2026-11-23T15:00:00Z"},
    }
    event = to_event(body)
    assert event.cart.cart_id == "jd-cart-1"
    assert event.order is None


def test_missing_part_for_the_type_is_bad_request():
    body = example()
    del body["order"]
    with pytest.raises(BadRequest, match=r"order.paid event needs a 'order' object"):
        to_event(body)


def test_order_created_needs_name_and_created_at():
    body = example(type="order.created")
    del body["order"]["name"]
    with pytest.raises(BadRequest, match=r"order.created_at and order.name"):
        to_event(body)


def test_unknown_type_is_bad_request_naming_the_field():
    with pytest.raises(BadRequest, match=r"invalid event: type: Input should be"):
        to_event(example(type="order.teleported"))


def test_nested_problem_is_reported_with_its_path():
    body = example()
    body["customer"]["consents"][0]["channel"] = "fax"
    with pytest.raises(BadRequest, match=r"customer\.consents\.0\.channel"):
        to_event(body)


def test_many_problems_list_the_first_few_and_count_the_rest():
    body = {
        "type": "nope",
        "occurred_at": "later",
        "order": {"order_id": "", "paid_at": "x", "line_items": [{"quantity": "many"}]},
    }
    with pytest.raises(BadRequest) as raised:
        to_event(body)
    reason = str(raised.value)
    assert reason.startswith("invalid event: id: Field required; type: ")
    assert "occurred_at: " in reason
    assert reason.endswith("; and 1 more")  # six problems, five shown


def test_missing_id_is_bad_request():
    body = example()
    del body["id"]
    with pytest.raises(BadRequest, match=r"\bid: Field required"):
        to_event(body)


def test_datetimes_without_offset_are_rejected_with_their_paths():
    body = example(occurred_at="2026-11-23T15:05:00")
    body["order"]["paid_at"] = "2026-11-23T15:05:00"
    with pytest.raises(BadRequest) as raised:
        to_event(body)
    assert "occurred_at: datetime needs a UTC offset" in str(raised.value)
    assert "order.paid_at: datetime needs a UTC offset" in str(raised.value)


@pytest.mark.parametrize("body", [[OPENAPI_EXAMPLE], "event", 1, None])
def test_non_object_body_is_bad_request(body):
    with pytest.raises(BadRequest, match="JSON object"):
        to_event(body)
