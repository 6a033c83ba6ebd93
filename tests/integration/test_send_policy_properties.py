"""Property-based tests of the send policy (DESIGN.md, "Sends").

For any sequence of consent changes, STOP/START replies, bounces, clock moves and send attempts:
  1. no marketing message goes to a channel without opt-in, or after opt-out, or to a suppressed
     number/address (and no message of any purpose goes to a suppressed one);
  2. no message has its send time inside quiet hours (21:00-08:00 in America/New_York, the zone of
     the buyer's +1 502 number; default tenant settings, so transactional messages too);
  3. no business key (flow#subject#step) is sent more than once.

The `runtime` fixture (moto + template.yaml) is built once per test function and reused by every
hypothesis example, so each example gets fresh identities: its own customer id, phone number,
email address and subject ids, and its checks look only at its own messages. The virtual clock
only moves forward, so later examples run days to weeks after the first; quiet hours across DST
changes are pinned by an example test. HUIKE_POLICY_EXAMPLES=500 runs a longer search.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from huike.consent import tokens, unsubscribe
from huike.core import clock
from huike.core.enums import Channel, Purpose
from huike.core.events import ConsentData, CustomerData, Event
from huike.customers import profile
from huike.ingest import service as ingest
from huike.sending.service import SendOutcome, SendRequest, send
from huike.store import consent as consent_store
from huike.store import customers as customer_store
from huike.store import sends, tenants
from huike.store.sends import SendRecord
from tests.support.contacts import SHOP_NUMBER, buyer_phone
from tests.support.stored import every

MARKETING = Purpose.MARKETING
MARKETING = Purpose.MARKETING
TENANT_ID = "demo"
NEW_YORK = ZoneInfo("America/New_York")
QUIET_START, QUIET_END = dt.time(21, 0), dt.time(8, 0)
FLOWS = ("cart_abandonment", "browse_abandonment", "win_back", "review_invite", "payment_confirmation")
CHANNEL_CHOICES = (("sms",), ("email",), ("sms", "email"), ("email", "sms"))
CONTEXT = {
    "order_name": "#1001",
    "amount": "$40.00",
    "payment_link": "https://pay.example/1",
    "product": "Tea Set",
    "review_link": "https://shop.example/review",
    "cart_link": "https://shop.example/cart",
    "product_link": "https://shop.example/p/tea-set",
    "shop_link": "https://shop.example",
}

# 502-555-0100 .. 502-555-9999: valid US mobile numbers in America/New_York (Louisville, KY).
_examples = itertools.count(100)


def in_quiet_hours(moment: dt.datetime) -> bool:
    """The policy's window, half-open: 21:00:00 is quiet, 08:00:00 is not."""
    local = moment.astimezone(NEW_YORK).time()
    return local >= QUIET_START or local < QUIET_END


def parse_utc(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)


# -- operations -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Consent:
    """A marketing consent statement for one channel, applied as the domain applies it."""

    channel: str
    granted: bool
    via: str  # "api": set_consent + record_consents; "event": upsert_customer (a customer.updated event)
    age: int = 0  # seconds the statement predates its arrival (a late or re-sent platform event)


@dataclass(frozen=True)
class Reply:
    """A two-way SMS reply from the buyer's number, delivered through the inbound topic."""

    word: str  # STOP-style or START-style


@dataclass(frozen=True)
class Bounce:
    """An SES permanent bounce or complaint for the buyer's email address."""

    kind: str  # Bounce | Complaint


@dataclass(frozen=True)
class Advance:
    seconds: int


@dataclass(frozen=True)
class AdvanceToEdge:
    """Move to the next 21:00 or 08:00 New York wall time, plus or minus a second."""

    edge: dt.time
    offset: int


@dataclass(frozen=True)
class Attempt:
    flow: str
    subject: int
    step: str
    channels: tuple[str, ...]


