"""API Gateway (REST API, Lambda proxy integration) for the template's Api events: route matching,
the proxy event a function receives, the response it returns, and API Gateway's own 404/405."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from infra.local.template import ACCOUNT_ID, RouteSpec

LOG = logging.getLogger(__name__)
INTERNAL_SERVER_ERROR = json.dumps({"message": "Internal server error"})

# Runs a route's function with its proxy event and returns the function's result.
RouteInvoker = Callable[[str, dict[str, Any]], Any]


@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]
    body: str

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class ApiGateway:
    def __init__(
        self,
        routes: list[RouteSpec],
        invoke: RouteInvoker,
        now: Callable[[], dt.datetime],
        stage: Callable[[], str],
    ) -> None:
        self.routes = routes
        self._invoke = invoke
        self._now = now
        self._stage = stage

    def handle(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes | str = b"", query: str = ""
    ) -> ApiResponse:
        method = method.upper()
        for route in self.routes:
            match = route.pattern.match(path)
            if match and route.method == method:
                event = self.proxy_event(route.path, path, method, headers or {}, body, query, match.groupdict())
                try:
                    result = self._invoke(route.function, event)
                except Exception:  # an unhandled function error: API Gateway answers 502
                    LOG.exception("%s %s: the function raised", method, path)
                    return ApiResponse(502, {"Content-Type": "application/json"}, INTERNAL_SERVER_ERROR)
                return proxy_response(result)
        known_path = any(route.pattern.match(path) for route in self.routes)
        return gateway_error(405 if known_path else 404)

    def proxy_event(
        self,
        resource: str,
        path: str,
        method: str,
        headers: dict[str, str],
        body: bytes | str,
        query: str,
        path_parameters: dict[str, str],
    ) -> dict[str, Any]:
        raw = body.encode() if isinstance(body, str) else body
        try:
            text, is_base64 = raw.decode("utf-8"), False
        except UnicodeDecodeError:
            text, is_base64 = base64.b64encode(raw).decode(), True
        multi_query = parse_qs(query, keep_blank_values=True) if query else {}
        now = self._now()
        stage = self._stage()
        return {
            "resource": resource,
            "path": path,
            "httpMethod": method,
            "headers": dict(headers),
            "multiValueHeaders": {k: [v] for k, v in headers.items()},
            "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} or None,
            "multiValueQueryStringParameters": multi_query or None,
            "pathParameters": path_parameters or None,
            "stageVariables": None,
            "requestContext": {
                "resourcePath": resource,
                "httpMethod": method,
                "path": f"/{stage}{path}",
                "stage": stage,
                "accountId": ACCOUNT_ID,
                "apiId": "local",
                "protocol": "HTTP/1.1",
                "requestId": secrets.token_hex(8),
                "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "requestTimeEpoch": int(now.timestamp() * 1000),
                "identity": {"sourceIp": "127.0.0.1", "userAgent": headers.get("User-Agent", "")},
            },
            "body": text or None,
            "isBase64Encoded": is_base64,
        }


def proxy_response(result: dict[str, Any]) -> ApiResponse:
    """The HTTP response API Gateway makes of a proxy integration's result."""
    payload = result.get("body") or ""
    if result.get("isBase64Encoded"):
        payload = base64.b64decode(payload).decode()
    headers = dict(result.get("headers") or {})
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers[name] = ", ".join(values)
    return ApiResponse(int(result["statusCode"]), headers, payload)


def gateway_error(status: int) -> ApiResponse:
    """API Gateway's answer when no route matches: 404 for an unknown path, 405 for a known one."""
    return ApiResponse(
        status,
        {"Content-Type": "application/json"},
        json.dumps({"message": "Missing Authentication Token" if status == 404 else "Method Not Allowed"}),
    )
