"""The one send path: every message from every flow is decided, recorded and dispatched here.

Order of checks (DESIGN.md, "Sends"): the ledger (a business key is sent at most once); per
channel, in the flow's order: a valid recipient, consent for the purpose, suppression; frequency
caps and flow priority (marketing); quiet hours in the recipient's local time (deferred, never
dropped); then render and dispatch, falling back MMS -> SMS -> email. Every decision is written to
the send ledger with its outcome and reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from huike.core import clock
from huike.core.errors import BadRequest
from huike.sending import policy, templates
from huike.store import repository
from huike.store.models import Customer, SendRecord, Tenant

TRANSACTIONAL = "transactional"
MARKETING = "marketing"
FINAL_STATUSES = {"sending", "sent", "skipped"}
# Reasons a channel is passed over, strongest first: the ledger records the strongest one met.
REASON_STRENGTH = ("suppressed", "opted-out", "no-consent", "invalid-recipient")


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
    template: str | None = None
    locale_hints: tuple[str | None, ...] = ()
    flow_settings: dict[str, Any] = field(default_factory=dict)
    media_urls: list[str] = field(default_factory=list)

    @property
    def send_key(self) -> str:
        return f"{self.flow}#{self.subject_id}#{self.step}"

    @property
    def reservation_key(self) -> str:
        return f"{self.flow}#{self.subject_id}"


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


@dataclass
class _Candidate:
    channel: str
    recipient: str
    suppression_checked: bool = True


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
    if request.customer is None:
        return _record_skip(record, "invalid-recipient", "no customer on the event")
    candidates, reason, detail = _eligible_channels(request)
    if not candidates:
        _release(request)
        return _record_skip(record, reason, detail)
    record.channel, record.recipient = candidates[0].channel, candidates[0].recipient

    if request.purpose == MARKETING:
        # Caps are per channel: a channel over its cap is passed over for the next one.
        cap_reasons = {c.channel: _cap_reason(request, c.channel, now) for c in candidates}
        uncapped = [c for c in candidates if cap_reasons[c.channel] is None]
        if not uncapped:
            _release(request)
            return _record_skip(record, "capped", cap_reasons[candidates[0].channel])
        candidates = _first_unsuppressed(request, uncapped)
        if not candidates:
            _release(request)
            return _record_skip(record, "suppressed", "every channel under its cap is suppressed")
        record.channel, record.recipient = candidates[0].channel, candidates[0].recipient

    quiet_until = _quiet_hours_end(request, now)
    if quiet_until is not None:
        record.status, record.deferred_until, record.reason = "deferred", quiet_until, "quiet-hours"
        if not repository.claim_send(record):
            return SendOutcome("duplicate", reason="decided concurrently")
        return SendOutcome("deferred", reason="quiet-hours", retry_at=quiet_until, channel=record.channel)

    try:
        locale = _locale(request)
        text = _render(request, locale, "text")
        subject = _render(request, locale, "subject")
    except BadRequest as exc:
        return _record_skip(record, "template-error", str(exc))

    record.status, record.reason, record.deferred_until = "sending", None, None
    if not repository.claim_send(record):
        return SendOutcome("duplicate", reason="claimed concurrently")
    return _dispatch(request, record, candidates, text, subject, locale)


# -- eligibility ---------------------------------------------------------------------------
def _eligible_channels(request: SendRequest) -> tuple[list[_Candidate], str, str]:
    customer = request.customer
    assert customer is not None
    candidates: list[_Candidate] = []
    problems: list[tuple[str, str]] = []
    suppressed: dict[str, bool] = {}
    for channel in request.channels:
        recipient = _address(customer, channel)
        if recipient is None:
            problems.append((channel, "invalid-recipient"))
            continue
        if request.purpose == TRANSACTIONAL and channel in (customer.opted_out_channels or set()):
            problems.append((channel, "opted-out"))
            continue
        if request.purpose == MARKETING and not customer.has_marketing_consent(channel):
            problems.append((channel, "no-consent"))
            continue
        if candidates:  # a fallback: its suppression is read only if it is ever used
            candidates.append(_Candidate(channel, recipient, suppression_checked=False))
            continue
        if recipient not in suppressed:
            suppressed[recipient] = _is_suppressed(request, recipient)
        if suppressed[recipient]:
            problems.append((channel, "suppressed"))
            continue
        candidates.append(_Candidate(channel, recipient))
    if candidates or not problems:
        return candidates, "invalid-recipient", "no channel configured"
    strongest = min(problems, key=lambda p: REASON_STRENGTH.index(p[1]))[1]
    return [], strongest, "; ".join(f"{c}: {r}" for c, r in problems)


def _first_unsuppressed(request: SendRequest, candidates: list[_Candidate]) -> list[_Candidate]:
    """Drop leading fallbacks whose suppression was never read and turns out to be set."""
    while candidates and not candidates[0].suppression_checked:
        if not _is_suppressed(request, candidates[0].recipient):
            candidates[0].suppression_checked = True
            break
        candidates = candidates[1:]
    return candidates


def _is_suppressed(request: SendRequest, address: str) -> bool:
    return repository.get_suppression(request.tenant.tenant_id, address) is not None


def _address(customer: Customer, channel: str) -> str | None:
    if channel in ("sms", "mms"):
        return customer.phone if customer.phone and customer.phone_textable else None
    if channel == "email":
        return customer.email if customer.email and customer.email_valid else None
    return None


# -- frequency caps and priority -------------------------------------------------------------
DEFAULT_CAP_HOURS = {"email": 16, "sms": 24, "mms": 24}
DEFAULT_WEEKLY_CAP = 3
DEFAULT_PRIORITY = ("cart_abandonment", "review_invite", "win_back", "browse_abandonment", "birthday")


def _family(channel: str) -> str:
    return "sms" if channel in ("sms", "mms") else channel


def _cap_reason(request: SendRequest, channel: str, now: datetime) -> str | None:
    customer = request.customer
    assert customer is not None
    caps = request.tenant.flows.get("caps", {}) if request.tenant.flows else {}
    window = timedelta(hours=float(caps.get(f"{_family(channel)}_hours", DEFAULT_CAP_HOURS[channel])))
    weekly_cap = int(caps.get("weekly", DEFAULT_WEEKLY_CAP))
    sends = [(clock.parse_iso(s["at"]), s) for s in (customer.marketing_sends or [])]
    for at, sent in sends:
        if _family(sent["channel"]) == _family(channel) and now - at < window:
            return f"{sent['flow']} was sent by {_family(channel)} within {window}"
    if sum(1 for at, _ in sends if now - at < timedelta(days=7)) >= weekly_cap:
        return f"{weekly_cap} marketing messages in the last 7 days"
    priority = list(
        request.tenant.flows.get("priority", DEFAULT_PRIORITY) if request.tenant.flows else DEFAULT_PRIORITY
    )
    rank = {flow: index for index, flow in enumerate(priority)}
    mine = rank.get(request.flow, len(rank))
    for key, due in customer.pending_sends().items():
        other = key.split("#", 1)[0]
        if key == request.reservation_key or rank.get(other, len(rank)) >= mine:
            continue
        if now <= due <= now + window:  # a due time already past is sent, exited or deferred
            return f"yields to {other}, which has priority and is due within {window}"
    return None


def _release(request: SendRequest) -> None:
    if request.purpose == MARKETING and request.customer is not None:
        repository.release_marketing(request.customer, request.reservation_key)


# -- quiet hours ---------------------------------------------------------------------------
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


# -- rendering -------------------------------------------------------------------------------
def _locale(request: SendRequest) -> str:
    customer = request.customer
    return templates.resolve_locale(customer.locale if customer else None, *request.locale_hints, request.tenant.locale)


def _render(request: SendRequest, locale: str, part: str) -> str:
    customer = request.customer
    source = templates.template_source(request.template or request.flow, locale, part, request.flow_settings)
    context = {
        "shop": request.tenant.sender_name or request.tenant.name,
        "first_name": (customer.first_name if customer else None) or "",
        "coupon": request.flow_settings.get("coupon") or "",
        **request.context,
    }
    return templates.render(source, context)


# -- dispatch ----------------------------------------------------------------------------------
def _dispatch(
    request: SendRequest, record: SendRecord, candidates: list[_Candidate], text: str, subject: str, locale: str
) -> SendOutcome:
    from botocore.exceptions import ClientError

    marketing = request.purpose == MARKETING
    last_error: Exception | None = None
    for candidate in candidates:
        if last_error is not None and _fallback_suppressed(request, candidates[0], candidate):
            continue
        try:
            message_id = _deliver(request, candidate, text, subject, locale, marketing)
        except ClientError as exc:
            last_error = exc  # fall back to the next channel (MMS -> SMS -> email)
            continue
        sent_at = clock.now()
        body = _body_for(candidate.channel, text, locale, marketing)
        repository.mark_sent(record, candidate.channel, candidate.recipient, message_id, body, sent_at)
        if marketing and request.customer is not None:
            repository.note_marketing_send(
                request.customer, candidate.channel, request.flow, request.reservation_key, sent_at
            )
        return SendOutcome("sent", channel=candidate.channel, message_id=message_id)
    # Every channel refused: nothing went out, so the key stays retryable (Step Functions retries).
    assert isinstance(last_error, ClientError)
    code = last_error.response.get("Error", {}).get("Code", "ClientError")
    repository.mark_failed(record, code)
    raise last_error


def _fallback_suppressed(request: SendRequest, first: _Candidate, fallback: _Candidate) -> bool:
    """A fallback's suppression is read only when the send actually falls back to it."""
    if fallback.suppression_checked or fallback.recipient == first.recipient:
        return False
    return _is_suppressed(request, fallback.recipient)


