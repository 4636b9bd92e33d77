"""Where a file's items are read and prepared: in the importing process, or beside it.

A large export is read on two cores. A forked reader process parses the XML and packs each
comment (``threads.ingest.pack.pack``: plain values, the timestamp as its stored UTC text, the
enums in stored form) while the importing process finishes preparing the comments (keys,
hashes, JSON) and writes the previous batches in its transaction. Which side is slower depends
on the file and the machine's moment, so the finishing goes where there is time for it: when
batches wait in the reader process's queue (the importing process is the slower side), the
reader process finishes the next batch itself (:data:`FINISH_WHEN_WAITING`).

Batches cross a pipe with ``marshal`` for the comments (plain tuples, about twice as fast as
pickle both ways; both ends are the same interpreter) and ``pickle`` for the few thread
objects. A sending thread and a queue of up to 32 batches (about 30 MB) let the reader run ahead
of the writer by that much and no more, so memory stays bounded as it does in one process; the
head start matters when the reader is started before the database layer is loaded
(``threads.ingest.ahead``).

Both kinds of stream give the same prepared items in the same order, and the same warnings,
skipped-element counts and errors: the choice changes the speed of an import, never its result.
A reader process is used only where forking is safe (the ``fork`` start method exists and the
importing process runs no other thread, whose locks a fork would copy held), for files large
enough that starting it pays off. This module and the readers need no database layer.
"""

from __future__ import annotations

import contextlib
import gc
import marshal
import mmap
import multiprocessing
import os
import pickle
import queue
import sys
import threading
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows
    fcntl = None  # type: ignore[assignment]

from threads.ingest.pack import ItemParts, PackedComment, pack, split
from threads.ingest.sniff import Sniffed
from threads.ingest.stream import Item, XmlSource

if TYPE_CHECKING:
    from threads.ingest.prepare import Prepared

#: files at least this large are read in a reader process when ``parallel`` is left to us
PARALLEL_MIN_BYTES = 8 << 20
#: packed comments per message from the reader process (and items, for runs of bare threads)
SEND_COMMENTS = 2000
SEND_ITEMS = 500
PROTOCOL = pickle.HIGHEST_PROTOCOL
#: batches the reader process may have ready before the importing process takes them
SEND_AHEAD = 32
#: the garbage collector's thresholds while a file is read (see ``threads.ingest.service``)
FEW_COLLECTIONS = (50_000, 20, 100)
#: the pipe's capacity asked for (Linux; the default 64 KiB holds a sixteenth of a batch)
PIPE_BYTES = 1 << 20
#: the reader process's thread switch interval, in seconds (Python's default is 5 ms)
SWITCH_INTERVAL = 0.0005
#: the reader process finishes a batch's comments itself (keys, hashes, JSON, as
#: :meth:`threads.ingest.prepare.Preparer.finish` does in the importing process) when at least
#: this many of its batches wait to be sent: the importing process is then the slower side,
#: and the reader's core would otherwise sit idle once the queue is full. With none waiting,
#: the importing process finishes them (it waits for the reader then). Measured on 200,000
#: comments: the importing process ended 0.03-0.5 s after the reader instead of 0.7-1.7 s.
FINISH_WHEN_WAITING = 2
#: the backends a reader process can finish comments for; the byte it shares with the importing
#: process holds one's place here plus one (0 while the importing process has not said)
BACKENDS = ("sqlite", "postgresql")


def _backend_code(backend: str) -> int:
    return BACKENDS.index(backend) + 1 if backend in BACKENDS else 0


class Reader(Protocol):
    """What the format readers (Disqus, WXR, Blogger) share. A reader may also have a
    ``packed_items()`` method, which a reader process then uses: the items as
    :func:`threads.ingest.pack.split` parts with their comments packed, exactly what splitting
    and packing the iterated items gives."""

    warnings: list[str]
    skipped: dict[str, int]

    def __iter__(self) -> Iterator[Item]: ...


