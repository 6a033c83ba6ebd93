"""The send ledger and the one send path, on PynamoDB against moto tables from template.yaml."""

from __future__ import annotations

import datetime as dt

import pytest
from moto.sns.models import sns_backends

from huike.config.flows import TemplateText
from huike.core.enums import Channel
from huike.core.events import CustomerData
from huike.customers import profile
from huike.sending.service import SendRequest, send
from huike.store import sends, tenants
from huike.store.sends import SendRecord
from tests.support.clock import DAYTIME_UTC
from tests.support.contacts import BUYER_PHONE, BUYER_PHONE_NATIONAL


def sms_messages():
    return sns_backends["123456789012"]["us-east-1"].sms_messages


def record(key, status):
    return SendRecord.key(
        "demo", key, flow="unpaid_reminder", purpose="transactional", status=status, decided_at=DAYTIME_UTC
    )


def make_request(customer, purpose="transactional", subject_id="shopify-450789469"):
    tenant = tenants.get_tenant("demo")
    # The same business key either way; the settings decide the purpose.
    settings = tenant.flows.unpaid_reminder if purpose == "transactional" else tenant.flows.cart_abandonment
    return SendRequest(
        tenant=tenant,
        customer=customer,
        flow="unpaid_reminder",
        subject_id=subject_id,
        step="reminder-1",
        settings=settings.model_copy(update={"channels": [Channel.SMS]}),
        context={"order_name": "#1001", "amount": "$409.94", "payment_link": "https://pay.example/1"},
    )


@pytest.fixture
def customer(tenant):
    data = CustomerData(platform_id="shopify-207119551", first_name="Bob", phone=BUYER_PHONE_NATIONAL, country="US")
    return profile.upsert_customer(tenants.get_tenant("demo"), data)


# -- sends.claim_send ----------------------------------------------------------------


def test_first_claim_of_a_key_succeeds(tenant):
    assert sends.claim_send(record("k#1#s", "sending"))
    assert sends.send_record("demo", "k#1#s").status == "sending"


@pytest.mark.parametrize("status", ["sending", "sent", "skipped"])
def test_second_claim_of_a_decided_key_is_refused(tenant, status):
    assert sends.claim_send(record("k#1#s", status))
    assert not sends.claim_send(record("k#1#s", "sending"))
    assert sends.send_record("demo", "k#1#s").status == status


@pytest.mark.parametrize("status", ["deferred", "failed"])
def test_deferred_or_failed_key_can_be_reclaimed(tenant, status):
    assert sends.claim_send(record("k#1#s", status))
    assert sends.claim_send(record("k#1#s", "sending"))
    assert sends.send_record("demo", "k#1#s").status == "sending"


# -- sending.send -------------------------------------------------------------------------


def test_transactional_sms_is_sent_once(customer):
    assert customer.phone == BUYER_PHONE and customer.phone_textable
    assert len(sms_messages()) == 0

    first = send(make_request(customer))
    assert first.outcome == "sent"
    assert first.channel == "sms"
    assert first.message_id
    [(phone, body)] = sms_messages().values()
    assert phone == BUYER_PHONE
    assert "#1001" in body and "$409.94" in body and "Huike Demo Store" in body
    stored = sends.send_record("demo", "unpaid_reminder#shopify-450789469#reminder-1")
    assert (stored.status, stored.message_id, stored.recipient) == ("sent", first.message_id, BUYER_PHONE)

    second = send(make_request(customer))
    assert second.outcome == "duplicate"
    assert len(sms_messages()) == 1


def test_opted_out_customer_is_skipped_and_recorded(customer):
    customer.opted_out_channels = {"sms"}
    outcome = send(make_request(customer))
    assert (outcome.outcome, outcome.reason) == ("skipped", "opted-out")
    stored = sends.send_record("demo", "unpaid_reminder#shopify-450789469#reminder-1")
    assert (stored.status, stored.reason) == ("skipped", "opted-out")
    assert len(sms_messages()) == 0


