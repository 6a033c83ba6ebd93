"""Imports: customer and order files a seller uploads, parsed, cleaned and merged into Huike."""

# What an import can be, and the fields a generic CSV's columns (or JSON lines' keys) map to: the
# request body (seller.bodies, loaded at the API's cold start) and the parser (imports.files) share
# them from here, which imports nothing.
FORMATS = ("shopify_customers", "shopify_orders", "csv", "jsonl")
MAPPABLE_FIELDS = (
    "platform_id",
    "first_name",
    "last_name",
    "name",
    "email",
    "phone",
    "country",
    "locale",
    "birthday",
    "tags",
    "accepts_email",
    "accepts_sms",
    "consent_at",
    "order_count",
    "total_spent",
)
