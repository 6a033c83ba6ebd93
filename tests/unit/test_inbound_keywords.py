"""Opt-out by any reasonable means (FCC), and never an order question taken as one."""

from __future__ import annotations

import pytest

from huike.consent.inbound import classify_reply


@pytest.mark.parametrize(
    "reply",
    [
        "STOP",
        "stop",
        " Stop. ",
        "STOP please",
        "please stop",
        "Stop!!!",
        "ＳＴＯＰ",  # full-width, as Chinese phone keyboards type it
        "unsubscribe",
        "Unsubscribe me",
        "remove me",
        "Please remove me from this list",
        "opt out",
        "CANCEL",
        "end",
        "quit",
        "stop texting me",
        "Don't text me again",
        "no more texts thanks",
        "T",
        "TD",
        "退订",
        "回复退订",
        "停止",
        "取消",
        "停止发送",
        "不要再发了",
    ],
)
def test_opt_out_replies_are_recognised(reply):
    assert classify_reply(reply) == "stop"


@pytest.mark.parametrize(
    "reply",
    [
        "Can I cancel my order?",
        "cancel order 1001",
        "When does the sale end?",
        "I'll stop by the store tomorrow",
        "Where is my order?",
        "取消订单",  # cancel the order
        "订单什么时候发货",  # when does the order ship
        "Thanks!",
        "",
        "   ",
        "The tracking link does not work, please check",
    ],
)
def test_order_questions_are_not_opt_outs(reply):
    assert classify_reply(reply) is None


@pytest.mark.parametrize("reply", ["START", "start please", "Unstop", "ＳＴＡＲＴ"])
def test_opt_in_replies_are_recognised(reply):
    assert classify_reply(reply) == "start"
