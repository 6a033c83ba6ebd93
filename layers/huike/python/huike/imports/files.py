"""Import files parsed into canonical records: pure, no storage and no AWS.

A seller uploads an export: Shopify's customer export, Shopify's order export, any CSV with a
column mapping, or JSON Lines. `parse_file` turns it into `CustomerRecord`s or `OrderRecord`s
built on the canonical models the webhooks use (`huike.core.events`), and a `Problem` for every
row it refused and every field it dropped. Shopify ids are derived as the Shopify adapter derives
them ("shopify-<id>"), so a later webhook lands on the imported customer or order.

Cleaning (customers, every format): names trimmed, whitespace collapsed; emails validated and
lower-cased (`normalise_email`); phones to E.164 in the row's country, else the seller's default
country (`normalise_phone`; a valid landline is kept, an invalid number is dropped); countries
as ISO 3166 alpha-2 codes; birthdays as YYYY-MM-DD. A field that is invalid or longer than the
canonical model allows is dropped with a Problem (rejected=False); a row left with no customer
id, no valid phone and no valid email is refused (rejected=True). Consent: only an affirmative
`accepts_*` value makes a statement (granted, dated only when the file says when); "no" makes
none, since absence of consent already means no marketing and a withdrawal must come from the
buyer, not from a spreadsheet.

Merge rule (customer formats): rows that name the same person are folded into one record: same
customer id, same E.164 phone or same normalised email, transitively (union-find, in file
order). For each field the LAST row (in file order) that has a value wins, because later rows in
an export are newer edits; fields a later row leaves empty are filled from earlier rows. Tags are
the union of every row's tags; the Shopify totals are the last row's that has them. Consent: per
channel, the first row's granted statement (its proof names that row's line). Two different
customer ids are never merged, even when they share a phone or an email: to the platform they are
two people, so they stay two records and a Problem (rejected=False) names the shared contact.
`merged_rows` counts the rows folded into an earlier row's record.

Shopify's order export has one row per line item; rows sharing a `Name` are one order (adjacent
or not). A row that repeats an order's totals (a second `Total` for the same `Name`) starts a
second copy of that order: the last copy is imported and the earlier copy's rows count as merged.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from huike.core import clock
from huike.core.enums import Channel
from huike.core.events import (
    EARLIEST,
    FUTURE_CONSENT_TOLERANCE,
    LATEST,
    MAX_LINE_ITEMS,
    ConsentData,
    CustomerData,
    LineItem,
    OrderData,
)
from huike.customers.identity import Email, Phone, normalise_email, normalise_phone
from huike.imports import FORMATS, MAPPABLE_FIELDS

MAX_ROWS = 100_000
IDENTITY_FIELDS = ("platform_id", "email", "phone")
NO_IDENTITY = "no customer id, valid phone or valid email"
NO_BUYER = "no email or valid phone to find the buyer by"


class ImportFileError(ValueError):
    """The whole file is unusable; str(exc) is a reason a seller understands."""


@dataclass(frozen=True)
class Problem:
    line: int  # 1-based physical line where the record starts (the header is line 1)
    reason: str
    rejected: bool  # True: the row was not imported; False: imported, but a field was dropped


@dataclass(frozen=True)
class CustomerRecord:
    lines: tuple[int, ...]  # every source line folded into this record, first first
    customer: CustomerData
    tags: frozenset[str]
    platform_order_count: int | None  # Shopify "Total Orders"
    platform_total_spent: str | None  # Shopify "Total Spent", as a decimal string
    merge_reason: str | None  # None for a record from one line


@dataclass(frozen=True)
class OrderRecord:
    lines: tuple[int, ...]
    order: OrderData
    customer: CustomerData  # the buyer as the order knows them


@dataclass
class ParsedFile:
    format: str
    rows: int  # data rows read (records in the file, not physical lines)
    customers: list[CustomerRecord]
    orders: list[OrderRecord]
    problems: list[Problem]  # sorted by line
    merged_rows: int  # rows folded into an earlier row's record (in-file duplicates)
    # What parsing learned of each valid phone kept (by E.164): chunks carry it, so the chunk
    # worker neither parses a number again nor loads phonenumbers.
    phones: dict[str, Phone] = field(default_factory=dict)


# -- decoding and reading -----------------------------------------------------------------------
def decode(data: bytes) -> str:
    """UTF-8 (with or without a BOM), else GB18030 (Excel/WPS in Chinese); else ImportFileError."""
    if data.startswith(b"PK\x03\x04"):
        raise ImportFileError(
            "this is an Excel workbook (or another zip file), not a CSV file: "
            "save it as 'CSV UTF-8 (comma delimited)' and upload that"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise ImportFileError(
                "the file is neither UTF-8 nor GB18030 text: save it from your spreadsheet as "
                "'CSV UTF-8' and upload it again"
            ) from None
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        raise ImportFileError(
            "the file holds binary data, not text (a spreadsheet file, or UTF-16 text): "
            "save it as 'CSV UTF-8' and upload it again"
        )
    if not text.strip():
        raise ImportFileError("the file is empty")
    return text


def parse_file(
    data: bytes, fmt: str, *, default_country: str | None, mapping: dict[str, str] | None = None
) -> ParsedFile:
    """Parse and clean an import file; ImportFileError when the file as a whole is unusable."""
    if fmt not in FORMATS:
        raise ImportFileError(f"unknown file format {fmt!r}: expected one of {', '.join(FORMATS)}")
    text = decode(data)
    region = _country(default_country) if default_country else None
    with _without_cycle_collection():
        if fmt == "shopify_orders":
            header, records = _read_csv(text)
            return _OrderReader(header, region).parse(records)
        return _parse_customers(text, fmt, region, mapping)


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Parsing builds ~10 objects per row and no reference cycles (refcounting frees everything),
    but the cyclic collector would re-scan the growing heap again and again: a 100,000-row file
    parses about a third faster without it. The previous state is restored."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _parse_customers(text: str, fmt: str, region: str | None, mapping: dict[str, str] | None) -> ParsedFile:
    problems: list[Problem] = []
    if fmt == "jsonl":
        rows = _jsonl_rows(text, mapping, problems)
        count = len(rows) + len(problems)
        source = _Source("an imported JSON Lines file", shopify=False)
    else:
        header, records = _read_csv(text)
        count = len(records)
        if fmt == "shopify_customers":
            rows = _shopify_customer_rows(header, records)
            source = _Source("a Shopify customer export", shopify=True)
        else:
            rows = _mapped_rows(header, records, mapping)
            source = _Source("an imported CSV file", shopify=False)
        del records
    cleaner = _CustomerCleaner(source, region, problems)
    people = [person for person in map(cleaner.clean, rows) if person is not None]
    del rows
    customers, merged = _merge(people, problems)
    problems.sort(key=lambda problem: problem.line)
    return ParsedFile(
        format=fmt,
        rows=count,
        customers=customers,
        orders=[],
        problems=problems,
        merged_rows=merged,
        phones=cleaner.contacts.valid_phones(),
    )


def _too_many_rows() -> ImportFileError:
    return ImportFileError(
        f"the file has more than {MAX_ROWS:,} rows, the most one import takes: split it into files of "
        f"at most {MAX_ROWS:,} rows"
    )


_Records = list[tuple[int, list[str]]]


def _read_csv(text: str) -> tuple[dict[str, int], _Records]:
    """The header (column name -> index, first of a repeated name) and the data rows, each with
    the physical line it starts on. Blank rows and repeats of the header are skipped."""
    end = text.find("\n")
    first_line = text[: end if end >= 0 else len(text)]
    delimiter = ","
    if "," not in first_line:  # a spreadsheet's tab- or semicolon-separated "CSV"
        best = max(("\t", ";"), key=first_line.count)
        delimiter = best if best in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    raw_header: list[str] | None = None
    records: _Records = []
    try:
        while True:
            start = reader.line_num + 1
            row = next(reader, None)
            if row is None:
                break
            if not any(cell.strip() for cell in row) or row == raw_header:
                continue
            if raw_header is None:
                raw_header = row
                continue
            if len(records) >= MAX_ROWS:
                raise _too_many_rows()
            records.append((start, row))
    except csv.Error as exc:
        raise ImportFileError(f"line {reader.line_num}: the file is not valid CSV ({exc})") from None
    if raw_header is None:
        raise ImportFileError("the file has no header row")
    header: dict[str, int] = {}
    for index, name in enumerate(raw_header):
        header.setdefault(_column_name(name), index)
    header.pop("", None)
    return header, records


def _column_name(name: str) -> str:
    return name.strip().lstrip("\ufeff").strip()


def _cell(row: list[str], index: int | None) -> str:
    return row[index] if index is not None and index < len(row) else ""


def _columns_listed(names: Sequence[str]) -> str:
    return ", ".join(repr(name) for name in names)


# -- rows in canonical field names ----------------------------------------------------------------
@dataclass(frozen=True)
class _Source:
    kind: str  # "a Shopify customer export": said in consent wording
    shopify: bool


@dataclass
class _Row:
    line: int
    values: dict[str, Any]  # canonical field -> raw value (text from a CSV; any JSON value)
    columns: Mapping[str, str]  # canonical field -> the column (or JSON key) it came from
    phones: list[tuple[str, Any]]  # (column, raw value), preferred first


_SHOPIFY_CUSTOMER_COLUMNS: dict[str, tuple[str, ...]] = {
    "platform_id": ("Customer ID",),
    "first_name": ("First Name",),
    "last_name": ("Last Name",),
    "email": ("Email",),
    "accepts_email": ("Accepts Email Marketing", "Accepts Marketing"),
    "accepts_sms": ("Accepts SMS Marketing",),
    "country": ("Default Address Country Code", "Country Code"),
    "tags": ("Tags",),
    "order_count": ("Total Orders",),
    "total_spent": ("Total Spent",),
}
_SHOPIFY_PHONE_COLUMNS = ("Phone", "Default Address Phone")


def _shopify_customer_rows(header: dict[str, int], records: _Records) -> list[_Row]:
    if "Customer ID" not in header and not ("Email" in header and "Phone" in header):
        missing = [name for name in ("Customer ID", "Email", "Phone") if name not in header]
        raise ImportFileError(
            "this does not look like a Shopify customer export: it needs a 'Customer ID' column, or "
            f"'Email' and 'Phone' columns; missing: {_columns_listed(missing)}"
        )
    columns: dict[str, str] = {}
    for canonical, names in _SHOPIFY_CUSTOMER_COLUMNS.items():
        present = next((name for name in names if name in header), None)
        if present is not None:
            columns[canonical] = present
    indexes = [(canonical, header[name]) for canonical, name in columns.items()]
    phone_indexes = [(name, header[name]) for name in _SHOPIFY_PHONE_COLUMNS if name in header]
    return [
        _Row(
            line,
            {canonical: _cell(row, index) for canonical, index in indexes},
            columns,
            [(name, _cell(row, index)) for name, index in phone_indexes],
        )
        for line, row in records
    ]


def _check_mapping(mapping: Mapping[str, Any] | None, what: str) -> dict[str, str]:
    if mapping is None or not any(isinstance(name, str) and name.strip() for name in mapping.values()):
        raise ImportFileError(
            f"{what} needs a column mapping: which column holds the email, the phone, the name, ... "
            f"(fields: {', '.join(MAPPABLE_FIELDS)})"
        )
    unknown = sorted(name for name in mapping if name not in MAPPABLE_FIELDS)
    if unknown:
        raise ImportFileError(
            f"the mapping names unknown fields: {_columns_listed(unknown)}; the fields are {', '.join(MAPPABLE_FIELDS)}"
        )
    return {
        canonical: _column_name(name) for canonical, name in mapping.items() if isinstance(name, str) and name.strip()
    }


def _mapped_rows(header: dict[str, int], records: _Records, mapping: dict[str, str] | None) -> list[_Row]:
    columns = _check_mapping(mapping, "a CSV import")
    missing = [name for name in columns.values() if name not in header]
    if missing:
        found = list(header)
        shown = _columns_listed(found[:30]) + (", ..." if len(found) > 30 else "")
        raise ImportFileError(f"the file has no column named {_columns_listed(missing)}; its columns are: {shown}")
    if not any(canonical in columns for canonical in IDENTITY_FIELDS):
        raise ImportFileError("map at least one of platform_id, email or phone to a column, to know who each row is")
    indexes = [(canonical, header[name]) for canonical, name in columns.items() if canonical != "phone"]
    phone_index = header[columns["phone"]] if "phone" in columns else None
    return [
        _Row(
            line,
            {canonical: _cell(row, index) for canonical, index in indexes},
            columns,
            [(columns["phone"], _cell(row, phone_index))] if phone_index is not None else [],
        )
        for line, row in records
    ]


def _jsonl_rows(text: str, mapping: dict[str, str] | None, problems: list[Problem]) -> list[_Row]:
    columns = {canonical: canonical for canonical in MAPPABLE_FIELDS}
    if mapping is not None:
        columns.update(_check_mapping(mapping, "a JSON Lines import with a mapping"))
    lines = text.split("\n")
    if sum(1 for line in lines if line.strip()) > MAX_ROWS:
        raise _too_many_rows()
    keys = [(canonical, key) for canonical, key in columns.items() if canonical != "phone"]
    phone_key = columns["phone"]
    rows: list[_Row] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError as exc:
            problems.append(Problem(number, f"not valid JSON ({getattr(exc, 'msg', exc)})", rejected=True))
            continue
        if not isinstance(value, dict):
            problems.append(Problem(number, f"not a JSON object but {_json_kind(value)}", rejected=True))
            continue
        rows.append(
            _Row(
                number,
                {canonical: value.get(key) for canonical, key in keys},
                columns,
                [(phone_key, value.get(phone_key))],
            )
        )
    return rows


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    return "a number" if isinstance(value, int | float) and not isinstance(value, bool) else "true/false"


# -- values ----------------------------------------------------------------------------------------
def _text(value: Any) -> str | None:
    """A raw value as trimmed text; None when empty."""
    if value is None:
        return None
    if isinstance(value, str):
        stripped = value.strip()
        return stripped or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    return None


def _shown(value: Any) -> str:
    """A value quoted for a Problem: 'text', cut short."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = text.strip()
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _name(value: Any) -> str | None:
    text = _text(value)
    return " ".join(text.split()) if text else None


