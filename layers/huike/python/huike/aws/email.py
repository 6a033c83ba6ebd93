"""Email through Amazon SES v2, as a raw MIME message so every header is ours to set."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formataddr

from huike.aws.clients import client


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
    message["From"] = formataddr((sender_name or "", sender))
    message["To"] = recipient
    message["Subject"] = subject
    for name, value in headers.items():
        message[name] = value
    message.set_content(text)
    request = {
        "FromEmailAddress": sender,
        "Destination": {"ToAddresses": [recipient]},
        "Content": {"Raw": {"Data": message.as_bytes()}},
        "EmailTags": [{"Name": name, "Value": value} for name, value in tags.items()],
    }
    if configuration_set:
        request["ConfigurationSetName"] = configuration_set
    response = client("sesv2").send_email(**request)
    return str(response["MessageId"])
