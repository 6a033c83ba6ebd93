"""The seller REST API (/v1): every route needs `Authorization: Bearer <api key>` and sees only
the key's tenant. Errors are RFC 9457 problem+json; the OpenAPI document is generated from these
routes (GET /v1/openapi.json, Swagger UI at /v1/docs)."""

from __future__ import annotations

from huike.core.coldstart import collector_paused_on_cold_start

from collections.abc import Callable
from typing import Annotated, Any, Literal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Query
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import AwareDatetime, BaseModel, Field

from huike.core.errors import HuikeError
from huike.seller.bodies import ConsentStatement, ImportRequest, PreviewRequest, TemplateWording

logger = Logger()
app = APIGatewayRestResolver(enable_validation=True)
PUBLIC_PATHS = {"/v1/openapi.json", "/v1/docs"}
PROBLEM = "application/problem+json"
TITLE = "Huike seller API"
_PROBLEM_SCHEMA = {
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {"type": "object", "properties": {"field": {"type": "string"}, "message": {"type": "string"}}},
        },
    },
    "required": ["type", "title", "status", "detail"],
}
_PROBLEM = {"content": {PROBLEM: {"schema": _PROBLEM_SCHEMA}}}
# What every authenticated operation may answer: its result, or an RFC 9457 problem.
ERRORS: dict[int, Any] = {
    200: {"description": "OK"},
    400: {"description": "Bad request (a cursor or value this API does not accept)", **_PROBLEM},
    401: {"description": "No valid API key (WWW-Authenticate: Bearer)", **_PROBLEM},
    404: {"description": "No such resource for this tenant", **_PROBLEM},
    422: {"description": "Invalid input: `errors` lists each field and why", **_PROBLEM},
    429: {"description": "Over the tenant's requests per minute (Retry-After, RateLimit-* headers)", **_PROBLEM},
}


# ... and what an action on a resource's state may answer besides.
WITH_CONFLICT: dict[int, Any] = {
    **ERRORS,
    409: {"description": "The resource's state does not allow it (e.g. already finished)", **_PROBLEM},
}


def problem(status: int, title: str, detail: str, **extra: Any) -> Response[str]:
    import json

    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    headers: dict[str, Any] = {"WWW-Authenticate": 'Bearer realm="huike"'} if status == 401 else {}
    if (allowance := app.context.get("allowance")) is not None:
        headers.update(allowance.headers())
    return Response(status_code=status, content_type=PROBLEM, body=json.dumps(body), headers=headers)


