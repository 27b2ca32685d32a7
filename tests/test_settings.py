"""Settings: TOML file, CTI_* overrides, several Asterisk servers, secrets kept out of logs."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from cti_bridge.settings import (
    Secret,
    SettingsError,
    load_settings,
    settings_from_mapping,
    unsafe_secrets,
)

SAMPLE = Path(__file__).parents[1] / "config" / "cti-bridge.toml"

TWO_SERVERS = """
[web]
port = 9000
[database]
url = "sqlite+aiosqlite:///x.db"
[phone]
default_region = "CN"
[[asterisk]]
name = "north"
host = "10.0.0.1"
secret = "n0rth-secret"
[[asterisk]]
name = "south"
host = "10.0.0.2"
port = 5039
secret = "s0uth-secret"
[ivr]
tokens = ["tok-1", "tok-2"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cti.toml"
    path.write_text(text)
    return path


def test_file_values_and_defaults(tmp_path: Path) -> None:
    s = load_settings(write(tmp_path, TWO_SERVERS), environ={})
    assert s.web.port == 9000
    assert s.web.host == "127.0.0.1"
    assert s.phone.default_region == "CN"
    assert [(a.name, a.host, a.port) for a in s.asterisk] == [
        ("north", "10.0.0.1", 5038),
        ("south", "10.0.0.2", 5039),
    ]
    assert [t.reveal() for t in s.ivr.tokens] == ["tok-1", "tok-2"]


def test_environment_overrides(tmp_path: Path) -> None:
    env = {
        "CTI_DATABASE_URL": "postgresql://db/cti",
        "CTI_WEB_PORT": "8181",
        "CTI_REDIS_URL": "redis://r:6379/0",
        "CTI_PHONE_DEFAULT_REGION": "GB",
        "CTI_ASTERISK_SOUTH_SECRET": "from-env",
        "CTI_IVR_TOKENS": "a, b",
        "CTI_WEB_SECURE_COOKIES": "yes",
    }
    s = load_settings(write(tmp_path, TWO_SERVERS), environ=env)
    assert s.database.url == "postgresql://db/cti"
    assert s.web.port == 8181
    assert s.web.secure_cookies is True
    assert s.redis.url == "redis://r:6379/0"
    assert s.phone.default_region == "GB"
    assert s.asterisk[1].secret.reveal() == "from-env"
    assert s.asterisk[0].secret.reveal() == "n0rth-secret"
    assert [t.reveal() for t in s.ivr.tokens] == ["a", "b"]


def test_short_asterisk_override_with_one_server(tmp_path: Path) -> None:
    path = write(tmp_path, '[[asterisk]]\nname = "pbx1"\nsecret = "x"\n')
    s = load_settings(path, environ={"CTI_ASTERISK_SECRET": "y", "CTI_ASTERISK_PORT": "6000"})
    assert (s.asterisk[0].secret.reveal(), s.asterisk[0].port) == ("y", 6000)


def test_secrets_never_show_in_repr_or_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    s = load_settings(write(tmp_path, TWO_SERVERS), environ={})
    caplog.set_level(logging.INFO)
    logging.getLogger("test").info("settings: %s", s)
    for secret in ("n0rth-secret", "s0uth-secret", "tok-1"):
        assert secret not in repr(s)
        assert secret not in caplog.text
    assert repr(Secret("x")) == "Secret('**********')"


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        ("[web]\nport = 'eighty'\n", {}, "web"),
        ("[web]\nprot = 1\n", {}, "prot"),
        ("[nonsense]\n", {}, "nonsense"),
        ("[web\n", {}, "not valid TOML"),
        ("", {"CTI_WEB_PORT": "abc"}, "CTI_WEB_PORT"),
        ('[[asterisk]]\nname="a"\n[[asterisk]]\nname="a"\n', {}, "distinct name"),
        ("[desk]\nwrapup_seconds = -1\n", {}, "wrapup_seconds"),
        ('[desk]\npause_reasons = ["lunch", " "]\n', {}, "pause_reasons"),
        ('[recordings]\ndirectory = "  "\n', {}, "recordings"),
    ],
)
def test_bad_settings_say_which_key(
    tmp_path: Path, text: str, env: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(write(tmp_path, text), environ=env)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="cannot read"):
        load_settings(tmp_path / "nope.toml", environ={})


def test_documented_sample_loads() -> None:
    s = load_settings(SAMPLE, environ={})
    assert s.asterisk and s.asterisk[0].name == "pbx1"
    assert s.dispositions


REAL_TOKEN = "3f9c1d7a-e2b4-4c61-9a8e-long-enough"


def test_the_sample_settings_are_refused_for_a_real_run() -> None:
    problems = unsafe_secrets(load_settings(SAMPLE, environ={}))
    assert len(problems) == 2
    assert "[ivr] tokens" in problems[0] and "CTI_IVR_TOKENS" in problems[0]
    assert "pbx1" in problems[1] and "CTI_ASTERISK_PBX1_SECRET" in problems[1]
    env = {"CTI_IVR_TOKENS": REAL_TOKEN, "CTI_ASTERISK_PBX1_SECRET": "manager-secret"}
    assert unsafe_secrets(load_settings(SAMPLE, environ=env)) == []


@pytest.mark.parametrize("token", ["change-me", "CHANGE-ME", "changeme", "short-token-15c", " "])
def test_a_sample_or_short_ivr_token_is_refused(token: str) -> None:
    settings = settings_from_mapping({"ivr": {"tokens": [REAL_TOKEN, token]}}, {})
    assert unsafe_secrets(settings) != []


def test_no_ivr_tokens_and_real_secrets_are_fine() -> None:
    assert unsafe_secrets(settings_from_mapping({}, {})) == []  # the HTTP IVR is off
    table = {"asterisk": [{"name": "pbx1", "secret": "x9"}], "ivr": {"tokens": [REAL_TOKEN]}}
    assert unsafe_secrets(settings_from_mapping(table, {})) == []


def test_desk_pause_reasons_and_wrapup(tmp_path: Path) -> None:
    default = load_settings(SAMPLE, environ={}).desk
    assert "lunch" in default.pause_reasons and default.wrapup_seconds == 0
    text = '[desk]\npause_reasons = ["coffee", "coaching"]\nwrapup_seconds = 30\n'
    desk = load_settings(write(tmp_path, text), environ={"CTI_DESK_WRAPUP_SECONDS": "45"}).desk
    assert (desk.pause_reasons, desk.wrapup_seconds) == (("coffee", "coaching"), 45)


def test_recordings_directory(tmp_path: Path) -> None:
    assert load_settings(SAMPLE, environ={}).recordings.directory == ""  # off by default
    text = '[recordings]\ndirectory = "/var/spool/asterisk/monitor"\n'
    assert load_settings(write(tmp_path, text), environ={}).recordings.directory == (
        "/var/spool/asterisk/monitor"
    )
    env = {"CTI_RECORDINGS_DIRECTORY": "/mnt/monitor"}
    assert load_settings(write(tmp_path, text), environ=env).recordings.directory == "/mnt/monitor"