def _body_for(channel: str, text: str, locale: str, marketing: bool) -> str:
    if channel in ("sms", "mms") and marketing:
        opt_out = templates.OPT_OUT_TEXT.get(locale, templates.OPT_OUT_TEXT["en"])
        if opt_out not in text:
            return f"{text} {opt_out}"
    return text


def _deliver(request: SendRequest, candidate: _Candidate, text: str, subject: str, locale: str, marketing: bool) -> str:
    body = _body_for(candidate.channel, text, locale, marketing)
    tenant = request.tenant
    if candidate.channel == "sms":
        from huike.aws.sms import publish_sms

        return publish_sms(candidate.recipient, body, transactional=not marketing)
    if candidate.channel == "mms":
        from huike.aws.mms import send_media_message

        return send_media_message(tenant.sms_number or "", candidate.recipient, body, request.media_urls)
    from huike.aws.email import send_email
    from huike.config.env import settings
    from huike.consent.unsubscribe import unsubscribe_headers

    headers = unsubscribe_headers(tenant, request.customer) if marketing and request.customer else {}
    return send_email(
        sender=tenant.sender_email or "",
        sender_name=tenant.sender_name or tenant.name,
        recipient=candidate.recipient,
        subject=subject,
        text=body,
        headers=headers,
        configuration_set=settings().email_configuration_set or None,
        tags={"tenant_id": tenant.tenant_id, "flow": request.flow},
    )


def record_exit(tenant: Tenant, flow: str, purpose: str, subject_id: str, step: str, why: str) -> None:
    """A flow that stops before sending still leaves its decision on the ledger (skipped: exited)."""
    record = SendRecord(
        tenant.tenant_id, f"{flow}#{subject_id}#{step}", flow=flow, purpose=purpose, decided_at=clock.now(), attempts=1
    )
    _record_skip(record, "exited", why)


def _record_skip(record: SendRecord, reason: str, detail: str | None = None) -> SendOutcome:
    record.status, record.reason, record.detail = "skipped", reason, detail
    if not repository.claim_send(record):
        return SendOutcome("duplicate", reason="decided concurrently")
    return SendOutcome("skipped", reason=reason, channel=record.channel)