def admitted(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """Every /v1 route: the caller's key (401), then the tenant's rate limit (429)."""
    if app.current_event.path in PUBLIC_PATHS:
        return next_middleware(app)
    refused = gate()
    if refused is not None:
        return refused
    response = next_middleware(app)
    response.headers.update(app.context["allowance"].headers())
    return response


def gate() -> Response[str] | None:
    """Authenticate and count the request; the refusal to answer with, if any."""
    from huike.seller.access import authenticate
    from huike.seller.ratelimit import TooManyRequests, admit

    try:
        caller = authenticate(app.current_event.headers.get("Authorization"))
    except HuikeError as denied:
        return problem(denied.status, "Unauthorized", str(denied))
    app.append_context(caller=caller)  # type: ignore[no-untyped-call]
    try:
        app.append_context(allowance=admit(caller.tenant_id))  # type: ignore[no-untyped-call]
    except TooManyRequests as over:
        app.append_context(allowance=over.allowance)  # type: ignore[no-untyped-call]
        refused = problem(429, "Too many requests", str(over))
        refused.headers["Retry-After"] = str(over.allowance.reset_seconds)
        return refused
    return None


def tenant_id() -> str:
    return str(app.context["caller"].tenant_id)


def once(idempotency_key: str, operation: str, body: Any, work: Callable[[str, str], Any]) -> Any:
    """Apply a POST once per Idempotency-Key: `work(tenant_id, key_id)` runs on the first request;
    a replay with the same body answers the same."""
    from huike.seller.idempotency import once as applied_once

    caller = app.context["caller"]
    return applied_once(
        caller.tenant_id,
        idempotency_key,
        operation,
        body,
        lambda: work(caller.tenant_id, caller.key_id),
        app.lambda_context,
    )


# -- settings -----------------------------------------------------------------------------------
settings = Router()  # type: ignore[no-untyped-call]


@settings.get("/settings", summary="The tenant's settings", tags=["settings"], responses=ERRORS)
def get_settings() -> dict[str, Any]:
    from huike.seller.settings import read_settings

    return read_settings(tenant_id())


@settings.patch(
    "/settings", summary="Change settings (JSON merge patch; null removes)", tags=["settings"], responses=ERRORS
)
def patch_settings(patch: Annotated[dict[str, Any], Body(embed=False)]) -> dict[str, Any]:
    from huike.seller.settings import change_settings

    return change_settings(tenant_id(), patch, app.context["caller"].key_id)


# -- flows --------------------------------------------------------------------------------------
flows = Router()  # type: ignore[no-untyped-call]


@flows.get(
    "/flows",
    summary="Every flow's settings (Huike's defaults with the tenant's changes)",
    tags=["flows"],
    responses=ERRORS,
)
def get_flows() -> dict[str, Any]:
    from huike.seller.settings import read_flows

    return {"items": list(read_flows(tenant_id()).values())}


@flows.get("/flows/<flow>", summary="One flow's settings", tags=["flows"], responses=ERRORS)
def get_flow(flow: str) -> dict[str, Any]:
    from huike.seller.settings import read_flow

    return read_flow(tenant_id(), flow)


@flows.patch(
    "/flows/<flow>",
    summary="Change a flow (JSON merge patch): enabled, delays, channels, priority, coupon, links, templates",
    description="Executions that wake after the change use it: flows read their settings when they send.",
    tags=["flows"],
    responses=ERRORS,
)
def patch_flow(flow: str, patch: Annotated[dict[str, Any], Body(embed=False)]) -> dict[str, Any]:
    from huike.seller.settings import change_flow

    return change_flow(tenant_id(), flow, patch, app.context["caller"].key_id)


TEMPLATE_PATH = "/flows/<flow>/templates/<channel>/<locale>"
WhichTemplate = Annotated[
    str | None,
    Query(max_length=64, description="For flows with two messages (e.g. unpaid_reminder_final); default the first"),
]


@flows.get(
    TEMPLATE_PATH,
    summary="A flow's wording for one channel (sms, mms, email) and locale (en, zh-CN), and its variables",
    tags=["templates"],
    responses=ERRORS,
)
def get_template(flow: str, channel: str, locale: str, template: WhichTemplate = None) -> dict[str, Any]:
    from huike.seller.templates import read_template

    return read_template(tenant_id(), flow, channel, locale, template)


@flows.put(
    TEMPLATE_PATH,
    summary="Replace a channel's wording (a part left out goes back to Huike's); 422 if it would not render",
    description="SMS and MMS share one text; email has a subject and a body of its own. Recorded in /v1/changes.",
    tags=["templates"],
    responses=ERRORS,
)
def put_template(
    flow: str, channel: str, locale: str, wording: TemplateWording, template: WhichTemplate = None
) -> dict[str, Any]:
    from huike.seller.templates import save_template

    body = wording.model_dump(exclude_none=True)
    return save_template(tenant_id(), flow, channel, locale, template, body, app.context["caller"].key_id)


@flows.post(
    TEMPLATE_PATH + "/preview",
    summary="Render the saved or given wording as it would be sent, for a sample or a real customer or order",
    description="Returns the final text (with the opt-out text a marketing SMS carries, or the email footer), "
    "for SMS its encoding (GSM-7 or UCS-2) and segment count, and `errors` for undefined variables or "
    "constructs the sandbox refuses. Changes nothing, so an Idempotency-Key is accepted but not needed.",
    tags=["templates"],
    responses=ERRORS,
)
def preview_template(
    flow: str,
    channel: str,
    locale: str,
    request: PreviewRequest,
    template: WhichTemplate = None,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=255)] = None,
) -> dict[str, Any]:
    from huike.seller.templates import preview_template as preview

    return preview(tenant_id(), flow, channel, locale, template, request.model_dump(exclude_none=True))


