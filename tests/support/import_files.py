"""Import files as sellers upload them: Shopify's customer and order exports, generic CSV, JSON Lines."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from typing import Any

# Shopify admin > Customers > Export, in Shopify's column order.
SHOPIFY_CUSTOMER_HEADER = (
    "Customer ID",
    "First Name",
    "Last Name",
    "Email",
    "Accepts Email Marketing",
    "Default Address Company",
    "Default Address Address1",
    "Default Address Address2",
    "Default Address City",
    "Default Address Province Code",
    "Default Address Country Code",
    "Default Address Zip",
    "Default Address Phone",
    "Phone",
    "Accepts SMS Marketing",
    "Total Spent",
    "Total Orders",
    "Note",
    "Tax Exempt",
    "Tags",
)
SHOPIFY_CUSTOMER_DEFAULTS = {
    "Accepts Email Marketing": "no",
    "Accepts SMS Marketing": "no",
    "Total Spent": "0.00",
    "Total Orders": "0",
    "Tax Exempt": "no",
}

# Shopify admin > Orders > Export, in Shopify's column order: one row per line item.
SHOPIFY_ORDER_HEADER = (
    "Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at", "Accepts Marketing",
    "Currency", "Subtotal", "Shipping", "Taxes", "Total", "Discount Code", "Discount Amount", "Shipping Method",
    "Created at", "Lineitem quantity", "Lineitem name", "Lineitem price", "Lineitem compare at price",
    "Lineitem sku", "Lineitem requires shipping", "Lineitem taxable", "Lineitem fulfillment status",
    "Billing Name", "Billing Street", "Billing Address1", "Billing Address2", "Billing Company", "Billing City",
    "Billing Zip", "Billing Province", "Billing Country", "Billing Phone", "Shipping Name", "Shipping Street",
    "Shipping Address1", "Shipping Address2", "Shipping Company", "Shipping City", "Shipping Zip",
    "Shipping Province", "Shipping Country", "Shipping Phone", "Notes", "Note Attributes", "Cancelled at",
    "Payment Method", "Payment Reference", "Refunded Amount", "Vendor", "Outstanding Balance", "Employee",
    "Location", "Device ID", "Id", "Tags", "Risk Level", "Source", "Lineitem discount", "Tax 1 Name",
    "Tax 1 Value", "Tax 2 Name", "Tax 2 Value", "Tax 3 Name", "Tax 3 Value", "Tax 4 Name", "Tax 4 Value",
    "Tax 5 Name", "Tax 5 Value", "Phone", "Receipt Number", "Duties", "Billing Province Name",
    "Shipping Province Name", "Payment ID", "Payment Terms Name", "Next Payment Due At", "Payment References",
)  # fmt: skip
# Shopify repeats these on every line-item row; the rest only on an order's first row.
SHOPIFY_ORDER_EVERY_ROW = ("Name", "Email", "Created at", "Vendor")
SHOPIFY_ORDER_DEFAULTS = {
    "Financial Status": "paid",
    "Fulfillment Status": "unfulfilled",
    "Accepts Marketing": "no",
    "Currency": "USD",
    "Created at": "2024-03-05 14:22:10 -0500",
    "Risk Level": "Low",
    "Source": "web",
}
SHOPIFY_LINE_ITEM_DEFAULTS = {
    "Lineitem quantity": "1",
    "Lineitem requires shipping": "true",
    "Lineitem taxable": "true",
    "Lineitem fulfillment status": "pending",
    "Lineitem discount": "0.00",
}


def csv_bytes(header: Sequence[str], rows: Sequence[Sequence[Any]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def _row(header: Sequence[str], values: Mapping[str, Any]) -> list[Any]:
    unknown = set(values) - set(header)
    assert not unknown, f"not a column of this export: {sorted(unknown)}"
    return [values.get(column, "") for column in header]


def shopify_customer_csv(rows: list[dict[str, Any]], encoding: str = "utf-8") -> bytes:
    """A Shopify customer export: each dict names columns by their header; the rest take defaults."""
    return csv_bytes(
        SHOPIFY_CUSTOMER_HEADER,
        [_row(SHOPIFY_CUSTOMER_HEADER, {**SHOPIFY_CUSTOMER_DEFAULTS, **row}) for row in rows],
        encoding,
    )


def shopify_orders_csv(orders: list[dict[str, Any]]) -> bytes:
    """A Shopify order export. Each order dict names order columns, plus "line_items": a list of
    dicts of "Lineitem ..." columns (one row each; the order's fields only on its first row)."""
    rows = []
    for order in orders:
        fields = {**SHOPIFY_ORDER_DEFAULTS, **{key: value for key, value in order.items() if key != "line_items"}}
        for number, item in enumerate(order.get("line_items") or [{"Lineitem name": "Item"}]):
            every = fields if number == 0 else {key: fields.get(key, "") for key in SHOPIFY_ORDER_EVERY_ROW}
            rows.append(_row(SHOPIFY_ORDER_HEADER, {**every, **SHOPIFY_LINE_ITEM_DEFAULTS, **item}))
    return csv_bytes(SHOPIFY_ORDER_HEADER, rows)


def generic_rows(rows: list[dict[str, Any]], header: Sequence[str] | None = None) -> bytes:
    """A seller's own CSV: the header is the dicts' keys in first-seen order unless given."""
    columns = list(header) if header is not None else list(dict.fromkeys(key for row in rows for key in row))
    return csv_bytes(columns, [[row.get(column, "") for column in columns] for row in rows])


def jsonl(lines: list[Any]) -> bytes:
    """JSON Lines: objects are dumped; strings are written as they are (to plant broken lines)."""
    texts = [line if isinstance(line, str) else json.dumps(line, ensure_ascii=False) for line in lines]
    return "".join(text + "\n" for text in texts).encode()
