"""The pure send policy (huike.sending.policy.decide), exercised directly: no moto, no I/O.

For any customer, tenant settings, channel order, suppressions, recent sends, reservations and
moment, the decision:
  1. sends or defers only on channels of the flow, to the customer's own valid address, in the
     flow's order, never to a suppressed address;
  2. marketing only with opt-in and under every cap; transactional never to an opted-out channel;
  3. never sends inside quiet hours (where they apply) and defers to their end, within a day;
  4. skips only when no channel could be used (no wrong skip when one is usable and uncapped);
  5. is a function of its facts (same facts, same decision).
HUIKE_POLICY_EXAMPLES sets the number of examples (default 1,000 per property).
"""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huike.config.flows import FlowsConfig
from huike.config.tenant import Caps, QuietHours, TenantSettings
from huike.core import keys
from huike.core.enums import Channel, DeferReason, FlowName, Purpose, SkipReason
from huike.core.zones import recipient_zone
from huike.sending.policy import (
    CustomerFacts,
    RecentSend,
    SendFacts,
    Verdict,
    addresses_to_check,
    body_for,
    decide,
)

EXAMPLES = int(os.environ.get("HUIKE_POLICY_EXAMPLES", "1000"))
PHONE, EMAIL = "+15025550134", "Buyer@Example.com"
FLOWS = FlowsConfig()
ZONES = [None, "America/New_York", "Asia/Shanghai", "Europe/London", "Not/AZone"]
policy_settings = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

moments = st.datetimes(
    min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2027, 12, 31), timezones=st.just(dt.UTC)
)
channel_sets = st.frozensets(st.sampled_from(list(Channel)))


@st.composite
def customers(draw: st.DrawFn, now: dt.datetime, subject: str) -> CustomerFacts:
    recent = draw(
        st.lists(
            st.builds(
                RecentSend,
                at=st.integers(0, 240).map(lambda hours: now - dt.timedelta(hours=hours)),
                channel=st.sampled_from(list(Channel)),
                flow=st.sampled_from(list(FLOWS.priorities())),
            ),
            max_size=5,
        )
    )
    pending_flows = draw(st.lists(st.sampled_from(list(FLOWS.priorities())), max_size=3, unique=True))
    pending = {
        keys.reservation_key(flow, draw(st.sampled_from([subject, "other"]))): now
        + dt.timedelta(minutes=draw(st.integers(-600, 3000)))
        for flow in pending_flows
    }
    return CustomerFacts(
        customer_id="c-1",
        phone=draw(st.sampled_from([None, PHONE])),
        phone_textable=draw(st.booleans()),
        phone_timezone=draw(st.sampled_from(ZONES)),
        email=draw(st.sampled_from([None, EMAIL])),
        email_valid=draw(st.booleans()),
        timezone=draw(st.sampled_from(ZONES)),
        opted_out=draw(channel_sets),
        marketing_consent=draw(channel_sets),
        recent_marketing=tuple(recent),
        pending=pending,
    )


@st.composite
def tenant_settings(draw: st.DrawFn) -> TenantSettings:
    return TenantSettings(
        timezone=draw(st.sampled_from(["UTC", "America/New_York", "Asia/Shanghai"])),
        quiet_hours=QuietHours(
            start=dt.time(draw(st.integers(0, 23))),
            end=dt.time(draw(st.integers(0, 23))),
            transactional=draw(st.booleans()),
        ),
        caps=Caps(
            sms_hours=draw(st.integers(0, 48)), email_hours=draw(st.integers(0, 48)), weekly=draw(st.integers(0, 5))
        ),
    )


@st.composite
def send_facts(draw: st.DrawFn) -> SendFacts:
    now = draw(moments)
    flow = draw(st.sampled_from(list(FlowName)))
    subject = "order-1"
    customer = draw(
        st.one_of(st.none(), customers(now, subject)) if draw(st.integers(0, 20)) == 0 else customers(now, subject)
    )
    channels = tuple(draw(st.lists(st.sampled_from(list(Channel)), unique=True, max_size=3)))
    suppressed = draw(st.frozensets(st.sampled_from([PHONE.lower(), EMAIL.lower()])))
    return SendFacts(
        flow=flow,
        purpose=FLOWS.of(flow).purpose,
        subject_id=subject,
        channels=channels,
        customer=customer,
        tenant=draw(tenant_settings()),
        now=now,
        priorities=FLOWS.priorities(),
        suppressed=suppressed,
    )


