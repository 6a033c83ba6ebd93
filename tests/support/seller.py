"""A seller API client for tests: the tenant's key as a Bearer token, JSON in and out."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from infra.local.runtime import ApiResponse, LocalRuntime


class SellerApi:
    def __init__(self, runtime: LocalRuntime, api_key: str | None) -> None:
        self.runtime = runtime
        self.api_key = api_key

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None, **query: Any
    ) -> ApiResponse:
        headers = {"Content-Type": "application/json", **(headers or {})}
        if self.api_key is not None:
            headers["Authorization"] = f"Bearer {self.api_key}"
        payload = json.dumps(body) if body is not None else ""
        params = urlencode({k: v for k, v in query.items() if v is not None})
        return self.runtime.api(method, f"/v1{path}", headers, payload, params)

    def get(self, path: str, **query: Any) -> ApiResponse:
        return self.request("GET", path, **query)

    def patch(self, path: str, body: Any) -> ApiResponse:
        return self.request("PATCH", path, body)

    def post(self, path: str, body: Any, idempotency_key: str | None) -> ApiResponse:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key is not None else {}
        return self.request("POST", path, body, headers)

    def delete(self, path: str) -> ApiResponse:
        return self.request("DELETE", path)
