"""The frame reader, byte for byte (no sockets)."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from cti_bridge.ami.framing import MAX_PENDING, FrameReader
from cti_bridge.pbxsim import MALFORMED_FRAMES, MALFORMED_KINDS, encode_event

BANNER = b"Asterisk Call Manager/9.0.0\r\n"
LOGIN_OK = b"Response: Success\r\nActionID: l-1\r\nMessage: Authentication accepted\r\n\r\n"
NAMED = encode_event(
    "NewCallerid", [("CallerIDNum", "+8613800138000"), ("CallerIDName", "张伟 Zoë")]
)
EMPTY_LAST = encode_event("VarSet", [("Variable", "ANSWEREDTIME"), ("Value", "")])
STREAM = BANNER + LOGIN_OK + NAMED + EMPTY_LAST


def read_all(chunks: list[bytes]) -> tuple[list[dict[str, str]], FrameReader]:
    reader = FrameReader()
    frames = []
    for chunk in chunks:
        frames.extend(reader.feed(chunk))
    return frames, reader


def test_banner_is_consumed_and_kept() -> None:
    frames, reader = read_all([STREAM])
    assert reader.banner == "Asterisk Call Manager/9.0.0"
    assert frames[0] == {
        "Response": "Success",
        "ActionID": "l-1",
        "Message": "Authentication accepted",
    }


def test_utf8_character_split_between_reads_survives() -> None:
    cut = STREAM.index("张".encode()) + 1
    frames, _ = read_all([STREAM[:cut], STREAM[cut:]])
    assert frames[1]["CallerIDName"] == "张伟 Zoë"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=12))
def test_any_chunking_gives_the_same_frames(cuts: list[int]) -> None:
    points = [0, *sorted(cuts), len(STREAM)]
    chunks = [STREAM[a:b] for a, b in itertools.pairwise(points)]
    frames, reader = read_all(chunks)
    whole, _ = read_all([STREAM])
    assert frames == whole
    assert len(frames) == 3
    assert reader.malformed == 0


def test_empty_last_value_is_kept() -> None:
    frames, _ = read_all([STREAM])
    assert frames[2]["Variable"] == "ANSWEREDTIME"
    assert frames[2]["Value"] == ""
    assert list(frames[2])[:3] == ["Event", "Privilege", "Timestamp"]


def test_repeated_headers_keep_every_value() -> None:
    data = BANNER + b"Event: Newchannel\r\nChanVariable: A=1\r\nChanVariable: B=\r\n\r\n"
    frames, _ = read_all([data])
    assert frames[0]["ChanVariable"] == "A=1\nB="


def test_value_keeps_colons_and_inner_spaces() -> None:
    data = BANNER + b"Event: Newexten\r\nAppData:  Inbound call: x -> y\r\nNoSpace:v\r\n\r\n"
    frames, _ = read_all([data])
    assert frames[0]["AppData"] == " Inbound call: x -> y"
    assert frames[0]["NoSpace"] == "v"


def test_malformed_frames_are_counted_and_the_rest_delivered() -> None:
    junk = b"".join(MALFORMED_FRAMES.values())
    frames, reader = read_all([BANNER, junk, NAMED])
    assert reader.malformed == len(MALFORMED_KINDS)
    names = [frame.get("UserEvent") or frame["Event"] for frame in frames]
    assert names == ["BadLine", "BadBytes", "Huge", "NewCallerid"]
    huge = frames[2]
    assert huge["Data"] == "x" * 10240
    assert "\ufffd" in frames[1]["Name"]


def test_an_endless_block_is_dropped_and_reading_goes_on() -> None:
    reader = FrameReader()
    reader.feed(BANNER)
    reader.feed(b"Event: Junk\r\nData: " + b"y" * (MAX_PENDING + 10))
    assert reader.malformed == 1
    frames = reader.feed(b"\r\n\r\n" + NAMED)
    assert [f["Event"] for f in frames] == ["NewCallerid"]


def test_a_server_without_banner_is_still_read() -> None:
    frames, reader = read_all([LOGIN_OK])
    assert reader.banner == ""
    assert frames[0]["Response"] == "Success"


def test_a_reader_with_wanted_names_parses_only_those_events_and_counts_the_rest() -> None:
    reader = FrameReader(wanted=frozenset({"NewCallerid", "Hangup"}))
    listing = encode_event("VarSet", [("ActionID", "c-7"), ("Variable", "X"), ("Value", "1")])
    bare = b"Event: Cdr\r\n\r\n"
    frames = reader.feed(STREAM + listing + bare + encode_event("Hangup", [("Cause", "16")]))
    # The login reply, the wanted events and an unwanted event carrying an ActionID (the
    # item of a list action) are parsed; the VarSet and the header-less Cdr are not.
    assert [f.get("Event", f.get("Response")) for f in frames] == [
        "Success",
        "NewCallerid",
        "VarSet",
        "Hangup",
    ]
    assert frames[1]["CallerIDName"] == "张伟 Zoë"
    assert frames[2]["ActionID"] == "c-7"
    assert (reader.skipped, reader.malformed) == (2, 0)


def test_split_then_parse_gives_what_feed_gives() -> None:
    whole, _ = read_all([STREAM])
    reader = FrameReader()
    blocks = reader.split(STREAM)
    assert [reader.parse(block) for block in blocks] == whole
