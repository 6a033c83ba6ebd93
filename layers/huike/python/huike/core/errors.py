"""Domain errors the handlers map to HTTP statuses."""


class HuikeError(Exception):
    status = 500


class BadRequest(HuikeError):
    """Malformed input: 400 with the reason, nothing stored."""

    status = 400


class Unauthorized(HuikeError):
    status = 401


class NotFound(HuikeError):
    status = 404