# Grants are drawn more often than withdrawals, and bounces (permanent) are rare, so that marketing messages
# do go out (and meet caps, quiet hours and repeated keys) instead of being skipped every time.
consents = st.builds(
    Consent,
    channel=st.sampled_from(["sms", "email"]),
    granted=st.sampled_from([True, True, False]),
    via=st.sampled_from(["api", "event"]),
)
stale_consents = st.builds(
    Consent,
    channel=st.sampled_from(["sms", "email"]),
    granted=st.booleans(),
    via=st.just("event"),
    age=st.sampled_from([1, 3600, 30 * 86400]),
)
replies = st.builds(Reply, word=st.sampled_from(["STOP", "stop", "UNSUBSCRIBE", "退订", "START", "unstop"]))
bounces = st.builds(Bounce, kind=st.sampled_from(["Bounce", "Complaint"]))
advances = st.builds(
    Advance,
    seconds=st.one_of(st.integers(0, 120), st.integers(0, 6 * 3600), st.integers(0, 30 * 3600)),
)
edges = st.builds(AdvanceToEdge, edge=st.sampled_from([QUIET_START, QUIET_END]), offset=st.sampled_from([-1, 0, 1]))
attempts = st.builds(
    Attempt,
    flow=st.one_of(st.sampled_from(FLOWS[:-1]), st.just(FLOWS[-1])),  # half marketing, half transactional
    subject=st.integers(min_value=0, max_value=2),
    step=st.sampled_from(["1", "2", "3"]),
    channels=st.sampled_from(CHANNEL_CHOICES),
)
# Weighted by drawing the kind first (st.one_of would weigh repeated branches as one).
KINDS = {"advance": (advances, 3), "attempt": (attempts, 6), "consent": (consents, 4), "stale": (stale_consents, 1)}
KINDS |= {"reply": (replies, 1), "edge": (edges, 2), "bounce": (bounces, 1)}
operations = st.sampled_from([kind for kind, (_, weight) in KINDS.items() for _ in range(weight)]).flatmap(
    lambda kind: KINDS[kind][0]
)
initial_consent = st.fixed_dictionaries(
    {"sms": st.sampled_from([None, True, True, False]), "email": st.sampled_from([None, True, True, False])}
)


# -- one example's buyer and what the test knows about them -----------------------------------
@dataclass
class Snapshot:
    """The model's view at the moment of an attempt."""

    at: dt.datetime
    consent: dict[str, bool | None]
    suppressed: frozenset[str]


@dataclass
class Sent:
    key: str
    purpose: str
    outcome: SendOutcome
    snapshot: Snapshot


@dataclass
class Buyer:
    number: int
    # The statement in force per channel, (at, granted): the latest by its own time; of two with
    # the same time, the one that arrived last.
    statements: dict[str, tuple[dt.datetime, bool] | None] = field(default_factory=lambda: {"sms": None, "email": None})
    suppressed: set[str] = field(default_factory=set)
    sent: list[Sent] = field(default_factory=list)
    sent_keys: set[str] = field(default_factory=set)
    message_ids: set[str] = field(default_factory=set)

    @property
    def customer_id(self) -> str:
        return f"prop-{self.number}"

    @property
    def phone(self) -> str:
        return buyer_phone(self.number)

    @property
    def email(self) -> str:
        return f"buyer{self.number}@example.com"

    def address(self, channel: str) -> str:
        return self.phone if channel in ("sms", "mms") else self.email

    def subject_id(self, subject: int) -> str:
        return f"{self.customer_id}-s{subject}"

    @property
    def consent(self) -> dict[str, bool | None]:
        return {channel: held[1] if held else None for channel, held in self.statements.items()}

    def state(self, channel: str, at: dt.datetime, granted: bool) -> None:
        held = self.statements[channel]
        if held is None or at >= held[0]:
            self.statements[channel] = (at, granted)

    def snapshot(self, now: dt.datetime) -> Snapshot:
        return Snapshot(now, self.consent, frozenset(self.suppressed))


