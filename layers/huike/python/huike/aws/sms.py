"""SMS through Amazon SNS Publish to a phone number, from the shop's origination number."""

from __future__ import annotations

from typing import Any

from huike.aws.clients import client


def publish_sms(phone_e164: str, body: str, *, transactional: bool, origination_number: str | None = None) -> str:
    attributes: dict[str, Any] = {
        "AWS.SNS.SMS.SMSType": {
            "DataType": "String",
            "StringValue": "Transactional" if transactional else "Promotional",
        }
    }
    if origination_number:
        # The tenant's number: replies (STOP, START) come back to it and reach the inbound function.
        attributes["AWS.MM.SMS.OriginationNumber"] = {"DataType": "String", "StringValue": origination_number}
    response = client("sns").publish(PhoneNumber=phone_e164, Message=body, MessageAttributes=attributes)
    return str(response["MessageId"])
