"""The seller API's request bodies, light enough to import when the function starts (the
OpenAPI document and request validation are built from them); the domain modules that act on
them import these."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from huike.config.validation import MAX_TEMPLATE_LENGTH
from huike.core.enums import Channel
from huike.imports import MAPPABLE_FIELDS


class TemplateWording(BaseModel):
    """A channel's wording (PUT replaces it; a part left out or null goes back to Huike's)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

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

    model_config = ConfigDict(extra="forbid", defer_build=True)

    channel: Channel
    purpose: Literal["marketing"] = Field(default="marketing", description="Transactional messages need none")
    granted: bool
    source: str = Field(min_length=1, max_length=100, description="Where it was collected, e.g. in-store form")
    at: AwareDatetime | None = Field(default=None, description="When the person stated it (default now)")
    wording: str | None = Field(default=None, min_length=1, max_length=1000, description="The wording shown")
    proof: dict[Annotated[str, Field(max_length=50)], Annotated[str, Field(max_length=500)]] = Field(
        default_factory=dict, max_length=10, description="ip, user_agent, signed form id, ..."
    )


class ImportRequest(BaseModel):
    """A file to import: its format, and for a generic CSV which column holds which field."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    format: Literal["shopify_customers", "shopify_orders", "csv", "jsonl"] = Field(
        description="shopify_customers / shopify_orders: Shopify admin's own export; csv: any CSV with `mapping`; "
        "jsonl: one JSON object per line with these field names"
    )
    mapping: dict[Annotated[str, Field(max_length=40)], Annotated[str, Field(min_length=1, max_length=200)]] | None = (
        Field(
            default=None,
            max_length=len(MAPPABLE_FIELDS),
            description="Field -> column (csv: required; jsonl: renames keys). Fields: " + ", ".join(MAPPABLE_FIELDS),
        )
    )
    default_country: Annotated[str, Field(pattern=r"^[A-Za-z]{2}$")] | None = Field(
        default=None, description="Phones without a country code are read in this country (default: the shop's)"
    )
    filename: str | None = Field(default=None, max_length=255, description="For your records")

    @model_validator(mode="after")
    def _mapping_fits_the_format(self) -> ImportRequest:
        unknown = sorted(set(self.mapping or {}) - set(MAPPABLE_FIELDS))
        if unknown:
            raise ValueError(f"mapping: unknown fields {', '.join(unknown)} (known: {', '.join(MAPPABLE_FIELDS)})")
        if self.format == "csv" and not self.mapping:
            raise ValueError("mapping: a generic CSV needs one (which column holds which field)")
        if self.format.startswith("shopify") and self.mapping:
            raise ValueError("mapping: Shopify's exports have fixed columns; leave it out")
        return self