def new_buyer(signup_consent: dict[str, bool | None] | None = None) -> Buyer:
    """A fresh customer, created by a sign-up event carrying its consent statements, if any."""
    buyer = Buyer(next(_examples))
    assert buyer.number < 10_000, "ran out of 502-555-xxxx numbers"
    tenant = tenants.get_tenant(TENANT_ID)
    now = clock.now()
    statements = [
        ConsentData(channel=channel, granted=granted, at=now, wording="Sign-up form")
        for channel, granted in (signup_consent or {}).items()
        if granted is not None
    ]
    data = CustomerData(
        platform_id=buyer.customer_id,
        first_name="Pat",
        phone=buyer.phone,
        email=buyer.email,
        country="US",
        consents=statements,
    )
    customer = profile.upsert_customer(tenant, data, "events")  # also appends the statements to the ledger
    assert customer is not None
    for statement in statements:
        buyer.state(statement.channel, now, statement.granted)
    stored = customer_store.get_customer(TENANT_ID, buyer.customer_id)
    assert stored is not None and stored.phone == buyer.phone and stored.phone_textable
    assert stored.phone_timezone == "America/New_York" and stored.timezone is None
    return buyer


def change_consent(runtime: Any, buyer: Buyer, op: Consent) -> None:
    at = runtime.clock.now() - dt.timedelta(seconds=op.age)
    tenant = tenants.get_tenant(TENANT_ID)
    consent = ConsentData(
        channel=op.channel,
        granted=op.granted,
        at=at,
        wording="Yes, send me offers" if op.granted else "Unsubscribe",
        proof={"ip": "203.0.113.7"},
    )
    if op.via == "api":
        customer = customer_store.get_customer(TENANT_ID, buyer.customer_id)
        assert customer is not None
        customer_store.set_consent(customer, consent, source="api")
        consent_store.record_consents(TENANT_ID, buyer.customer_id, buyer.address(op.channel), [consent], "api")
    else:  # what ingest.apply_event does with a customer.updated event carrying consents
        data = CustomerData(platform_id=buyer.customer_id, phone=buyer.phone, email=buyer.email, consents=[consent])
        profile.upsert_customer(tenant, data, "events")  # state and ledger entry in one transaction
    buyer.state(op.channel, at, op.granted)


def reply(runtime: Any, buyer: Buyer, op: Reply) -> None:
    runtime.inbound_sms(buyer.phone, SHOP_NUMBER, op.word)
    if op.word.upper() in ("START", "UNSTOP"):
        buyer.suppressed.discard(buyer.phone)
    else:
        buyer.suppressed.add(buyer.phone)
    stored = consent_store.get_suppression(TENANT_ID, buyer.phone)
    assert (stored is not None) == (buyer.phone in buyer.suppressed), f"reply {op.word!r} not applied"


def bounce(runtime: Any, buyer: Buyer, op: Bounce) -> None:
    runtime.inbound_ses(op.kind, buyer.email, TENANT_ID)
    buyer.suppressed.add(buyer.email)
    assert consent_store.get_suppression(TENANT_ID, buyer.email) is not None


def advance_to_edge(runtime: Any, op: AdvanceToEdge) -> None:
    now = runtime.clock.now()
    local = now.astimezone(NEW_YORK)
    for days in range(3):
        target = dt.datetime.combine(local.date() + dt.timedelta(days=days), op.edge, tzinfo=NEW_YORK)
        target = target.astimezone(dt.UTC) + dt.timedelta(seconds=op.offset)
        if target >= now:
            runtime.advance(to=target)
            return


