"""(d2) Cold starts: import + first event of every function, in a fresh interpreter each, against
`import boto3` + one client (the floor); the median of five stories. Run alone with
`python -m benchmarks.cold_starts`.

A story runs on the local runtime (orders, the seller API, an import, an inbound SMS, a day
passing). The first time the story invokes a function, that invocation runs in a new Python
process instead of in-process, as Lambda's cold start would: the function's CodeUri and the
layer (compiled, as `sam build` ships it) on its path, the template's environment, its role's
credentials, and AWS_ENDPOINT_URL pointing at an HTTP front on this process's emulated AWS
(moto_compat.answer_request). The child times `import app` and then the handler on the event,
and its result goes back into the story. Every client the function builds is inside the figure;
the time moto took to answer is reported and taken out ("own").

This machine's speed drifts by a third over minutes (a shared virtual machine), so each cold
start is paired with a floor measured just before and just after it (their mean), and the ratio
is taken pair by pair.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from benchmarks import payloads as p
from benchmarks.cold_imports import BASELINE, timed_import
from benchmarks.deliveries import Webhooks
from benchmarks.tables import print_table
from infra.local import moto_compat
from infra.local.lambdas import LAYER_PATH
from infra.local.runtime import LocalRuntime
from infra.local.template import REGION

TARGET_RATIO = 2.0
STORIES = 5

# Runs in the child: times the import and the first event; prints the figures and the result.
CHILD = """
import json, sys, time
started = time.perf_counter()
import importlib
module = importlib.import_module(sys.argv[2])
imported = time.perf_counter() - started
spec = json.load(open(sys.argv[1]))
import datetime
from huike.core import clock
now = datetime.datetime.fromisoformat(spec["now"])
clock.use(lambda: now)

class Context:
    function_name = spec["function_name"]
    invoked_function_arn = spec["function_arn"]
    memory_limit_in_mb = 512
    function_version = "$LATEST"
    aws_request_id = "cold-start"
    log_group_name = ""
    log_stream_name = "cold-start"
    def get_remaining_time_in_millis(self):
        return int(spec["timeout_seconds"] * 1000 - (time.perf_counter() - started) * 1000)

result = getattr(module, sys.argv[3])(spec["event"], Context())
total = time.perf_counter() - started
print(json.dumps({"imported": imported, "total": total, "result": result}, default=str))
"""


@dataclass
class ColdStart:
    function: str
    imported: float
    total: float
    aws_calls: int
    aws_seconds: float  # answering them: moto's time here (AWS's own latency is not ours to count)
    floor: float  # import boto3 + one client, in fresh interpreters just before and after this one

    @property
    def own(self) -> float:
        return self.total - self.aws_seconds

    @property
    def ratio(self) -> float:
        return self.own / self.floor


class _Answered:
    """What the front answered since the last reset: requests, and seconds spent answering."""

    lock = threading.Lock()
    calls = 0
    seconds = 0.0

    @classmethod
    def reset(cls) -> None:
        with cls.lock:
            cls.calls, cls.seconds = 0, 0.0


class _AwsFront(BaseHTTPRequestHandler):
    """Takes a child's AWS request (any service, endpoint http://127.0.0.1:<port>) to moto."""

    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Without this, each answer's second write waits for a delayed ACK (~40 ms a call).
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        scope = self.headers.get("Authorization", "").split("Credential=")[-1].split(",")[0].split("/")
        service = scope[3] if len(scope) > 3 else "s3"
        host = "email" if service == "ses" else service
        url = f"https://{host}.{REGION}.amazonaws.com{self.path}"
        began = time.perf_counter()
        status, headers, answer = moto_compat.answer_request(self.command, url, dict(self.headers.items()), body)
        with _Answered.lock:
            _Answered.calls += 1
            _Answered.seconds += time.perf_counter() - began
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _answer

    def log_message(self, *_: Any) -> None:
        pass