@flows.get(
    "/changes",
    summary="Changes to settings and flows: who (API key), when, before and after",
    tags=["flows"],
    responses=ERRORS,
)
def get_changes(
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> dict[str, Any]:
    from huike.seller.settings import change_log

    return change_log(tenant_id(), limit=limit, cursor=cursor).as_dict()


# -- customers ----------------------------------------------------------------------------------
customers = Router()  # type: ignore[no-untyped-call]


@customers.get(
    "/customers",
    summary="Customers: one by phone, email or platform id; else pages in id order or by last order, filtered",
    tags=["customers"],
    responses=ERRORS,
)
def list_customers(
    phone: Annotated[str | None, Query(max_length=50, description="E.164, or national for the shop's country")] = None,
    email: Annotated[str | None, Query(max_length=320)] = None,
    platform_id: Annotated[
        str | None, Query(max_length=200, description="The platform's customer id (e.g. Shopify's 207119551)")
    ] = None,
    tag: Annotated[
        str | None, Query(max_length=80, description="Has this manual or industry tag ('<industry>:<tag>')")
    ] = None,
    consent: Annotated[
        Literal["sms", "mms", "email"] | None, Query(description="Has marketing consent on this channel")
    ] = None,
    last_order_after: Annotated[AwareDatetime | None, Query(description="Last paid order at or after")] = None,
    last_order_before: Annotated[AwareDatetime | None, Query(description="Last paid order before")] = None,
    completeness: Annotated[
        Literal["phone_and_email", "phone_only", "email_only", "unreachable"] | None,
        Query(description="Reach: which of a textable phone and a valid email the customer has"),
    ] = None,
    segment: Annotated[
        Literal[
            "champions",
            "loyal",
            "potential_loyalists",
            "new",
            "promising",
            "needs_attention",
            "at_risk",
            "cant_lose",
            "hibernating",
            "lost",
        ]
        | None,
        Query(description="In this RFM segment (GET /v1/segments), listed in id order through its index"),
    ] = None,
    sort: Annotated[
        Literal["id", "last_order"],
        Query(description="id, or last_order: newest last paid order first (customers with one)"),
    ] = "id",
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> dict[str, Any]:
    from huike.seller.customers import CustomerQuery
    from huike.seller.customers import list_customers as listed

    query = CustomerQuery(
        phone=phone,
        email=email,
        platform_id=platform_id,
        tag=tag,
        consent=consent,
        last_order_after=last_order_after,
        last_order_before=last_order_before,
        sort=sort,
        reach=completeness,
        segment=segment,
    )
    return listed(tenant_id(), query, limit=limit, cursor=cursor).as_dict()


@customers.get(
    "/customers/<customer_id>",
    summary="One customer: profile, identities, order stats, consent per channel, suppressions",
    tags=["customers"],
    responses=ERRORS,
)
def get_customer(customer_id: str) -> dict[str, Any]:
    from huike.seller.customers import customer_detail

    return customer_detail(tenant_id(), customer_id)


@customers.patch(
    "/customers/<customer_id>",
    summary="Correct name, locale, time zone, birthday; set manual and industry tags (JSON merge patch)",
    tags=["customers"],
    responses=ERRORS,
)
def patch_customer(customer_id: str, patch: Annotated[dict[str, Any], Body(embed=False)]) -> dict[str, Any]:
    from huike.seller.customers import change_customer

    return change_customer(tenant_id(), customer_id, patch)


@customers.get(
    "/customers/<customer_id>/orders",
    summary="The customer's orders, newest first, with their status and items",
    tags=["customers"],
    responses=ERRORS,
)
def get_customer_orders(customer_id: str) -> dict[str, Any]:
    from huike.seller.customers import customer_orders

    return customer_orders(tenant_id(), customer_id)


@customers.post(
    "/customers/<customer_id>/erase",
    summary="Erase the customer (GDPR Art. 17, PIPL Art. 47): profile, orders, consent, message bodies",
    description="Their addresses stay only as keyed pseudonyms on the suppression list, so a later event "
    "that re-creates them is not messaged until they consent again. Returns what was erased; the erasure "
    "is recorded in /v1/changes without personal data. Requires an Idempotency-Key header.",
    tags=["customers"],
    responses=ERRORS,
)
def erase_customer(
    customer_id: str,
    idempotency_key: Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=255)],
) -> dict[str, Any]:
    from huike.seller.erasure import erase_customer as erase

    body = {"customer_id": customer_id}
    return dict(once(idempotency_key, "erase-customer", body, lambda tenant, key: erase(tenant, customer_id, key)))


@customers.get(
    "/customers/<customer_id>/consent",
    summary="The customer's consent now, per channel: marketing consent, opt-out, suppression",
    tags=["consent"],
    responses=ERRORS,
)
def get_consent(customer_id: str) -> dict[str, Any]:
    from huike.seller.customers import consent_now

    return consent_now(tenant_id(), customer_id)


