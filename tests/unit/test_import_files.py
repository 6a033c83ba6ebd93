"""Import files (Shopify exports, generic CSV, JSON Lines) parsed into canonical records."""

from __future__ import annotations

import pytest

from huike.core.enums import Channel
from huike.imports.files import MAX_ROWS, ImportFileError, Problem, decode, parse_file
from tests.support.clock import utc
from tests.support.contacts import BUYER_PHONE, BUYER_PHONE_NATIONAL, buyer_phone, buyer_phone_national
from tests.support.import_files import generic_rows, jsonl, shopify_customer_csv, shopify_orders_csv

CN_MOBILE = "13800138000"
CN_MOBILE_E164 = "+8613800138000"
UK_LANDLINE = "+44 20 7946 0958"


def customers(rows, **options):
    return parse_file(shopify_customer_csv(rows), "shopify_customers", default_country="US", **options)


def orders(rows, default_country="US"):
    return parse_file(shopify_orders_csv(rows), "shopify_orders", default_country=default_country)


# -- Shopify customer export -----------------------------------------------------------------------
def test_shopify_customer_export_becomes_canonical_customers_with_shopify_ids():
    parsed = customers(
        [
            {
                "Customer ID": "7163742617889",
                "First Name": "  Ann  Marie ",
                "Last Name": "Lee",
                "Email": "Ann.Lee@Example.COM",
                "Accepts Email Marketing": "yes",
                "Phone": buyer_phone_national(142),
                "Default Address Country Code": "us",
                "Accepts SMS Marketing": "YES",
                "Total Spent": "409.94",
                "Total Orders": "3",
                "Tags": "vip, wholesale,, ",
            },
            {"Customer ID": "7163742617890", "Email": "bob@example.com", "Default Address Phone": BUYER_PHONE},
        ]
    )
    assert parsed.format == "shopify_customers"
    assert parsed.rows == 2 and parsed.merged_rows == 0 and parsed.problems == []
    ann, bob = parsed.customers
    assert ann.lines == (2,) and ann.merge_reason is None
    assert ann.customer.platform_id == "shopify-7163742617889"  # as the customers/update webhook derives it
    assert (ann.customer.first_name, ann.customer.last_name) == ("Ann Marie", "Lee")
    assert ann.customer.email == "ann.lee@example.com"
    assert ann.customer.phone == "+15025550142"
    assert ann.customer.country == "US"
    assert ann.tags == {"vip", "wholesale"}
    assert (ann.platform_order_count, ann.platform_total_spent) == (3, "409.94")
    email, sms = ann.customer.consents
    assert (email.channel, email.granted, email.at) == (Channel.EMAIL, True, None)
    assert email.wording == "Accepts Email Marketing = yes in a Shopify customer export (no date in the file)"
    assert email.proof == {"file_line": "2", "column": "Accepts Email Marketing"}
    assert (sms.channel, sms.granted, sms.at) == (Channel.SMS, True, None)
    assert sms.proof == {"file_line": "2", "column": "Accepts SMS Marketing"}
    # The address phone stands in when the customer has no phone of their own.
    assert bob.customer.phone == BUYER_PHONE
    assert bob.lines == (3,)


def test_customer_id_with_shopifys_excel_quote_is_the_plain_id():
    parsed = customers([{"Customer ID": "'7163742617889", "Email": "ann@example.com"}])
    assert parsed.customers[0].customer.platform_id == "shopify-7163742617889"


def test_declined_or_blank_marketing_makes_no_consent_statement():
    parsed = customers(
        [
            {"Customer ID": "1", "Accepts Email Marketing": "no", "Accepts SMS Marketing": "no"},
            {"Customer ID": "2", "Accepts Email Marketing": "", "Accepts SMS Marketing": ""},
        ]
    )
    assert [record.customer.consents for record in parsed.customers] == [[], []]
    assert parsed.problems == []