def request_for(buyer: Buyer, op: Attempt) -> SendRequest:
    """A send the way a flow makes it: tenant and customer read fresh at send time."""
    tenant = tenants.get_tenant(TENANT_ID)
    channels = [Channel(channel) for channel in op.channels]
    return SendRequest(
        tenant=tenant,
        customer=customer_store.get_customer(TENANT_ID, buyer.customer_id),
        flow=op.flow,
        subject_id=buyer.subject_id(op.subject),
        step=op.step,
        settings=tenant.flows.of(op.flow).model_copy(update={"channels": channels}),
        context=dict(CONTEXT),
    )


def attempt(runtime: Any, buyer: Buyer, op: Attempt) -> None:
    now = runtime.clock.now()
    snapshot = buyer.snapshot(now)
    request = request_for(buyer, op)
    outcome = send(request)
    if currently_in_test_context():  # hypothesis statistics: how often each branch is reached
        event(f"{request.purpose} {outcome.outcome} {outcome.reason or outcome.channel}")
    marketing = request.purpose == MARKETING
    eligible = [
        c
        for c in op.channels
        if buyer.address(c) not in snapshot.suppressed and (not marketing or snapshot.consent[c] is True)
    ]
    # Checked right at the attempt, against the model's state at that moment.
    if not eligible:
        assert outcome.outcome in ("skipped", "duplicate"), (op, snapshot, outcome)
    if in_quiet_hours(now):
        assert outcome.outcome != "sent", (op, snapshot, outcome)
    if outcome.outcome == "sent":
        assert outcome.channel in op.channels and outcome.message_id, (op, outcome)
        assert buyer.address(outcome.channel) not in snapshot.suppressed, (op, snapshot, outcome)
        if marketing:
            assert snapshot.consent[outcome.channel] is True, (op, snapshot, outcome)
        assert request.send_key not in buyer.sent_keys, (op, outcome)
        buyer.sent_keys.add(request.send_key)
        buyer.message_ids.add(outcome.message_id)
        buyer.sent.append(Sent(request.send_key, request.purpose, outcome, snapshot))
    elif request.send_key in buyer.sent_keys:
        assert outcome.outcome == "duplicate", (op, outcome)


APPLY = {
    Consent: change_consent,
    Reply: reply,
    Bounce: bounce,
    Attempt: attempt,
}


def run(runtime: Any, buyer: Buyer, ops: list[Any]) -> None:
    for op in ops:
        if isinstance(op, Advance):
            runtime.advance(seconds=op.seconds)
        elif isinstance(op, AdvanceToEdge):
            advance_to_edge(runtime, op)
        else:
            APPLY[type(op)](runtime, buyer, op)