def _split_name(full: str) -> tuple[str | None, str | None]:
    """'Ann Marie Lee' -> ('Ann Marie', 'Lee'); one word is a first name."""
    first, _, last = full.rpartition(" ")
    return (first, last) if first else (last, None)


_COUNTRY_ALIASES = {"UK": "GB"}


def _country(value: str) -> str | None:
    """An ISO 3166 alpha-2 code from a code ('us') or an English or Chinese country name."""
    text = " ".join(value.split())
    if len(text) == 2 and text.isascii() and text.isalpha():
        code = text.upper()
        return _COUNTRY_ALIASES.get(code, code)
    return _country_names().get(text.casefold())


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    try:
        from babel import Locale
    except ImportError:  # pragma: no cover - babel is a layer dependency
        return {}
    names: dict[str, str] = {}
    for language in ("zh", "en"):
        for code, name in Locale(language).territories.items():
            if len(code) == 2 and code.isalpha():
                names[name.casefold()] = code
    return names


_AMOUNT = re.compile(r"^\d{1,15}(\.\d{1,6})?$")
_INTEGER = re.compile(r"^[0-9]+$")


def _amount(text: str) -> str:
    """A non-negative decimal string ('409.94'); ValueError otherwise."""
    if _AMOUNT.match(text):
        return text
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None
    formatted = format(number, "f") if number.is_finite() else ""
    if not _AMOUNT.match(formatted):
        raise ValueError(text)
    return formatted


