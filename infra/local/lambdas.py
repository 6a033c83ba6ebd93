"""Runs the template's real handlers in-process: for API routes and for Step Functions'
`lambda:invoke` tasks (a botocore before-send hook answers lambda.Invoke, so moto never needs
Docker)."""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, TypeVar
from urllib.parse import unquote

from infra.local import domain, moto_compat
from infra.local.template import REGION, ROOT, FunctionSpec

T = TypeVar("T")

LAYER_PATH = ROOT / "layers" / "huike" / "python"


@dataclass
class LocalLambdaContext:
    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    aws_request_id: str = ""
    log_group_name: str = ""
    log_stream_name: str = "local"
    timeout_seconds: int = 3
    started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        """The function's Timeout from the template, less the time this invocation has run."""
        return max(0, int((self.timeout_seconds - (time.monotonic() - self.started)) * 1000))


class LambdaHost:
    """Loads each function's handler once (as Lambda would per container) and invokes it.

    Each function runs in its own container: its own domain caches and AWS clients, built while
    the environment holds its role's credentials (`credentials`, set once the roles exist). One
    container runs at a time, as a process can only hold one set of credentials in its
    environment; Step Functions tasks wait their turn like a throttled function would.
    """

    def __init__(self, functions: dict[str, FunctionSpec]) -> None:
        self.functions = functions
        self.by_name = {spec.name: spec for spec in functions.values()}
        self.by_name.update({spec.arn: spec for spec in functions.values()})
        self._modules: dict[str, ModuleType] = {}
        self.credentials: dict[str, dict[str, str]] = {}
        self.container_setup: list[Callable[[], None]] = []
        self._running = threading.RLock()
        if str(LAYER_PATH) not in sys.path:
            sys.path.insert(0, str(LAYER_PATH))

    def handler(self, spec: FunctionSpec) -> Any:
        return getattr(self.module(spec), spec.handler.rpartition(".")[2])

    def module(self, spec: FunctionSpec) -> ModuleType:
        module_file = spec.handler.rpartition(".")[0]
        if spec.logical_id not in self._modules:
            path = spec.code_dir / f"{module_file.replace('.', '/')}.py"
            module_name = f"huike_function_{spec.logical_id}"
            module_spec = importlib.util.spec_from_file_location(module_name, path)
            assert module_spec and module_spec.loader
            module = importlib.util.module_from_spec(module_spec)
            sys.modules[module_name] = module
            module_spec.loader.exec_module(module)
            self._modules[spec.logical_id] = module
        return self._modules[spec.logical_id]

    def invoke(self, logical_id: str, event: Any) -> Any:
        spec = self.functions[logical_id]
        context = LocalLambdaContext(
            spec.name, spec.arn, aws_request_id=str(uuid.uuid4()), timeout_seconds=spec.timeout_seconds
        )
        with self.container(logical_id):
            return self.handler(spec)(event, context)

    def in_container(self, logical_id: str, work: Callable[[], T]) -> T:
        """Run `work` as code of that function's container would run (e.g. to reach its clients)."""
        with self.container(logical_id):
            return work()

    @contextmanager
    def container(self, logical_id: str) -> Iterator[None]:
        with self._running:
            credentials = self.credentials.get(logical_id, {})
            saved = {name: os.environ.get(name) for name in credentials}
            os.environ.update(credentials)
            try:
                with domain.container(logical_id):
                    if domain.first_entry():
                        for setup in self.container_setup:
                            setup()
                    yield
            finally:
                for name, value in saved.items():
                    if value is None:
                        os.environ.pop(name, None)
                    else:
                        os.environ[name] = value

    # -- Step Functions lambda:invoke ------------------------------------------------
    def answer_invoke(self, request: Any, **_: Any) -> Any:
        function_ref = unquote(request.url.split("/functions/", 1)[1].split("/invocations", 1)[0])
        spec = self.by_name.get(function_ref)
        if spec is None:
            body = json.dumps({"Type": "User", "Message": f"Function not found: {function_ref}"}).encode()
            headers = {"x-amzn-errortype": "ResourceNotFoundException"}
            return moto_compat.aws_response(request.url, 404, headers, body)
        raw = request.body or b"{}"
        payload = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
        headers = {"Content-Type": "application/json", "X-Amz-Executed-Version": "$LATEST"}
        try:
            result = self.invoke(spec.logical_id, payload)
            body = json.dumps(result).encode()
        except Exception as exc:  # what Lambda reports as an unhandled function error
            body = json.dumps(
                {
                    "errorMessage": str(exc),
                    "errorType": type(exc).__name__,
                    "stackTrace": traceback.format_exception(exc),
                }
            ).encode()
            headers["X-Amz-Function-Error"] = "Unhandled"
        return moto_compat.aws_response(request.url, 200, headers, body)

    def route_step_function_invokes(self) -> None:
        """Register on the default boto3 session, which moto's executor builds clients from."""
        import boto3
        import botocore.session

        core = botocore.session.get_session()
        core.register_component("data_loader", _shared_data_loader())  # parse botocore's data once
        boto3.setup_default_session(botocore_session=core, region_name=REGION)
        session = boto3.DEFAULT_SESSION
        assert session is not None
        session.events.register_first("before-send.lambda.Invoke", self.answer_invoke)


@functools.cache
def _shared_data_loader() -> Any:
    import botocore.session

    return botocore.session.get_session().get_component("data_loader")
