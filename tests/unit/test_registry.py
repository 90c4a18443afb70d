"""Partition names, their folders, and the argument checks of session.fromPartition/fromPath."""

from __future__ import annotations

import hashlib
import os
import pathlib
import re
import urllib.parse
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdpsession._registry import (
    check_from_path,
    check_partition,
    check_session_options,
    is_persistent_partition,
    partition_folder_name,
    partition_path,
)

# Kept characters, %XX escapes (upper-case hex, as percent-encoding writes them), and for a
# long name a cut (possibly inside an escape) followed by '~' and 32 hex digits of SHA-256.
FOLDER = re.compile(r"^(?:[a-z0-9_-]|%[0-9A-F]{2})*(?:(?:%[0-9A-F]?)?~[0-9a-f]{32})?$")
CHARS = re.compile(r"^[a-z0-9A-F_%~-]*$")

# Text as users could type it: every code point except lone surrogates (not UTF-8 encodable,
# refused by check_partition).
names = st.text(st.characters(codec="utf-8"))
PROPERTY = settings(max_examples=200, deadline=None, database=None)

UDD = "/home/user/.config/app"
PARTITIONS = os.path.join(UDD, "Partitions")


# -- partition_folder_name --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "folder"),
    [
        ("shop", "shop"),
        ("Shop", "%53hop"),
        ("SHOP", "%53%48%4F%50"),
        ("..", "%2E%2E"),
        (".", "%2E"),
        ("a/b", "a%2Fb"),
        ("a\\b", "a%5Cb"),
        ("é", "%C3%A9"),
        ("€", "%E2%82%AC"),
        ("😀", "%F0%9F%98%80"),
        ("under_score-dash", "under_score-dash"),
        ("0123456789", "0123456789"),
        ("a b", "a%20b"),
        ("%", "%25"),
        ("%41", "%2541"),
        ("~", "%7E"),
        ("\0", "%00"),
        (":", "%3A"),
        ("", ""),
    ],
)
def test_partition_folder_name_examples(name: str, folder: str) -> None:
    assert partition_folder_name(name) == folder


def test_partition_folder_name_at_the_length_limit_is_not_cut() -> None:
    name = "a" * 120
    assert partition_folder_name(name) == name
    assert partition_folder_name("é" * 20) == "%C3%A9" * 20


def test_partition_folder_name_of_a_long_name() -> None:
    name = "a" * 121
    digest = hashlib.sha256(name.encode()).hexdigest()[:32]
    assert partition_folder_name(name) == "a" * 87 + "~" + digest
    assert len(partition_folder_name(name)) == 120


def test_partition_folder_name_cut_inside_an_escape() -> None:
    name = "ab" + "/" * 60
    digest = hashlib.sha256(name.encode()).hexdigest()[:32]
    assert partition_folder_name(name) == "ab" + "%2F" * 28 + "%~" + digest


@PROPERTY
@given(names)
def test_folder_is_one_safe_component(name: str) -> None:
    folder = partition_folder_name(name)
    assert FOLDER.match(folder), folder
    assert CHARS.match(folder), folder
    assert (folder == "") == (name == "")
    assert folder not in {".", ".."}
    assert "/" not in folder
    assert "\\" not in folder
    assert len(folder) <= 120
    assert os.path.basename(folder) == folder


@PROPERTY
@given(names)
def test_short_folder_decodes_back_to_its_name(name: str) -> None:
    folder = partition_folder_name(name)
    if "~" not in folder:
        assert urllib.parse.unquote(folder, errors="strict") == name
    else:
        assert len(name.encode()) > 40


@PROPERTY
@given(names, names)
def test_folder_names_are_injective(a: str, b: str) -> None:
    if a == b:
        return
    fa, fb = partition_folder_name(a), partition_folder_name(b)
    assert fa != fb
    # Also on a case-insensitive file system.
    assert fa.casefold() != fb.casefold()


@PROPERTY
@given(st.text(st.characters(codec="utf-8"), min_size=1))
def test_names_differing_only_in_case_get_different_folders(name: str) -> None:
    for other in {name.upper(), name.lower(), name.swapcase(), name.title()} - {name}:
        fa, fb = partition_folder_name(name), partition_folder_name(other)
        assert fa != fb
        assert fa.casefold() != fb.casefold()