def check_outbox_and_ledger(runtime: Any, buyer: Buyer) -> None:
    """What actually went out (the emulated SNS/SES outbox) and what the ledger says."""
    mine = [m for m in runtime.outbox() if m["to"] in (buyer.phone, buyer.email)]
    by_message_id = {s.outcome.message_id: s for s in buyer.sent}
    assert len(mine) == len(buyer.sent), (mine, buyer.sent)

    keys_out: Counter[str] = Counter()
    for message in mine:
        [record] = sends.sends_by_message_id(message["message_id"])
        assert record.tenant_id == TENANT_ID and record.customer_id == buyer.customer_id
        assert record.status == "sent" and record.sent_at is not None
        assert message["sent_at"] and not in_quiet_hours(parse_utc(message["sent_at"])), message
        assert not in_quiet_hours(record.sent_at), (record.send_key, record.sent_at)
        keys_out[record.send_key] += 1
        sent = by_message_id[message["message_id"]]
        assert sent.key == record.send_key and sent.snapshot.at == record.sent_at
        assert message["to"] == buyer.address(record.channel) == record.recipient
        assert record.recipient not in sent.snapshot.suppressed
        if record.purpose == MARKETING:
            assert sent.snapshot.consent[record.channel] is True, (record.send_key, record.channel, sent.snapshot)
    assert all(count == 1 for count in keys_out.values()), keys_out

    # The consent ledger, an oracle independent of the model: before each marketing send, the
    # latest statement for its channel (by the statement's own time) was a grant. Statements in
    # the very second of the send are left to the model: the ledger cannot order them against it;
    # nor can it order a grant and a withdrawal made in the same second as each other. Only what
    # Huike had recorded before the send counts: a back-dated statement that arrives after a
    # send is history, not something the send could have known.
    history = consent_store.consent_history(TENANT_ID, buyer.customer_id)
    for sent in buyer.sent:
        channel, at = sent.outcome.channel, sent.snapshot.at
        dated = [e for e in history if e.channel == channel and e.at <= at]
        if sent.purpose != MARKETING or any(e.at >= at or e.recorded_at == at for e in dated):
            continue
        statements = [e for e in dated if e.recorded_at < at]
        assert statements, (sent.key, channel)
        latest = [e for e in statements if e.at == max(s.at for s in statements)]
        if len({e.granted for e in latest}) == 1:
            assert latest[0].granted, (sent.key, channel, statements)

    ledger = [r for r in every(SendRecord, TENANT_ID) if r.customer_id == buyer.customer_id]
    sent_records = [r for r in ledger if r.status == "sent"]
    assert Counter(r.send_key for r in sent_records) == keys_out
    assert {r.message_id for r in sent_records} == buyer.message_ids
    for record in ledger:
        assert record.status in ("sent", "skipped", "deferred"), (record.send_key, record.status, record.reason)
        if record.status == "deferred":
            assert record.deferred_until is not None and not in_quiet_hours(record.deferred_until)


