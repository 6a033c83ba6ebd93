"""`make local`'s entry point over real HTTP, as a new user drives it (urllib only).

One server process for the whole file: started by `python -m infra.local`, polled until
/_local/health answers, driven through the documented routes, stopped with Ctrl-C (SIGINT).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support import payloads
from tests.support.clock import iso
from tests.support.contacts import BUYER_PHONE, BUYER_PHONE_NATIONAL
from tests.support.webhooks import shopify_headers

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_SECONDS = 60
REQUEST_TIMEOUT_SECONDS = 120
STOP_TIMEOUT_SECONDS = 20


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class LocalServer:
    process: subprocess.Popen[bytes]
    base_url: str
    tenant_file: Path
    log_file: Path

    def log(self) -> str:
        return self.log_file.read_text(encoding="utf-8", errors="replace")

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> HttpResponse:
        request = urllib.request.Request(  # noqa: S310 - a fixed http://127.0.0.1 URL
            self.base_url + path, data=body, method=method, headers=headers or {}
        )
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:  # noqa: S310
                return HttpResponse(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return HttpResponse(error.code, dict(error.headers), error.read())

    def get(self, path: str) -> HttpResponse:
        return self.request("GET", path)

    def post_json(self, path: str, payload: Any) -> HttpResponse:
        return self.request("POST", path, json.dumps(payload).encode(), {"Content-Type": "application/json"})


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_healthy(server: LocalServer) -> None:
    give_up = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < give_up:
        if server.process.poll() is not None:
            pytest.fail(f"infra.local exited with {server.process.returncode} before it was ready:\n{server.log()}")
        try:
            with urllib.request.urlopen(server.base_url + "/_local/health", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    pytest.fail(f"/_local/health did not answer 200 within {STARTUP_TIMEOUT_SECONDS} s:\n{server.log()}")


def spawn(workdir: Path, port: int, tenant_file: Path, log_name: str = "server.log") -> LocalServer:
    """`make local` in a subprocess (what `make local` runs, with the port and files of a test)."""
    log_file = workdir / log_name
    env = {
        **os.environ,
        "HUIKE_PORT": str(port),
        "HUIKE_TENANT_FILE": str(tenant_file),
        "TZ": "UTC",
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'layers' / 'huike' / 'python'}",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "infra.local"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    return LocalServer(process, f"http://127.0.0.1:{port}", tenant_file, log_file)


def stop(server: LocalServer) -> None:
    if server.process.poll() is None:
        server.process.kill()
        server.process.wait(timeout=STOP_TIMEOUT_SECONDS)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    workdir = tmp_path_factory.mktemp("make-local")
    local = spawn(workdir, free_port(), workdir / "tenant.json")
    try:
        wait_until_healthy(local)
        yield local
    finally:
        stop(local)


@pytest.fixture(scope="module")
def credentials(server: LocalServer) -> dict[str, Any]:
    return json.loads(server.tenant_file.read_text(encoding="utf-8"))


def parse_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def clock_now(server: LocalServer) -> dt.datetime:
    response = server.get("/_local/clock")
    assert response.status == 200, response.body
    now = parse_time(response.json()["now"])
    assert now.tzinfo is not None and now.utcoffset() == dt.timedelta(0)
    return now


def next_1500_utc(after: dt.datetime) -> dt.datetime:
    candidate = after.replace(hour=15, minute=0, second=0, microsecond=0)
    return candidate if candidate > after else candidate + dt.timedelta(days=1)


def shopify_order(order_id: int, name: str, created_at: dt.datetime, **overrides: Any) -> dict[str, Any]:
    stamp = iso(created_at)
    order = payloads.shopify_order(
        id=order_id, name=name, order_number=int(name.lstrip("#")), financial_status="pending"
    )
    order.update(created_at=stamp, updated_at=stamp, processed_at=stamp)
    order["customer"]["phone"] = BUYER_PHONE_NATIONAL
    order["billing_address"].update(country_code="US", phone=BUYER_PHONE_NATIONAL)
    order.update(overrides)
    return order


def post_shopify(
    server: LocalServer, credentials: dict[str, Any], topic: str, payload: dict[str, Any], webhook_id: str
) -> HttpResponse:
    body = json.dumps(payload).encode()
    secret = credentials["webhook_secrets"]["shopify"]
    headers = shopify_headers(secret, topic, body, webhook_id=webhook_id, triggered_at=iso(clock_now(server)))
    return server.request("POST", f"/webhooks/shopify/{credentials['tenant_id']}", body, headers)


def advance(server: LocalServer, payload: dict[str, Any]) -> dt.datetime:
    response = server.post_json("/_local/clock/advance", payload)
    assert response.status == 200, response.body
    return parse_time(response.json()["now"])


def outbox(server: LocalServer) -> list[dict[str, Any]]:
    response = server.get("/_local/outbox")
    assert response.status == 200, response.body
    return response.json()["messages"]


def executions(server: LocalServer) -> list[dict[str, Any]]:
    response = server.get("/_local/executions")
    assert response.status == 200, response.body
    return response.json()["executions"]


# Tests below share one server and run in file order; the last one stops it.


def test_tenant_file_holds_the_demo_credentials(server, credentials):
    assert set(credentials) >= {"tenant_id", "api_key", "webhook_secrets"}
    assert credentials["tenant_id"] == "demo"
    assert credentials["api_key"]
    assert set(credentials["webhook_secrets"]) == {"shopify", "woocommerce", "events"}
    assert all(credentials["webhook_secrets"].values())
    assert str(server.tenant_file) in server.log()


def test_unpaid_order_gets_one_reminder_and_a_paid_one_gets_none(server, credentials):
    tenant_id = credentials["tenant_id"]
    daytime = next_1500_utc(clock_now(server))  # 10:00 or 11:00 in New York
    assert advance(server, {"to": iso(daytime)}) == daytime
    assert clock_now(server) == daytime

    created = post_shopify(
        server, credentials, "orders/create", shopify_order(820982911, "#3001", daytime), "http-delivery-1"
    )
    assert created.status == 200, created.body
    assert created.json()["status"] == "accepted"
    assert [e["name"] for e in executions(server)] == ["unpaid_reminder-demo-shopify-820982911"]

    assert advance(server, {"seconds": 3600}) == daytime + dt.timedelta(hours=1)
    [message] = [m for m in outbox(server) if m["flow"] == "unpaid_reminder"]
    assert message["channel"] == "sms"
    assert message["to"] == BUYER_PHONE
    assert "#3001" in message["body"]
    assert message["tenant_id"] == tenant_id
    assert message["flow"] == "unpaid_reminder"
    assert parse_time(message["sent_at"]) == daytime + dt.timedelta(minutes=30)  # the default delay
    [execution] = [e for e in executions(server) if e["name"].startswith("unpaid_reminder-")]
    assert execution["status"] == "SUCCEEDED"

    # A second order paid before its reminder falls due: no new message.
    placed = clock_now(server)
    second = shopify_order(820982912, "#3002", placed)
    second_created = post_shopify(server, credentials, "orders/create", second, "http-delivery-2")
    assert second_created.status == 200, second_created.body
    paid = post_shopify(server, credentials, "orders/paid", {**second, "financial_status": "paid"}, "http-delivery-3")
    assert paid.status == 200, paid.body
    assert paid.json()["order_status"] == "paid"

    advance(server, {"seconds": 3600})
    reminders = [m for m in outbox(server) if m["flow"] == "unpaid_reminder"]
    assert reminders == [message]
    statuses = {e["name"]: e["status"] for e in executions(server)}
    assert statuses["unpaid_reminder-demo-shopify-820982912"] == "ABORTED"  # stopped when paid


def test_api_gateway_routing_over_http(server, credentials):
    unknown = server.post_json("/webhooks/nowhere/demo", {})
    assert unknown.status == 404
    wrong_method = server.get(f"/webhooks/shopify/{credentials['tenant_id']}")
    assert wrong_method.status == 405
    unknown_control = server.get("/_local/nothing-here")
    assert unknown_control.status == 404
    assert "error" in unknown_control.json()


def test_bad_signature_over_http_is_401_with_a_reason(server, credentials):
    body = json.dumps(shopify_order(820982999, "#3999", clock_now(server))).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Hmac-Sha256": base64.b64encode(b"\0" * 32).decode(),
        "X-Shopify-Webhook-Id": "http-bad-signature",
    }
    before = executions(server)

    response = server.request("POST", f"/webhooks/shopify/{credentials['tenant_id']}", body, headers)

    assert response.status == 401
    assert "error" in response.json()
    assert executions(server) == before


def test_empty_unsigned_post_is_a_4xx(server, credentials):
    response = server.request("POST", f"/webhooks/shopify/{credentials['tenant_id']}", b"", {})

    assert response.status in (400, 401), response.body
    assert "error" in response.json()


def test_handler_responses_are_served_as_json(server, credentials):
    response = server.post_json(f"/webhooks/shopify/{credentials['tenant_id']}", {})

    assert response.status == 401
    content_type = {key.lower(): value for key, value in response.headers.items()}["content-type"]
    assert content_type.startswith("application/json"), content_type


def test_an_import_over_http_uploads_to_the_presigned_url_the_server_serves(server, credentials):
    """As the README's walkthrough: POST /v1/imports, PUT the file to `upload.url` with curl's
    equivalent, poll the job, download its report from `report_url`."""
    auth = {"Authorization": f"Bearer {credentials['api_key']}", "Content-Type": "application/json"}
    created = server.request(
        "POST", "/v1/imports", json.dumps({"format": "jsonl"}).encode(), {**auth, "Idempotency-Key": "http-import-1"}
    )
    assert created.status == 201, created.body
    job = created.json()
    assert job["upload"]["url"].startswith(server.base_url + "/")  # served here, not by AWS
    lines = b'{"email": "http.buyer@example.com", "first_name": "Hana"}\n{"phone": "12"}\n'
    put = urllib.request.Request(job["upload"]["url"], data=lines, method="PUT")  # noqa: S310
    with urllib.request.urlopen(put, timeout=REQUEST_TIMEOUT_SECONDS) as uploaded:  # noqa: S310
        assert uploaded.status == 200
    done = server.request("GET", f"/v1/imports/{job['id']}", b"", auth).json()
    assert done["status"] == "completed", done
    assert done["counts"]["created"] == 1 and done["counts"]["rejected"] == 1
    with urllib.request.urlopen(done["report_url"], timeout=REQUEST_TIMEOUT_SECONDS) as report:  # noqa: S310
        assert b"2,rejected," in report.read()


@pytest.mark.parametrize(
    "payload",
    [
        {"seconds": -5},
        {},
        {"seconds": 60, "to": "2030-01-01T00:00:00Z"},
        {"seconds": "60"},
        {"seconds": True},
        {"to": "soon"},
        {"to": "2030-01-01T00:00:00"},
        ["seconds", 60],
    ],
    ids=["negative", "empty", "both", "string-seconds", "bool-seconds", "bad-to", "naive-to", "not-an-object"],
)
def test_advance_rejects_bad_input_and_leaves_the_clock(server, payload):
    before = clock_now(server)

    response = server.post_json("/_local/clock/advance", payload)

    assert response.status == 400, response.body
    assert response.json()["error"]
    assert clock_now(server) == before


def test_advance_into_the_past_is_400_and_leaves_the_clock(server):
    before = clock_now(server)

    response = server.post_json("/_local/clock/advance", {"to": iso(before - dt.timedelta(minutes=1))})

    assert response.status == 400, response.body
    assert "backwards" in response.json()["error"]
    assert clock_now(server) == before


def test_advance_with_a_body_that_is_not_json_is_400(server):
    before = clock_now(server)

    response = server.request("POST", "/_local/clock/advance", b"{seconds: 5", {"Content-Type": "application/json"})

    assert response.status == 400, response.body
    assert "JSON" in response.json()["error"]
    assert clock_now(server) == before


def test_advance_beyond_the_calendar_is_400(server):
    before = clock_now(server)

    response = server.post_json("/_local/clock/advance", {"seconds": 10**12})

    assert clock_now(server) == before
    assert response.status == 400, response.body


def test_ctrl_c_stops_the_server_cleanly(server):
    server.process.send_signal(signal.SIGINT)

    try:
        code = server.process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"infra.local still running {STOP_TIMEOUT_SECONDS} s after SIGINT:\n{server.log()}")
    assert code == 0, server.log()
    assert "stopped" in server.log()


def test_a_restart_keeps_the_demo_tenants_credentials_and_a_failed_start_rewrites_nothing(tmp_path):
    tenant_file, port = tmp_path / "tenant.json", free_port()
    first = spawn(tmp_path, port, tenant_file, "first.log")
    try:
        wait_until_healthy(first)
        saved = tenant_file.read_text(encoding="utf-8")
        # A second start on the busy port fails, and leaves the credentials file as it was.
        busy = spawn(tmp_path, port, tenant_file, "busy.log")
        assert busy.process.wait(timeout=STARTUP_TIMEOUT_SECONDS) != 0, busy.log()
        assert "could not listen" in busy.log()
        assert tenant_file.read_text(encoding="utf-8") == saved
    finally:
        first.process.send_signal(signal.SIGINT)
        first.process.wait(timeout=STOP_TIMEOUT_SECONDS)

    again = spawn(tmp_path, port, tenant_file, "again.log")
    try:
        wait_until_healthy(again)
        assert json.loads(tenant_file.read_text(encoding="utf-8")) == json.loads(saved)
        # The platform's next delivery, signed with the secret it was given before the restart.
        credentials = json.loads(saved)
        body = json.dumps({"id": 5, "email": "ann@example.com", "first_name": "Ann"}).encode()
        secret = credentials["webhook_secrets"]["shopify"]
        headers = shopify_headers(
            secret, "customers/create", body, webhook_id="restart-1", triggered_at="2026-11-23T15:00:00Z"
        )
        response = again.request("POST", f"/webhooks/shopify/{credentials['tenant_id']}", body, headers)
        assert response.status == 200, response.body
    finally:
        stop(again)