@PROPERTY
@given(st.text(st.characters(codec="utf-8"), min_size=1, max_size=8), names, names)
def test_long_names_with_a_shared_prefix_get_different_folders(
    unit: str, tail_a: str, tail_b: str
) -> None:
    prefix = (unit * 200)[:200]
    if tail_a == tail_b:
        return
    fa = partition_folder_name(prefix + tail_a)
    fb = partition_folder_name(prefix + tail_b)
    assert fa != fb
    assert fa.casefold() != fb.casefold()
    assert len(fa) <= 120
    assert len(fb) <= 120


def test_long_names_differing_only_in_case_after_a_shared_prefix() -> None:
    prefix = "x" * 200
    assert partition_folder_name(prefix + "a") != partition_folder_name(prefix + "A")
    assert partition_folder_name(prefix + "a").casefold() != (
        partition_folder_name(prefix + "A").casefold()
    )


def test_no_short_folder_contains_a_tilde() -> None:
    # Only a cut long name has a '~', so it cannot equal the folder of a short name.
    assert partition_folder_name("a~" * 10) == "a%7E" * 10
    assert "~" in partition_folder_name("a" * 300)


# -- partition_path ---------------------------------------------------------------------------


def test_partition_path_refuses_an_empty_persist_name() -> None:
    with pytest.raises(ValueError, match="needs a name"):
        partition_path("/data", "persist:")


def test_partition_path_examples() -> None:
    assert partition_path(UDD, "") == UDD
    assert partition_path(UDD, "memory") is None
    assert partition_path(UDD, "Persist:shop") is None
    assert partition_path(UDD, "persist:shop") == f"{UDD}/Partitions/shop"
    assert partition_path(UDD, "persist:../../etc") == f"{UDD}/Partitions/%2E%2E%2F%2E%2E%2Fetc"
    assert partition_path(UDD, "persist:/") == f"{UDD}/Partitions/%2F"


@pytest.mark.parametrize(
    "name",
    ["..", ".", "../..", "/", "//", "/etc/passwd", "a/../../b", "\\..\\..", "~", "~root", "\0"],
)
def test_partition_path_stays_inside_partitions_for_hostile_names(name: str) -> None:
    path = partition_path(UDD, "persist:" + name)
    assert path is not None
    assert os.path.commonpath([path, PARTITIONS]) == PARTITIONS
    assert os.path.dirname(path) == PARTITIONS
    assert os.path.normpath(path) == path


@PROPERTY
@given(st.text(st.characters(codec="utf-8"), min_size=1))
def test_partition_path_always_inside_partitions(name: str) -> None:
    path = partition_path(UDD, "persist:" + name)
    assert path is not None
    assert os.path.commonpath([path, PARTITIONS]) == PARTITIONS
    assert os.path.dirname(path) == PARTITIONS
    assert os.path.basename(path) == partition_folder_name(name)


@settings(
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.text(st.characters(codec="utf-8"), min_size=1))
def test_partition_folder_can_be_created(tmp_path: pathlib.Path, name: str) -> None:
    path = partition_path(str(tmp_path), "persist:" + name)
    assert path is not None
    os.makedirs(path, exist_ok=True)
    assert os.path.isdir(path)
    assert os.listdir(tmp_path / "Partitions").count(os.path.basename(path)) == 1


def test_is_persistent_partition() -> None:
    assert is_persistent_partition("") is True
    assert is_persistent_partition("persist:a") is True
    assert is_persistent_partition("a") is False
    assert is_persistent_partition("persist") is False


# -- check_partition --------------------------------------------------------------------------


@pytest.mark.parametrize("partition", ["", "memory", "persist:a", "persist:é", " ", "Persist:"])
def test_check_partition_accepts(partition: str) -> None:
    assert check_partition(partition) == partition


@pytest.mark.parametrize(
    ("value", "type_name"), [(None, "NoneType"), (1, "int"), (b"persist:a", "bytes")]
)
def test_check_partition_type(value: Any, type_name: str) -> None:
    with pytest.raises(TypeError, match=rf"^partition must be a str, not {type_name}$"):
        check_partition(value)


