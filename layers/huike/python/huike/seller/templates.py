"""A flow's message templates as a seller edits them: one resource per channel and locale, a
preview that renders exactly what the send path would (opt-out text, email footer, SMS encoding
and segments), and a save that refuses wording which would not render at send time."""

from __future__ import annotations

from typing import Any

from huike.config.flows import SETTINGS_MODELS, FlowSettings
from huike.config.tenant import TenantConfig
from huike.core.enums import Channel, FlowName, Purpose
from huike.core.errors import NotFound, Unprocessable
from huike.seller.bodies import PreviewRequest, TemplateWording
from huike.sending import templates
from huike.sending.segments import sms_encoding

# The stored parts each channel's resource edits: SMS and MMS share one text (an MMS is an SMS
# with a picture); email has its subject and a body of its own (else the shared text).
CHANNEL_PARTS: dict[Channel, dict[str, str]] = {
    Channel.SMS: {"text": "text"},
    Channel.MMS: {"text": "text"},
    Channel.EMAIL: {"subject": "subject", "text": "email_text"},
}
SAMPLE_UNSUBSCRIBE_URL = "https://example.com/u/sample-token"


def read_template(tenant_id: str, flow: str, channel: str, locale: str, template: str | None) -> dict[str, Any]:
    from huike.store.tenants import get_tenant

    flow_name, chosen, kind = _address(flow, channel, locale, template)
    return _view(get_tenant(tenant_id), flow_name, chosen, kind, locale)


def save_template(
    tenant_id: str, flow: str, channel: str, locale: str, template: str | None, body: dict[str, Any], actor: str
) -> dict[str, Any]:
    """422 with field paths when the wording would not render; nothing is stored then. Recorded
    in the change log like every flow change."""
    from huike.seller.settings import change_flow
    from huike.store.tenants import get_tenant

    flow_name, chosen, kind = _address(flow, channel, locale, template)
    wording = TemplateWording.model_validate(body)
    if wording.subject is not None and kind is not Channel.EMAIL:
        raise Unprocessable("only email has a subject", [("subject", "not used by " + kind.value)])
    tenant = get_tenant(tenant_id)
    context = _sample_context(tenant, tenant.flows.of(flow_name), chosen, {})
    problems = [
        (field, problem)
        for field, source in wording.model_dump(exclude_none=True).items()
        for problem in templates.template_problems(chosen, source, templates.localise(context, locale))
    ]
    if problems:
        raise Unprocessable("the template would not render", problems)
    stored = {part: getattr(wording, field) for field, part in CHANNEL_PARTS[kind].items()}
    change_flow(tenant_id, flow_name.value, {"templates": {chosen: {locale: stored}}}, actor)
    return _view(get_tenant(tenant_id), flow_name, chosen, kind, locale)


def preview_template(
    tenant_id: str, flow: str, channel: str, locale: str, template: str | None, body: dict[str, Any]
) -> dict[str, Any]:
    from huike.sending import policy
    from huike.store.tenants import get_tenant

    flow_name, chosen, kind = _address(flow, channel, locale, template)
    request = PreviewRequest.model_validate(body)
    tenant = get_tenant(tenant_id)
    settings = tenant.flows.of(flow_name)
    unknown = sorted(set(request.sample) - set(templates.TEMPLATE_VARIABLES[chosen]) - {"first_name", "coupon"})
    if unknown:
        problems: list[tuple[object, str]] = [(("sample", name), "not a variable of this template") for name in unknown]
        raise Unprocessable("unknown sample variable", problems)
    context = templates.localise(_sample_context(tenant, settings, chosen, request.sample, request), locale)
    saved = _effective(settings, chosen, kind, locale)
    sources = {
        "text": request.text or saved["text"],
        **({"subject": request.subject or saved["subject"]} if kind is Channel.EMAIL else {}),
    }
    errors = [
        {"field": field, "message": problem}
        for field, source in sources.items()
        for problem in templates.template_problems(chosen, source, context)
    ]
    result: dict[str, Any] = {
        "flow": flow_name.value,
        "template": chosen,
        "channel": kind.value,
        "locale": locale,
        "purpose": settings.purpose.value,
        "errors": errors,
    }
    if errors:
        return {**result, "text": None}
    rendered = {field: templates.render(source, context) for field, source in sources.items()}
    marketing = settings.purpose is Purpose.MARKETING
    if kind.is_phone:
        opt_out = tenant.settings.opt_out_text(locale) if marketing else None
        body_text = policy.body_for(kind, rendered["text"], settings.purpose, opt_out or "")
        appended = opt_out if opt_out and body_text != rendered["text"] else None
        return {**result, "text": body_text, "opt_out_text": appended, "sms": sms_encoding(body_text).as_dict()}
    footer = (
        templates.marketing_email_footer(locale, SAMPLE_UNSUBSCRIBE_URL, tenant.settings.postal_address)
        if marketing
        else ""
    )
    body_text = policy.body_for(kind, rendered["text"], settings.purpose, "", footer)
    return {**result, "subject": rendered["subject"], "text": body_text, "footer": footer or None}


