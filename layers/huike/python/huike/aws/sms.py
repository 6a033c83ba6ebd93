"""SMS through Amazon SNS Publish to a phone number."""

from __future__ import annotations

from huike.aws.clients import client


def publish_sms(phone_e164: str, body: str, *, transactional: bool) -> str:
    response = client("sns").publish(
        PhoneNumber=phone_e164,
        Message=body,
        MessageAttributes={
            "AWS.SNS.SMS.SMSType": {
                "DataType": "String",
                "StringValue": "Transactional" if transactional else "Promotional",
            }
        },
    )
    return str(response["MessageId"])