def _count(text: str) -> int:
    """A non-negative whole number ('3', or '3.0' from a spreadsheet); ValueError otherwise."""
    if _INTEGER.match(text):
        return int(text)
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None
    if not number.is_finite() or number < 0 or number != number.to_integral_value():
        raise ValueError(text)
    return int(number)


def _moment(text: str) -> datetime:
    """Shopify's '2024-03-05 14:22:10 -0500', or ISO 8601; naive times are UTC. In UTC."""
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    parsed = parsed.astimezone(UTC)
    if not EARLIEST <= parsed < LATEST:
        raise ValueError(f"not between {EARLIEST:%Y} and {LATEST:%Y}")
    return parsed


_BIRTHDAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_YES = frozenset({"yes", "true", "1", "subscribed", "y"})
_NO = frozenset({"no", "false", "0", "unsubscribed", "not_subscribed", "n", "pending", "redacted", "invalid"})


def _flag(value: Any) -> bool | None:
    """An accepts_* value: True (affirmative), False, None (empty); ValueError when unreadable."""
    if isinstance(value, bool):
        return value
    text = _text(value)
    if text is None:
        return None
    lowered = text.lower()
    if lowered in _YES:
        return True
    if lowered in _NO:
        return False
    raise ValueError(text)


def _shopify_number(value: str, column: str) -> tuple[str | None, str | None]:
    """Shopify's numeric id from "7163742617889", "'7163742617889" (Shopify's guard against
    Excel) or a gid; (None, why) otherwise."""
    text = value.strip().removeprefix("'").strip()
    if _INTEGER.match(text):
        return text, None
    if text.startswith("gid://shopify/") and _INTEGER.match(text.rpartition("/")[2]):
        return text.rpartition("/")[2], None
    if re.match(r"^[0-9](\.[0-9]+)?[eE]\+?[0-9]+$", text):
        return None, f"{column} {_shown(value)} was rounded by a spreadsheet (scientific notation)"
    return None, f"{column} {_shown(value)} is not a Shopify id"


