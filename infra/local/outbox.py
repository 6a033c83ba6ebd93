"""What was sent and what comes back: the outbox (SMS and email as the emulated SNS and SES hold
them, joined to the send ledger) and inbound messages in the formats AWS publishes to SNS."""

from __future__ import annotations

import datetime as dt
import email
import uuid
from email import policy
from typing import Any

from infra.local import domain, moto_compat


def read_outbox() -> list[dict[str, Any]]:
    """Every SMS (emulated SNS) and email (emulated SES), joined to the send ledger by message id
    for tenant, flow and send time, in send order (ties keep SMS before email, each as sent)."""
    messages = [_entry(sms.message_id, "sms", sms.phone_number, None, sms.body) for sms in moto_compat.sent_sms()]
    for sent in moto_compat.sent_emails():
        subject, body, recipients = email_parts(sent.raw)
        messages.append(_entry(sent.message_id, "email", ", ".join(recipients), subject, body))
    return sorted(messages, key=lambda message: message["sent_at"] or "")


def _entry(message_id: str, channel: str, to: str, subject: str | None, body: str) -> dict[str, Any]:
    records = domain.sends_by_message_id(message_id)
    record = records[0] if records else None
    return {
        "channel": record.channel if record and record.channel else channel,
        "to": to,
        "subject": subject,
        "body": body,
        "tenant_id": record.tenant_id if record else None,
        "flow": record.flow if record else None,
        "sent_at": record.sent_at.strftime("%Y-%m-%dT%H:%M:%SZ") if record and record.sent_at else None,
        "message_id": message_id,
    }


def email_parts(raw: str) -> tuple[str | None, str, list[str]]:
    """Subject, text body and recipients of a raw MIME message."""
    parsed = email.message_from_string(raw, policy=policy.default)
    body = parsed.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    recipients = [a.strip() for a in str(parsed.get("To") or "").split(",") if a.strip()]
    return parsed.get("Subject"), text.strip(), recipients


# -- inbound: what AWS would publish to the topics -------------------------------------------------
def inbound_sms_message(sender: str, recipient: str, body: str) -> dict[str, Any]:
    """A two-way SMS reply, in the format End User Messaging publishes to the topic."""
    return {
        "originationNumber": sender,
        "destinationNumber": recipient,
        "messageKeyword": body.strip().split(" ")[0].upper() if body.strip() else "",
        "messageBody": body,
        "inboundMessageId": str(uuid.uuid4()),
        "previousPublishedMessageId": None,
    }


def ses_notification_message(
    notification_type: str, address: str, tenant_id: str | None, now: dt.datetime
) -> dict[str, Any]:
    """An SES bounce (permanent) or complaint notification, as SES publishes it to SNS."""
    timestamp = now.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    tags = {"tenant_id": [tenant_id]} if tenant_id else {}
    # SES reports on a message it sent: the latest one to this address, if any.
    sent_to = [sent for sent in moto_compat.sent_emails() if address in email_parts(sent.raw)[2]]
    original_id = sent_to[-1].message_id if sent_to else str(uuid.uuid4())
    message: dict[str, Any] = {
        "notificationType": notification_type,
        "mail": {
            "timestamp": timestamp,
            "messageId": original_id,
            "source": "shop@example.com",
            "destination": [address],
            "tags": tags,
        },
    }
    if notification_type == "Bounce":
        message["bounce"] = {
            "bounceType": "Permanent",
            "bounceSubType": "General",
            "timestamp": timestamp,
            "bouncedRecipients": [{"emailAddress": address, "action": "failed", "status": "5.1.1"}],
        }
    else:
        message["complaint"] = {
            "complainedRecipients": [{"emailAddress": address}],
            "timestamp": timestamp,
            "complaintFeedbackType": "abuse",
        }
    return message
