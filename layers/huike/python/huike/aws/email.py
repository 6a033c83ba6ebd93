"""Email through Amazon SES v2, as a raw MIME message so every header is ours to set."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.utils import formataddr

from huike.aws.clients import client

RFC5322_LINE_LIMIT = 998
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def header_safe(value: str) -> str:
    """One line: CR, LF and other control characters (from a name or a template) become a space,
    so no value can end a header or start another."""
    return " ".join(_CONTROL.sub(" ", value).split())


def send_email(
    *,
    sender: str,
    sender_name: str | None,
    recipient: str,
    subject: str,
    text: str,
    headers: dict[str, str],
    configuration_set: str | None,
    tags: dict[str, str],
) -> str:
    message = EmailMessage()
    message["From"] = formataddr((header_safe(sender_name or ""), sender))
    message["To"] = recipient
    message["Subject"] = header_safe(subject)
    for name, value in headers.items():
        message[name] = header_safe(value)
    message.set_content(text)
    # RFC 5322's line limit, not the 78-character fold: a long header such as List-Unsubscribe
    # then goes out as the literal <https://...> that mailbox providers act on, never RFC 2047-encoded.
    raw = message.as_bytes(policy=message.policy.clone(max_line_length=RFC5322_LINE_LIMIT))
    request = {
        "FromEmailAddress": sender,
        "Destination": {"ToAddresses": [recipient]},
        "Content": {"Raw": {"Data": raw}},
        "EmailTags": [{"Name": name, "Value": value} for name, value in tags.items()],
    }
    if configuration_set:
        request["ConfigurationSetName"] = configuration_set
    response = client("sesv2").send_email(**request)
    return str(response["MessageId"])