class PreparedStream(Protocol):
    """Prepared items of one file, with what the reader noticed (complete once iterated)."""

    #: whether the items come from a reader process
    in_child: bool

    @property
    def warnings(self) -> list[str]: ...

    @property
    def skipped(self) -> dict[str, int]: ...

    @property
    def bytes_read(self) -> int: ...

    def prepared(self, backend: str) -> Iterator[Prepared]:
        """The items, their comments prepared for ``backend`` ("sqlite" or "postgresql")."""
        ...

    def close(self) -> None: ...


def xml_reader(fmt: str, source: XmlSource) -> Reader:
    """The streaming reader of an XML format ("wxr", "disqus" or "blogger")."""
    # imported here: a reader process started ahead loads only the reader it runs
    if fmt == "wxr":
        from threads.ingest.wxr import WxrReader

        return WxrReader(source)
    if fmt == "disqus":
        from threads.ingest.disqus import DisqusReader

        return DisqusReader(source)
    from threads.ingest.blogger import BloggerReader

    return BloggerReader(source)


def xml_readers(
    path: Path, fmt: str, sniffed: Sniffed, declared: frozenset[str] = frozenset()
) -> Callable[[], tuple[Reader, XmlSource]]:
    """What makes the reader of ``path`` (and its source), where the file is read: in this
    process, or in a reader process."""

    def make_reader() -> tuple[Reader, XmlSource]:
        source = XmlSource(path, sniffed, declared)
        return xml_reader(fmt, source), source

    return make_reader


def can_fork() -> bool:
    """Whether a reader process can be forked safely here: on Linux (macOS's system libraries
    are not safe to use after a fork), with no other thread running."""
    return sys.platform.startswith("linux") and threading.active_count() == 1


def use_reader_process(size: int, parallel: bool | None) -> bool:
    """Whether to read a file of ``size`` bytes in a reader process (``parallel``: True to use
    one whenever forking is safe, False never, None when the file is large and a second core is
    there)."""
    if parallel is False or not can_fork():
        return False
    if parallel:
        return True
    return size >= PARALLEL_MIN_BYTES and len(os.sched_getaffinity(0)) > 1


class InProcess:
    """The reader and the preparation run in the importing process, item by item."""

    in_child = False

    def __init__(self, make_reader: Callable[[], tuple[Reader, XmlSource]]):
        self.reader, self.source = make_reader()

    @property
    def warnings(self) -> list[str]:
        return self.reader.warnings

    @property
    def skipped(self) -> dict[str, int]:
        return self.reader.skipped

    @property
    def bytes_read(self) -> int:
        return self.source.bytes_read

    def prepared(self, backend: str) -> Iterator[Prepared]:
        from threads.ingest.prepare import Preparer

        return Preparer(backend).items(self.reader)

    def close(self) -> None:
        self.source.close()


