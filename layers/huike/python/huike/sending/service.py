"""The one send path: every message from every flow is decided, recorded and dispatched here.

1. The ledger: a business key (keys.send_key) that was already sent, is sending or was skipped
   is a duplicate; only deferred or failed keys are decided again.
2. Facts: the recipient's contacts (an order's own contact for that order's messages, else the
   profile's), consent, recent marketing sends and reservations, the tenant's
   settings, flow priorities, and which candidate addresses are suppressed (one read).
3. The pure policy (policy.decide) says send, defer or skip, and which channels in which order.
4. Render (a template error is the seller's: skipped with its reason), claim the key, dispatch
   with fallback MMS -> SMS -> email on a channel's refusal, record the outcome.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from huike.aws import metrics
from huike.config.flows import FlowSettings
from huike.config.tenant import TenantConfig
from huike.core import clock, keys
from huike.core.enums import (
    FINAL_STATUSES,
    FLOW_NAMES,
    Channel,
    Outcome,
    Purpose,
    SendStatus,
    SkipReason,
    SuppressionReason,
)
from huike.core.errors import BadRequest
from huike.core.masking import mask_identifiers
from huike.sending import policy, templates
from huike.store import consent as consent_store
from huike.store import customers as customer_store
from huike.store import sends
from huike.store.customers import Customer
from huike.store.orders import Contact
from huike.store.sends import SendRecord


@dataclass
class SendRequest:
    tenant: TenantConfig
    customer: Customer | None
    flow: str
    subject_id: str
    step: str
    settings: FlowSettings
    context: dict[str, Any]
    template: str | None = None
    locale_hints: tuple[str | None, ...] = ()
    media_urls: list[str] = field(default_factory=list)
    # An order's own contact, for that order's messages: used before the profile's, per channel.
    contact: Contact | None = None

    @property
    def purpose(self) -> Purpose:
        return self.settings.purpose

    @property
    def send_key(self) -> str:
        return keys.send_key(self.flow, self.subject_id, self.step)

    @property
    def reservation_key(self) -> str:
        return keys.reservation_key(self.flow, self.subject_id)


@dataclass(frozen=True)
class Wording:
    """A message's rendered parts: the text for SMS/MMS, the email subject and body."""

    text: str
    subject: str
    email_text: str


@dataclass
class SendOutcome:
    outcome: Outcome
    reason: str | None = None
    retry_at: datetime | None = None
    channel: str | None = None
    message_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "reason": self.reason,
            "retry_at": clock.to_iso(self.retry_at) if self.retry_at else None,
            "channel": self.channel,
            "message_id": self.message_id,
        }


def send(request: SendRequest) -> SendOutcome:
    now = clock.now()
    tenant_id = request.tenant.tenant_id
    existing = sends.send_record(tenant_id, request.send_key)
    if existing is not None and existing.status in FINAL_STATUSES:
        return SendOutcome(Outcome.DUPLICATE, reason=f"already {existing.status}", channel=existing.channel)
    record = SendRecord.key(
        tenant_id,
        request.send_key,
        flow=request.flow,
        purpose=request.purpose,
        customer_id=request.customer.customer_id if request.customer else None,
        decided_at=now,
        attempts=(existing.attempts if existing else 0) + 1,
    )
    decision = policy.decide(_facts(request, now))
    first = decision.first
    record.channel, record.recipient = (first.channel, first.recipient) if first else (None, None)

    if decision.verdict is policy.Verdict.SKIP:
        if decision.release_reservation and request.customer is not None:
            customer_store.release_marketing(request.customer, request.reservation_key)
        return _record_skip(record, str(decision.reason), decision.detail)
    if decision.verdict is policy.Verdict.DEFER:
        record.status, record.deferred_until, record.reason = SendStatus.DEFERRED, decision.defer_until, decision.reason
        if not sends.claim_send(record):
            return SendOutcome(Outcome.DUPLICATE, reason="decided concurrently")
        return SendOutcome(
            Outcome.DEFERRED, reason=decision.reason, retry_at=decision.defer_until, channel=record.channel
        )

    locale = templates.resolve_locale(
        request.customer.locale if request.customer else None, *request.locale_hints, request.tenant.settings.locale
    )
    template = request.template or request.flow
    parts = ("text", "subject", "email_text")
    sources = tuple(templates.template_source(template, locale, part, request.settings) for part in parts)
    try:
        text, subject, email_text = (_render(request, locale, source) for source in sources)
    except BadRequest as exc:
        return _record_skip(record, SkipReason.TEMPLATE_ERROR, str(exc))
    missing = templates.missing_content(template, sources, request.context)
    if missing:
        if request.purpose is Purpose.MARKETING and request.customer is not None:
            customer_store.release_marketing(request.customer, request.reservation_key)
        return _record_skip(record, SkipReason.INCOMPLETE_CONTENT, f"missing {', '.join(missing)}")
    record.status, record.reason, record.deferred_until = SendStatus.SENDING, None, None
    if not sends.claim_send(record):
        return SendOutcome(Outcome.DUPLICATE, reason="claimed concurrently")
    return _dispatch(request, record, decision.routes, Wording(text, subject, email_text), locale)