def test_older_export_columns_are_read_too():
    data = generic_rows(
        [{"Customer ID": "5", "Email": "a@example.com", "Phone": "", "Accepts Marketing": "yes", "Country Code": "GB"}]
    )
    record = parse_file(data, "shopify_customers", default_country="US").customers[0]
    assert record.customer.country == "GB"
    assert record.customer.consents[0].proof["column"] == "Accepts Marketing"


def test_a_file_that_is_not_a_customer_export_is_refused_naming_the_missing_columns():
    with pytest.raises(ImportFileError, match=r"'Customer ID'.*'Phone'"):
        parse_file(generic_rows([{"Email": "ann@example.com"}]), "shopify_customers", default_country="US")


# -- encodings and line numbers ------------------------------------------------------------------------
def test_gb18030_file_from_a_chinese_spreadsheet_keeps_names_and_cn_mobiles():
    data = shopify_customer_csv(
        [
            {"Customer ID": "11", "First Name": "伟", "Last Name": "张", "Phone": CN_MOBILE,
             "Default Address Country Code": "CN", "Tags": "老客户, 微信"},
            {"First Name": "张伟", "Phone": "138 0013 8001"},
        ],
        encoding="gb18030",
    )  # fmt: skip
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    parsed = parse_file(data, "shopify_customers", default_country="CN")
    first, second = parsed.customers
    assert (first.customer.first_name, first.customer.last_name) == ("伟", "张")
    assert first.customer.phone == CN_MOBILE_E164
    assert first.tags == {"老客户", "微信"}
    assert (second.customer.first_name, second.customer.phone) == ("张伟", "+8613800138001")


def test_utf8_with_bom_reads_the_first_column_by_its_name():
    data = "\ufeff".encode() + shopify_customer_csv([{"Customer ID": "42", "Email": "ann@example.com"}])
    assert data.startswith(b"\xef\xbb\xbf")
    parsed = parse_file(data, "shopify_customers", default_country="US")
    assert parsed.customers[0].customer.platform_id == "shopify-42"
    assert decode(data).startswith("Customer ID,")


def test_a_note_with_newlines_keeps_later_line_numbers_physical():
    parsed = customers(
        [
            {"Customer ID": "1", "Note": "likes tea\nships to office\nnever on Fridays"},
            {"Customer ID": "", "Phone": "555-12"},
        ]
    )
    assert parsed.customers[0].lines == (2,)
    assert parsed.problems == [
        Problem(5, "no customer id, valid phone or valid email (Phone '555-12' is not a valid number for US)", True)
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\xef\xbb\xbf \r\n", "empty"),
        (b"\xff\xfe\xff\xfe", "neither UTF-8 nor GB18030"),
        (b"PK\x03\x04\x14\x00", "Excel workbook"),
    ],
)
def test_an_unreadable_file_is_refused_as_a_whole(data, message):
    with pytest.raises(ImportFileError, match=message):
        parse_file(data, "shopify_customers", default_country="US")


def test_more_rows_than_the_limit_is_refused_naming_the_limit():
    data = b"Customer ID,Email,Phone\n" + b"1,,\n" * (MAX_ROWS + 1)
    with pytest.raises(ImportFileError, match="100,000 rows"):
        parse_file(data, "shopify_customers", default_country="US")


def test_blank_lines_are_skipped_and_not_counted():
    data = shopify_customer_csv([{"Customer ID": "1"}, {"Customer ID": "2"}]).replace(b"\n", b"\n\n", 1)
    parsed = parse_file(data, "shopify_customers", default_country="US")
    assert parsed.rows == 2
    assert [record.lines for record in parsed.customers] == [(3,), (4,)]


# -- cleaning ---------------------------------------------------------------------------------------------
def test_invalid_phone_with_a_valid_email_is_imported_without_the_phone():
    parsed = customers([{"Email": "ann@example.com", "Phone": "555-12", "Default Address Country Code": "US"}])
    assert parsed.customers[0].customer.phone is None
    assert parsed.customers[0].customer.email == "ann@example.com"
    assert parsed.problems == [Problem(2, "Phone '555-12' is not a valid number for US; dropped", rejected=False)]