def _phone_problem(column: str, raw: Any, region: str | None) -> str:
    where = f"for {region}" if region else "(no country code, and no country to read it in)"
    return f"{column} {_shown(raw)} is not a valid number {where}"


class _Contacts:
    """`normalise_phone` and `normalise_email`, each distinct value parsed once per file: a repeat
    buyer's phone and email are on every one of their orders."""

    def __init__(self) -> None:
        self._phones: dict[tuple[str, str | None], Phone | None] = {}
        self._emails: dict[str, Email | None] = {}

    def email(self, raw: str) -> Email | None:
        if raw not in self._emails:
            self._emails[raw] = normalise_email(raw)
        return self._emails[raw]

    def phone(self, raw: str, region: str | None) -> Phone | None:
        key = (raw, region)
        if key not in self._phones:
            self._phones[key] = normalise_phone(raw.removeprefix("'"), region)  # "'+1 ..." (Shopify, for Excel)
        return self._phones[key]

    def valid_phones(self) -> dict[str, Phone]:
        return {phone.e164: phone for phone in self._phones.values() if phone is not None and phone.e164}

    def pick_phone(self, candidates: Sequence[tuple[str, Any]], region: str | None) -> tuple[Phone | None, list[str]]:
        """The first textable valid phone, else the first valid one; and why the invalid ones
        before it failed."""
        chosen: Phone | None = None
        invalid: list[str] = []
        for column, raw in candidates:
            text = _text(raw)
            phone = self.phone(text, region) if text else None
            if phone is None:
                continue
            if phone.e164 is None:
                invalid.append(_phone_problem(column, raw, region))
            elif phone.textable:
                return phone, invalid
            elif chosen is None:
                chosen = phone
        return chosen, invalid


_Model = TypeVar("_Model", bound=BaseModel)


def _build(
    model: type[_Model], kwargs: dict[str, Any], labels: Mapping[str, str], required: frozenset[str] = frozenset()
) -> tuple[_Model | None, list[str]]:
    """Construct a model, dropping (with a note) each field it refuses; None when a required
    field (or the whole object) is refused. `kwargs` is left holding what was kept."""
    notes: list[str] = []
    while True:
        try:
            return model(**kwargs), notes
        except ValidationError as exc:
            refused: dict[str, str] = {}
            for error in exc.errors():
                name = error["loc"][0] if error["loc"] else None
                if not isinstance(name, str) or name not in kwargs:
                    return None, [*notes, _describe(error)]
                refused.setdefault(name, _describe(error, labels.get(name, name), kwargs[name]))
            for name, note in refused.items():
                if name in required:
                    return None, [*notes, note]
                notes.append(f"{note}; dropped")
                del kwargs[name]