# -- facts -----------------------------------------------------------------------------------------
def customer_facts(customer: Customer, contact: Contact | None = None) -> policy.CustomerFacts:
    """The customer's facts; with `contact` (an order's own), its textable phone and valid email
    are the recipient's, and the profile's stand in only where the order has none usable."""
    phone: str | None = customer.phone
    phone_timezone: str | None = customer.phone_timezone
    email: str | None = customer.email
    phone_textable, email_valid = bool(customer.phone_textable), bool(customer.email_valid)
    if contact is not None and contact.phone and contact.phone_textable:
        phone, phone_textable, phone_timezone = contact.phone, True, contact.phone_timezone
    if contact is not None and contact.email and contact.email_valid:
        email, email_valid = contact.email, True
    return policy.CustomerFacts(
        customer_id=customer.customer_id,
        phone=phone,
        phone_textable=phone_textable,
        phone_timezone=phone_timezone,
        email=email,
        email_valid=email_valid,
        timezone=customer.timezone,
        locale=customer.locale,
        opted_out=frozenset(Channel(c) for c in customer.opted_out_channels or ()),
        marketing_consent=frozenset(c for c in Channel if customer.has_marketing_consent(c)),
        recent_marketing=tuple(
            policy.RecentSend(clock.parse_iso(s["at"]), Channel(s["channel"]), s["flow"])
            for s in customer.marketing_sends or []
        ),
        pending=customer.pending_sends(),
    )


def _facts(request: SendRequest, now: datetime) -> policy.SendFacts:
    facts = policy.SendFacts(
        flow=request.flow,
        purpose=request.purpose,
        subject_id=request.subject_id,
        channels=tuple(request.settings.channels),
        customer=customer_facts(request.customer, request.contact) if request.customer is not None else None,
        tenant=request.tenant.settings,
        now=now,
        # Caps, and so flow priorities, apply to marketing only (a notice builds no other flow's settings).
        priorities=request.tenant.flows.priorities() if request.purpose is Purpose.MARKETING else {},
    )
    addresses = policy.addresses_to_check(facts.channels, facts.purpose, facts.customer)
    found = consent_store.suppressions_among(request.tenant.tenant_id, addresses, request.tenant.pseudonym_key)
    suppressed = frozenset(
        address
        for address, entry in found.items()
        if not (entry.reason == SuppressionReason.ERASED and _consented_since(request.customer, address, entry.at))
    )
    return dataclasses.replace(facts, suppressed=suppressed)


def _consented_since(customer: Customer | None, address: str, erased_at: datetime) -> bool:
    """An erased person who gave consent again (after the erasure) may be messaged on that channel."""
    if customer is None:
        return False
    channel = Channel.EMAIL if "@" in address else Channel.SMS
    state = customer.consent_state(channel) or {}
    return bool(state.get("granted")) and clock.parse_iso(state["at"]) > erased_at


# -- rendering -------------------------------------------------------------------------------------
def _render(request: SendRequest, locale: str, source: str) -> str:
    customer = request.customer
    context = {
        "shop": request.tenant.shop_name,
        "first_name": (customer.first_name if customer else None) or "",
        "coupon": request.settings.coupon or "",
        **request.context,
    }
    return templates.render(source, templates.localise(context, locale))


