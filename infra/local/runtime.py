"""LocalRuntime: the one object tests, benchmarks and `make local` (infra/local/server.py) drive.

A thin façade: it composes the jobs below and owns only the lifecycle, the lock that serialises
invocations, and the quiescence loop that moves the virtual clock.

    template.py      template.yaml, resolved to local names
    provisioning.py  process environment, resources from the template, tenants, credentials
    apigateway.py    API Gateway proxy integration
    sources.py       DynamoDB stream, SQS and SNS pumps, S3 notifications
    s3.py            presigned uploads and downloads
    scheduler.py     EventBridge Scheduler (the template's ScheduleV2 events)
    lambdas.py       the real handlers, in-process, for routes, pumps and Step Functions
    gaps.py          what moto does not emulate (MMS)
    clock.py         the virtual clock
    outbox.py        what was sent; inbound messages in AWS's formats
    moto_compat.py   every use of moto's internals (version-pinned)
    domain.py        every call into the domain layer
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from typing import Any

from infra.local import domain, iam, moto_compat, provisioning
from infra.local.apigateway import ApiGateway, ApiResponse
from infra.local.clock import VirtualClock
from infra.local.gaps import install_unsupported_mms
from infra.local.lambdas import LambdaHost
from infra.local.outbox import inbound_sms_message, read_outbox, ses_notification_message
from infra.local.provisioning import DEMO_TENANT_ID, TenantCredentials
from infra.local.s3 import presigned_get, presigned_put
from infra.local.scheduler import LocalScheduler
from infra.local.sources import BucketNotifications, QueuePump, StreamPump, TopicDelivery
from infra.local.template import LocalTemplate, local_template

__all__ = ["DEMO_TENANT_ID", "QUIESCENCE_TIMEOUT_SECONDS", "ApiResponse", "LocalRuntime", "TenantCredentials"]

QUIESCENCE_TIMEOUT_SECONDS = 60.0
OPERATOR_SERVICES = ("dynamodb", "sns", "sesv2", "stepfunctions", "pinpoint-sms-voice-v2")


LOG = logging.getLogger("huike.local")


class LocalRuntime:
    def __init__(
        self,
        template: LocalTemplate | None = None,
        start: dt.datetime | None = None,
        parameters: dict[str, str] | None = None,
        s3_endpoint: str | None = None,
    ) -> None:
        """`s3_endpoint`: where S3 is reached from outside this process (`make local` serves it
        itself), so presigned URLs point there; in-process callers use upload() and download()."""
        self.s3_endpoint = s3_endpoint
        self.template = template or (LocalTemplate(parameters=parameters) if parameters else local_template())
        self.clock = VirtualClock(start or dt.datetime.now(dt.UTC))
        self.lambdas = LambdaHost(self.template.functions())
        self.routes = self.template.routes()
        self.streams = StreamPump(self.template, self.lambdas)
        self.topics = TopicDelivery(self.template, self.lambdas, self.clock.now)
        self.queues = QueuePump(self.template, self.lambdas)
        self.buckets = BucketNotifications(self.template, self.lambdas, self.clock.now)
        self.scheduler = LocalScheduler(self.template, self.lambdas, self._pump)
        self.gateway = ApiGateway(self.routes, self._invoke_route, self.clock.now, lambda: self.template.ref("Stage"))
        self._mock: Any = None
        self.identities: dict[str, iam.FunctionIdentity] = {}
        self._api_lock = threading.RLock()

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> LocalRuntime:
        provisioning.set_process_environment(self.template)
        if self.s3_endpoint:
            import os

            # Presigned URLs name this endpoint (S3_PUBLIC_ENDPOINT, huike.aws.objects); the
            # server takes their PUTs and GETs to the emulated S3.
            os.environ["S3_PUBLIC_ENDPOINT"] = self.s3_endpoint
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
        domain.reset_process_caches()
        domain.use_clock(self.clock.now)
        moto_compat.install_wait_patch(self.clock)
        moto_compat.install_transaction_snapshot_patch()
        self.lambdas.route_step_function_invokes()
        self.lambdas.container_setup.append(lambda: install_unsupported_mms(domain.aws_session()))
        provisioning.provision(self.template)
        # The operator's own clients (this process, outside any function) are built now, with the
        # operator's credentials, before any function's credentials enter the environment.
        domain.warm_clients(OPERATOR_SERVICES)
        self.identities = iam.provision_identities(self.template)
        self.lambdas.credentials = {name: identity.environment for name, identity in self.identities.items()}
        self.streams.attach()
        self.queues.attach()
        self.scheduler.start(self.clock.now())

    def stop(self) -> None:
        if self._mock is None:
            return
        try:
            try:
                self.wait_quiescent(timeout=10)
            except TimeoutError as exc:
                LOG.warning("stopping with executions still running: %s", exc)
            # Abort whatever still runs before the clock closes: a woken execution must not call
            # its next task after the mock is gone (that would be a real AWS endpoint).
            moto_compat.stop_running_executions()
        except Exception:  # stopping must always release the mock
            LOG.exception("could not stop every execution")
        finally:
            self.clock.close()
            domain.use_clock(None)
            self._mock.stop()
            self._mock = None

    def __enter__(self) -> LocalRuntime:
        return self.start()

    def __exit__(self, *_: Any) -> None:
        self.stop()

    # -- tenants (provisioning.py) --------------------------------------------------------
    seed_tenant = staticmethod(provisioning.seed_tenant)
    write_credentials = staticmethod(provisioning.write_credentials)

    # -- tenant administration (python -m huike.admin --local) ----------------------------
    def admin(self, argv: list[str]) -> domain.AdminRun:
        """Run an admin CLI command here, as the operator (outside any function's container, with
        the operator's clients), between invocations. A tenant it creates gets its sender address
        verified in SES, as seed_tenant does; on AWS that is a manual step (README, Deploy)."""
        with self._api_lock:
            run = domain.run_admin(argv)
            if run.exit_code == 0 and argv[:2] == ["tenants", "create"]:
                email = domain.sender_email(json.loads(run.stdout)["tenant_id"])
                if email:
                    provisioning.verify_sender(email, domain.aws_session())
        return run

    # -- API Gateway (apigateway.py) ------------------------------------------------------
    def api(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes | str = b"", query: str = ""
    ) -> ApiResponse:
        return self.gateway.handle(method, path, headers, body, query)

    def _invoke_route(self, function: str, event: dict[str, Any]) -> Any:
        with self._api_lock:
            result = self.lambdas.invoke(function, event)
            self._pump()  # AWS runs the stream and queue consumers shortly after the write
        return result

    def _pump(self) -> bool:
        """Deliver stream records and queue messages until none is left (one feeds the other):
        every stream record first, then one queue batch, and again. True if anything was delivered."""
        delivered = False
        while self.streams.drain() or self.queues.deliver_one_batch():
            delivered = True
        return delivered

    # -- S3 (presigned uploads) -----------------------------------------------------------
    def upload(self, url: str, body: bytes) -> ApiResponse:
        """What S3 does with a PUT to a presigned URL: refused once expired or when it names no
        bucket of the template; else stored, and the bucket's notifications are delivered to the
        functions subscribed to it."""
        with self._api_lock:
            response = presigned_put(self.template, self.buckets, self.lambdas.credentials, url, body)
            self._pump()
        return response

    def download(self, url: str) -> tuple[int, bytes]:
        """A GET of a presigned URL (an import's report): (status, body)."""
        return presigned_get(self.template, self.lambdas.credentials, url)

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
            due = [moment for moment in (self.clock.next_deadline(), self.scheduler.next_firing()) if moment]
            due = [moment for moment in due if moment <= target]
            if not due:
                break
            self.clock.set(min(due))
            self._fire_schedules()
            self.wait_quiescent()
        self.clock.set(target)
        self._fire_schedules()
        self.wait_quiescent()
        return target

    def _fire_schedules(self) -> None:
        with self._api_lock:
            self.scheduler.fire_due(self.clock.now())

    def wait_quiescent(self, timeout: float = QUIESCENCE_TIMEOUT_SECONDS) -> None:
        """Every running execution is blocked in a Wait whose deadline is still ahead, and no
        stream record or queue message is left to deliver. Event-driven (clock.wait_settled):
        the cost does not grow with the number of executions waiting."""
        give_up = time.monotonic() + timeout
        while True:
            if not self.clock.wait_settled(max(give_up - time.monotonic(), 0)):
                running, blocked = self.clock.counts()
                raise TimeoutError(f"executions did not settle: {running} running, {blocked} waiting")
            with self._api_lock:
                if not self._pump() and self.clock.settled():  # nothing delivered, nothing started
                    return

    # -- introspection ------------------------------------------------------------------
    def executions(self) -> list[dict[str, Any]]:
        return [
            {
                "name": execution.name,
                "executionArn": execution.arn,
                "stateMachineArn": execution.state_machine_arn,
                "status": execution.status or "PENDING",
                "input": execution.input,
            }
            for execution in moto_compat.executions()
        ]

    def outbox(self) -> list[dict[str, Any]]:
        """Every SMS and email sent, joined to the send ledger, in send order (outbox.py)."""
        return read_outbox()

    # -- inbound: what AWS would deliver through SNS -----------------------------------
    def inbound_sms(self, sender: str, recipient: str, body: str) -> str:
        """A two-way SMS reply, in the format End User Messaging publishes to the topic."""
        message = inbound_sms_message(sender, recipient, body)
        with self._api_lock:
            return self.topics.publish("InboundSmsTopic", message)

    def inbound_ses(self, notification_type: str, email: str, tenant_id: str | None = None) -> str:
        """An SES bounce (permanent) or complaint notification, as SES publishes it to SNS."""
        message = ses_notification_message(notification_type, email, tenant_id, self.clock.now())
        with self._api_lock:
            return self.topics.publish("SesNotificationsTopic", message)