def test_invalid_phone_and_no_email_is_rejected_with_its_line_and_reason():
    parsed = customers([{"Customer ID": "1"}, {"Email": "not-an-email", "Phone": "555-12"}])
    assert len(parsed.customers) == 1
    (problem,) = parsed.problems
    assert problem.line == 3 and problem.rejected
    assert problem.reason.startswith("no customer id, valid phone or valid email")
    assert "Phone '555-12' is not a valid number for US" in problem.reason
    assert "Email 'not-an-email' is not a valid email address" in problem.reason


def test_invalid_email_is_dropped_with_a_problem_when_the_row_has_a_phone():
    parsed = customers([{"Email": "ann@", "Phone": BUYER_PHONE}])
    assert parsed.customers[0].customer.email is None
    assert parsed.problems == [Problem(2, "Email 'ann@' is not a valid email address; dropped", rejected=False)]


def test_valid_landline_is_kept_though_it_cannot_be_texted():
    parsed = customers([{"Customer ID": "1", "Phone": UK_LANDLINE, "Default Address Country Code": "GB"}])
    assert parsed.customers[0].customer.phone == "+442079460958"


def test_phone_is_read_in_the_rows_country_before_the_sellers_default():
    parsed = customers(
        [
            {"Customer ID": "1", "Phone": CN_MOBILE, "Default Address Country Code": "CN"},
            {"Customer ID": "2", "Phone": BUYER_PHONE_NATIONAL},
        ]
    )
    assert [record.customer.phone for record in parsed.customers] == [CN_MOBILE_E164, BUYER_PHONE]


def test_too_long_value_is_dropped_with_a_problem_instead_of_failing_the_file():
    parsed = customers([{"Customer ID": "1", "First Name": "A" * 501, "Last Name": "Lee"}])
    record = parsed.customers[0]
    assert (record.customer.first_name, record.customer.last_name) == (None, "Lee")
    assert parsed.problems == [Problem(2, "First Name is longer than 500 characters; dropped", rejected=False)]


def test_unreadable_totals_and_consent_values_are_reported_not_guessed():
    parsed = customers([{"Customer ID": "1", "Total Orders": "three", "Accepts SMS Marketing": "maybe"}])
    record = parsed.customers[0]
    assert record.platform_order_count is None and record.customer.consents == []
    assert [problem.reason for problem in parsed.problems] == [
        "Accepts SMS Marketing 'maybe' is not yes or no; no consent recorded",
        "Total Orders 'three' is not a whole number; dropped",
    ]


# -- merging within the file -----------------------------------------------------------------------------
def test_rows_with_the_same_email_are_one_customer_the_last_row_winning():
    parsed = customers(
        [
            {"First Name": "Ann", "Last Name": "Lee", "Email": "ann@example.com", "Tags": "vip",
             "Accepts Email Marketing": "yes"},
            {"Customer ID": "2", "Email": "bob@example.com"},
            {"First Name": "Annie", "Email": "ANN@example.com", "Phone": BUYER_PHONE, "Tags": "wholesale"},
        ]
    )  # fmt: skip
    assert parsed.rows == 3 and parsed.merged_rows == 1
    ann, bob = parsed.customers
    assert ann.lines == (2, 4)
    assert ann.merge_reason == "lines 2 and 4: same email"
    assert ann.customer.first_name == "Annie"  # the later row is the newer edit
    assert ann.customer.last_name == "Lee"  # filled from the earlier row
    assert ann.customer.phone == BUYER_PHONE
    assert ann.tags == {"vip", "wholesale"}
    (consent,) = ann.customer.consents
    assert consent.channel == Channel.EMAIL and consent.proof["file_line"] == "2"
    assert bob.lines == (3,)