# -- the property -----------------------------------------------------------------------------
@settings(
    max_examples=int(os.environ.get("HUIKE_POLICY_EXAMPLES", "30")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    daytime=st.integers(0, 13 * 3600 - 1),
    signup=initial_consent,
    ops=st.lists(operations, min_size=4, max_size=24),
)
def test_no_sequence_breaks_consent_quiet_hours_or_once_only(runtime, tenant, daytime, signup, ops):
    # Each buyer signs up at some daytime moment (08:00-21:00 in New York); the sequence moves on from there.
    advance_to_edge(runtime, AdvanceToEdge(QUIET_END, 0))
    runtime.advance(seconds=daytime)
    buyer = new_buyer(signup)
    run(runtime, buyer, ops)
    check_outbox_and_ledger(runtime, buyer)


# -- the edges, pinned --------------------------------------------------------------------------
def review_invite(step: str, channels: tuple[str, ...] = ("sms",)) -> Attempt:
    return Attempt("review_invite", 0, step, channels)


def test_consent_withdrawn_one_second_before_the_send_is_honoured(runtime, tenant):
    buyer = new_buyer()
    run(runtime, buyer, [Consent("sms", True, "api"), Advance(3600), Consent("sms", False, "event"), Advance(1)])
    run(runtime, buyer, [review_invite("1")])
    record = sends.send_record(TENANT_ID, f"review_invite#{buyer.subject_id(0)}#1")
    assert (record.status, record.reason) == ("skipped", "no-consent")
    history = consent_store.consent_history(TENANT_ID, buyer.customer_id)
    assert [(e.channel, e.granted) for e in history] == [("sms", True), ("sms", False)]
    check_outbox_and_ledger(runtime, buyer)
    assert buyer.sent == []


def test_stop_then_start_allows_marketing_again_only_with_consent(runtime, tenant):
    buyer = new_buyer()
    # STOP, then START, without marketing consent: still nothing.
    run(runtime, buyer, [Reply("STOP"), Reply("START"), review_invite("1")])
    assert sends.send_record(TENANT_ID, f"review_invite#{buyer.subject_id(0)}#1").reason == "no-consent"
    # Consent, then STOP: suppressed, whatever the consent says.
    run(runtime, buyer, [Consent("sms", True, "api"), Reply("STOP"), review_invite("2")])
    assert sends.send_record(TENANT_ID, f"review_invite#{buyer.subject_id(0)}#2").reason == "suppressed"
    # START again: the standing consent applies once more.
    run(runtime, buyer, [Advance(1), Reply("START"), Attempt("review_invite", 1, "1", ("sms",))])
    assert [s.outcome.outcome for s in buyer.sent] == ["sent"]
    assert buyer.sent[0].outcome.channel == "sms"
    check_outbox_and_ledger(runtime, buyer)


def test_deferred_marketing_rechecks_consent_when_quiet_hours_end(runtime, tenant):
    buyer = new_buyer()
    run(runtime, buyer, [Consent("email", True, "api"), AdvanceToEdge(QUIET_START, 0)])
    run(runtime, buyer, [review_invite("1", ("email",))])
    record = sends.send_record(TENANT_ID, f"review_invite#{buyer.subject_id(0)}#1")
    assert record.status == "deferred"
    run(runtime, buyer, [Consent("email", False, "api"), AdvanceToEdge(QUIET_END, 0)])
    run(runtime, buyer, [review_invite("1", ("email",))])
    record = sends.send_record(TENANT_ID, f"review_invite#{buyer.subject_id(0)}#1")
    assert (record.status, record.reason) == ("skipped", "no-consent")
    check_outbox_and_ledger(runtime, buyer)


@pytest.mark.parametrize(
    ("edge", "offset", "expected"),
    [(QUIET_START, -1, "sent"), (QUIET_START, 0, "deferred"), (QUIET_END, -1, "deferred"), (QUIET_END, 0, "sent")],
    ids=["20:59:59", "21:00:00", "07:59:59", "08:00:00"],
)
def test_quiet_hours_edges_for_transactional_messages(runtime, tenant, edge, offset, expected):
    buyer = new_buyer()
    run(runtime, buyer, [AdvanceToEdge(edge, offset), Attempt("payment_confirmation", 0, "1", ("sms", "email"))])
    record = sends.send_record(TENANT_ID, f"payment_confirmation#{buyer.subject_id(0)}#1")
    assert record.status == expected
    check_outbox_and_ledger(runtime, buyer)


@pytest.mark.parametrize(
    "quiet_end",
    [dt.datetime(2027, 3, 14, 12, 0, tzinfo=dt.UTC), dt.datetime(2027, 11, 7, 13, 0, tzinfo=dt.UTC)],
    ids=["spring-forward-08h-EDT", "fall-back-08h-EST"],
)
def test_quiet_hours_follow_new_york_wall_time_on_dst_days(runtime, tenant, quiet_end):
    buyer = new_buyer()
    key = f"payment_confirmation#{buyer.subject_id(0)}#1"
    notice = Attempt("payment_confirmation", 0, "1", ("sms",))
    runtime.advance(to=quiet_end.replace(hour=7))  # 03:00 EDT / 02:00 EST, just after the clocks change
    run(runtime, buyer, [notice])
    assert (sends.send_record(TENANT_ID, key).status, sends.send_record(TENANT_ID, key).deferred_until) == (
        "deferred",
        quiet_end,
    )
    runtime.advance(to=quiet_end - dt.timedelta(seconds=1))
    run(runtime, buyer, [notice])
    assert sends.send_record(TENANT_ID, key).status == "deferred"
    runtime.advance(to=quiet_end)
    run(runtime, buyer, [notice])
    assert [(s.outcome.outcome, s.snapshot.at) for s in buyer.sent] == [("sent", quiet_end)]
    check_outbox_and_ledger(runtime, buyer)


def test_a_key_sent_once_stays_sent_once_across_channels_and_retries(runtime, tenant):
    buyer = new_buyer()
    run(runtime, buyer, [Consent("sms", True, "api"), Consent("email", True, "event")])
    run(runtime, buyer, [Attempt("win_back", 0, "1", ("sms",)), Advance(48 * 3600)])
    run(runtime, buyer, [Attempt("win_back", 0, "1", ("email",)), Attempt("win_back", 0, "1", ("sms", "email"))])
    assert len(buyer.sent) == 1
    check_outbox_and_ledger(runtime, buyer)


# Found by the property, fixed in 933841d; kept as regression tests.
def test_a_stale_consent_statement_does_not_undo_a_later_withdrawal(runtime, tenant):
    buyer = new_buyer()
    signed_up = runtime.clock.now()
    run(runtime, buyer, [Consent("email", True, "event"), Advance(3600)])
    # The buyer clicks List-Unsubscribe in a marketing email (RFC 8058 one-click POST).
    token = tokens.token_for(tenants.get_tenant(TENANT_ID), buyer.customer_id)
    unsubscribe.unsubscribe(TENANT_ID, token, "Mozilla/5.0", "203.0.113.7")
    buyer.state("email", runtime.clock.now(), False)
    run(runtime, buyer, [Advance(3600)])
    # Then the shop platform sends a customer update (an address change, or a delayed delivery)
    # that still carries the consent it captured at sign-up, an hour before the withdrawal.
    stale = ConsentData(channel="email", granted=True, at=signed_up, proof={"opt_in_level": "single_opt_in"})
    update = Event(
        id=f"customer-update-{buyer.number}",
        type="customer.updated",
        occurred_at=runtime.clock.now(),
        source="shopify",
        customer=CustomerData(platform_id=buyer.customer_id, email=buyer.email, consents=[stale]),
    )
    ingest.apply_event(tenants.get_tenant(TENANT_ID), update)
    history = consent_store.consent_history(TENANT_ID, buyer.customer_id)
    latest = max(history, key=lambda entry: entry.at)
    assert (latest.source, latest.granted) == ("list-unsubscribe", False)  # the ledger knows the latest word
    run(runtime, buyer, [Advance(60), Attempt("win_back", 0, "1", ("email",))])
    record = sends.send_record(TENANT_ID, f"win_back#{buyer.subject_id(0)}#1")
    assert (record.status, record.reason) == ("skipped", "no-consent")
    check_outbox_and_ledger(runtime, buyer)


@pytest.mark.parametrize(
    ("first", "fallback", "suppress"),
    [("sms", "email", Bounce("Bounce")), ("email", "sms", Reply("STOP"))],
    ids=["bounced-email-after-capped-sms", "stopped-sms-after-capped-email"],
)
def test_a_capped_first_channel_does_not_hand_the_send_to_a_suppressed_fallback(
    runtime, tenant, first, fallback, suppress
):
    buyer = new_buyer({"sms": True, "email": True})
    run(runtime, buyer, [Attempt("cart_abandonment", 0, "1", (first,)), suppress, Advance(60)])
    assert [s.outcome.channel for s in buyer.sent] == [first]  # the first channel is now capped
    assert buyer.address(fallback) in buyer.suppressed
    run(runtime, buyer, [Attempt("cart_abandonment", 1, "1", (first, fallback))])
    record = sends.send_record(TENANT_ID, f"cart_abandonment#{buyer.subject_id(1)}#1")
    assert record.status == "skipped" and record.reason in ("capped", "suppressed")
    assert [m for m in runtime.outbox() if m["to"] == buyer.address(fallback)] == []
    check_outbox_and_ledger(runtime, buyer)


def test_every_consent_statement_stays_on_the_ledger(runtime, tenant):
    buyer = new_buyer({"sms": True})  # sign-up form: granted
    # In the same second: a withdrawal through the API, then a platform event granting again.
    run(runtime, buyer, [Consent("sms", False, "api"), Consent("sms", True, "event")])
    history = consent_store.consent_history(TENANT_ID, buyer.customer_id)
    assert sorted((e.granted, e.source) for e in history) == [(False, "api"), (True, "events"), (True, "events")]