def test_marketing_without_consent_is_skipped(customer):
    outcome = send(make_request(customer, purpose="marketing"))
    assert (outcome.outcome, outcome.reason) == ("skipped", "no-consent")
    stored = sends.send_record("demo", "unpaid_reminder#shopify-450789469#reminder-1")
    assert (stored.status, stored.reason) == ("skipped", "no-consent")
    assert len(sms_messages()) == 0


def test_send_inside_quiet_hours_is_deferred_to_08h_local(runtime, customer):
    runtime.advance(to=dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC))  # 21:00 in New York
    outcome = send(make_request(customer))
    assert outcome.outcome == "deferred"
    assert outcome.reason == "quiet-hours"
    assert outcome.retry_at == dt.datetime(2026, 11, 24, 13, 0, tzinfo=dt.UTC)  # 08:00 in New York
    assert len(sms_messages()) == 0
    stored = sends.send_record("demo", "unpaid_reminder#shopify-450789469#reminder-1")
    assert (stored.status, stored.deferred_until) == ("deferred", outcome.retry_at)


def test_deferred_send_goes_out_after_quiet_hours(runtime, customer):
    runtime.advance(to=dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC))
    assert send(make_request(customer)).outcome == "deferred"
    runtime.advance(to=dt.datetime(2026, 11, 24, 13, 0, tzinfo=dt.UTC))
    outcome = send(make_request(customer))
    assert outcome.outcome == "sent"
    assert len(sms_messages()) == 1
    assert sends.send_record("demo", "unpaid_reminder#shopify-450789469#reminder-1").attempts == 2


def test_bad_customer_time_zone_falls_back_to_the_tenant_zone(customer):
    customer.timezone = "America"  # CustomerData.timezone is free text from the event
    assert send(make_request(customer)).outcome == "sent"


def test_a_name_with_line_breaks_cannot_inject_an_email_header(tenant):
    from moto.ses.models import ses_backends

    demo = tenants.get_tenant("demo")
    data = CustomerData(platform_id="c-crlf", first_name="Ann\r\nBcc: evil@example.com", email="ann@example.com")
    customer = profile.upsert_customer(demo, data)
    settings = demo.flows.payment_confirmation.model_copy(
        update={
            "channels": [Channel.EMAIL],
            "templates": {"payment_confirmation": {"en": TemplateText(subject="Thanks {{ first_name }}")}},
        }
    )
    request = SendRequest(
        tenant=demo,
        customer=customer,
        flow="payment_confirmation",
        subject_id="o-crlf",
        step="1",
        settings=settings,
        context={"order_name": "#1", "amount": "$1.00"},
    )
    assert send(request).outcome == "sent"
    raw = ses_backends["123456789012"]["us-east-1"].sent_messages[-1].raw_data
    text = raw if isinstance(raw, str) else raw.decode()
    headers = text.split("\n\n", 1)[0].replace("\r", "")
    assert "Subject: Thanks Ann Bcc: evil@example.com" in headers
    assert not any(line.startswith("Bcc:") for line in headers.splitlines())


def test_a_dispatch_error_that_is_not_a_refusal_is_recorded_as_failed(customer, monkeypatch):
    import huike.aws.sms

    def broken(*_args, **_kwargs):
        raise ValueError("unexpected provider response")

    monkeypatch.setattr(huike.aws.sms, "publish_sms", broken)
    with pytest.raises(ValueError):
        send(make_request(customer))
    stored = sends.send_record("demo", "unpaid_reminder#shopify-450789469#reminder-1")
    assert (stored.status, stored.reason) == ("failed", "ValueError: unexpected provider response")


def test_a_reminder_without_its_payment_link_is_skipped_as_incomplete_not_sent(customer):
    request = make_request(customer)
    request.context["payment_link"] = ""  # no order page and no shop URL to fall back to
    outcome = send(request)
    assert (outcome.outcome, outcome.reason) == ("skipped", "incomplete-content")
    stored = sends.send_record("demo", "unpaid_reminder#shopify-450789469#reminder-1")
    assert (stored.status, stored.reason, stored.detail) == ("skipped", "incomplete-content", "missing payment_link")
    assert sms_messages() == {}
