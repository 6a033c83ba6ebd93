"""LocalRuntime: moto emulation + template provisioning + handlers + virtual clock + outbox.

`make local` serves it over HTTP (infra/local/server.py); tests drive the same object.
"""

from __future__ import annotations

import base64
import datetime as dt
import email
import json
import os
import secrets
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from infra.local.clock import VirtualClock, install_wait_patch
from infra.local.lambdas import LAYER_PATH, LambdaHost
from infra.local.sources import StreamPump, deliver_to_subscribers, install_unsupported_mms
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
    def __init__(
        self,
        template: LocalTemplate | None = None,
        start: dt.datetime | None = None,
        parameters: dict[str, str] | None = None,
    ) -> None:
        self.template = template or (LocalTemplate(parameters=parameters) if parameters else local_template())
        self.clock = VirtualClock(start or dt.datetime.now(dt.UTC))
        self.lambdas = LambdaHost(self.template.functions())
        self.routes = self.template.routes()
        self._mock: Any = None
        self.streams = StreamPump(self)
        self._api_lock = threading.RLock()

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
        from huike.core import clock as domain_clock

        domain_clock.use(self.clock.now)
        install_wait_patch(self.clock)
        self.lambdas.route_step_function_invokes()
        install_unsupported_mms()
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
            from huike.core import clock as domain_clock

            domain_clock.use(None)
            self._mock.stop()
            self._mock = None

    def __enter__(self) -> LocalRuntime:
        return self.start()

    def __exit__(self, *_: Any) -> None:
        self.stop()

    @staticmethod
    def _reset_domain_caches() -> None:
        from huike.core.caches import reset_process_caches

        reset_process_caches()

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
        for configuration_set in self.template.resources_of("AWS::SES::ConfigurationSet"):
            boto3.client("sesv2", region_name=REGION).create_configuration_set(
                ConfigurationSetName=self.template.physical_name(configuration_set)
            )
        self.streams.attach()

    def seed_tenant(
        self,
        tenant_id: str = DEMO_TENANT_ID,
        *,
        name: str = "Huike Demo Store",
        timezone: str = "America/New_York",
        country: str = "US",
        locale: str = "en",
        flows: dict[str, Any] | None = None,
        sms_number: str | None = "+18335550100",
        quiet_hours: dict[str, Any] | None = None,
    ) -> TenantCredentials:
        """Create a tenant with fresh secrets and a verified SES sender identity."""
        import boto3

        from huike.store.repository import create_tenant

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
            sender_email=f"shop@{tenant_id}.example.com",
            sms_number=sms_number,
            quiet_hours=quiet_hours or {},
        )
        boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity=f"shop@{tenant_id}.example.com")
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
                with self._api_lock:
                    result = self.lambdas.invoke(route.function, event)
                    self.streams.drain()  # AWS runs the stream consumers shortly after the write
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
            with self._api_lock:
                self.streams.drain()
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
        """Every SMS (emulated SNS) and email (emulated SES), joined to the send ledger by
        message id for tenant, flow and send time, in send order."""
        from moto.ses.models import ses_backends
        from moto.sns.models import sns_backends

        from huike.store.repository import sends_by_message_id

        messages = []
        for message_id, (phone, body) in sns_backends[ACCOUNT_ID][REGION].sms_messages.items():
            messages.append(self._outbox_entry(message_id, "sms", phone, None, body, sends_by_message_id))
        for sent in ses_backends[ACCOUNT_ID][REGION].sent_messages:
            subject, body, recipients = _email_parts(sent)
            messages.append(
                self._outbox_entry(sent.id, "email", ", ".join(recipients), subject, body, sends_by_message_id)
            )
        ordered = sorted(messages, key=lambda m: (m["sent_at"] or "", m.pop("_sequence")))
        return ordered

    _sequence = 0

    def _outbox_entry(
        self, message_id: str, channel: str, to: str, subject: str | None, body: str, lookup: Any
    ) -> dict[str, Any]:
        records = lookup(message_id)
        record = records[0] if records else None
        LocalRuntime._sequence += 1
        return {
            "channel": record.channel if record and record.channel else channel,
            "to": to,
            "subject": subject,
            "body": body,
            "tenant_id": record.tenant_id if record else None,
            "flow": record.flow if record else None,
            "sent_at": record.sent_at.strftime("%Y-%m-%dT%H:%M:%SZ") if record and record.sent_at else None,
            "message_id": message_id,
            "_sequence": LocalRuntime._sequence,
        }

    # -- inbound: what AWS would deliver through SNS -----------------------------------
    def inbound_sms(self, sender: str, recipient: str, body: str) -> str:
        """A two-way SMS reply, in the format End User Messaging publishes to the topic."""
        message = {
            "originationNumber": sender,
            "destinationNumber": recipient,
            "messageKeyword": body.strip().split(" ")[0].upper() if body.strip() else "",
            "messageBody": body,
            "inboundMessageId": str(uuid.uuid4()),
            "previousPublishedMessageId": None,
        }
        with self._api_lock:
            return deliver_to_subscribers(self, "InboundSmsTopic", message)

    def inbound_ses(self, notification_type: str, email: str, tenant_id: str | None = None) -> str:
        """An SES bounce (permanent) or complaint notification, as SES publishes it to SNS."""
        from moto.ses.models import ses_backends

        now = self.clock.now().strftime("%Y-%m-%dT%H:%M:%S.000Z")
        tags = {"tenant_id": [tenant_id]} if tenant_id else {}
        # SES reports on a message it sent: the latest one to this address, if any.
        sent_to = [m for m in ses_backends[ACCOUNT_ID][REGION].sent_messages if email in _email_parts(m)[2]]
        original_id = sent_to[-1].id if sent_to else str(uuid.uuid4())
        message: dict[str, Any] = {
            "notificationType": notification_type,
            "mail": {
                "timestamp": now,
                "messageId": original_id,
                "source": "shop@example.com",
                "destination": [email],
                "tags": tags,
            },
        }
        if notification_type == "Bounce":
            message["bounce"] = {
                "bounceType": "Permanent",
                "bounceSubType": "General",
                "timestamp": now,
                "bouncedRecipients": [{"emailAddress": email, "action": "failed", "status": "5.1.1"}],
            }
        else:
            message["complaint"] = {
                "complainedRecipients": [{"emailAddress": email}],
                "timestamp": now,
                "complaintFeedbackType": "abuse",
            }
        with self._api_lock:
            return deliver_to_subscribers(self, "SesNotificationsTopic", message)

    def write_credentials(self, credentials: TenantCredentials, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(credentials.as_dict(), indent=2) + "\n", encoding="utf-8")


def _email_parts(sent: Any) -> tuple[str | None, str, list[str]]:
    """Subject, text body and recipients of a raw message moto's SES holds."""
    from email import policy

    raw = sent.raw_data if isinstance(sent.raw_data, str) else sent.raw_data.decode()
    parsed = email.message_from_string(raw, policy=policy.default)
    body = parsed.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""  # type: ignore[union-attr]
    recipients = [a.strip() for a in str(parsed.get("To") or "").split(",") if a.strip()]
    return parsed.get("Subject"), text.strip(), recipients
