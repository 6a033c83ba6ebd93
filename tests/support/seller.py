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

    def request(self, method: str, path: str, body: Any = None, **query: Any) -> ApiResponse:
        headers = {"Content-Type": "application/json"}
        if self.api_key is not None:
            headers["Authorization"] = f"Bearer {self.api_key}"
        payload = json.dumps(body) if body is not None else ""
        params = urlencode({k: v for k, v in query.items() if v is not None})
        return self.runtime.api(method, f"/v1{path}", headers, payload, params)

    def get(self, path: str, **query: Any) -> ApiResponse:
        return self.request("GET", path, **query)

    def patch(self, path: str, body: Any) -> ApiResponse:
        return self.request("PATCH", path, body)
