"""Which AWS errors mean "try again later" rather than "no"."""

from __future__ import annotations

from typing import Any

# Throttles and service-side failures: the same call may succeed later. Anything else from SNS or
# SES (InvalidParameter, OptedOut, MessageRejected, ...) is a definite answer about the request.
RETRYABLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "LimitExceededException",
        "RequestLimitExceeded",
        "SlowDown",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "InternalErrorException",
        "RequestTimeout",
        "RequestTimeoutException",
        "KMSThrottlingException",
    }
)


def is_retryable(error: Any) -> bool:
    """A botocore ClientError that a later attempt may not meet: a throttle, or a 5xx."""
    response = getattr(error, "response", None) or {}
    code = response.get("Error", {}).get("Code", "")
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
    return code in RETRYABLE_CODES or int(status) >= 500
