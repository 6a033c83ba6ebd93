"""No phone number or email address in INFO logs: what the masks leave."""

from __future__ import annotations

from huike.core.masking import mask_email, mask_identifiers, mask_phone


def test_a_phone_keeps_its_prefix_and_last_three_digits():
    assert mask_phone("+15025550134") == "+150*****134"
    assert mask_phone("+8613800138000") == "+861*******000"
    assert mask_phone("12345") == "*****"


def test_an_email_keeps_its_first_letter_and_domain():
    assert mask_email("ann.lee@example.com") == "a******@example.com"
    assert mask_email("a@example.com") == "a*@example.com"
    assert mask_email("not-an-address") == "**************"


def test_ids_made_from_a_contact_are_masked_inside_other_text():
    assert mask_identifiers("phone-+15025550134:order-9") == "phone-+150*****134:order-9"
    assert mask_identifiers("email-ann@example.com") == "email-a**@example.com"
    assert mask_identifiers("shopify-207119551") == "shopify-207119551"