def _describe(error: Any, label: str | None = None, value: Any = None) -> str:
    maximum = (error.get("ctx") or {}).get("max_length")
    if label and error["type"] in ("string_too_long", "too_long") and maximum is not None:
        return f"{label} is longer than {maximum} {'characters' if error['type'] == 'string_too_long' else 'items'}"
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    if label is None:
        where = ".".join(str(part) for part in error["loc"])
        return f"{where}: {message}" if where else message
    shown = f" {_shown(value)}" if isinstance(value, str | int | float) else ""
    return f"{label}{shown} was refused ({message})"


# -- customers ---------------------------------------------------------------------------------------
@dataclass
class _Person:
    line: int
    fields: dict[str, Any]  # CustomerData arguments that were kept, except consents
    consents: list[ConsentData]
    tags: set[str]
    order_count: int | None
    total_spent: str | None
    customer: CustomerData


_CHANNELS = ((Channel.EMAIL, "accepts_email"), (Channel.SMS, "accepts_sms"))


class _CustomerCleaner:
    def __init__(self, source: _Source, default_region: str | None, problems: list[Problem]) -> None:
        self.source = source
        self.default_region = default_region
        self.problems = problems
        self.latest_consent = clock.now() + FUTURE_CONSENT_TOLERANCE
        self.contacts = _Contacts()

    def clean(self, row: _Row) -> _Person | None:
        values, columns, line = row.values, row.columns, row.line
        kwargs: dict[str, Any] = {}
        contact: list[str] = []  # why an identity was dropped: in the rejection, or a Problem each
        notes: list[str] = []  # other dropped fields (reported only when the row is imported)

        raw_id = _text(values.get("platform_id"))
        if raw_id and self.source.shopify:
            number, why = _shopify_number(raw_id, columns["platform_id"])
            if number:
                kwargs["platform_id"] = f"shopify-{number}"
            else:
                contact.append(str(why))
        elif raw_id:
            kwargs["platform_id"] = raw_id

        first, last = _name(values.get("first_name")), _name(values.get("last_name"))
        if first is None and last is None and (full := _name(values.get("name"))):
            first, last = _split_name(full)
        if first:
            kwargs["first_name"] = first
        if last:
            kwargs["last_name"] = last

        raw_country = _text(values.get("country"))
        country = _country(raw_country) if raw_country else None
        if country:
            kwargs["country"] = country
        elif raw_country:
            notes.append(f"{columns['country']} {_shown(raw_country)} is not a country; dropped")

        raw_email = _text(values.get("email"))
        email = self.contacts.email(raw_email) if raw_email else None
        if email is not None and email.normalized:
            kwargs["email"] = email.normalized
        elif raw_email:
            contact.append(f"{columns['email']} {_shown(raw_email)} is not a valid email address")

        phone, invalid = self.contacts.pick_phone(row.phones, country or self.default_region)
        contact.extend(invalid)
        if phone is not None:
            kwargs["phone"] = phone.e164

        if not any(name in kwargs for name in IDENTITY_FIELDS):
            self._reject(line, contact)
            return None

        if locale := _text(values.get("locale")):
            kwargs["locale"] = locale
        if raw_birthday := _text(values.get("birthday")):
            try:
                if not _BIRTHDAY.match(raw_birthday):
                    raise ValueError(raw_birthday)
                kwargs["birthday"] = date.fromisoformat(raw_birthday)
            except ValueError:
                notes.append(f"{columns['birthday']} {_shown(raw_birthday)} is not a date (YYYY-MM-DD); dropped")
        consents = self._consents(row, notes)
        if consents:
            kwargs["consents"] = consents
        order_count = total_spent = None
        if raw_count := _text(values.get("order_count")):
            try:
                order_count = _count(raw_count)
            except ValueError:
                notes.append(f"{columns['order_count']} {_shown(raw_count)} is not a whole number; dropped")
        if raw_spent := _text(values.get("total_spent")):
            try:
                total_spent = _amount(raw_spent)
            except ValueError:
                notes.append(f"{columns['total_spent']} {_shown(raw_spent)} is not an amount; dropped")

        labels = {**columns, "consents": "consent"}
        customer, refused = _build(CustomerData, kwargs, labels)
        if customer is None or not any(name in kwargs for name in IDENTITY_FIELDS):
            self._reject(line, contact + [note.removesuffix("; dropped") for note in refused])
            return None
        self.problems.extend(Problem(line, f"{note}; dropped", rejected=False) for note in contact)
        self.problems.extend(Problem(line, note, rejected=False) for note in notes + refused)
        return _Person(
            line=line,
            fields={name: value for name, value in kwargs.items() if name != "consents"},
            consents=customer.consents,
            tags=_tags(values.get("tags")),
            order_count=order_count,
            total_spent=total_spent,
            customer=customer,
        )

    def _reject(self, line: int, why: list[str]) -> None:
        reason = f"{NO_IDENTITY} ({'; '.join(why)})" if why else NO_IDENTITY
        self.problems.append(Problem(line, reason, rejected=True))

    def _consents(self, row: _Row, notes: list[str]) -> list[ConsentData]:
        values, columns = row.values, row.columns
        at: datetime | None = None
        raw_at = _text(values.get("consent_at"))
        if raw_at:
            label = columns["consent_at"]
            try:
                at = _moment(raw_at)
            except ValueError:
                notes.append(f"{label} {_shown(raw_at)} is not a date and time; consent recorded without it")
            else:
                if at > self.latest_consent:
                    notes.append(f"{label} {_shown(raw_at)} is in the future; consent recorded without it")
                    at = None
        statements: list[ConsentData] = []
        for channel, name in _CHANNELS:
            raw = values.get(name)
            try:
                granted = _flag(raw)
            except ValueError:
                notes.append(f"{columns[name]} {_shown(raw)} is not yes or no; no consent recorded")
                continue
            if not granted:
                continue  # "no" is no statement: a withdrawal comes from the buyer, not a spreadsheet
            when = f"({columns['consent_at']} = {raw_at})" if at is not None else "(no date in the file)"
            statement = _consent(
                channel, at, f"{columns[name]} = {_text(raw)} in {self.source.kind} {when}", row.line, columns[name]
            )
            if statement is None:
                notes.append(f"{columns[name]}: the consent statement was refused; no consent recorded")
            else:
                statements.append(statement)
        return statements


