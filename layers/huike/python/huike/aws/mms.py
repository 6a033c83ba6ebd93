"""MMS through AWS End User Messaging SMS (pinpoint-sms-voice-v2 SendMediaMessage)."""

from __future__ import annotations

from huike.aws.clients import client


def send_media_message(origination: str, destination: str, body: str, media_urls: list[str]) -> str:
    response = client("pinpoint-sms-voice-v2").send_media_message(
        DestinationPhoneNumber=destination,
        OriginationIdentity=origination,
        MessageBody=body,
        MediaUrls=media_urls,
    )
    return str(response["MessageId"])
