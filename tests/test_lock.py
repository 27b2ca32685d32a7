"""The lock files agree with pyproject.toml: every requirement (runtime, dev, build) is pinned
in the lock that installs it, at a version its range allows, and both locks pin the same
version of what they share. ``make lock`` refreshes them when this fails."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def pins(name: str) -> dict[str, str]:
    text = (ROOT / name).read_text(encoding="utf-8")
    return {canonicalize_name(pkg): version for pkg, version in PIN.findall(text)}


def requirements() -> dict[str, list[Requirement]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    runtime = [Requirement(r) for r in project["project"]["dependencies"]]
    dev = [Requirement(r) for r in project["project"]["optional-dependencies"]["dev"]]
    build = [Requirement(r) for r in project["build-system"]["requires"]]
    return {
        "requirements.lock": runtime + build,
        "requirements-dev.lock": runtime + dev + build,
    }


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-dev.lock"])
def test_every_requirement_is_pinned_within_its_range(lock: str) -> None:
    pinned = pins(lock)
    problems = []
    for req in requirements()[lock]:
        if req.marker is not None and not req.marker.evaluate():
            continue
        version = pinned.get(canonicalize_name(req.name))
        if version is None:
            problems.append(f"{req.name} is not in {lock}")
        elif not req.specifier.contains(version, prereleases=True):
            problems.append(f"{req.name}=={version} in {lock} is outside {req}")
    assert not problems, "; ".join(problems) + " (run `make lock`)"


def test_the_two_locks_pin_the_same_versions() -> None:
    runtime, dev = pins("requirements.lock"), pins("requirements-dev.lock")
    differ = {name: (v, dev.get(name)) for name, v in runtime.items() if dev.get(name) != v}
    assert not differ, f"runtime and dev locks disagree: {differ} (run `make lock`)"


def test_every_lock_line_carries_a_hash() -> None:
    for lock in ("requirements.lock", "requirements-dev.lock"):
        text = (ROOT / lock).read_text(encoding="utf-8")
        for match in PIN.finditer(text):
            following = text[match.end() : match.end() + 200]
            assert "--hash=sha256:" in following, f"{match.group(0)} in {lock} has no hash"
