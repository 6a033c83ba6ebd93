"""A seller's templates: read the wording a channel sends, preview it (rendered as sent, with the
SMS encoding and segments), save it only when it renders, and see the next message follow it."""

from __future__ import annotations

from tests.support.clock import DAYTIME_UTC, iso
from tests.support.payloads import shopify_order

SMS_EN = "/flows/unpaid_reminder/templates/sms/en"
SMS_ZH = "/flows/unpaid_reminder/templates/sms/zh-CN"


def test_a_template_shows_huikes_wording_and_the_variables_it_may_use(seller):
    response = seller.get(SMS_EN)
    assert response.status == 200, response.body
    template = response.json()
    assert "{{ payment_link }}" in template["text"] and template["custom"] == {"text": False}
    assert {"order_name", "amount", "payment_link", "shop"} <= set(template["variables"])
    assert template["templates"] == ["unpaid_reminder", "unpaid_reminder_final"]
    final = seller.get(SMS_EN, template="unpaid_reminder_final").json()
    assert final["template"] == "unpaid_reminder_final" and final["text"] != template["text"]


def test_a_preview_renders_a_sample_with_the_sms_encoding_and_segments(seller):
    english = seller.post(SMS_EN + "/preview", {}, None).json()
    assert english["errors"] == [] and "#1001" in english["text"] and "$25.00" in english["text"]
    assert english["sms"]["encoding"] == "GSM-7" and english["sms"]["segments"] == 1
    assert english["opt_out_text"] is None  # a transactional reminder carries no opt-out text

    chinese = seller.post(SMS_ZH + "/preview", {}, None).json()
    assert chinese["sms"]["encoding"] == "UCS-2" and "【" in chinese["sms"]["non_gsm_characters"]
    long_text = "{{ shop }}: " + "你好" * 60 + " {{ payment_link }}"  # 18 + 120 + 1 + 33 UTF-16 units
    sms = seller.post(SMS_ZH + "/preview", {"text": long_text}, None).json()["sms"]
    assert (sms["units"], sms["segments"]) == (172, 3)  # 67 units per part of a long UCS-2 message


def test_a_marketing_sms_preview_shows_the_opt_out_text_that_will_be_appended(seller):
    preview = seller.post("/flows/cart_abandonment/templates/sms/en/preview", {"sample": {"coupon": "SAVE10"}}, None)
    body = preview.json()
    assert body["opt_out_text"] and body["text"].endswith(body["opt_out_text"])
    assert "SAVE10" in body["text"] and body["purpose"] == "marketing"
    email = seller.post("/flows/cart_abandonment/templates/email/en/preview", {}, None).json()
    assert email["subject"] == "You left something in your cart" and "Unsubscribe:" in email["footer"]


def test_a_preview_names_undefined_variables_and_what_the_sandbox_refuses(seller):
    undefined = seller.post(SMS_EN + "/preview", {"text": "Hi {{ nickname }}, pay {{ tracking_lnk }}"}, None)
    assert undefined.status == 200
    messages = [e["message"] for e in undefined.json()["errors"]]
    assert any("'nickname'" in m for m in messages) and any("'tracking_lnk'" in m for m in messages)
    assert undefined.json()["text"] is None

    unsafe = "{{ shop.__class__.__mro__ }} {{ payment_link }}"
    refused = seller.post(SMS_EN + "/preview", {"text": unsafe}, None).json()
    assert refused["errors"] and "SecurityError" in refused["errors"][0]["message"]


def test_a_template_that_does_not_render_is_422_and_nothing_is_saved(seller):
    before = seller.get(SMS_EN).json()
    for broken in ("Pay {{ payment_lnk }}", "Pay {{ payment_link ", "{{ ''.__class__.__mro__ }}"):
        response = seller.request("PUT", SMS_EN, {"text": broken})
        assert response.status == 422, (broken, response.body)
        assert response.json()["errors"][0]["field"] == "text"
    assert seller.request("PUT", SMS_EN, {"subject": "Hi"}).status == 422  # SMS has no subject
    patched = seller.patch("/flows/unpaid_reminder", {"templates": {"unpaid_reminder": {"en": "{{ nope }}"}}})
    assert patched.status == 422 and patched.json()["errors"][0]["field"].startswith("templates.unpaid_reminder.en")
    assert seller.get(SMS_EN).json() == before
    assert seller.get("/flows/unknown/templates/sms/en").status == 404
    assert seller.get("/flows/unpaid_reminder/templates/fax/en").status == 404
    assert seller.get("/flows/unpaid_reminder/templates/sms/fr").status == 404
    assert seller.get(SMS_EN, template="win_back").status == 422


def test_the_next_reminder_follows_the_new_delay_and_both_locales_wording(runtime, seller, shopify):
    english = "{{ shop }} reminder: {{ order_name }} still unpaid, {{ amount }}. {{ payment_link }}"
    chinese = "【{{ shop }}】提醒：订单{{ order_name }}待支付{{ amount }}。{{ payment_link }}"
    assert seller.post(SMS_EN + "/preview", {"text": english}, None).json()["errors"] == []
    assert seller.request("PUT", SMS_EN, {"text": english}).status == 200
    saved = seller.request("PUT", SMS_ZH, {"text": chinese})
    assert saved.status == 200 and saved.json()["custom"] == {"text": True}
    assert seller.patch("/flows/unpaid_reminder", {"delay_minutes": 20, "channels": ["sms"]}).status == 200
    assert [c["flow"] for c in seller.get("/changes").json()["items"]] == ["unpaid_reminder"] * 3

    english_order = shopify_order(created_at=iso(DAYTIME_UTC), phone="+15025550134")
    chinese_buyer = {**english_order["customer"], "id": 207119552, "email": "li@example.com", "phone": None}
    chinese_order = shopify_order(
        id=450789470,
        name="#1002",
        created_at=iso(DAYTIME_UTC),
        customer_locale="zh-CN",
        phone="+15025550135",
        email="li@example.com",
        customer=chinese_buyer,
    )
    assert shopify.post("orders/create", english_order).status == 200
    assert shopify.post("orders/create", chinese_order).status == 200
    runtime.advance(seconds=19 * 60)
    assert runtime.outbox() == []
    runtime.advance(seconds=2 * 60)
    bodies = sorted(m["body"] for m in runtime.outbox())
    assert bodies[0].startswith("Huike Demo Store reminder: #1001 still unpaid, $409.94.")
    assert bodies[1].startswith("【Huike Demo Store】提醒：订单#1002待支付US$409.94。")

    sent = seller.get("/sends", flow="unpaid_reminder").json()["items"][0]
    real = seller.post(SMS_EN + "/preview", {"order_id": sent["subject_id"]}, None).json()
    assert real["errors"] == [] and "$409.94" in real["text"]
    assert seller.post(SMS_EN + "/preview", {"order_id": "no-such-order"}, None).status == 404


def test_email_has_its_own_subject_and_body_and_sms_keeps_its_text(runtime, seller):
    email = "/flows/unpaid_reminder/templates/email/en"
    wording = {"subject": "{{ order_name }} is waiting", "text": "Dear customer, {{ payment_link }}"}
    saved = seller.request("PUT", email, wording)
    assert saved.status == 200, saved.body
    assert saved.json()["subject"] == wording["subject"] and saved.json()["text"] == wording["text"]
    assert "{{ payment_link }}" in seller.get(SMS_EN).json()["text"]
    assert seller.get(SMS_EN).json()["custom"] == {"text": False}
    reset = seller.request("PUT", email, {})
    assert reset.json()["custom"] == {"subject": False, "text": False}