class ReaderProcess:
    """The reader runs in a forked child and packs the comments; batches arrive here, where
    their preparation is finished.

    Errors raised in the child (a file that is not well-formed, an undeclared namespace prefix,
    a value a column refuses) are raised again here, with the same type and message. A child
    that dies without a word is reported as such; :meth:`close` stops a child still running
    (when the import fails on the writing side).

    Once it knows the backend (``backend``, or the one :meth:`prepared` is asked for), the
    child finishes the comments of a batch itself whenever ``finish_when_waiting`` batches
    wait to be sent (None: never); either way each comment is finished by the same function.
    """

    in_child = True

    def __init__(
        self,
        make_reader: Callable[[], tuple[Reader, XmlSource]],
        *,
        backend: str | None = None,
        finish_when_waiting: int | None = FINISH_WHEN_WAITING,
    ):
        self.warnings: list[str] = []
        self.skipped: dict[str, int] = {}
        #: batches whose comments the child finished (known once the stream is read)
        self.finished_batches = 0
        self._bytes_read = 0
        self._closed = False
        # one byte shared with the child: the backend to finish comments for (anonymous
        # shared memory, inherited by the fork)
        self._backend = mmap.mmap(-1, 1)
        if backend is not None:
            self._backend[0] = _backend_code(backend)
        context = multiprocessing.get_context("fork")
        self._conn, child_end = context.Pipe(duplex=False)
        _widen(child_end)
        self._process = context.Process(
            target=_read_in_child,
            args=(child_end, make_reader, self._backend, finish_when_waiting),
            name="threads-ingest-reader",
            daemon=True,
        )
        self._process.start()
        child_end.close()  # so that a dead child reads as end of file here

    @property
    def bytes_read(self) -> int:
        return self._bytes_read

    @property
    def pid(self) -> int:
        """The reader process's id."""
        assert self._process.pid is not None
        return self._process.pid

    def prepared(self, backend: str) -> Iterator[Prepared]:
        if not self._closed:
            self._backend[0] = _backend_code(backend)  # the child may finish from now
        return self._received(backend)

    def _received(self, backend: str) -> Iterator[Prepared]:
        from threads.ingest.prepare import Prepared, Preparer

        finish = Preparer(backend).finish
        receive = self._conn.recv_bytes
        while True:
            try:
                message = marshal.loads(receive())
            except (EOFError, OSError):  # closed, or cut off in the middle of a message
                self._process.join(5)
                raise ChildProcessError(
                    "the reader process ended without finishing "
                    f"(exit code {self._process.exitcode})"
                ) from None
            kind = message[0]
            if kind == "items" or kind == "prepared":
                self._bytes_read = message[1]
                comments = message[3]
                if isinstance(comments, bytes):
                    comments = pickle.loads(comments)
                finished = kind == "prepared"  # else packed: finished here
                for (thread, ref, warnings), batch in zip(
                    pickle.loads(message[2]), comments, strict=True
                ):
                    prepared = batch if finished else [finish(c) for c in batch]
                    yield Prepared(prepared, thread=thread, thread_ref=ref, warnings=warnings)
            elif kind == "end":
                self.warnings, self.skipped, self.finished_batches = pickle.loads(message[1])
                return
            else:
                raise pickle.loads(message[1])

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._conn.close()
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._process.close()
        self._backend.close()


def open_stream(
    make_reader: Callable[[], tuple[Reader, XmlSource]], *, in_child: bool
) -> PreparedStream:
    """The items of the reader ``make_reader`` builds, read here or in a child."""
    if in_child:
        return ReaderProcess(make_reader)
    return InProcess(make_reader)


def _read_in_child(
    conn: Connection,
    make_reader: Callable[[], tuple[Reader, XmlSource]],
    backend: mmap.mmap,
    finish_when_waiting: int | None,
) -> None:
    """The reader process: read, pack (and finish, when the importing process is behind), send
    batches; then the warnings, or the error.

    A thread sends while the main thread reads on: the importing process takes a batch only
    between two writes of its own, and a reader that waited for it each time would leave a
    core idle. The queue holds a few batches, so memory stays bounded.
    """
    # What the child inherited stays as it is: a collection here could otherwise finalise the
    # parent's unreachable objects (a pooled database connection among them) in this process.
    gc.freeze()
    gc.set_threshold(*FEW_COLLECTIONS)
    # The sending thread needs the interpreter for a moment after each write to the pipe; at
    # the default 5 ms it waited that long each time while the importing process sat idle
    # (its waits for a batch halved at 0.5 ms, measured).
    sys.setswitchinterval(SWITCH_INTERVAL)
    outbox: queue.Queue[bytes | None] = queue.Queue(maxsize=SEND_AHEAD)
    stopped = threading.Event()

    def sender() -> None:
        try:
            while (message := outbox.get()) is not None:
                conn.send_bytes(message)
        except (BrokenPipeError, EOFError, OSError):
            pass  # the importing process has stopped listening: nothing to tell it
        finally:
            stopped.set()
            conn.close()

    thread = threading.Thread(target=sender, name="threads-ingest-sender", daemon=True)
    thread.start()

    def send(message: bytes | None) -> None:
        while not stopped.is_set():
            try:
                outbox.put(message, timeout=0.5)
                return
            except queue.Full:
                continue
        raise BrokenPipeError("the importing process has stopped listening")

    finishes: dict[int, Callable[[PackedComment], Any]] = {}
    finished = 0

    def send_batch(batch: list[tuple[Any, list[PackedComment]]], bytes_read: int) -> None:
        """Send a batch, its comments finished here when enough batches wait to be sent
        and the importing process has said for which backend."""
        nonlocal finished
        code = backend[0]
        finish = None
        if finish_when_waiting is not None and code and outbox.qsize() >= finish_when_waiting:
            finish = finishes.get(code)
            if finish is None:
                from threads.ingest.prepare import Preparer  # no database layer

                finish = finishes[code] = Preparer(BACKENDS[code - 1]).finish
            finished += 1
        send(_items_message(batch, bytes_read, finish))

    try:
        reader, source = make_reader()
        batch: list[tuple[Any, list[PackedComment]]] = []
        comments = 0
        for parts, packed in _packed_items(reader):
            batch.append((parts, packed))
            comments += len(packed)
            if comments >= SEND_COMMENTS or len(batch) >= SEND_ITEMS:
                send_batch(batch, source.bytes_read)
                batch, comments = [], 0
        send_batch(batch, source.bytes_read)
        end = (reader.warnings, reader.skipped, finished)
        send(marshal.dumps(("end", pickle.dumps(end))))
    except BrokenPipeError:
        pass
    except BaseException as exc:  # noqa: BLE001 - everything is reported to the parent
        with contextlib.suppress(BrokenPipeError):
            send(_error_message(exc))
    finally:
        with contextlib.suppress(BrokenPipeError):
            send(None)
        thread.join()


