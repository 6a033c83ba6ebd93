"""HTTP adapter: the template's API routes and the local-only /_local/* control routes."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from werkzeug.wrappers import Request, Response

from infra.local.runtime import LocalRuntime
from infra.local.s3 import bucket_and_key


def _json(payload: Any, status: int = 200) -> Response:
    return Response(json.dumps(payload, ensure_ascii=False), status=status, mimetype="application/json")


class LocalServer:
    def __init__(self, runtime: LocalRuntime) -> None:
        self.runtime = runtime
        self.control = {
            ("GET", "/_local/health"): self.health,
            ("GET", "/_local/clock"): self.get_clock,
            ("POST", "/_local/clock/advance"): self.advance_clock,
            ("GET", "/_local/outbox"): self.outbox,
            ("GET", "/_local/executions"): self.executions,
            ("POST", "/_local/inbound/sms"): self.inbound_sms,
            ("POST", "/_local/inbound/ses"): self.inbound_ses,
            ("POST", "/_local/admin"): self.admin,
        }

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        route = self.control.get((request.method, request.path))
        if route is not None:
            response = route(request)
        elif request.method in ("PUT", "GET") and bucket_and_key(self.runtime.template, request.url) is not None:
            response = self.s3(request)
        elif request.path.startswith("/_local/"):
            response = _json({"error": f"no local control route {request.method} {request.path}"}, 404)
        else:
            result = self.runtime.api(
                request.method,
                request.path,
                dict(request.headers),
                request.get_data(),
                request.query_string.decode(),
            )
            response = Response(result.body, status=result.status, headers=result.headers)
        return response(environ, start_response)

    def s3(self, request: Request) -> Response:
        """A presigned URL's PUT (an import's file) or GET (its report), as S3 would take it."""
        if request.method == "PUT":
            result = self.runtime.upload(request.url, request.get_data())
            return Response(result.body, status=result.status, headers=result.headers)
        status, body = self.runtime.download(request.url)
        return Response(body, status=status, mimetype="text/csv" if status == 200 else "application/xml")

    def health(self, _: Request) -> Response:
        return _json({"status": "ok"})

    def get_clock(self, _: Request) -> Response:
        return _json({"now": self.runtime.clock.now().isoformat().replace("+00:00", "Z")})

    def advance_clock(self, request: Request) -> Response:
        try:
            body = json.loads(request.get_data() or b"{}")
        except json.JSONDecodeError as exc:
            return _json({"error": f"body is not valid JSON: {exc}"}, 400)
        if not isinstance(body, dict) or ("seconds" in body) == ("to" in body):
            return _json({"error": 'send exactly one of {"seconds": N} or {"to": ISO8601}'}, 400)
        try:
            if "seconds" in body:
                seconds = body["seconds"]
                if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
                    return _json({"error": "seconds must be a non-negative number"}, 400)
                now = self.runtime.advance(seconds=seconds)
            else:
                target = dt.datetime.fromisoformat(str(body["to"]).replace("Z", "+00:00"))
                if target.tzinfo is None:
                    return _json({"error": "to must carry a UTC offset or Z"}, 400)
                now = self.runtime.advance(to=target.astimezone(dt.UTC))
        except (ValueError, OverflowError) as exc:
            return _json({"error": str(exc)}, 400)
        return _json({"now": now.isoformat().replace("+00:00", "Z")})

    def outbox(self, _: Request) -> Response:
        return _json({"messages": self.runtime.outbox()})

    def executions(self, _: Request) -> Response:
        return _json({"executions": self.runtime.executions()})

    def inbound_sms(self, request: Request) -> Response:
        body = _object_body(request)
        if isinstance(body, Response):
            return body
        missing = [key for key in ("from", "to", "body") if not isinstance(body.get(key), str)]
        if missing:
            return _json({"error": f"missing or non-string field(s): {', '.join(missing)}"}, 400)
        message_id = self.runtime.inbound_sms(body["from"], body["to"], body["body"])
        return _json({"delivered": True, "message_id": message_id})

    def inbound_ses(self, request: Request) -> Response:
        body = _object_body(request)
        if isinstance(body, Response):
            return body
        if body.get("type") not in ("Bounce", "Complaint"):
            return _json({"error": 'type must be "Bounce" or "Complaint"'}, 400)
        if not isinstance(body.get("email"), str) or "@" not in body["email"]:
            return _json({"error": "email must be an email address"}, 400)
        tenant_id = body.get("tenant_id")
        message_id = self.runtime.inbound_ses(
            body["type"], body["email"], tenant_id if isinstance(tenant_id, str) else None
        )
        return _json({"delivered": True, "message_id": message_id})

    def admin(self, request: Request) -> Response:
        """`python -m huike.admin --local` posts its command here: `{"argv": [...]}` (without the
        target option), run in this process as the operator, answered as a terminal shows it."""
        body = _object_body(request)
        if isinstance(body, Response):
            return body
        argv = body.get("argv")
        if not isinstance(argv, list) or not all(isinstance(argument, str) for argument in argv):
            return _json({"error": "argv must be a list of strings"}, 400)
        run = self.runtime.admin(argv)
        return _json({"exit_code": run.exit_code, "stdout": run.stdout, "stderr": run.stderr})


def _object_body(request: Request) -> dict[str, Any] | Response:
    try:
        body = json.loads(request.get_data() or b"{}")
    except json.JSONDecodeError as exc:
        return _json({"error": f"body is not valid JSON: {exc}"}, 400)
    if not isinstance(body, dict):
        return _json({"error": "body must be a JSON object"}, 400)
    return body