def in_quiet_hours(moment: dt.datetime, zone: ZoneInfo, quiet: QuietHours) -> bool:
    """An independent statement of the window: [start, end), across midnight when start > end."""
    local = moment.astimezone(zone).time()
    if quiet.start == quiet.end:
        return False
    if quiet.start < quiet.end:
        return quiet.start <= local < quiet.end
    return local >= quiet.start or local < quiet.end


def quiet_hours_apply(facts: SendFacts) -> bool:
    return facts.purpose is Purpose.MARKETING or facts.tenant.quiet_hours.transactional


def zone_of(facts: SendFacts) -> ZoneInfo:
    assert facts.customer is not None
    return recipient_zone(facts.customer.timezone, facts.customer.phone_timezone, facts.tenant.timezone)


def over_cap(facts: SendFacts, channel: Channel) -> bool:
    assert facts.customer is not None
    window = facts.tenant.caps.window(channel)
    recent = facts.customer.recent_marketing
    same_family = any(s.channel.family is channel.family and facts.now - s.at < window for s in recent)
    weekly = sum(1 for s in recent if facts.now - s.at < dt.timedelta(days=7)) >= facts.tenant.caps.weekly
    return same_family or weekly


@policy_settings
@given(send_facts())
def test_routes_go_only_where_the_buyer_can_and_may_be_reached(facts: SendFacts) -> None:
    decision = decide(facts)
    assert decision == decide(facts)
    if decision.verdict is Verdict.SKIP:
        assert isinstance(decision.reason, SkipReason)
        return
    customer = facts.customer
    assert customer is not None and decision.routes
    positions = [facts.channels.index(route.channel) for route in decision.routes]
    assert positions == sorted(positions)
    checked = {address.lower() for address in addresses_to_check(facts.channels, facts.purpose, customer)}
    for route in decision.routes:
        assert route.recipient == customer.address(route.channel)
        assert route.recipient.lower() not in facts.suppressed
        assert route.recipient.lower() in checked  # its suppression was asked for
        if facts.purpose is Purpose.MARKETING:
            assert route.channel in customer.marketing_consent
            assert not over_cap(facts, route.channel)
        else:
            assert route.channel not in customer.opted_out


@policy_settings
@given(send_facts())
def test_nothing_is_sent_in_quiet_hours_and_deferrals_end_with_them(facts: SendFacts) -> None:
    decision = decide(facts)
    if decision.verdict is Verdict.SEND and quiet_hours_apply(facts):
        assert not in_quiet_hours(facts.now, zone_of(facts), facts.tenant.quiet_hours)
    if decision.verdict is Verdict.DEFER:
        assert decision.reason is DeferReason.QUIET_HOURS and decision.defer_until is not None
        assert quiet_hours_apply(facts)
        assert in_quiet_hours(facts.now, zone_of(facts), facts.tenant.quiet_hours)
        assert facts.now < decision.defer_until <= facts.now + dt.timedelta(hours=25)
        assert not in_quiet_hours(decision.defer_until, zone_of(facts), facts.tenant.quiet_hours)


@policy_settings
@given(send_facts())
def test_a_usable_channel_is_never_skipped(facts: SendFacts) -> None:
    customer = facts.customer
    if customer is None or customer.pending:
        return
    usable = [
        channel
        for channel in facts.channels
        if (address := customer.address(channel)) is not None
        and address.lower() not in facts.suppressed
        and (
            channel in customer.marketing_consent and not over_cap(facts, channel)
            if facts.purpose is Purpose.MARKETING
            else channel not in customer.opted_out
        )
    ]
    decision = decide(facts)
    assert (decision.verdict is not Verdict.SKIP) == bool(usable), decision


@policy_settings
@given(send_facts())
def test_a_passed_over_marketing_send_frees_its_reservation(facts: SendFacts) -> None:
    decision = decide(facts)
    if decision.verdict is Verdict.SKIP and facts.customer is not None:
        assert decision.release_reservation == (facts.purpose is Purpose.MARKETING)
    else:
        assert not decision.release_reservation