def _widen(connection: Connection) -> None:
    """Ask for a pipe that holds a whole batch, so that the sending thread writes it in one
    go instead of waking (and taking the interpreter from the reader) for every 64 KiB the
    importing process reads. Best effort: the limit is ``/proc/sys/fs/pipe-max-size``."""
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if set_size is None:
        return
    with contextlib.suppress(OSError):
        fcntl.fcntl(connection.fileno(), set_size, PIPE_BYTES)


def _packed_items(reader: Reader) -> Iterator[tuple[ItemParts, list[PackedComment]]]:
    """The reader's items as split parts and packed comments: its own ``packed_items`` where it
    has one (the Disqus reader, whose posts are the bulk of a large import), else each item
    split and its comments packed."""
    packed_items = getattr(reader, "packed_items", None)
    if packed_items is not None:
        yield from packed_items()
        return
    for item in reader:
        yield split(item), [pack(c) for c in item.comments]


def _items_message(
    batch: list[tuple[Any, list[PackedComment]]],
    bytes_read: int,
    finish: Callable[[PackedComment], Any] | None = None,
) -> bytes:
    """A batch on the wire: the packed comments ("items"), or with ``finish`` the finished
    ones ("prepared"), as plain tuples with marshal, about twice as fast as pickle both ways;
    the few thread objects with pickle. Comments whose ``extra`` holds what marshal cannot
    write go with pickle too."""
    threads = pickle.dumps([parts for parts, _ in batch], PROTOCOL)
    kind = "items"
    comments: list[list[Any]] = [packed for _, packed in batch]
    if finish is not None:
        kind = "prepared"
        comments = [[finish(c) for c in packed] for packed in comments]
    try:
        return marshal.dumps((kind, bytes_read, threads, comments))
    except ValueError:  # an object marshal does not know, in some comment's extra
        return marshal.dumps((kind, bytes_read, threads, pickle.dumps(comments, PROTOCOL)))


def _error_message(exc: BaseException) -> bytes:
    """``exc`` pickled as it is when it survives the trip, else as a RuntimeError that names it."""
    try:
        payload = pickle.dumps(exc, PROTOCOL)
        error: Any = pickle.loads(payload)
        if type(error) is not type(exc) or str(error) != str(exc):
            raise TypeError("changed on the way")
    except Exception:  # noqa: BLE001 - some exceptions cannot be pickled
        payload = pickle.dumps(RuntimeError(f"{type(exc).__name__}: {exc}"), PROTOCOL)
    return marshal.dumps(("error", payload))
