"""Where `threads export --out` writes: files replaced only once complete, FIFOs and devices
written as streams (never replaced), symbolic links refused unless followed; write errors are
one line and exit code 1, never a traceback."""

from __future__ import annotations

import errno
import io
import os
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path
from typing import TextIO

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from cli.app import app
from tests.archive_builders import build, sample_data
from threads.archive import SYMLINK_REFUSED, dump_archive, write_output
from threads.errors import InvalidInput, OutputFailed

runner = CliRunner()


def _export(db_url: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["export", *args], env={"THREADS_DATABASE_URL": db_url})
    assert "Traceback" not in result.stderr
    return result.exit_code, result.stdout, result.stderr


def _archive(engine: Engine) -> str:
    expected = io.StringIO()
    dump_archive(engine, expected)
    return expected.getvalue()


# --------------------------------------------------------------------------- the CLI


def test_export_into_a_fifo_streams_to_its_reader(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    build(engine, sample_data())
    folder = tmp_path / "out"  # beside the SQLite database
    folder.mkdir()
    fifo = folder / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []

    def read() -> None:
        with open(fifo, "rb") as handle:
            received.append(handle.read())

    reader = threading.Thread(target=read)
    reader.start()
    try:
        code, _, err = _export(db_url, "--out", str(fifo))
    finally:
        _release(fifo)  # a reader still waiting for a writer (if the export failed) gets EOF
        reader.join()
    assert code == 0, err
    assert received == [_archive(engine).encode("utf-8")]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # still the FIFO, not a file in its place
    assert sorted(p.name for p in folder.iterdir()) == ["pipe"]


def _release(fifo: Path) -> None:
    try:
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    except OSError as exc:  # ENXIO: no reader left
        assert exc.errno == errno.ENXIO


@pytest.mark.skipif(os.geteuid() != 0, reason="only root could replace /dev/full")
def test_export_to_dev_full_fails_in_one_line_and_keeps_the_device(db_url: str) -> None:
    code, _, err = _export(db_url, "--out", "/dev/full")
    assert code == 1
    assert err == "error: cannot write /dev/full: No space left on device\n"
    assert stat.S_ISCHR(os.lstat("/dev/full").st_mode)


@pytest.mark.parametrize(
    "args", [["export"], ["export", "-f", "csv"], ["report", "--all"], ["queue", "-s", "all"]]
)
def test_a_full_stdout_fails_in_one_line(db_url: str, engine: Engine, args: list[str]) -> None:
    build(engine, sample_data())
    with open("/dev/full", "wb") as full:
        done = subprocess.run(
            [sys.executable, "-m", "cli", *args],
            env={**os.environ, "THREADS_DATABASE_URL": db_url},
            stdout=full,
            stderr=subprocess.PIPE,
            check=False,
        )
    assert done.returncode == 1
    assert done.stderr.decode() == (
        "error: cannot write to standard output: No space left on device\n"
    )


def test_export_refuses_a_symlink_unless_asked(db_url: str, engine: Engine, tmp_path: Path) -> None:
    build(engine, sample_data())
    folder = tmp_path / "out"  # beside the SQLite database
    folder.mkdir()
    target = folder / "target.jsonl"
    target.write_text("keep me\n", encoding="utf-8")
    link = folder / "link.jsonl"
    link.symlink_to(target.name)

    code, out, err = _export(db_url, "--out", str(link))
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "symbolic link" in err and "--follow-symlinks" in err
    assert target.read_text(encoding="utf-8") == "keep me\n"
    assert link.is_symlink() and os.readlink(link) == target.name

    code, _, err = _export(db_url, "--out", str(link), "--follow-symlinks")
    assert code == 0, err
    assert target.read_text(encoding="utf-8") == _archive(engine)
    assert link.is_symlink() and os.readlink(link) == target.name
    assert sorted(p.name for p in folder.iterdir()) == ["link.jsonl", "target.jsonl"]


def test_export_replaces_a_regular_file_only_on_success(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    build(engine, sample_data())
    folder = tmp_path / "out"  # beside the SQLite database
    folder.mkdir()
    target = folder / "archive.jsonl"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o640)
    before = target.stat().st_ino

    code, _, err = _export(db_url, "--out", str(target), "--thread", "999")
    assert code == 1 and err == "error: no thread with id 999\n"
    assert target.read_text(encoding="utf-8") == "old\n" and target.stat().st_ino == before

    code, _, err = _export(db_url, "--out", str(target))
    assert code == 0, err
    assert target.read_text(encoding="utf-8") == _archive(engine)
    assert target.stat().st_ino != before  # a new file renamed into place
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in folder.iterdir()) == ["archive.jsonl"]


# --------------------------------------------------------------------------- the library


def test_write_output_to_a_character_device_writes_a_stream() -> None:
    assert write_output("/dev/null", lambda handle: handle.write("x" * 100)) == 100
    assert stat.S_ISCHR(os.lstat("/dev/null").st_mode)


def test_write_output_reports_a_failed_write_and_leaves_the_file(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old\n", encoding="utf-8")

    def disk_full(handle: TextIO) -> None:
        handle.write("half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(OutputFailed, match="cannot write .*out.csv: No space left on device"):
        write_output(target, disk_full)
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_write_output_refuses_what_is_not_a_file_a_fifo_or_a_device(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="is a folder"):
        write_output(tmp_path, lambda handle: handle.write("x"))
    sock_path = tmp_path / "sock"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(sock_path))
        with pytest.raises(InvalidInput, match="is a socket"):
            write_output(sock_path, lambda handle: handle.write("x"))
    assert stat.S_ISSOCK(os.lstat(sock_path).st_mode)


def test_write_output_follows_a_dangling_link_only_when_asked(tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to("new.txt")
    with pytest.raises(InvalidInput) as refused:
        write_output(link, lambda handle: handle.write("x"))
    assert refused.value.code == SYMLINK_REFUSED and refused.value.extra["field"] == "out"
    assert not (tmp_path / "new.txt").exists()
    write_output(link, lambda handle: handle.write("made\n"), follow_symlinks=True)
    assert (tmp_path / "new.txt").read_text(encoding="utf-8") == "made\n"
    assert link.is_symlink()
