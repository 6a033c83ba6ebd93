"""Domain errors the handlers map to HTTP statuses."""

from collections.abc import Sequence


class HuikeError(Exception):
    status = 500


class BadRequest(HuikeError):
    """Malformed input: 400 with the reason, nothing stored."""

    status = 400


class Unauthorized(HuikeError):
    status = 401


class NotFound(HuikeError):
    status = 404


class Conflict(HuikeError):
    """The resource's state does not allow this now (e.g. cancelling a finished import): 409."""

    status = 409


class Unprocessable(HuikeError):
    """Well-formed input the domain refuses: 422 listing each (field path, problem)."""

    status = 422

    def __init__(self, detail: str, errors: Sequence[tuple[object, str]]) -> None:
        super().__init__(detail)
        self.errors = errors
