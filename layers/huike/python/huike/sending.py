"""The one send path: every message from every flow is decided, recorded and dispatched here.

Order of checks (DESIGN.md, "Sends"): ledger (a business key is sent at most once), consent for
the channel and purpose, a valid recipient, quiet hours in the recipient's local time (deferred,
never dropped), then render and dispatch. Every decision lands on the send ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from huike import clock, policy, repository, templates
from huike.errors import BadRequest
from huike.models import Customer, SendRecord, Tenant

TRANSACTIONAL = "transactional"
MARKETING = "marketing"
FINAL_STATUSES = {"sending", "sent", "skipped"}


@dataclass
class SendRequest:
    tenant: Tenant
    customer: Customer | None
    flow: str
    purpose: str
    subject_id: str
    step: str
    channels: list[str]
    context: dict[str, Any]
    locale_hints: tuple[str | None, ...] = ()
    flow_settings: dict[str, Any] = field(default_factory=dict)

    @property
    def send_key(self) -> str:
        return f"{self.flow}#{self.subject_id}#{self.step}"


@dataclass
class SendOutcome:
    outcome: str  # sent | deferred | skipped | duplicate | exited
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
    existing = repository.send_record(request.tenant.tenant_id, request.send_key)
    if existing is not None and existing.status in FINAL_STATUSES:
        return SendOutcome("duplicate", reason=f"already {existing.status}", channel=existing.channel)

    record = SendRecord(
        request.tenant.tenant_id,
        request.send_key,
        flow=request.flow,
        purpose=request.purpose,
        customer_id=request.customer.customer_id if request.customer else None,
        decided_at=now,
        attempts=(existing.attempts if existing else 0) + 1,
    )
    channel, recipient, skip_reason = _choose_channel(request)
    if channel is None or recipient is None:
        return _record_skip(record, skip_reason or "invalid-recipient")
    record.channel, record.recipient = channel, recipient

    quiet_until = _quiet_hours_end(request, now)
    if quiet_until is not None:
        record.status, record.deferred_until, record.reason = "deferred", quiet_until, "quiet-hours"
        if not repository.claim_send(record):
            return SendOutcome("duplicate", reason="decided concurrently", channel=channel)
        return SendOutcome("deferred", reason="quiet-hours", retry_at=quiet_until, channel=channel)

    try:
        body = _render(request)
    except BadRequest as exc:
        return _record_skip(record, f"template-error: {exc}")

    record.status, record.reason, record.deferred_until = "sending", None, None
    if not repository.claim_send(record):
        return SendOutcome("duplicate", reason="claimed concurrently", channel=channel)
    message_id = _dispatch(record, channel, recipient, body, request.purpose)
    repository.mark_sent(record, message_id, body, clock.now())
    return SendOutcome("sent", channel=channel, message_id=message_id)


def _choose_channel(request: SendRequest) -> tuple[str | None, str | None, str | None]:
    customer = request.customer
    if customer is None:
        return None, None, "no-customer"
    opted_out = customer.opted_out_channels or set()
    reason = None
    for channel in request.channels:
        if channel in opted_out:
            reason = "opted-out"
            continue
        if request.purpose == MARKETING:
            reason = "no-consent"  # marketing consent arrives with the consent ledger
            continue
        if channel == "sms":
            if customer.phone and customer.phone_textable:
                return channel, customer.phone, None
            reason = reason or "invalid-recipient"
    return None, None, reason or "no-channel"


def _quiet_hours_end(request: SendRequest, now: datetime) -> datetime | None:
    tenant = request.tenant
    settings = tenant.quiet_hours or {}
    applies = request.purpose == MARKETING or settings.get("transactional", True)
    if not applies:
        return None
    customer = request.customer
    local_zone = policy.recipient_zone(
        customer.timezone if customer else None,
        customer.phone_timezone if customer else None,
        tenant.timezone,
    )
    return policy.quiet_hours_end(
        now,
        local_zone,
        policy.parse_clock_time(settings.get("start"), policy.DEFAULT_QUIET_START),
        policy.parse_clock_time(settings.get("end"), policy.DEFAULT_QUIET_END),
    )


def _render(request: SendRequest) -> str:
    customer = request.customer
    locale = templates.resolve_locale(
        customer.locale if customer else None, *request.locale_hints, request.tenant.locale
    )
    source = templates.template_source(request.flow, locale, request.flow_settings)
    context = {
        "shop": request.tenant.sender_name or request.tenant.name,
        "first_name": (customer.first_name if customer else None) or "",
        **request.context,
    }
    return templates.render(source, context)


def _dispatch(record: SendRecord, channel: str, recipient: str, body: str, purpose: str) -> str:
    from botocore.exceptions import ClientError

    from huike.adapters.sms import publish_sms

    try:
        return publish_sms(recipient, body, transactional=purpose == TRANSACTIONAL)
    except ClientError as exc:
        # A definite refusal: nothing went out, so the key may be tried again.
        repository.mark_failed(record, exc.response.get("Error", {}).get("Code", "ClientError"))
        raise


def _record_skip(record: SendRecord, reason: str) -> SendOutcome:
    record.status, record.reason = "skipped", reason
    if not repository.claim_send(record):
        return SendOutcome("duplicate", reason="decided concurrently")
    return SendOutcome("skipped", reason=reason, channel=record.channel)
