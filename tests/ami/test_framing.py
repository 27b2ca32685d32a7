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


def test_a_huge_block_fed_in_small_reads_is_scanned_once_and_dropped_whole() -> None:
    reader = FrameReader()
    size, piece = 4 * 1024 * 1024, 1024
    # The oversized block's tail looks like a frame of its own: it must not come out as one.
    huge = b"Event: Junk\r\nData: " + b"y" * (size - 200) + b"\r\nEvent: Forged\r\nX: y"
    reads = [BANNER + NAMED]
    reads += [huge[start : start + piece] for start in range(0, len(huge), piece)]
    reads += [b"\r\n\r\n" + NAMED]
    frames = [frame for data in reads for frame in reader.feed(data)]
    assert [f["Event"] for f in frames] == ["NewCallerid", "NewCallerid"]
    assert (reader.malformed, reader.oversized) == (1, 1)
    # Linear: each character is searched for the terminator about once (plus the three
    # before each read where a split terminator starts, and a short held block once more),
    # not once per read (rescanning the held data on every read would be 2,000 times the
    # data here).
    assert reader.scanned <= sum(map(len, reads)) + 3 * len(reads) + 2 * piece


def test_a_block_just_under_the_cap_is_delivered() -> None:
    reader = FrameReader()
    value = "z" * (MAX_PENDING - 100)
    data = BANNER + f"Event: Big\r\nData: {value}\r\n\r\n".encode()
    frames = []
    for start in range(0, len(data), 4096):
        frames += reader.feed(data[start : start + 4096])
    assert [f["Data"] for f in frames] == [value]
    assert (reader.malformed, reader.oversized) == (0, 0)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(STREAM) * 3), max_size=40))
def test_terminators_cut_anywhere_across_many_reads_give_the_same_frames(cuts: list[int]) -> None:
    stream = STREAM + b"\r\n" + NAMED + EMPTY_LAST
    points = [0, *sorted(c % len(stream) for c in cuts), len(stream)]
    frames, reader = read_all([stream[a:b] for a, b in itertools.pairwise(points)])
    assert frames == read_all([stream])[0]
    assert len(frames) == 5
    # A short held block may be searched again with the next read: at most twice overall.
    assert reader.scanned <= 2 * len(stream) + 3 * len(points)


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


def test_a_reader_with_wanted_variables_parses_only_those_varsets() -> None:
    reader = FrameReader(wanted=frozenset({"VarSet", "Hangup"}), variables=frozenset({"REC"}))

    def varset(variable: str, *extra: tuple[str, str]) -> bytes:
        return encode_event("VarSet", [("Channel", "Local/x;2"), *extra, ("Variable", variable)])

    stream = (
        STREAM
        + varset("BRIDGEPEER")
        + varset("REC")
        + varset("RECORDING")  # a longer name that starts the same: not wanted
        + varset("OTHER", ("ActionID", "c-1"))  # a list action's item: always parsed
        + encode_event("VarSet", [("Channel", "Local/x;2")])  # no Variable line
        + encode_event("Hangup", [("Cause", "16")])
    )
    frames = reader.feed(stream)
    assert [(f.get("Event"), f.get("Variable")) for f in frames] == [
        (None, None),  # the login reply
        ("VarSet", "REC"),
        ("VarSet", "OTHER"),
        ("Hangup", None),
    ]
    # NewCallerid is not wanted here; STREAM's ANSWEREDTIME and three VarSets above.
    assert reader.skipped == 1 + 1 + 3
