"""Downloads' pure parts: file names, uniquified paths, header checks, the profile prefs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cdpsession import UnsupportedError
from cdpsession._downloads import _into_place, _uniquified, check_headers, generate_filename
from cdpsession._host import write_download_prefs


@pytest.mark.parametrize(
    ("url", "disposition", "mime", "expected"),
    [
        ("http://h/?testFilename", "inline", "application/pdf", "download.pdf"),
        ("http://h/x", 'inline; filename="mockFile.txt"', "text/plain", "mockFile.txt"),
        ("http://h/a/report.csv", "", "text/csv", "report.csv"),
        ("http://h/a/b%20c.txt", "", "", "b c.txt"),
        ("http://h/", "attachment; filename*=UTF-8''na%C3%AFve.txt", "", "naïve.txt"),
        ("http://h/", 'attachment; filename="../../etc/passwd"', "", "passwd"),
        ("http://h/", 'attachment; filename="..."', "application/pdf", "download.pdf"),
        ("http://h/noext", "", "image/png", "noext.png"),
        ("custom-dl://item", "", "", "download"),
    ],
)
def test_generate_filename(url: str, disposition: str, mime: str, expected: str) -> None:
    assert generate_filename(url, disposition, mime) == expected


def test_uniquified(tmp_path: Path) -> None:
    target = tmp_path / "r.txt"
    assert _uniquified(str(target)) == str(target)
    target.write_text("1")
    assert _uniquified(str(target)) == str(tmp_path / "r (1).txt")
    (tmp_path / "r (1).txt").write_text("2")
    assert _uniquified(str(target)) == str(tmp_path / "r (2).txt")
    # A name another running download holds is taken too.
    assert _uniquified(str(target), {str(tmp_path / "r (2).txt")}) == str(tmp_path / "r (3).txt")


def test_uniquified_cuts_long_names(tmp_path: Path) -> None:
    long = str(tmp_path / ("é" * 200 + ".txt"))  # 400 bytes of UTF-8
    first = _uniquified(long)
    assert first == str(tmp_path / ("é" * 125 + ".txt"))  # 250 + 4 bytes, whole characters
    (tmp_path / os.path.basename(first)).write_text("x")
    second = os.path.basename(_uniquified(long))
    assert second == "é" * 123 + " (1).txt"
    assert len(second.encode()) <= 255
    odd = os.path.basename(_uniquified(str(tmp_path / ("a." + "b" * 300))))
    assert odd == "a." + "b" * 253  # an "extension" this long is no extension


def test_into_place_leaves_the_target_whole_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "kept.bin"
    target.write_bytes(b"old")

    def fail(tmp: str) -> None:
        Path(tmp).write_bytes(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        _into_place(str(target), fail)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.bin"]
    _into_place(str(target), lambda tmp: Path(tmp).write_bytes(b"new"))
    assert target.read_bytes() == b"new"
    with pytest.raises(IsADirectoryError):
        _into_place(str(tmp_path), lambda tmp: None)


def test_check_headers() -> None:
    assert check_headers({"X-A": "1"}, "download_url") == {"X-A": "1"}
    for bad in ("i-am-a-bad-header", ["X"], {"X": 1}, {1: "x"}, None):
        with pytest.raises(TypeError, match="Invalid value for headers - must be an object"):
            check_headers(bad, "download_url")
    with pytest.raises(ValueError, match="not a valid HTTP header name"):
        check_headers({"a b": "x"}, "download_url")
    with pytest.raises(ValueError, match="CR, LF or NUL"):
        check_headers({"X": "a\nb"}, "download_url")
    for name in ("Cookie", "referer", "Sec-Fetch-Mode", "Proxy-Authorization", "Origin"):
        with pytest.raises(UnsupportedError, match=name):
            check_headers({name: "x"}, "download_url")


def test_write_download_prefs_keeps_the_rest(tmp_path: Path) -> None:
    prefs = tmp_path / "Default" / "Preferences"
    prefs.parent.mkdir()
    prefs.write_text(json.dumps({"profile": {"name": "x"}, "download": {"extra": 1}}))
    folder = str(tmp_path / "dl")
    write_download_prefs(str(tmp_path), folder)
    data = json.loads(prefs.read_text())
    assert data["profile"] == {"name": "x"}
    assert data["download"] == {
        "extra": 1,
        "default_directory": folder,
        "prompt_for_download": False,
        "directory_upgrade": True,
    }
    assert os.path.isdir(folder)
    assert [p.name for p in prefs.parent.iterdir()] == ["Preferences"]  # no temp file left


def test_write_download_prefs_new_and_unreadable(tmp_path: Path) -> None:
    write_download_prefs(str(tmp_path / "new"), str(tmp_path / "d1"))
    data = json.loads((tmp_path / "new" / "Default" / "Preferences").read_text())
    assert data["download"]["default_directory"] == str(tmp_path / "d1")
    broken = tmp_path / "broken" / "Default" / "Preferences"
    broken.parent.mkdir(parents=True)
    broken.write_text("{not json")
    write_download_prefs(str(tmp_path / "broken"), str(tmp_path / "d2"))
    assert broken.read_text() == "{not json"  # left for Chromium to handle