@pytest.mark.parametrize("partition", ["\0", "a\0b", "persist:\0"])
def test_check_partition_nul(partition: str) -> None:
    with pytest.raises(ValueError, match=r"^partition must not contain NUL characters$"):
        check_partition(partition)


def test_check_partition_empty_persist_name() -> None:
    with pytest.raises(ValueError, match=r"^partition 'persist:' needs a name after the prefix$"):
        check_partition("persist:")


@pytest.mark.parametrize("partition", ["\ud800", "persist:\udfff", "a\ud83d"])
def test_check_partition_lone_surrogate(partition: str) -> None:
    with pytest.raises(ValueError, match=r"^partition is not valid unicode text: "):
        check_partition(partition)


# -- check_from_path --------------------------------------------------------------------------


def test_check_from_path_empty() -> None:
    with pytest.raises(TypeError, match=r"^An empty path was specified$"):
        check_from_path("")


@pytest.mark.parametrize("path", ["relative", "a/b", "./a", "../a", "~/a"])
def test_check_from_path_not_absolute(path: str) -> None:
    with pytest.raises(TypeError, match=r"^An absolute path was not provided$"):
        check_from_path(path)


def test_check_from_path_relative_pathlike() -> None:
    with pytest.raises(TypeError, match=r"^An absolute path was not provided$"):
        check_from_path(pathlib.PurePosixPath("a/b"))


@pytest.mark.parametrize(("value", "type_name"), [(None, "NoneType"), (b"/a", "bytes"), (1, "int")])
def test_check_from_path_type(value: Any, type_name: str) -> None:
    with pytest.raises(TypeError, match=rf"^path must be a str, not {type_name}$"):
        check_from_path(value)


def test_check_from_path_nul() -> None:
    with pytest.raises(ValueError, match=r"^path must not contain NUL characters$"):
        check_from_path("/a\0b")


@pytest.mark.parametrize(
    ("path", "normal"),
    [
        ("/a/b", "/a/b"),
        ("/a/b/", "/a/b"),
        ("/a//b", "/a/b"),
        ("/a/./b", "/a/b"),
        ("/a/x/../b", "/a/b"),
        ("/..", "/"),
        ("/", "/"),
    ],
)
def test_check_from_path_normalises(path: str, normal: str) -> None:
    assert check_from_path(path) == normal


def test_check_from_path_accepts_pathlike(tmp_path: pathlib.Path) -> None:
    assert check_from_path(tmp_path / "profile" / ".." / "other") == f"{tmp_path}/other"
    assert check_from_path(pathlib.PurePosixPath("/x/y")) == "/x/y"


# -- check_session_options --------------------------------------------------------------------


def test_check_session_options_accepts() -> None:
    assert check_session_options(None) == {}
    assert check_session_options({}) == {}
    assert check_session_options({"cache": False}) == {"cache": False}
    assert check_session_options({"cache": True}) == {"cache": True}


def test_check_session_options_returns_a_new_dict() -> None:
    options = {"cache": True}
    out = check_session_options(options)
    assert out == options
    assert out is not options


@pytest.mark.parametrize("key", ["Cache", "persist", "partition", 1])
def test_check_session_options_unknown_key(key: Any) -> None:
    with pytest.raises(TypeError, match=rf"^unknown session option {re.escape(repr(key))} "):
        check_session_options({key: True})


@pytest.mark.parametrize(
    ("value", "type_name"), [(1, "int"), (0, "int"), ("true", "str"), (None, "NoneType")]
)
def test_check_session_options_non_bool(value: Any, type_name: str) -> None:
    with pytest.raises(TypeError, match=rf"^option 'cache' must be a bool, not {type_name}$"):
        check_session_options({"cache": value})


@pytest.mark.parametrize(
    ("value", "type_name"), [([], "list"), ("cache", "str"), (True, "bool"), ((), "tuple")]
)
def test_check_session_options_non_dict(value: Any, type_name: str) -> None:
    with pytest.raises(TypeError, match=rf"^options must be a dict, not {type_name}$"):
        check_session_options(value)