def test_rows_are_merged_by_phone_and_transitively_with_their_customer_id():
    parsed = customers(
        [
            {"Customer ID": "9", "Phone": BUYER_PHONE},
            {"Email": "bob@example.com", "Phone": BUYER_PHONE_NATIONAL, "Default Address Country Code": "US"},
            {"Email": "bob@example.com", "Total Orders": "5"},
        ]
    )
    (record,) = parsed.customers
    assert record.lines == (2, 3, 4) and parsed.merged_rows == 2
    assert record.merge_reason == "lines 2, 3 and 4: same phone and email"
    assert record.customer.platform_id == "shopify-9"
    assert (record.customer.email, record.customer.phone) == ("bob@example.com", BUYER_PHONE)
    assert record.platform_order_count == 5


def test_two_customer_ids_sharing_a_phone_stay_two_customers_with_a_problem():
    parsed = customers(
        [
            {"Customer ID": "1", "First Name": "Ann", "Phone": buyer_phone(7)},
            {"Customer ID": "2", "First Name": "Ben", "Phone": buyer_phone(7)},
        ]
    )
    assert [record.customer.platform_id for record in parsed.customers] == ["shopify-1", "shopify-2"]
    assert all(record.customer.phone == buyer_phone(7) for record in parsed.customers)
    assert parsed.merged_rows == 0
    (problem,) = parsed.problems
    assert problem.line == 3 and not problem.rejected
    assert f"same phone {buyer_phone(7)} as line 2" in problem.reason
    assert "kept as two customers" in problem.reason


def test_the_same_customer_id_twice_is_one_customer():
    parsed = customers([{"Customer ID": "1", "Tags": "a"}, {"Customer ID": "'1", "Tags": "b"}])
    (record,) = parsed.customers
    assert record.merge_reason == "lines 2 and 3: same customer id" and record.tags == {"a", "b"}


# -- Shopify order export -------------------------------------------------------------------------------
def test_order_export_rows_of_one_order_become_one_order_with_its_line_items():
    parsed = orders(
        [
            {
                "Name": "#1001",
                "Id": "450789469",
                "Email": "Bob@Example.com",
                "Financial Status": "paid",
                "Paid at": "",
                "Created at": "2024-03-05 14:22:10 -0500",
                "Currency": "usd",
                "Total": "45.50",
                "Accepts Marketing": "yes",
                "Phone": BUYER_PHONE_NATIONAL,
                "Billing Name": "Bob  Norman",
                "Billing Country": "US",
                "Billing Phone": BUYER_PHONE,
                "Shipping Phone": buyer_phone(150),
                "line_items": [
                    {
                        "Lineitem name": "Tea",
                        "Lineitem sku": "T-1",
                        "Lineitem quantity": "2",
                        "Lineitem price": "10.00",
                    },
                    {"Lineitem name": "Cup", "Lineitem quantity": "1", "Lineitem price": "25.50"},
                ],
            },
            {"Name": "#1002", "Email": "ann@example.com", "Financial Status": "pending", "Total": "9.00"},
        ]
    )
    assert parsed.format == "shopify_orders"
    assert parsed.rows == 3 and parsed.problems == [] and parsed.customers == []
    first, second = parsed.orders
    assert first.lines == (2, 3) and second.lines == (4,)
    order = first.order
    assert order.order_id == "shopify-450789469"  # as the orders/create webhook derives it
    assert order.name == "#1001" and order.currency == "USD" and order.total_price == "45.50"
    assert order.created_at == utc(2024, 3, 5, 19, 22, 10)
    assert order.paid_at == order.created_at  # paid, with no "Paid at": paid when placed
    assert order.financial_status == "paid" and order.refunded_at is None and order.cancelled_at is None
    assert [(item.product_id, item.title, item.quantity, item.price) for item in order.line_items] == [
        ("T-1", "Tea", 2, "10.00"),
        (None, "Cup", 1, "25.50"),
    ]
    assert order.contact_phones == [BUYER_PHONE, buyer_phone(150)]
    assert order.contact_email == "bob@example.com"
    buyer = first.customer
    assert (buyer.first_name, buyer.last_name, buyer.country) == ("Bob", "Norman", "US")
    assert (buyer.email, buyer.phone, buyer.platform_id) == ("bob@example.com", BUYER_PHONE, None)
    (consent,) = buyer.consents
    assert (consent.channel, consent.at) == (Channel.EMAIL, None)
    assert consent.wording == "Accepts Marketing = yes in a Shopify order export (no date in the file)"
    assert consent.proof == {"file_line": "2", "column": "Accepts Marketing"}
    assert second.order.order_id == "shopify-name-1002" and second.order.paid_at is None


