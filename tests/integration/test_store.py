"""The storage package on moto tables made from template.yaml: what each write returns and
what a tenant item that an older version wrote loads as."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from pydantic import ValidationError

from huike.core import keys
from huike.core.events import ConsentData, CustomerData
from huike.customers import profile
from huike.store import consent as consent_store
from huike.store import customers as customer_store
from huike.store import tenants
from huike.store.tenants import Tenant
from tests.support.clock import DAYTIME_UTC
from tests.support.contacts import BUYER_PHONE, BUYER_PHONE_NATIONAL


def test_a_profile_write_with_consent_returns_the_whole_customer(tenant):
    demo = tenants.get_tenant("demo")
    first = profile.upsert_customer(
        demo, CustomerData(platform_id="c-7", first_name="Ann", phone=BUYER_PHONE_NATIONAL, country="US", locale="en")
    )
    assert first is not None and first.first_name == "Ann"
    customer_store.record_paid_order("demo", "c-7", "o-1", "25.00", DAYTIME_UTC)
    consent = ConsentData(channel="email", granted=True, at=DAYTIME_UTC, wording="Join our list")
    # A later event with consent (a TransactWriteItems, which returns no item) ...
    returned = profile.upsert_customer(
        demo, CustomerData(platform_id="c-7", email="ann@example.com", consents=[consent])
    )
    stored = customer_store.get_customer("demo", "c-7")
    # ... still returns what is stored: the earlier profile, stats and phone, and the new consent.
    assert returned is not None and stored is not None
    for attribute in ("first_name", "phone", "phone_textable", "locale", "email", "order_count", "last_order_id"):
        assert getattr(returned, attribute) == getattr(stored, attribute), attribute
    assert returned.phone == BUYER_PHONE and returned.order_count == 1
    assert returned.has_marketing_consent("email") and stored.has_marketing_consent("email")
    assert returned.identities == stored.identities
    assert [entry.wording for entry in consent_store.consent_history("demo", "c-7")] == ["Join our list"]


def test_a_tenant_is_created_only_from_valid_settings(runtime):
    with pytest.raises(ValidationError) as refused:
        tenants.create_tenant(
            "bad-shop",
            name="Bad",
            api_key="hk_x",
            webhook_secrets={},
            settings={"quiet_hours": {"end": "8 am"}},
            flows={"review_invite": {"delay_days": -1}},
        )
    assert "quiet_hours.end" in str(refused.value)
    assert Tenant.count("bad-shop") == 0


def test_a_tenant_item_an_older_version_wrote_still_loads(runtime, caplog):
    Tenant(
        "old-shop",
        name="Old Shop",
        api_key_hash="0" * 64,
        settings={"timezone": "Asia/Shanghai", "caps": {"sms_hours": "a day"}},
        flows={"cart_abandonment": {"delay_minutes": 90, "channels": ["fax"]}},
        created_at=DAYTIME_UTC,
    ).save()
    with caplog.at_level(logging.WARNING, logger="huike.config"):
        old = tenants.get_tenant("old-shop")
    assert old.settings.timezone == "Asia/Shanghai"
    assert old.settings.caps.sms_hours == 24  # the default, for the value that no longer validates
    assert old.flows.cart_abandonment.delay_minutes == 90
    assert old.flows.cart_abandonment.channels == ["sms", "email"]
    assert "caps" in caplog.text and "channels" in caplog.text


def test_a_cart_expires_sixty_days_after_its_last_update(runtime):
    import boto3

    from huike.core.events import CartData
    from huike.store import carts
    from infra.local.template import local_template

    for updated_at in (DAYTIME_UTC, DAYTIME_UTC + dt.timedelta(days=2)):
        carts.upsert_cart("demo", CartData(cart_id="cart-1", updated_at=updated_at), None)
    table = local_template().physical_name("CartsTable")
    item = boto3.client("dynamodb").get_item(
        TableName=table, Key={"tenant_shard": {"S": keys.tenant_shard("demo", "cart-1")}, "cart_id": {"S": "cart-1"}}
    )
    # DynamoDB TTL reads a Number of epoch seconds, and each update pushes it back.
    expected = DAYTIME_UTC + dt.timedelta(days=62)
    assert item["Item"]["expires_at"] == {"N": str(int(expected.timestamp()))}


def test_a_number_that_cannot_be_texted_never_replaces_a_textable_one(tenant):
    demo = tenants.get_tenant("demo")
    profile.upsert_customer(demo, CustomerData(platform_id="c-9", phone=BUYER_PHONE_NATIONAL, country="US"))
    later = profile.upsert_customer(demo, CustomerData(platform_id="c-9", phone="555-625-1199", country="US"))
    stored = customer_store.get_customer("demo", "c-9")
    assert later is not None and stored is not None
    assert (stored.phone, stored.phone_textable) == (BUYER_PHONE, True)
    assert (later.phone, later.phone_textable) == (BUYER_PHONE, True)
    # A buyer first known by an invalid number keeps it (the seller sees it), untextable ...
    profile.upsert_customer(demo, CustomerData(platform_id="c-10", phone="555-625-1199", country="US"))
    first = customer_store.get_customer("demo", "c-10")
    assert first is not None and (first.phone, first.phone_textable) == ("555-625-1199", False)
    # ... until a textable one arrives.
    profile.upsert_customer(demo, CustomerData(platform_id="c-10", phone=BUYER_PHONE_NATIONAL, country="US"))
    fixed = customer_store.get_customer("demo", "c-10")
    assert fixed is not None and (fixed.phone, fixed.phone_textable) == (BUYER_PHONE, True)