@contextmanager
def aws_front() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AwsFront)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class ColdInvoker:
    """Wraps the runtime's Lambda host: each function's first invocation runs in a new process."""

    def __init__(
        self, runtime: LocalRuntime, endpoint: str, base_env: dict[str, str], layer: Path, workdir: Path
    ) -> None:
        self.floor_env = {**base_env, "PYTHONPATH": str(LAYER_PATH), "AWS_REGION": REGION}
        self.runtime = runtime
        self.layer = layer
        self.endpoint = endpoint
        self.base_env = base_env
        self.workdir = workdir
        self.measured: dict[str, ColdStart] = {}
        self._in_process = runtime.lambdas.invoke
        config = workdir / "aws-config"
        config.write_text("[default]\ns3 =\n    addressing_style = path\n")  # the front has no bucket hosts
        self._config = config

    def __enter__(self) -> ColdInvoker:
        self.runtime.lambdas.invoke = self.invoke  # type: ignore[method-assign]
        return self

    def __exit__(self, *_: Any) -> None:
        self.runtime.lambdas.invoke = self._in_process  # type: ignore[method-assign]

    def _floor(self) -> float:
        return timed_import(BASELINE, str(LAYER_PATH.parent), self.floor_env)

    def invoke(self, logical_id: str, event: Any) -> Any:
        if logical_id in self.measured:
            return self._in_process(logical_id, event)
        spec = self.runtime.lambdas.functions[logical_id]
        module, _, function = spec.handler.rpartition(".")
        spec_file = self.workdir / f"{logical_id}.json"
        spec_file.write_text(
            json.dumps(
                {
                    "event": event,
                    "now": self.runtime.clock.now().isoformat(),
                    "function_name": spec.name,
                    "function_arn": spec.arn,
                    "timeout_seconds": spec.timeout_seconds,
                },
                default=str,
            )
        )
        env = {
            **self.base_env,
            **spec.environment,
            **self.runtime.lambdas.credentials.get(logical_id, {}),
            "PYTHONPATH": str(self.layer),
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_CONFIG_FILE": str(self._config),
            "POWERTOOLS_TRACE_DISABLED": "1",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            "POWERTOOLS_METRICS_DISABLED": "1",
        }
        floor_before = self._floor()
        _Answered.reset()
        child = subprocess.run(
            [sys.executable, "-c", CHILD, str(spec_file), module, function],
            cwd=str(spec.code_dir),
            env=env,
            capture_output=True,
            text=True,
        )
        if child.returncode != 0:
            raise RuntimeError(f"{logical_id}'s cold start failed: {child.stderr[-2000:]}")
        figures = json.loads(child.stdout.strip().splitlines()[-1])
        floor = (floor_before + self._floor()) / 2
        self.measured[logical_id] = ColdStart(
            logical_id, figures["imported"], figures["total"], _Answered.calls, _Answered.seconds, floor
        )
        return figures["result"]


def story(runtime: LocalRuntime, webhooks: Webhooks) -> None:
    """Every function of the template invoked at least once."""
    from benchmarks.intelligence import import_rows
    from tests.support.seller import SellerApi

    buyer, at = p.Buyer(1), runtime.clock.now()
    paid = p.shopify_new_order(buyer, 5001, at)
    webhooks.shopify("orders/create", paid)  # WebhookFunction; Lifecycle and CustomerCounts (streams)
    webhooks.shopify("orders/paid", p.shopify_paid(paid, at))
    webhooks.shopify("orders/create", p.shopify_new_order(p.Buyer(2), 5002, at))  # left unpaid: a reminder
    seller = SellerApi(runtime, webhooks.tenant.api_key)
    seller.get("/customers")  # SellerApiFunction
    job = seller.post("/imports", {"format": "shopify_customers"}, "cold-start-import").json()
    runtime.upload(job["upload"]["url"], import_rows(20))  # ImportFiles, then ImportChunks (queue)
    runtime.inbound_sms(buyer.e164, "+18335550100", "HELP")  # InboundFunction
    # FlowTask (the reminder), AgendaSweep (00:15 UTC), SegmentRefresh (02:00 UTC).
    runtime.advance(to=(at + dt.timedelta(days=1)).replace(hour=3, minute=0, second=0))