def test_order_rows_are_grouped_by_name_even_when_not_adjacent():
    data = shopify_orders_csv(
        [
            {"Name": "#1", "Email": "a@example.com", "Total": "1.00", "line_items": [{"Lineitem name": "A"}]},
            {"Name": "#2", "Email": "b@example.com", "Total": "2.00", "line_items": [{"Lineitem name": "B"}]},
        ]
    )
    header, first, second = data.decode().splitlines()
    stray = ",".join(["#1", "a@example.com"] + [""] * 14 + ["1", "A2"])
    parsed = parse_file("\n".join([header, first, second, stray]).encode(), "shopify_orders", default_country="US")
    one, two = parsed.orders
    assert one.lines == (2, 4) and [item.title for item in one.order.line_items] == ["A", "A2"]
    assert two.lines == (3,)


def test_refunded_and_voided_orders_get_their_times():
    parsed = orders(
        [
            {"Name": "#1", "Email": "a@example.com", "Total": "1.00", "Financial Status": "refunded",
             "Paid at": "2024-03-06 10:00:00 +0800"},
            {"Name": "#2", "Email": "a@example.com", "Total": "1.00", "Financial Status": "voided",
             "Created at": "2024-03-07T00:00:00Z"},
        ]
    )  # fmt: skip
    refunded, voided = (record.order for record in parsed.orders)
    assert refunded.paid_at == refunded.refunded_at == utc(2024, 3, 6, 2)
    assert voided.cancelled_at == utc(2024, 3, 7) and voided.paid_at is None


def test_order_without_a_way_to_reach_the_buyer_or_with_a_bad_total_is_rejected():
    parsed = orders(
        [
            {"Name": "#1", "Email": "", "Phone": "555-12", "Total": "5.00"},
            {"Name": "#2", "Email": "a@example.com", "Total": "five"},
            {"Name": "#3", "Email": "a@example.com", "Total": "1.00", "Created at": "05/03/2024"},
            {"Name": "#4", "Email": "", "Billing Phone": CN_MOBILE, "Billing Country": "CN", "Total": "1.00"},
        ]
    )
    assert [record.order.name for record in parsed.orders] == ["#4"]
    assert parsed.orders[0].order.contact_phones == [CN_MOBILE_E164]
    assert [(problem.line, problem.rejected) for problem in parsed.problems] == [(2, True), (3, True), (4, True)]
    assert parsed.problems[0].reason.startswith("order #1: no email or valid phone to find the buyer by")
    assert "Total 'five' is not an amount" in parsed.problems[1].reason
    assert "Created at '05/03/2024' is not a date and time" in parsed.problems[2].reason


def test_a_file_that_is_not_an_order_export_is_refused():
    with pytest.raises(ImportFileError, match=r"Shopify order export.*'Total'"):
        parse_file(generic_rows([{"Name": "#1", "Email": "a@example.com"}]), "shopify_orders", default_country="US")


# -- generic CSV and JSON Lines -------------------------------------------------------------------------------
MAPPING = {
    "platform_id": "Member No",
    "name": "Full name",
    "email": "E-mail",
    "phone": "Mobile",
    "accepts_sms": "SMS ok",
    "consent_at": "Signed up",
    "birthday": "Birthday",
    "tags": "Groups",
    "country": "Country",
}