@customers.post(
    "/customers/<customer_id>/consent",
    summary="Record a consent statement the shop collected (channel, granted, source, wording, proof)",
    description="Appended to the ledger; the current state follows unless a newer statement exists. "
    "Requires an Idempotency-Key header.",
    tags=["consent"],
    responses={**ERRORS, 201: {"description": "The customer's consent after the statement"}},
)
def post_consent(
    customer_id: str,
    statement: ConsentStatement,
    idempotency_key: Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=255)],
) -> Response[dict[str, Any]]:
    from huike.seller.customers import add_consent_statement

    body = statement.model_dump(mode="json", exclude_none=True)
    scoped = {"customer_id": customer_id, **body}
    result = once(
        idempotency_key, "consent-statement", scoped, lambda t, _: add_consent_statement(t, customer_id, body)
    )
    return Response(status_code=201, content_type="application/json", body=result)


@customers.get(
    "/customers/<customer_id>/consent/history",
    summary="The customer's consent statements, oldest first (the ledger: appended to, erased only with them)",
    tags=["consent"],
    responses=ERRORS,
)
def get_consent_history(customer_id: str) -> dict[str, Any]:
    from huike.seller.customers import consent_history

    return consent_history(tenant_id(), customer_id)


@customers.post(
    "/customers/tags",
    summary="Add or remove manual tags for listed customers or for every customer a filter matches",
    description="At most 500 customers per call; with a filter, `next_cursor` continues with the next "
    "matches. Requires an Idempotency-Key header.",
    tags=["customers"],
    responses=ERRORS,
)
def post_customer_tags(
    change: Annotated[dict[str, Any], Body(embed=False)],
    idempotency_key: Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=255)],
) -> dict[str, Any]:
    from huike.seller.customers import change_tags

    return dict(once(idempotency_key, "customer-tags", change, lambda tenant, _: change_tags(tenant, change)))


@customers.get(
    "/tag-pools",
    summary="The industry tag pools a seller picks customer tags from (apparel, beauty, food, pets...)",
    tags=["customers"],
    responses=ERRORS,
)
def get_tag_pools() -> dict[str, Any]:
    from huike.customers.tags import INDUSTRY_POOLS

    return {
        "items": [
            {"industry": industry, "tags": [{"tag": tag, "label_zh_cn": label} for tag, label in pool.items()]}
            for industry, pool in sorted(INDUSTRY_POOLS.items())
        ]
    }


# -- suppressions ---------------------------------------------------------------------------------
suppressions = Router()  # type: ignore[no-untyped-call]


@suppressions.get(
    "/suppressions", summary="Addresses never messaged, in address order (paged)", tags=["consent"], responses=ERRORS
)
def list_suppressions(
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> dict[str, Any]:
    from huike.seller.suppressions import list_suppressions as listed

    return listed(tenant_id(), limit=limit, cursor=cursor).as_dict()


class NewSuppression(BaseModel):
    address: str = Field(min_length=3, max_length=320, description="A phone number or an email address")
    note: str | None = Field(default=None, max_length=500, description="Why (kept, shown in the list)")


@suppressions.post(
    "/suppressions",
    summary="Never message this address again (a do-not-contact request made to the shop)",
    description="Requires an Idempotency-Key header: the same key and body replay the first answer.",
    tags=["consent"],
    responses={**ERRORS, 201: {"description": "The suppression as stored (a replay returns it again)"}},
)
def add_suppression(
    new: NewSuppression,
    idempotency_key: Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=255)],
) -> Response[dict[str, Any]]:
    from huike.seller.suppressions import add_suppression as added

    body = new.model_dump()
    entry = once(idempotency_key, "add-suppression", body, lambda t, key: added(t, new.address, new.note, key))
    return Response(status_code=201, content_type="application/json", body=entry)


@suppressions.delete(
    "/suppressions/<address>",
    summary="Lift a suppression",
    tags=["consent"],
    responses={**ERRORS, 204: {"description": "Lifted"}},
)
def delete_suppression(address: str) -> Response[str]:
    from urllib.parse import unquote

    from huike.seller.suppressions import lift_suppression

    lift_suppression(tenant_id(), unquote(address))
    return Response(status_code=204, body="")


# -- the send log ---------------------------------------------------------------------------------
sends = Router()  # type: ignore[no-untyped-call]