def built_layer(workdir: Path) -> Path:
    """The layer's huike package as `sam build` ships it (layers/huike/python/Makefile): with its
    bytecode compiled (unchecked-hash), since Lambda cannot write .pyc files to /opt. Its
    dependencies are this virtualenv's, installed (and compiled) by pip."""
    layer = workdir / "layer"
    shutil.copytree(LAYER_PATH / "huike", layer / "huike", ignore=shutil.ignore_patterns("__pycache__"))
    compiled = subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "--invalidation-mode", "unchecked-hash", str(layer)],
        capture_output=True,
        text=True,
    )
    if compiled.returncode != 0:
        raise RuntimeError(f"compileall failed: {compiled.stdout}{compiled.stderr}")
    return layer


def measure_story(
    runtime: LocalRuntime, webhooks: Webhooks, base_env: dict[str, str], layer: Path, workdir: Path
) -> dict[str, ColdStart]:
    with aws_front() as endpoint, ColdInvoker(runtime, endpoint, base_env, layer, workdir) as invoker:
        story(runtime, webhooks)
    missing = set(runtime.lambdas.functions) - set(invoker.measured)
    if missing:
        raise RuntimeError(f"the cold-start story never invoked {sorted(missing)}")
    return invoker.measured


def measure(base_env: dict[str, str]) -> list[ColdStart]:
    """For each function, the story (of STORIES, each on a fresh runtime) whose ratio is the median."""
    from benchmarks.sessions import recorded
    from tests.support.clock import DAYTIME_UTC

    runs: dict[str, list[ColdStart]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        layer = built_layer(workdir)
        for _ in range(STORIES):
            with recorded(DAYTIME_UTC) as (runtime, webhooks, _recorder):
                for name, start in measure_story(runtime, webhooks, base_env, layer, workdir).items():
                    runs.setdefault(name, []).append(start)
    return [_median(starts) for _, starts in sorted(runs.items())]


def _median(starts: list[ColdStart]) -> ColdStart:
    """The run whose ratio is the median (STORIES is odd)."""
    return sorted(starts, key=lambda start: start.ratio)[len(starts) // 2]


def print_figures(starts: list[ColdStart]) -> None:
    rows: list[list[object]] = []
    for start in starts:
        rows.append(
            [
                start.function,
                f"{start.imported:.3f}",
                f"{start.total:.3f}",
                f"{start.aws_calls} in {start.aws_seconds:.3f}",
                f"{start.own:.3f}",
                f"{start.floor:.3f}",
                f"{start.ratio:.2f}",
                f"<= {TARGET_RATIO}",
                "ok" if start.ratio <= TARGET_RATIO else "OVER",
            ]
        )
    print_table(
        "(d2) Cold start: import + first event, one fresh interpreter per function (interpreter startup excluded)",
        [
            "the first event each function gets in a story (orders, seller API, an import, an inbound SMS, a day),",
            "against this process's emulated AWS over local HTTP; own = import + event less the time moto took to",
            "answer (AWS's latency is AWS's); every botocore client the function builds is inside `own`",
            "floor = import boto3 + dynamodb client in fresh interpreters, the mean of one just before and one just",
            "after (this machine's speed drifts by a third over minutes);",
            f"ratio = own / floor, the median of {STORIES} stories",
            "goal: ratio <= 2.0 for every function; before: 3.5x for the webhook (a client per table)",
        ],
        [
            "function",
            "import s",
            "import + event s",
            "AWS calls, answered in s",
            "own s",
            "floor s",
            "ratio",
            "goal",
            "",
        ],
        rows,
        align="lrrrrrrll",
    )


def main() -> None:
    print_figures(measure(dict(os.environ)))


if __name__ == "__main__":
    main()