# -- dispatch --------------------------------------------------------------------------------------
def _dispatch(
    request: SendRequest,
    record: SendRecord,
    routes: tuple[policy.Route, ...],
    wording: Wording,
    locale: str,
) -> SendOutcome:
    from botocore.exceptions import ClientError

    from huike.aws.errors import is_retryable

    opt_out = request.tenant.settings.opt_out_text(locale)
    unsubscribe = _unsubscribe_url(request)
    footer = templates.marketing_email_footer(locale, unsubscribe, request.tenant.settings.postal_address)
    last_error: ClientError | None = None
    for route in routes:
        text = wording.text if route.channel.is_phone else wording.email_text
        body = policy.body_for(route.channel, text, request.purpose, opt_out, footer)
        try:
            message_id = _deliver(request, route, body, wording.subject, unsubscribe)
        except ClientError as exc:
            if is_retryable(exc):
                # A throttle or an outage is not this recipient refusing the channel: no fallback.
                # The key stays retryable; the caller's retry (the task's Retry, the stream's)
                # tries this channel again with backoff.
                reason = f"retryable: {exc.response.get('Error', {}).get('Code', 'ClientError')}"
                sends.mark_failed(record, reason)
                metrics.count_failed_send(request.flow, route.channel, reason)
                raise
            last_error = exc  # a definite refusal: fall back to the next channel (MMS -> SMS -> email)
            continue
        except Exception as exc:  # a bug or bad data, not a refusal: record it, never leave "sending"
            reason = f"{type(exc).__name__}: {exc}"[:500]
            sends.mark_failed(record, reason)
            metrics.count_failed_send(request.flow, route.channel, reason)
            raise
        sent_at = clock.now()
        sends.mark_sent(record, route.channel, route.recipient, message_id, body, sent_at)
        if request.purpose is Purpose.MARKETING and request.customer is not None:
            customer_store.note_marketing_send(
                request.customer, route.channel, request.flow, request.reservation_key, sent_at
            )
        return SendOutcome(Outcome.SENT, channel=route.channel, message_id=message_id)
    # Every channel refused: nothing went out, so the key stays retryable (Step Functions retries).
    assert last_error is not None
    reason = last_error.response.get("Error", {}).get("Code", "ClientError")
    sends.mark_failed(record, reason)
    metrics.count_failed_send(request.flow, routes[-1].channel if routes else None, reason)
    raise last_error


def _unsubscribe_url(request: SendRequest) -> str | None:
    if request.purpose is not Purpose.MARKETING or request.customer is None:
        return None
    from huike.config.env import environment
    from huike.consent.tokens import unsubscribe_url

    return unsubscribe_url(request.tenant, request.customer.customer_id, environment().public_base_url)


def _deliver(request: SendRequest, route: policy.Route, body: str, subject: str, unsubscribe: str | None) -> str:
    tenant = request.tenant
    sender = tenant.settings.sender
    marketing = request.purpose is Purpose.MARKETING
    if route.channel is Channel.SMS:
        from huike.aws.sms import publish_sms

        return publish_sms(route.recipient, body, transactional=not marketing, origination_number=sender.sms_number)
    if route.channel is Channel.MMS:
        from huike.aws.mms import send_media_message

        return send_media_message(sender.sms_number or "", route.recipient, body, request.media_urls)
    from huike.aws.email import send_email
    from huike.config.env import environment
    from huike.consent.tokens import list_unsubscribe_headers

    return send_email(
        sender=sender.email or "",
        sender_name=tenant.shop_name,
        recipient=route.recipient,
        subject=subject,
        text=body,
        headers=list_unsubscribe_headers(unsubscribe),
        configuration_set=environment().email_configuration_set,
        tags={"tenant_id": tenant.tenant_id, "flow": request.flow},
    )


# -- ledger ------------------------------------------------------------------------------------------
def record_exit(tenant: TenantConfig, flow: str, subject_id: str, step: str, why: str) -> None:
    """A flow that stops before sending still leaves its decision on the ledger (skipped: exited)."""
    _record_skip(_flow_record(tenant, flow, subject_id, step), SkipReason.EXITED, why)


def record_failure(tenant: TenantConfig, flow: str, subject_id: str, step: str, error: str, cause: str) -> None:
    """A flow step whose retries ran out leaves a failed key (re-decidable, listed in the send
    log), unless the key was decided for good; the execution then fails (an alarm watches)."""
    record = _flow_record(tenant, flow, subject_id, step)
    record.status, record.reason = SendStatus.FAILED, f"retries-exhausted: {error}"[:200]
    record.detail = mask_identifiers(cause)[:500] or None
    sends.claim_send(record)


def _flow_record(tenant: TenantConfig, flow: str, subject_id: str, step: str) -> SendRecord:
    """A ledger record for a flow's send key, decided now without a send."""
    purpose = tenant.flows.of(flow).purpose if flow in FLOW_NAMES else Purpose.TRANSACTIONAL
    return SendRecord.key(
        tenant.tenant_id,
        keys.send_key(flow, subject_id, step),
        flow=flow,
        purpose=purpose,
        decided_at=clock.now(),
        attempts=1,
    )


def _record_skip(record: SendRecord, reason: str, detail: str | None = None) -> SendOutcome:
    record.status, record.reason, record.detail = SendStatus.SKIPPED, reason, detail
    if not sends.claim_send(record):
        return SendOutcome(Outcome.DUPLICATE, reason="decided concurrently")
    return SendOutcome(Outcome.SKIPPED, reason=reason, channel=record.channel)
