"""Services moto does not emulate, answered the way AWS answers a request it cannot serve.

MMS: moto has no pinpoint-sms-voice-v2, so SendMediaMessage fails the way an unsupported
destination does and the send path's fallback runs.
"""

from __future__ import annotations

import json
from typing import Any

from infra.local import moto_compat


def refuse_mms(request: Any, **_: Any) -> Any:
    """A botocore before-send hook: SendMediaMessage answers like a destination that cannot receive MMS."""
    body = json.dumps(
        {
            "__type": "ValidationException",
            "Message": "MMS is not supported for this destination (local emulation)",
            "Reason": "DESTINATION_COUNTRY_BLOCKED",
        }
    ).encode()
    headers = {"x-amzn-ErrorType": "ValidationException", "Content-Type": "application/x-amz-json-1.0"}
    return moto_compat.aws_response(request.url, 400, headers, body)


def install_unsupported_mms(session: Any) -> None:
    """Register refuse_mms on a botocore session (before its clients are built: they copy its hooks)."""
    session.get_component("event_emitter").register_first(
        "before-send.pinpoint-sms-voice-v2.SendMediaMessage", refuse_mms
    )