@sends.get("/sends", summary="The send log: every decision, with its reason", tags=["sends"], responses=ERRORS)
def get_sends(
    flow: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[str | None, Query(max_length=16, description="sent, skipped, deferred, failed...")] = None,
    customer_id: Annotated[str | None, Query(max_length=200)] = None,
    channel: Annotated[str | None, Query(max_length=16)] = None,
    order_id: Annotated[str | None, Query(max_length=200, description="Sends about this order")] = None,
    since: Annotated[AwareDatetime | None, Query(description="Decided at or after (ISO 8601 with offset)")] = None,
    until: Annotated[AwareDatetime | None, Query(description="Decided before (ISO 8601 with offset)")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> dict[str, Any]:
    from huike.seller.sends import send_log

    page = send_log(
        tenant_id(),
        flow=flow,
        status=status,
        customer_id=customer_id,
        channel=channel,
        order_id=order_id,
        since=since,
        until=until,
        limit=limit,
        cursor=cursor,
    )
    return page.as_dict()


# -- insights ---------------------------------------------------------------------------------------
# -- imports ---------------------------------------------------------------------------------------
imports = Router()  # type: ignore[no-untyped-call]


@imports.post(
    "/imports",
    summary="Start an import: returns the job and a URL to PUT the file to (valid one hour)",
    description="Upload the file with `PUT <upload.url>` (the body is the file, at most `upload.max_bytes`). "
    "Huike then cleans it (E.164 phones, validated emails, trimmed names), merges duplicate rows and rows of "
    "customers it already knows (by platform id, phone, email), and applies it in chunks of 500 rows. "
    "The same file content is imported once: a second upload completes at once with `duplicate_of`. "
    "UTF-8 (with or without BOM) or GB18030. Requires an Idempotency-Key header.",
    tags=["imports"],
    responses={**ERRORS, 201: {"description": "The job, awaiting its upload, and the upload URL"}},
)
def create_import(
    request: ImportRequest,
    idempotency_key: Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=255)],
) -> Response[dict[str, Any]]:
    from huike.imports.jobs import create_import as created
    from huike.store.tenants import get_tenant

    body = request.model_dump(exclude_none=True)
    options = {name: value for name, value in body.items() if name != "format"}
    job = once(idempotency_key, "create-import", body, lambda t, _: created(get_tenant(t), request.format, options))
    return Response(status_code=201, content_type="application/json", body=job)


@imports.get("/imports", summary="The tenant's imports, newest first (paged)", tags=["imports"], responses=ERRORS)
def list_imports(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> dict[str, Any]:
    from huike.imports.jobs import list_imports as listed
    from huike.seller.paging import decode_cursor, encode_cursor

    items, last = listed(tenant_id(), limit, decode_cursor(cursor, "k") if cursor else None)
    return {"items": items, "next_cursor": encode_cursor({"k": last}) if last else None}


@imports.get(
    "/imports/<import_id>",
    summary="An import: status, progress, counts (created, updated, merged, rejected, skipped) and its report",
    description="`report_url` downloads the report (CSV: line, outcome, reason) of every rejected row, "
    "dropped field and merge; `problems_preview` holds its first 20 entries.",
    tags=["imports"],
    responses=ERRORS,
)
def get_import(import_id: str) -> dict[str, Any]:
    from huike.imports.jobs import get_import as read

    return read(tenant_id(), import_id)


@imports.post(
    "/imports/<import_id>/cancel",
    summary="Cancel an import: chunks not yet applied are skipped (what was applied stays)",
    description="The file's content may then be imported again. Requires an Idempotency-Key header.",
    tags=["imports"],
    responses=WITH_CONFLICT,
)
def cancel_import(
    import_id: str,
    idempotency_key: Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=255)],
) -> dict[str, Any]:
    from huike.imports.jobs import cancel_import as cancel

    return dict(once(idempotency_key, "cancel-import", {"id": import_id}, lambda t, _: cancel(t, import_id)))


insights = Router()  # type: ignore[no-untyped-call]


@insights.get(
    "/segments",
    summary="RFM segments: customers, orders, total spent and average order value in each",
    description="From counters kept as customers change (O(1) reads, whatever the number of customers). "
    "Scores are 1-5 by the tenant's quintiles, refreshed nightly; a customer is re-scored on each order. "
    "`grid` is the published mapping from (R, FM = rounded mean of F and M) to the segment.",
    tags=["insights"],
    responses=ERRORS,
)
def get_segments() -> dict[str, Any]:
    from huike.seller.insights import segments

    return segments(tenant_id())


