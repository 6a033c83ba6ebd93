"""The seller API's request bodies, light enough to import when the function starts (the
OpenAPI document and request validation are built from them); the domain modules that act on
them import these."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from huike.config.validation import MAX_TEMPLATE_LENGTH
from huike.core.enums import Channel


class TemplateWording(BaseModel):
    """A channel's wording (PUT replaces it; a part left out or null goes back to Huike's)."""

    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(default=None, min_length=1, max_length=MAX_TEMPLATE_LENGTH)
    subject: str | None = Field(default=None, min_length=1, max_length=200, description="Email only")


class PreviewRequest(TemplateWording):
    """What to preview: unsaved wording (else the saved one), rendered for a real customer or
    order of this tenant, or with sample values (each may be overridden)."""

    customer_id: str | None = Field(default=None, max_length=200)
    order_id: str | None = Field(default=None, max_length=200)
    sample: dict[str, str] = Field(default_factory=dict, description="Values for the template's variables")


class ConsentStatement(BaseModel):
    """A marketing consent statement the shop collected itself (a form, a call, a store visit)."""

    model_config = ConfigDict(extra="forbid")

    channel: Channel
    purpose: Literal["marketing"] = Field(default="marketing", description="Transactional messages need none")
    granted: bool
    source: str = Field(min_length=1, max_length=100, description="Where it was collected, e.g. in-store form")
    at: AwareDatetime | None = Field(default=None, description="When the person stated it (default now)")
    wording: str | None = Field(default=None, min_length=1, max_length=1000, description="The wording shown")
    proof: dict[Annotated[str, Field(max_length=50)], Annotated[str, Field(max_length=500)]] = Field(
        default_factory=dict, max_length=10, description="ip, user_agent, signed form id, ..."
    )
