"""Inbound signals delivered by SNS: two-way SMS replies and SES bounce/complaint notifications."""

from __future__ import annotations

import json
from typing import Any

from huike.core import clock
from huike.core.enums import Channel, SuppressionReason
from huike.core.events import ConsentData
from huike.store import consent as consent_store
from huike.store import sends, tenants

STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "OPT-OUT", "TD", "T", "R", "退订"}
STOP_PHRASES = ("stop texting", "stop messaging", "stop sending", "do not text", "don't text")
START_WORDS = {"START", "UNSTOP", "YES", "SUBSCRIBE"}


def classify_reply(body: str) -> str | None:
    """'stop', 'start' or None for an SMS reply, case-insensitive and trimmed."""
    text = body.strip().strip(".!。！").strip()
    upper = text.upper()
    if upper in STOP_WORDS or text in STOP_WORDS or any(p in text.lower() for p in STOP_PHRASES):
        return "stop"
    if upper in START_WORDS:
        return "start"
    return None


def handle_sns_message(topic_arn: str, message: str) -> dict[str, Any]:
    try:
        payload = json.loads(message)
    except json.JSONDecodeError:
        return {"status": "ignored", "reason": "not JSON"}
    if "originationNumber" in payload:
        return sms_reply(payload)
    if payload.get("notificationType") in ("Bounce", "Complaint") or payload.get("eventType") in (
        "Bounce",
        "Complaint",
    ):
        return ses_notification(payload)
    return {"status": "ignored", "reason": "unknown message"}


def sms_reply(payload: dict[str, Any]) -> dict[str, Any]:
    sender = str(payload.get("originationNumber") or "")
    tenant = tenants.tenant_by_sms_number(str(payload.get("destinationNumber") or ""))
    if tenant is None:
        return {"status": "ignored", "reason": "no tenant owns that number"}
    action = classify_reply(str(payload.get("messageBody") or ""))
    if action is None:
        return {"status": "ignored", "reason": "not an opt-out or opt-in keyword"}
    proof = {"message_id": str(payload.get("inboundMessageId") or ""), "reply": str(payload.get("messageBody"))}
    granted = action == "start"
    consents = [
        ConsentData(
            channel=channel, granted=granted, at=clock.now(), wording=str(payload.get("messageBody")), proof=proof
        )
        for channel in (Channel.SMS, Channel.MMS)
    ]
    if granted:
        consent_store.unsuppress(tenant.tenant_id, sender)
    else:
        consent_store.suppress(
            tenant.tenant_id, sender, SuppressionReason.STOP, "inbound-sms", str(payload.get("messageBody"))
        )
    consent_store.record_consents(tenant.tenant_id, None, sender, consents, "inbound-sms")
    return {"status": "opted-in" if granted else "opted-out", "tenant_id": tenant.tenant_id, "number": sender}


def ses_notification(payload: dict[str, Any]) -> dict[str, Any]:
    kind = payload.get("notificationType") or payload.get("eventType")
    mail = payload.get("mail") or {}
    tenant_id = ((mail.get("tags") or {}).get("tenant_id") or [None])[0]
    if tenant_id is None:
        records = sends.sends_by_message_id(str(mail.get("messageId") or ""))
        tenant_id = records[0].tenant_id if records else None
    if tenant_id is None:
        return {"status": "ignored", "reason": "message not sent by Huike"}
    if kind == "Bounce":
        bounce = payload.get("bounce") or {}
        if bounce.get("bounceType") != "Permanent":
            return {"status": "ignored", "reason": "transient bounce"}
        addresses = [r.get("emailAddress") for r in bounce.get("bouncedRecipients", [])]
        reason = SuppressionReason.BOUNCE
    else:
        addresses = [r.get("emailAddress") for r in (payload.get("complaint") or {}).get("complainedRecipients", [])]
        reason = SuppressionReason.COMPLAINT
    suppressed = []
    for address in filter(None, addresses):
        consent_store.suppress(tenant_id, str(address), reason, "ses", json.dumps({"type": kind}))
        suppressed.append(str(address).lower())
    return {"status": "suppressed", "tenant_id": tenant_id, "addresses": suppressed, "reason": reason}