def _consent(channel: Channel, at: datetime | None, wording: str, line: int, column: str) -> ConsentData | None:
    try:
        return ConsentData(
            channel=channel,
            granted=True,
            at=at,
            wording=wording[:1000],
            proof={"file_line": str(line), "column": column[:1000]},
        )
    except ValidationError:
        return None


def _tags(value: Any) -> set[str]:
    if isinstance(value, list):
        parts = [_text(item) for item in value]
    else:
        text = _text(value)
        parts = [part.strip() for part in text.split(",")] if text else []
    return {part for part in parts if part}


_KINDS = ("customer id", "phone", "email")


def _merge(people: list[_Person], problems: list[Problem]) -> tuple[list[CustomerRecord], int]:
    """Fold rows naming the same person (the module's merge rule); records by first line."""
    parent = list(range(len(people)))
    platform = [person.fields.get("platform_id") for person in people]  # per root
    owner: dict[tuple[str, str], int] = {}
    matched: list[tuple[int, str]] = []  # (row, kind) for each identity a row shared with its group
    conflicts: dict[tuple[int, int], list[str]] = {}

    def find(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for index, person in enumerate(people):
        keys = (person.fields.get("platform_id"), person.fields.get("phone"), person.fields.get("email"))
        for kind, value in zip(_KINDS, keys, strict=True):
            if value is None:
                continue
            other = owner.setdefault((kind, value), index)
            if other == index:
                continue
            mine, theirs = find(index), find(other)
            if mine != theirs:
                ids = (platform[mine], platform[theirs])
                if ids[0] and ids[1] and ids[0] != ids[1]:
                    conflicts.setdefault((index, other), []).append(f"{kind} {value}")
                    continue
                root, child = min(mine, theirs), max(mine, theirs)
                parent[child] = root
                platform[root] = ids[0] or ids[1]
            matched.append((index, kind))

    for (index, other), shared in conflicts.items():
        here, there = platform[find(index)], platform[find(other)]
        problems.append(
            Problem(
                people[index].line,
                f"same {' and '.join(shared)} as line {people[other].line}, but a different customer id "
                f"({here} here, {there} there): kept as two customers",
                rejected=False,
            )
        )

    groups: dict[int, list[int]] = {}
    for index in range(len(people)):
        groups.setdefault(find(index), []).append(index)
    kinds: dict[int, list[str]] = {}
    for index, kind in matched:
        found = kinds.setdefault(find(index), [])
        if kind not in found:
            found.append(kind)

    records: list[CustomerRecord] = []
    merged = 0
    for root, members in groups.items():  # roots are each group's first row: in file order
        rows = [people[index] for index in members]
        lines = tuple(person.line for person in rows)
        if len(rows) == 1:
            only = rows[0]
            records.append(CustomerRecord(lines, only.customer, frozenset(only.tags), only.order_count,
                                          only.total_spent, None))  # fmt: skip
            continue
        merged += len(rows) - 1
        records.append(_fold(rows, lines, _merge_reason(lines, kinds.get(root, []))))
    records.sort(key=lambda record: record.lines[0])
    return records, merged


def _fold(rows: list[_Person], lines: tuple[int, ...], reason: str) -> CustomerRecord:
    fields: dict[str, Any] = {}
    consents: dict[Channel, ConsentData] = {}
    tags: set[str] = set()
    order_count: int | None = None
    total_spent: str | None = None
    for person in rows:
        fields.update(person.fields)  # the last row with a value wins; earlier rows fill the gaps
        for statement in person.consents:
            consents.setdefault(statement.channel, statement)  # the first row's statement
        tags |= person.tags
        order_count = person.order_count if person.order_count is not None else order_count
        total_spent = person.total_spent if person.total_spent is not None else total_spent
    customer, _ = _build(CustomerData, {**fields, "consents": list(consents.values())}, {})
    return CustomerRecord(lines, customer or rows[-1].customer, frozenset(tags), order_count, total_spent, reason)


def _merge_reason(lines: tuple[int, ...], kinds: list[str]) -> str:
    listed = ", ".join(str(line) for line in lines[:-1]) + f" and {lines[-1]}"
    if len(lines) > 10:
        listed = ", ".join(str(line) for line in lines[:10]) + f" and {len(lines) - 10} more"
    same = kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + f" and {kinds[-1]}"
    return f"lines {listed}: same {same}"


# -- orders ---------------------------------------------------------------------------------------------
_ORDER_REQUIRED = ("Name", "Email", "Created at", "Total")
_PAID_FALLBACK_STATUSES = frozenset({"paid", "partially_refunded", "refunded"})
_ORDER_LABELS = {
    "name": "Name",
    "currency": "Currency",
    "total_price": "Total",
    "created_at": "Created at",
    "financial_status": "Financial Status",
    "paid_at": "Paid at",
    "cancelled_at": "Cancelled at",
    "refunded_at": "refund time",
    "line_items": "line items",
    "contact_email": "Email",
    "contact_phones": "phones",
    "product_id": "Lineitem sku",
    "sku": "Lineitem sku",
    "title": "Lineitem name",
    "quantity": "Lineitem quantity",
    "price": "Lineitem price",
    "first_name": "Billing Name",
    "last_name": "Billing Name",
    "email": "Email",
    "phone": "Phone",
    "country": "Billing Country",
    "consents": "Accepts Marketing",
}


class _OrderReader:
    """Shopify's order export: one row per line item, the order's own fields on its first row."""

    def __init__(self, header: dict[str, int], default_region: str | None) -> None:
        missing = [name for name in _ORDER_REQUIRED if name not in header]
        if missing:
            raise ImportFileError(
                f"this does not look like a Shopify order export: missing columns {_columns_listed(missing)}"
            )
        self.header = header
        self.default_region = default_region
        self.problems: list[Problem] = []
        self.contacts = _Contacts()

    def parse(self, records: _Records) -> ParsedFile:
        index = self.header.get
        name_at, total_at = index("Name"), index("Total")
        copies: dict[str, list[list[tuple[int, list[str]]]]] = {}
        totalled: set[str] = set()  # orders whose latest copy has its Total row already
        for line, row in records:
            name = _cell(row, name_at).strip()
            if not name:
                self.problems.append(Problem(line, "no order Name", rejected=True))
                continue
            has_total = bool(_cell(row, total_at).strip())
            seen = copies.get(name)
            if seen is None:
                copies[name] = [[(line, row)]]
            elif has_total and name in totalled:
                seen.append([(line, row)])  # the order's totals again: a second copy of the order
            else:
                seen[-1].append((line, row))
            if has_total:
                totalled.add(name)
        orders: list[OrderRecord] = []
        merged = 0
        for name, versions in copies.items():
            kept = versions[-1]
            for earlier in versions[:-1]:
                merged += len(earlier)
                self.problems.append(
                    Problem(
                        earlier[0][0],
                        f"order {name} appears again at line {kept[0][0]}; the later copy was imported",
                        rejected=False,
                    )
                )
            order = self._order(name, kept)
            if order is not None:
                lines = tuple(sorted(line for version in versions for line, _ in version))
                orders.append(OrderRecord(lines, *order))
        orders.sort(key=lambda record: record.lines[0])
        self.problems.sort(key=lambda problem: problem.line)
        return ParsedFile(
            format="shopify_orders",
            rows=len(records),
            customers=[],
            orders=orders,
            problems=self.problems,
            merged_rows=merged,
        )

    def _order(self, name: str, rows: list[tuple[int, list[str]]]) -> tuple[OrderData, CustomerData] | None:
        header, total_at = self.header, self.header.get("Total")
        first_line = rows[0][0]
        head = next((row for _, row in rows if _cell(row, total_at).strip()), rows[0][1])
        ordered = [head] + [row for _, row in rows if row is not head]

        def get(column: str) -> str | None:
            position = header.get(column)
            return next((text for row in ordered if (text := _cell(row, position).strip())), None)

        reject: list[str] = []
        notes: list[str] = []  # dropped fields, reported when the order is imported
        moments: dict[str, datetime | None] = {}
        for column in ("Created at", "Paid at", "Cancelled at"):
            raw = get(column)
            try:
                moments[column] = _moment(raw) if raw else None
            except ValueError:
                reject.append(f"{column} {_shown(raw)} is not a date and time")
        total: str | None = None
        if raw_total := get("Total"):
            try:
                total = _amount(raw_total)
            except ValueError:
                reject.append(f"Total {_shown(raw_total)} is not an amount")

        raw_email = get("Email")
        email = self.contacts.email(raw_email) if raw_email else None
        contact: list[str] = []
        if raw_email and not (email and email.normalized):
            contact.append(f"Email {_shown(raw_email)} is not a valid email address")
        billing = _country(raw) if (raw := get("Billing Country")) else None
        shipping = _country(raw) if (raw := get("Shipping Country")) else None
        region = billing or shipping or self.default_region
        phones: list[Phone] = []
        for column in ("Phone", "Billing Phone", "Shipping Phone"):
            column_region = (shipping or region) if column == "Shipping Phone" else region
            phone, invalid = self.contacts.pick_phone([(column, get(column))], column_region)
            contact.extend(invalid)
            if phone is not None and all(phone.e164 != seen.e164 for seen in phones):
                phones.append(phone)
        if not (email and email.normalized) and not phones:
            reject.insert(0, NO_BUYER)
            reject.extend(contact)
        if reject:
            self.problems.append(Problem(first_line, f"order {name}: {'; '.join(reject)}", rejected=True))
            return None
        notes.extend(f"{note}; dropped" for note in contact)

        status = (get("Financial Status") or "").lower() or None
        created_at, paid_at = moments["Created at"], moments["Paid at"]
        if paid_at is None and status in _PAID_FALLBACK_STATUSES:
            paid_at = created_at
        cancelled_at = moments["Cancelled at"] or (created_at if status == "voided" else None)
        items = self._line_items(rows)
        if len(items) > MAX_LINE_ITEMS:
            notes.append(f"{len(items)} line items: the first {MAX_LINE_ITEMS} were imported")
            items = items[:MAX_LINE_ITEMS]
        order_kwargs: dict[str, Any] = {
            "order_id": self._order_id(name, get("Id"), notes),
            "name": name,
            "currency": (get("Currency") or "").upper() or None,
            "total_price": total,
            "created_at": created_at,
            "financial_status": status,
            "paid_at": paid_at,
            "cancelled_at": cancelled_at,
            "refunded_at": (paid_at or created_at) if status == "refunded" else None,
            "line_items": items,
            "contact_phones": [phone.e164 for phone in phones],
            "contact_email": email.normalized if email else None,
        }
        order_kwargs = {key: value for key, value in order_kwargs.items() if value is not None}
        order, refused = _build(OrderData, order_kwargs, _ORDER_LABELS, required=frozenset({"order_id"}))
        if order is None:
            self.problems.append(Problem(first_line, f"order {name}: {'; '.join(refused)}", rejected=True))
            return None
        notes.extend(refused)

        buyer = _name(get("Billing Name")) or _name(get("Shipping Name"))
        first, last = _split_name(buyer) if buyer else (None, None)
        textable = next((phone for phone in phones if phone.textable), phones[0] if phones else None)
        customer_kwargs: dict[str, Any] = {
            "email": email.normalized if email else None,
            "phone": textable.e164 if textable else None,
            "first_name": first,
            "last_name": last,
            "country": billing or shipping,
        }
        raw_marketing = get("Accepts Marketing")
        try:
            accepts = _flag(raw_marketing)
        except ValueError:
            accepts = None
            notes.append(f"Accepts Marketing {_shown(raw_marketing)} is not yes or no; no consent recorded")
        if accepts:
            wording = f"Accepts Marketing = {raw_marketing} in a Shopify order export (no date in the file)"
            statement = _consent(Channel.EMAIL, None, wording, first_line, "Accepts Marketing")
            customer_kwargs["consents"] = [statement] if statement else []
        customer_kwargs = {key: value for key, value in customer_kwargs.items() if value is not None}
        customer, refused = _build(CustomerData, customer_kwargs, _ORDER_LABELS)
        notes.extend(refused)
        self.problems.extend(Problem(first_line, f"order {name}: {note}", rejected=False) for note in notes)
        return order, customer or CustomerData()

    def _order_id(self, name: str, raw_id: str | None, notes: list[str]) -> str:
        if raw_id:
            number, why = _shopify_number(raw_id, "Id")
            if number:
                return f"shopify-{number}"
            notes.append(f"{why}; the order is identified by its Name")
        return f"shopify-name-{name.removeprefix('#')}"

    def _line_items(self, rows: list[tuple[int, list[str]]]) -> list[LineItem]:
        header = self.header
        columns = {
            key: header.get(column)
            for key, column in (
                ("title", "Lineitem name"),
                ("product_id", "Lineitem sku"),
                ("quantity", "Lineitem quantity"),
                ("price", "Lineitem price"),
            )
        }
        items: list[LineItem] = []
        for line, row in rows:
            raw = {key: _cell(row, position).strip() for key, position in columns.items()}
            if not any(raw.values()):
                continue
            kwargs: dict[str, Any] = {}
            notes: list[str] = []
            if title := _name(raw["title"]):
                kwargs["title"] = title
            if raw["product_id"]:  # Shopify's export names a line item by its SKU only
                kwargs["product_id"] = kwargs["sku"] = raw["product_id"]
            if raw["quantity"]:
                try:
                    kwargs["quantity"] = _count(raw["quantity"])
                except ValueError:
                    notes.append(f"Lineitem quantity {_shown(raw['quantity'])} is not a whole number; taken as 1")
            if raw["price"]:
                try:
                    kwargs["price"] = _amount(raw["price"])
                except ValueError:
                    notes.append(f"Lineitem price {_shown(raw['price'])} is not an amount; dropped")
            item, refused = _build(LineItem, kwargs, _ORDER_LABELS)
            self.problems.extend(Problem(line, note, rejected=False) for note in notes + refused)
            if item is not None:
                items.append(item)
        return items