@insights.get(
    "/insights",
    summary="The store's repurchase rhythm (days between a customer's orders) and the campaign cadence it suggests",
    description="From counters kept as orders are paid (O(1) reads): the distribution, median and quartiles "
    "of the days between a customer's consecutive orders, and a cadence (about 1.5 cycles, snapped to weekly, "
    "every two weeks, monthly...) once there are enough repeat orders.",
    tags=["insights"],
    responses=ERRORS,
)
def get_insights() -> dict[str, Any]:
    from huike.seller.insights import insights as read

    return read(tenant_id())


# -- the document -----------------------------------------------------------------------------------
@app.get("/v1/openapi.json", summary="This API's OpenAPI document (no key needed)", tags=["meta"], security=[{}])
def openapi_document() -> Response[str]:
    return Response(status_code=200, content_type="application/json", body=openapi_json())


def openapi_json(servers: list[Any] | None = None) -> str:
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer  # ~0.13 s: not at cold start

    return str(
        app.get_openapi_json_schema(
            title=TITLE,
            version="1",
            servers=servers,
            security_schemes={"bearer": HTTPBearer(description="An API key: hk_live_...")},
            security=[{"bearer": []}],
        )
    )


@app.get("/v1/docs", include_in_schema=False)
def swagger_ui() -> Response[str]:
    """Swagger UI on this document (what Powertools' enable_swagger serves, built on request so
    the OpenAPI models load only when someone opens the page)."""
    from pathlib import Path

    from aws_lambda_powertools.event_handler.openapi import swagger_ui as assets
    from aws_lambda_powertools.event_handler.openapi.models import Server
    from aws_lambda_powertools.event_handler.openapi.swagger_ui import generate_swagger_html

    folder = Path(assets.__file__).parent
    spec = openapi_json(servers=[Server(url=app._get_base_path() or "/")]).replace("</", "<\\/")
    page = generate_swagger_html(
        spec,
        (folder / "swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
        (folder / "swagger-ui.min.css").read_text(encoding="utf-8"),
        "",
        None,
    )
    return Response(status_code=200, content_type="text/html", body=page)


app.use(middlewares=[admitted])
app.include_router(settings, prefix="/v1")
app.include_router(flows, prefix="/v1")
app.include_router(sends, prefix="/v1")
app.include_router(customers, prefix="/v1")
app.include_router(suppressions, prefix="/v1")
app.include_router(imports, prefix="/v1")
app.include_router(insights, prefix="/v1")


# -- errors ------------------------------------------------------------------------------------------
@app.not_found
def no_such_route(_: Exception) -> Response[str]:
    return problem(404, "Not found", "no such resource")


@app.exception_handler(HuikeError)  # type: ignore[untyped-decorator]
def domain_error(error: HuikeError) -> Response[str]:
    from huike.core.errors import Unprocessable

    if isinstance(error, Unprocessable):
        return invalid([(loc if isinstance(loc, tuple) else (loc,), message) for loc, message in error.errors])
    titles = {
        400: "Bad request",
        401: "Unauthorized",
        404: "Not found",
        409: "Conflict",
        422: "Unprocessable content",
        429: "Too many requests",
    }
    return problem(error.status, titles.get(error.status, "Error"), str(error))


@app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
def request_invalid(error: RequestValidationError) -> Response[str]:
    # Powertools validates before any middleware runs: the key is checked first all the same, so
    # a caller without one learns nothing about the API's input (401, not 422 with field names).
    if app.current_event.path not in PUBLIC_PATHS and "caller" not in app.context:
        refused = gate()
        if refused is not None:
            return refused
    return invalid([(e.get("loc") or (), str(e.get("msg"))) for e in error.errors()])


@app.exception_handler(Exception)  # type: ignore[untyped-decorator]
def settings_invalid(error: Exception) -> Response[str]:
    from pydantic import ValidationError

    if isinstance(error, ValidationError):
        return invalid([(e["loc"], e["msg"]) for e in error.errors()])
    raise error


def invalid(errors: list[tuple[Any, str]]) -> Response[str]:
    fields = [{"field": ".".join(str(part) for part in loc), "message": message} for loc, message in errors]
    detail = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
    return problem(422, "Unprocessable content", detail, errors=fields)


@collector_paused_on_cold_start
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from huike.config.env import SellerApiEnvironment, require_environment

    require_environment(SellerApiEnvironment)
    return app.resolve(event, context)