def test_generic_csv_is_read_through_the_sellers_mapping():
    data = generic_rows(
        [
            {"Member No": "M-1", "Full name": "Ann Marie Lee", "E-mail": "Ann@Example.com", "Mobile": CN_MOBILE,
             "SMS ok": "1", "Signed up": "2024-01-02 03:04:05", "Birthday": "1990-05-17", "Groups": "vip",
             "Country": "China", "Ignored": "x"},
            {"Member No": "", "Full name": "Bob", "E-mail": "", "Mobile": BUYER_PHONE_NATIONAL, "SMS ok": "0",
             "Signed up": "", "Birthday": "17/05/1990", "Groups": "", "Country": ""},
        ]
    )  # fmt: skip
    parsed = parse_file(data, "csv", default_country="US", mapping=MAPPING)
    ann, bob = parsed.customers
    assert ann.customer.platform_id == "M-1"  # used as is
    assert (ann.customer.first_name, ann.customer.last_name) == ("Ann Marie", "Lee")
    assert (ann.customer.country, ann.customer.phone) == ("CN", CN_MOBILE_E164)
    assert str(ann.customer.birthday) == "1990-05-17" and ann.tags == {"vip"}
    (consent,) = ann.customer.consents
    assert (consent.channel, consent.at) == (Channel.SMS, utc(2024, 1, 2, 3, 4, 5))
    assert consent.wording == "SMS ok = 1 in an imported CSV file (Signed up = 2024-01-02 03:04:05)"
    assert consent.proof == {"file_line": "2", "column": "SMS ok"}
    assert (bob.customer.first_name, bob.customer.phone, bob.customer.consents) == ("Bob", BUYER_PHONE, [])
    assert parsed.problems == [Problem(3, "Birthday '17/05/1990' is not a date (YYYY-MM-DD); dropped", False)]


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        (None, "needs a column mapping"),
        ({"email": "Email", "phone": "Cell"}, "no column named 'Cell'"),
        ({"email": "Email", "favourite_colour": "Colour"}, "unknown fields: 'favourite_colour'"),
        ({"first_name": "Email"}, "at least one of platform_id, email or phone"),
    ],
)
def test_generic_csv_with_an_unusable_mapping_is_refused(mapping, message):
    data = generic_rows([{"Email": "ann@example.com", "Colour": "red"}])
    with pytest.raises(ImportFileError, match=message):
        parse_file(data, "csv", default_country="US", mapping=mapping)


def test_jsonl_rejects_only_the_lines_that_are_not_objects():
    data = jsonl(
        [
            {"email": "ann@example.com", "phone": 13800138000, "country": "cn", "accepts_email": True,
             "tags": ["vip", " new "], "total_spent": 12.5, "order_count": 2},
            "{not json",
            ["a", "list"],
            "",
            {"platform_id": "crm-7", "first_name": "Bob"},
        ]
    )  # fmt: skip
    parsed = parse_file(data, "jsonl", default_country="US")
    assert parsed.rows == 4
    ann, bob = parsed.customers
    assert (ann.customer.email, ann.customer.phone, ann.customer.country) == ("ann@example.com", CN_MOBILE_E164, "CN")
    assert ann.tags == {"vip", "new"} and (ann.platform_order_count, ann.platform_total_spent) == (2, "12.5")
    wording = ann.customer.consents[0].wording
    assert wording == "accepts_email = true in an imported JSON Lines file (no date in the file)"
    assert (bob.lines, bob.customer.platform_id) == ((5,), "crm-7")  # JSON Lines have no header line
    assert [(problem.line, problem.rejected) for problem in parsed.problems] == [(2, True), (3, True)]
    assert parsed.problems[1].reason == "not a JSON object but an array"


def test_jsonl_keys_can_be_renamed_by_a_mapping():
    data = jsonl([{"mail": "ann@example.com", "first_name": "Ann"}])
    parsed = parse_file(data, "jsonl", default_country=None, mapping={"email": "mail"})
    assert (parsed.customers[0].customer.email, parsed.customers[0].customer.first_name) == ("ann@example.com", "Ann")