def facts_for(flow: FlowName, customer: CustomerFacts | None, **overrides: object) -> SendFacts:
    base = {
        "flow": flow,
        "purpose": FLOWS.of(flow).purpose,
        "subject_id": "order-1",
        "channels": (Channel.SMS, Channel.EMAIL),
        "customer": customer,
        "tenant": TenantSettings(timezone="America/New_York"),
        "now": dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC),  # 10:00 in New York
        "priorities": FLOWS.priorities(),
    }
    return SendFacts(**{**base, **overrides})  # type: ignore[arg-type]


BUYER = CustomerFacts(
    customer_id="c-1",
    phone=PHONE,
    phone_textable=True,
    email=EMAIL,
    email_valid=True,
    timezone="America/New_York",
    marketing_consent=frozenset({Channel.SMS, Channel.EMAIL}),
)


def test_the_strongest_reason_is_recorded_when_every_channel_is_refused() -> None:
    refused = CustomerFacts(
        customer_id="c-1",
        phone=PHONE,
        phone_textable=True,
        email="bad",
        email_valid=False,
        marketing_consent=frozenset({Channel.SMS, Channel.EMAIL}),
    )
    decision = decide(facts_for(FlowName.CART_ABANDONMENT, refused, suppressed=frozenset({PHONE})))
    assert (decision.verdict, decision.reason) == (Verdict.SKIP, SkipReason.SUPPRESSED)
    assert decision.detail == "sms: suppressed; email: invalid-recipient"


def test_a_suppressed_first_channel_hands_a_notice_to_the_next() -> None:
    decision = decide(facts_for(FlowName.PAYMENT_CONFIRMATION, BUYER, suppressed=frozenset({PHONE})))
    assert decision.verdict is Verdict.SEND
    assert [route.channel for route in decision.routes] == [Channel.EMAIL]


def test_a_flow_yields_to_a_higher_priority_one_due_within_the_cap_window() -> None:
    now = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)
    cart_due = {keys.reservation_key(FlowName.CART_ABANDONMENT, "cart-9"): now + dt.timedelta(hours=2)}
    waiting = CustomerFacts(**{**BUYER.__dict__, "pending": cart_due})
    browse = decide(facts_for(FlowName.BROWSE_ABANDONMENT, waiting, channels=(Channel.SMS,)))
    assert (browse.verdict, browse.reason) == (Verdict.SKIP, SkipReason.CAPPED)
    assert "yields to cart_abandonment" in (browse.detail or "")
    cart = decide(facts_for(FlowName.CART_ABANDONMENT, waiting, subject_id="cart-9", channels=(Channel.SMS,)))
    assert cart.verdict is Verdict.SEND


def test_a_night_notice_is_deferred_to_eight_in_the_buyers_morning() -> None:
    night = dt.datetime(2026, 11, 24, 3, 30, tzinfo=dt.UTC)  # 22:30 in New York
    decision = decide(facts_for(FlowName.SHIPPING_NOTICE, BUYER, now=night))
    assert decision.verdict is Verdict.DEFER
    assert decision.defer_until == dt.datetime(2026, 11, 24, 13, 0, tzinfo=dt.UTC)  # 08:00 New York


def test_transactional_quiet_hours_can_be_switched_off_but_marketing_ones_cannot() -> None:
    night = dt.datetime(2026, 11, 24, 3, 30, tzinfo=dt.UTC)
    tenant = TenantSettings(timezone="America/New_York", quiet_hours=QuietHours(transactional=False))
    assert decide(facts_for(FlowName.SHIPPING_NOTICE, BUYER, now=night, tenant=tenant)).verdict is Verdict.SEND
    assert decide(facts_for(FlowName.CART_ABANDONMENT, BUYER, now=night, tenant=tenant)).verdict is Verdict.DEFER


@pytest.mark.parametrize(
    ("channel", "purpose", "expected"),
    [
        (Channel.SMS, Purpose.MARKETING, "Hi Reply STOP to opt out"),
        (Channel.MMS, Purpose.MARKETING, "Hi Reply STOP to opt out"),
        (Channel.EMAIL, Purpose.MARKETING, "Hi"),
        (Channel.SMS, Purpose.TRANSACTIONAL, "Hi"),
    ],
)
def test_marketing_texts_carry_the_opt_out_wording_once(channel: Channel, purpose: Purpose, expected: str) -> None:
    assert body_for(channel, "Hi", purpose, "Reply STOP to opt out") == expected
    assert body_for(channel, expected, purpose, "Reply STOP to opt out") == expected
