"""Inbound signals delivered by SNS: two-way SMS replies and SES bounce/complaint notifications."""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from huike.core import clock
from huike.core.enums import Channel, SuppressionReason
from huike.core.events import ConsentData
from huike.core.masking import mask_email, mask_phone
from huike.store import consent as consent_store
from huike.store import sends, tenants

# Whole-message keywords (after NFKC, so full-width ＳＴＯＰ is STOP), the carriers' and CTIA's
# list plus the Chinese ones buyers send. "CANCEL" alone opts out; "cancel my order" does not.
STOP_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "OPT-OUT", "OPT OUT", "REVOKE"}
    | {"TD", "T", "R"}
    | {"退订", "停止", "取消", "退定", "拒收", "取消订阅"}
)
START_WORDS = frozenset({"START", "UNSTOP", "YES", "SUBSCRIBE"})
# Words that may surround a keyword without changing what it means ("STOP please", "please stop").
FILLER = frozenset({"PLEASE", "PLS", "PLZ", "NOW", "IT", "THANKS", "THANK", "YOU", "THX", "OK", "JUST", "ALL"})
# Phrases that ask for no more messages wherever they stand in the reply.
STOP_PHRASES = (
    "stop texting",
    "stop messaging",
    "stop sending",
    "stop the texts",
    "stop these texts",
    "stop the messages",
    "do not text",
    "don't text",
    "dont text",
    "unsubscribe me",
    "remove me",
    "take me off",
    "opt me out",
    "no more texts",
    "no more messages",
    "退订",
    "停止发送",
    "不要再发",
    "别再发",
    "取消订阅",
)
_PUNCTUATION = re.compile(r"[\s.,!?;:~'\"()\[\]。，！？；：、“”‘’（）…]+")


def _normalise(body: str) -> str:
    return unicodedata.normalize("NFKC", body).strip()


def classify_reply(body: str) -> str | None:
    """'stop', 'start' or None for an SMS reply. Conservative: a keyword counts only as the
    whole reply or with filler words around it, and a phrase only if it plainly asks to stop, so a
    question about an order ("can I cancel my order?") is never taken as an opt-out."""
    text = _normalise(body)
    words = [word for word in _PUNCTUATION.split(text.upper()) if word]
    if not words:
        return None
    whole = " ".join(words)
    lowered = text.casefold()
    if whole in STOP_WORDS or any(phrase in lowered for phrase in STOP_PHRASES):
        return "stop"
    keywords = [word for word in words if word not in FILLER]
    if len(keywords) == 1 and keywords[0] in STOP_WORDS and len(words) <= 4:
        return "stop"
    if whole in START_WORDS or (len(keywords) == 1 and keywords[0] in START_WORDS and len(words) <= 3):
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
    status = "opted-in" if granted else "opted-out"
    return {"status": status, "tenant_id": tenant.tenant_id, "number": mask_phone(sender)}


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
    masked = [mask_email(address) for address in suppressed]
    return {"status": "suppressed", "tenant_id": tenant_id, "addresses": masked, "reason": reason}
