"""LocalRuntime: moto emulation + template provisioning + handlers + virtual clock + outbox.

`make local` serves it over HTTP (infra/local/server.py); tests drive the same object.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import secrets
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from infra.local.clock import VirtualClock, install_wait_patch
from infra.local.lambdas import LAYER_PATH, LambdaHost
from infra.local.template import ACCOUNT_ID, REGION, LocalTemplate, local_template

DEMO_TENANT_ID = "demo"
QUIESCENCE_TIMEOUT_SECONDS = 60.0


@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]
    body: str

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class TenantCredentials:
    tenant_id: str
    api_key: str
    webhook_secrets: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"tenant_id": self.tenant_id, "api_key": self.api_key, "webhook_secrets": self.webhook_secrets}


class LocalRuntime:
    def __init__(self, template: LocalTemplate | None = None, start: dt.datetime | None = None) -> None:
        self.template = template or local_template()
        self.clock = VirtualClock(start or dt.datetime.now(dt.UTC))
        self.lambdas = LambdaHost(self.template.functions())
        self.routes = self.template.routes()
        self._mock: Any = None

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> LocalRuntime:
        os.environ.update(
            {
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_SESSION_TOKEN": "testing",
                "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION,
                "POWERTOOLS_TRACE_DISABLED": "1",
                "POWERTOOLS_DEV": os.environ.get("POWERTOOLS_DEV", "0"),
                "TZ": "UTC",
            }
        )
        time.tzset()
        os.environ.update(self.template.environment())
        if str(LAYER_PATH) not in sys.path:
            sys.path.insert(0, str(LAYER_PATH))
        from moto import mock_aws

        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self._mock.start()
        try:
            self._configure()
        except BaseException:
            self.stop()
            raise
        return self

    def _configure(self) -> None:
        self._reset_domain_caches()
        from huike import clock as domain_clock

        domain_clock.use(self.clock.now)
        install_wait_patch(self.clock)
        self.lambdas.route_step_function_invokes()
        self._provision()

    def stop(self) -> None:
        if self._mock is None:
            return
        try:
            self.wait_quiescent(timeout=10)
            backend = self._sfn_backend()
            for execution in self._executions():
                if execution.exec_status is not None and execution.exec_status.value == "RUNNING":
                    backend.stop_execution(execution.exec_arn)
        except Exception:  # noqa: S110 - stopping must always release the mock
            pass
        finally:
            self.clock.close()
            from huike import clock as domain_clock

            domain_clock.use(None)
            self._mock.stop()
            self._mock = None

    def __enter__(self) -> LocalRuntime:
        return self.start()

    def __exit__(self, *_: Any) -> None:
        self.stop()

    @staticmethod
    def _reset_domain_caches() -> None:
        from huike import models, settings
        from huike.adapters import aws

        for cached in (settings.settings, models.bind_tables, aws.client):
            cached.cache_clear()
        for module_name in ("huike.ingest",):
            module = sys.modules.get(module_name)
            if module is not None:
                module._idempotency.cache_clear()  # type: ignore[attr-defined]

    # -- provisioning from template.yaml ------------------------------------------------
    def _provision(self) -> None:
        import boto3

        dynamodb = boto3.client("dynamodb", region_name=REGION)
        for request in self.template.tables().values():
            dynamodb.create_table(**request)
        sfn = boto3.client("stepfunctions", region_name=REGION)
        for machine in self.template.state_machines().values():
            sfn.create_state_machine(
                name=machine.name,
                definition=machine.definition,
                type=machine.sm_type,
                roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/{machine.name}-role",
            )
        for topic in self.template.resources_of("AWS::SNS::Topic"):
            boto3.client("sns", region_name=REGION).create_topic(Name=self.template.physical_name(topic))

    def seed_tenant(
        self,
        tenant_id: str = DEMO_TENANT_ID,
        *,
        name: str = "Huike Demo Store",
        timezone: str = "America/New_York",
        country: str = "US",
        locale: str = "en",
        flows: dict[str, Any] | None = None,
    ) -> TenantCredentials:
        from huike.repository import create_tenant

        credentials = TenantCredentials(
            tenant_id=tenant_id,
            api_key=f"hk_{secrets.token_urlsafe(24)}",
            webhook_secrets={kind: secrets.token_hex(24) for kind in ("shopify", "woocommerce", "events")},
        )
        create_tenant(
            tenant_id,
            name=name,
            api_key=credentials.api_key,
            webhook_secrets=credentials.webhook_secrets,
            timezone=timezone,
            country=country,
            locale=locale,
            flows=flows or {},
        )
        return credentials

    # -- API Gateway (REST, proxy integration) ------------------------------------------
    def api(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes | str = b"", query: str = ""
    ) -> ApiResponse:
        method = method.upper()
        for route in self.routes:
            match = route.pattern.match(path)
            if match and route.method == method:
                event = self._proxy_event(route.path, path, method, headers or {}, body, query, match.groupdict())
                result = self.lambdas.invoke(route.function, event)
                payload = result.get("body") or ""
                if result.get("isBase64Encoded"):
                    payload = base64.b64decode(payload).decode()
                headers = dict(result.get("headers") or {})
                for name, values in (result.get("multiValueHeaders") or {}).items():
                    headers[name] = ", ".join(values)
                return ApiResponse(int(result["statusCode"]), headers, payload)
        known_path = any(route.pattern.match(path) for route in self.routes)
        status = 405 if known_path else 404
        return ApiResponse(
            status,
            {"Content-Type": "application/json"},
            json.dumps({"message": "Missing Authentication Token" if status == 404 else "Method Not Allowed"}),
        )

    def _proxy_event(
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
        now = self.clock.now()
        stage = self.template.ref("Stage")
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

    # -- virtual clock ------------------------------------------------------------------
    def advance(self, seconds: float | None = None, to: dt.datetime | None = None) -> dt.datetime:
        """Move the clock forward, stepping through every Wait deadline on the way, and return
        once every execution has run as far as it can at the new time."""
        current = self.clock.now()
        target = to if to is not None else current + dt.timedelta(seconds=seconds or 0)
        if target < current:
            raise ValueError("the virtual clock never moves backwards")
        self.wait_quiescent()
        while True:
            due = [deadline for deadline in self.clock.waiting() if deadline <= target]
            if not due:
                break
            self.clock.set(min(due))
            self.wait_quiescent()
        self.clock.set(target)
        self.wait_quiescent()
        return target

    def wait_quiescent(self, timeout: float = QUIESCENCE_TIMEOUT_SECONDS) -> None:
        """Every RUNNING execution is blocked in a Wait whose deadline is still ahead."""
        give_up = time.monotonic() + timeout
        while True:
            running = sum(
                1 for e in self._executions() if e.exec_status is not None and e.exec_status.value == "RUNNING"
            )
            starting = sum(1 for e in self._executions() if e.exec_status is None)
            if starting == 0 and running == len(self.clock.waiting()):
                return
            if time.monotonic() > give_up:
                raise TimeoutError(f"executions did not settle: {running} running, {len(self.clock.waiting())} waiting")
            time.sleep(0.005)

    # -- introspection ------------------------------------------------------------------
    def _sfn_backend(self) -> Any:
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        return stepfunctions_parser_backends[ACCOUNT_ID][REGION]

    def _executions(self) -> list[Any]:
        return list(self._sfn_backend()._get_executions())

    def executions(self) -> list[dict[str, Any]]:
        rows = []
        for execution in self._executions():
            rows.append(
                {
                    "name": execution.name,
                    "executionArn": execution.exec_arn,
                    "stateMachineArn": execution.state_machine_arn,
                    "status": execution.exec_status.value if execution.exec_status else "PENDING",
                    "input": execution.input_data,
                }
            )
        return rows

    def outbox(self) -> list[dict[str, Any]]:
        """SMS as emulated SNS holds them, joined to the send ledger by message id."""
        from moto.sns.models import sns_backends

        from huike.repository import sends_by_message_id

        messages = []
        for message_id, (phone, body) in sns_backends[ACCOUNT_ID][REGION].sms_messages.items():
            records = sends_by_message_id(message_id)
            record = records[0] if records else None
            messages.append(
                {
                    "channel": record.channel if record else "sms",
                    "to": phone,
                    "subject": None,
                    "body": body,
                    "tenant_id": record.tenant_id if record else None,
                    "flow": record.flow if record else None,
                    "sent_at": record.sent_at.strftime("%Y-%m-%dT%H:%M:%SZ") if record and record.sent_at else None,
                    "message_id": message_id,
                }
            )
        return messages

    def write_credentials(self, credentials: TenantCredentials, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(credentials.as_dict(), indent=2) + "\n", encoding="utf-8")
