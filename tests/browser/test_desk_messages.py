"""The desk's two languages say the same things: every key of the English list has a
Chinese text and the other way round, and every label the page uses exists."""

from __future__ import annotations

import re
from importlib.resources import files

UI = files("agent_ui")
KEY = re.compile(r'^\s+"([a-z_]+\.[a-z_]+)":', re.MULTILINE)


def message_keys() -> dict[str, set[str]]:
    text = (UI / "static" / "desk" / "messages.js").read_text(encoding="utf-8")
    english, _, chinese = text.partition('"zh-CN": {')
    return {"en": set(KEY.findall(english)), "zh-CN": set(KEY.findall(chinese))}


def test_english_and_chinese_have_the_same_keys() -> None:
    keys = message_keys()
    assert len(keys["en"]) > 100
    assert keys["en"] == keys["zh-CN"]


def test_every_label_in_the_pages_has_a_text() -> None:
    known = message_keys()["en"]
    used: set[str] = set()
    for name in ("desk.html", "pop_card.html"):
        page = (UI / "templates" / name).read_text(encoding="utf-8")
        used |= set(re.findall(r'data-i18n(?:-[a-z]+)?="([^"]+)"', page))
    assert used and used <= known, sorted(used - known)