def _address(flow: str, channel: str, locale: str, template: str | None) -> tuple[FlowName, str, Channel]:
    try:
        flow_name = FlowName(flow)
    except ValueError:
        raise NotFound(f"no flow {flow!r}; flows: {', '.join(n.value for n in FlowName)}") from None
    try:
        kind = Channel(channel)
    except ValueError:
        raise NotFound(f"no channel {channel!r}; channels: {', '.join(c.value for c in Channel)}") from None
    if locale not in templates.SUPPORTED_LOCALES:
        raise NotFound(f"no locale {locale!r}; locales: {', '.join(templates.SUPPORTED_LOCALES)}")
    names = SETTINGS_MODELS[flow_name].template_names
    chosen = template or names[0]
    if chosen not in names:
        raise Unprocessable("unknown template", [("template", f"this flow renders {', '.join(names)}")])
    return flow_name, chosen, kind


def _effective(settings: FlowSettings, template: str, kind: Channel, locale: str) -> dict[str, Any]:
    parts = CHANNEL_PARTS[kind]
    return {field: templates.template_source(template, locale, part, settings) for field, part in parts.items()}


def _view(tenant: TenantConfig, flow: FlowName, template: str, kind: Channel, locale: str) -> dict[str, Any]:
    settings = tenant.flows.of(flow)
    custom = {
        field: settings.template_override(template, locale, part) is not None
        for field, part in CHANNEL_PARTS[kind].items()
    }
    return {
        "flow": flow.value,
        "template": template,
        "templates": list(SETTINGS_MODELS[flow].template_names),
        "channel": kind.value,
        "locale": locale,
        **_effective(settings, template, kind, locale),
        "custom": custom,
        "variables": sorted({*templates.COMMON_VARIABLES, *templates.TEMPLATE_VARIABLES[template]}),
    }


def _sample_context(
    tenant: TenantConfig,
    settings: FlowSettings,
    template: str,
    overrides: dict[str, str],
    request: PreviewRequest | None = None,
) -> dict[str, Any]:
    context = templates.sample_context(template, tenant.shop_name, settings.coupon)
    if request is not None:
        context.update(_real_context(tenant, template, request))
    context.update(overrides)
    return context


def _real_context(tenant: TenantConfig, template: str, request: PreviewRequest) -> dict[str, Any]:
    """A real order's and customer's values, as the send path would use them."""
    from huike.flows.orders import order_context
    from huike.store import customers as customer_store
    from huike.store import orders as order_store

    values: dict[str, Any] = {}
    customer_id = request.customer_id
    if request.order_id is not None:
        order = order_store.get_order(tenant.tenant_id, request.order_id)
        if order is None:
            raise NotFound("no such order")
        variables = templates.TEMPLATE_VARIABLES[template]
        values.update({k: v for k, v in order_context(order, tenant).items() if k in variables})
        customer_id = customer_id or order.customer_id
    if customer_id is not None:
        customer = customer_store.get_customer(tenant.tenant_id, customer_id)
        if customer is None:
            raise NotFound("no such customer")
        values["first_name"] = customer.first_name or ""
    return values
