"""The lossless JSONL archive: every row of every table (API keys aside), one JSON object a line.

Format (version 4, documented in the README):

* line 1 is the header ``{"type": "archive", "format": "threads-archive", "version": 4, ...}``;
* then one record per row, sections in the order ``import_batch``, ``site``,
  ``author_standing``, ``article``,
  ``thread``, ``comment``, ``topic_label``, ``topic_model``, ``event``, ``report``, each ordered
  by id;
* a record is ``{"type": <section>, <column>: <value>, ...}`` with the columns in table order;
  times are ISO 8601 in UTC with a ``Z`` suffix, enums are their string values, JSON columns are
  written with sorted keys.

Older archives still load. Version 1 (before sites): their articles go to the sites their
addresses name, as a database from before sites is migrated. Versions 1 and 2 (before codebooks
side by side): their topic labels belong to the shipped codebook, as migration 0006 does, and the
comments' ``classified_version``/``classified_hash`` (derived state) are dropped. Whether a
comment was classified is not archived: a restored database classifies again. Versions 1-3
(before author standing) simply have no ``author_standing`` section. A comment's detected
``language`` is derived data too (``threads classify`` sets it), and is not archived.

The same database always gives the same bytes (there is no "now" in the header: ``as_of`` is the
newest timestamp held in the archived rows, or ``SOURCE_DATE_EPOCH`` when the caller passes it),
which makes archives diffable and checksummable. Restoring an archive into an empty database
gives that database back (``threads ingest`` records the load in ``archive_load``, which is not
archived), so export -> restore -> export gives the same bytes, across SQLite and PostgreSQL too.
"""

from __future__ import annotations

import enum
import functools
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from threads import __version__
from threads.archive.common import format_time, snapshot
from threads.db.migrate import current_revision
from threads.db.queries.archive import (
    ARCHIVE_SECTIONS,
    ThreadScope,
    archive_sections,
    archived_columns,
    content_row_exists,
    find_rows,
    insert_row_returning_id,
    insert_rows,
    max_id,
    reset_sequence,
    section_count,
    section_newest_time,
    set_parent,
    update_row,
)
from threads.db.types import UTCDateTime
from threads.errors import InvalidInput
from threads.models import (
    Article,
    AuthorStanding,
    Comment,
    CommentReport,
    CommentTopic,
    EventTarget,
    ImportBatch,
    ModerationEvent,
    ParsedSite,
    Site,
    Thread,
    TopicModel,
)

FORMAT = "threads-archive"
VERSION = 4
#: the versions a load reads (1: before sites; 2: before codebooks side by side)
READS = (1, 2, 3, 4)
#: fields of older versions that are derived state now kept elsewhere: read and dropped
_RETIRED = {("comment", "classified_version"), ("comment", "classified_hash")}
#: record types in the order an archive holds them
RECORD_TYPES: list[str] = [name for name, _ in ARCHIVE_SECTIONS]
_MODELS: dict[str, Any] = {
    "import_batch": ImportBatch,
    "site": Site,
    "author_standing": AuthorStanding,
    "article": Article,
    "thread": Thread,
    "comment": Comment,
    "topic_label": CommentTopic,
    "topic_model": TopicModel,
    "event": ModerationEvent,
    "report": CommentReport,
}
#: characters JSON leaves raw that some line splitters (str.splitlines) take for line ends
_LINE_BREAKERS = {"\u0085": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_CHUNK = 1000


# --------------------------------------------------------------------------- values


def _sorted_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _sorted_json(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list | tuple):
        return [_sorted_json(v) for v in value]
    return value


def _encoder(column: sa.Column[Any]) -> Callable[[Any], Any] | None:
    """How one column's values become JSON values (None: they already are)."""
    if isinstance(column.type, UTCDateTime):
        return format_time
    if isinstance(column.type, sa.Enum):
        return lambda value: value.value if isinstance(value, enum.Enum) else value
    if isinstance(column.type, sa.JSON):
        return _sorted_json
    return None


@functools.cache
def _encoders(table: sa.Table) -> tuple[tuple[str, Callable[[Any], Any] | None], ...]:
    # decided once per table, not once per value: the export spends its time here
    return tuple((column.name, _encoder(column)) for column in archived_columns(table))


def dumps_line(record: dict[str, Any]) -> str:
    """One archive line: compact JSON, UTF-8 characters kept, ending with a single newline."""
    text = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in _LINE_BREAKERS.items():
        if char in text:  # only possible inside strings, where the escape means the same
            text = text.replace(char, escaped)
    return text + "\n"


def encode_row(record_type: str, table: sa.Table, row: Any) -> dict[str, Any]:
    """A record for one table row: ``type`` first, then every column in table order."""
    record: dict[str, Any] = {"type": record_type}
    for name, encode in _encoders(table):
        value = row[name]
        record[name] = value if value is None or encode is None else encode(value)
    return record


# --------------------------------------------------------------------------- export


def dump_archive(
    engine: Engine,
    out: TextIO,
    *,
    thread_ids: Sequence[int] | None = None,
    site: str | None = None,
    as_of: datetime | None = None,
) -> dict[str, int]:
    """Write the archive of the whole database (or of ``thread_ids`` only, and/or of the
    threads of the site with key ``site``) to ``out``.

    The archive is a function of the data: the header's ``as_of`` is the newest time held in
    the archived rows, or ``as_of`` when given (``threads export`` gives ``SOURCE_DATE_EPOCH``
    when it is set), never the time of the export.

    Rows are streamed from one consistent snapshot. Returns the number of records written per
    record type. Raises NotFound naming any thread id that does not exist or an unknown site key.
    """
    schema = current_revision(engine)
    with snapshot(engine, thread_ids, site) as (conn, scope):
        sections = archive_sections(scope)
        counts = {s.name: section_count(conn, s) for s in sections}
        times = [t for s in sections if (t := section_newest_time(conn, s)) is not None]
        header: dict[str, Any] = {
            "type": "archive",
            "format": FORMAT,
            "version": VERSION,
            "software": f"threads {__version__}",
            "schema": schema,
            "as_of": format_time(as_of if as_of is not None else max(times))
            if as_of is not None or times
            else None,
            "scope": _scope_record(scope),
            "counts": counts,
        }
        out.write(dumps_line(header))
        written: dict[str, int] = {}
        for section in sections:
            n = 0
            for row in conn.execute(section.select, execution_options={"yield_per": _CHUNK}):
                out.write(dumps_line(encode_row(section.name, section.table, row._mapping)))
                n += 1
            written[section.name] = n
    return written


def _scope_record(scope: ThreadScope) -> str | dict[str, Any]:
    """The header's ``scope``: "all", or the site key and/or the thread ids exported."""
    if scope.everything:
        return "all"
    record: dict[str, Any] = {}
    if scope.site_key is not None:
        record["site"] = scope.site_key
    if scope.thread_ids is not None:
        record["threads"] = list(scope.thread_ids)
    return record


# --------------------------------------------------------------------------- field specs


@dataclass(frozen=True)
class _Field:
    name: str
    kind: str  # int, float, str, bool, time, enum, json
    nullable: bool
    required: bool
    default: Callable[[], Any] | None
    length: int | None = None
    enum_cls: type[enum.Enum] | None = None
    json_type: type | None = None


def _fields(record_type: str) -> dict[str, _Field]:
    model = _MODELS[record_type]
    table: sa.Table = model.__table__
    specs: dict[str, _Field] = {}
    for column in archived_columns(table):
        info = model.model_fields[column.name]
        default: Callable[[], Any] | None
        if info.default_factory is not None:
            default = info.default_factory
        elif info.is_required():
            default = None
        else:
            value = info.default
            default = lambda value=value: value  # noqa: E731
        required = column.name == "id" or (not column.nullable and default is None)
        ctype = column.type
        kind, length, enum_cls, json_type = "str", None, None, None
        if isinstance(ctype, UTCDateTime):
            kind = "time"
        elif isinstance(ctype, sa.Enum):
            kind, enum_cls = "enum", ctype.enum_class
        elif isinstance(ctype, sa.JSON):
            kind = "json"
            if info.default_factory is not None:
                json_type = type(info.default_factory())
        elif isinstance(ctype, sa.Boolean):
            kind = "bool"
        elif isinstance(ctype, sa.Integer):
            kind = "int"
        elif isinstance(ctype, sa.Float):
            kind = "float"
        elif isinstance(ctype, sa.String):
            length = ctype.length
        specs[column.name] = _Field(
            column.name,
            kind,
            bool(column.nullable) and column.name != "id",
            required,
            default,
            length,
            enum_cls,
            json_type,
        )
    return specs


_SPECS: dict[str, dict[str, _Field]] = {name: _fields(name) for name in RECORD_TYPES}


# --------------------------------------------------------------------------- import


def is_archive_header(line: str | bytes) -> bool:
    """Whether ``line`` (the first line of a file) is the header of a threads JSONL archive."""
    if isinstance(line, bytes):
        line = line.decode("utf-8-sig", errors="replace")
    try:
        obj = json.loads(line.lstrip("\ufeff"))
    except ValueError:
        return False
    return isinstance(obj, dict) and obj.get("type") == "archive"


def load_archive(
    session: Session,
    lines: Iterable[str],
    *,
    batch: ImportBatch | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """Add the rows of a JSONL archive to ``session`` (the caller commits or rolls back).

    Into an empty database (no rows but ``batch``) every id is kept, so the result is the archived
    database itself; otherwise rows are merged like any import: matched by their stable keys, new
    ones added with new ids, newer versions (by ``updated_at``) updating older ones, events and
    reports added only when not already present. ``batch``: an ImportBatch of the caller's to
    add beside the archived ones (it may be moved to a free id: read ``batch.id`` after the
    call); ``threads ingest`` passes none and records the load in ``archive_load`` instead, so
    that a restored database exports as it was archived. ``name`` names the file in errors.
    Returns records read per type plus ``inserted``, ``updated`` and ``unchanged``, ``restored``
    (whether every id was kept) and the header's ``as_of``. Raises InvalidInput naming the line
    and field of the first problem.
    """
    loader = _Loader(session, batch, name)
    counts: dict[str, Any] = dict(loader.run(lines))
    counts["restored"] = loader.restore
    counts["as_of"] = loader.as_of
    return counts


class _Loader:
    def __init__(self, session: Session, batch: ImportBatch | None, name: str | None) -> None:
        self.session = session
        self.batch = batch
        self.where = name or (batch.source_name if batch is not None else "") or "archive"
        self.as_of: str | None = None
        self.restore = False
        self.ids: dict[str, dict[int, int]] = {name: {} for name in RECORD_TYPES}
        self.unique: dict[str, set[tuple[Any, ...]]] = {name: set() for name in RECORD_TYPES}
        self.counts: dict[str, int] = {name: 0 for name in RECORD_TYPES}
        self.changes = {"inserted": 0, "updated": 0, "unchanged": 0}
        self.section = -1
        self.pending: list[dict[str, Any]] = []
        self.fixups: list[tuple[int, int, int, int]] = []  # db id, archive parent, line, arch id
        self.header_counts: dict[str, Any] | None = None
        self.lineno = 0
        self.version = VERSION
        #: version 1: the sites made for its articles, by key
        self.derived_sites: dict[str, int] = {}

    # ---------------------------------------------------------------- errors

    def fail(self, message: str, field: str | None = None) -> InvalidInput:
        return InvalidInput(f"{self.where} line {self.lineno}: {message}", field=field)

    def field_error(self, record_type: str, rec_id: Any, name: str, expected: str) -> InvalidInput:
        what = record_type if rec_id is None else f"{record_type} {rec_id}"
        return self.fail(f"{what}: field {name!r}: {expected}", field=name)

    # ---------------------------------------------------------------- driver

    def run(self, lines: Iterable[str]) -> dict[str, int]:
        header_seen = False
        for self.lineno, raw in enumerate(lines, start=1):
            text = raw.rstrip("\r\n")
            if self.lineno == 1:
                text = text.lstrip("\ufeff")
            if not text.strip():
                continue
            try:
                obj = json.loads(text)
            except ValueError as exc:
                raise self.fail(f"not valid JSON ({exc})") from None
            if not isinstance(obj, dict):
                raise self.fail(f"expected a JSON object, got {type(obj).__name__}")
            record_type = obj.pop("type", None)
            if not header_seen:
                if record_type != "archive":
                    raise self.fail(
                        'expected the archive header {"type": "archive", "format": '
                        f'"{FORMAT}", "version": {VERSION}}} first',
                        field="type",
                    )
                self.start(obj)
                header_seen = True
                continue
            if record_type == "archive":
                raise self.fail("a second archive header", field="type")
            if record_type not in self.ids:
                raise self.fail(
                    f"unknown record type {record_type!r} (expected one of "
                    f"{', '.join(RECORD_TYPES)})",
                    field="type",
                )
            index = RECORD_TYPES.index(record_type)
            if index < self.section:
                raise self.fail(
                    f"a {record_type} record after {RECORD_TYPES[self.section]} records: "
                    f"sections must come in the order {', '.join(RECORD_TYPES)}",
                    field="type",
                )
            while self.section < index:
                self.end_section()
                self.section += 1
            self.counts[record_type] += 1
            self.add(record_type, self.decode(record_type, obj))
        if not header_seen:
            self.lineno = 0
            raise InvalidInput(
                f"{self.where}: empty archive (expected a first line "
                f'{{"type": "archive", "format": "{FORMAT}", "version": {VERSION}}})',
                field="type",
            )
        while self.section < len(RECORD_TYPES):
            self.end_section()
            self.section += 1
        self.check_counts()
        if self.restore:
            for _, table in ARCHIVE_SECTIONS:
                reset_sequence(self.session, table)
        self.session.flush()
        return {**self.counts, **self.changes}

    def start(self, header: dict[str, Any]) -> None:
        if header.get("format") != FORMAT:
            raise self.fail(
                f"field 'format': expected {FORMAT!r}, got {header.get('format')!r}",
                field="format",
            )
        version = header.get("version")
        if version not in READS or isinstance(version, bool):
            raise self.fail(
                f"field 'version': unsupported archive version {version!r} "
                f"(threads {__version__} reads versions {', '.join(map(str, READS))})",
                field="version",
            )
        self.version = version
        as_of = header.get("as_of")
        self.as_of = as_of if isinstance(as_of, str) else None
        counts = header.get("counts")
        if counts is not None and not isinstance(counts, dict):
            raise self.fail("field 'counts': expected an object of counts per type", "counts")
        self.header_counts = counts
        if self.batch is not None:
            self.session.add(self.batch)
        self.session.flush()
        batch_id = self.batch.id if self.batch is not None else None
        self.restore = not content_row_exists(self.session, except_batch_id=batch_id)

    def check_counts(self) -> None:
        if not self.header_counts:
            return
        for name, expected in self.header_counts.items():
            found = self.counts.get(name)
            if found is None:
                continue
            if found != expected:
                raise InvalidInput(
                    f"{self.where}: the header counts {expected} {name} records but the archive "
                    f"holds {found} (truncated or edited file?)",
                    field="counts",
                )

    # ---------------------------------------------------------------- decoding

    def decode(self, record_type: str, obj: dict[str, Any]) -> dict[str, Any]:
        specs = _SPECS[record_type]
        rec_id = obj.get("id")
        if self.version < 3:
            for retired in [name for name in obj if (record_type, name) in _RETIRED]:
                del obj[retired]
        unknown = sorted(set(obj) - set(specs))
        if unknown:
            raise self.field_error(
                record_type,
                rec_id,
                unknown[0],
                f"unknown field (archive version {VERSION} has {', '.join(specs)})",
            )
        row: dict[str, Any] = {}
        for name, spec in specs.items():
            if name not in obj:
                if record_type == "article" and name == "site_id" and self.version == 1:
                    row[name] = None  # derived in add()
                    continue
                if spec.required:
                    raise self.field_error(record_type, rec_id, name, "missing (required)")
                row[name] = spec.default() if spec.default is not None else None
                continue
            row[name] = self.value(record_type, rec_id, spec, obj[name])
        return row

    def value(self, record_type: str, rec_id: Any, spec: _Field, value: Any) -> Any:
        def bad(expected: str) -> InvalidInput:
            shown = json.dumps(value, ensure_ascii=False)
            if len(shown) > 60:
                shown = shown[:57] + "..."
            return self.field_error(
                record_type, rec_id, spec.name, f"expected {expected}, got {shown}"
            )

        if value is None:
            if spec.nullable:
                return None
            raise bad("a value (null is not allowed)")
        kind = spec.kind
        if kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                raise bad("an integer")
            return value
        if kind == "float":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise bad("a number")
            return float(value)
        if kind == "bool":
            if not isinstance(value, bool):
                raise bad("true or false")
            return value
        if kind == "str":
            if not isinstance(value, str):
                raise bad("a string")
            if spec.length is not None and len(value) > spec.length:
                raise bad(f"a string of at most {spec.length} characters")
            return value
        if kind == "time":
            if not isinstance(value, str):
                raise bad("an ISO 8601 time such as 2014-11-04T02:32:00Z")
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                raise bad("an ISO 8601 time such as 2014-11-04T02:32:00Z") from None
            if parsed.tzinfo is None:
                raise bad("an ISO 8601 time with a UTC offset or Z")
            return parsed.astimezone(UTC)
        if kind == "enum":
            assert spec.enum_cls is not None
            try:
                return spec.enum_cls(value)
            except ValueError:
                choices = ", ".join(str(m.value) for m in spec.enum_cls)
                raise bad(f"one of {choices}") from None
        if kind == "json":
            if spec.json_type is not None and not isinstance(value, spec.json_type):
                raise bad("a JSON " + ("object" if spec.json_type is dict else "array"))
            if spec.json_type is None and not isinstance(value, dict | list):
                raise bad("a JSON object or array")
            return value
        raise AssertionError(kind)  # pragma: no cover

    # ---------------------------------------------------------------- references

    def ref(self, record_type: str, row: dict[str, Any], name: str, target: str) -> int | None:
        value = row[name]
        if value is None:
            return None
        mapped = self.ids[target].get(value)
        if mapped is None:
            raise self.field_error(
                record_type,
                row["id"],
                name,
                f"refers to {target} {value}, which is not earlier in the archive",
            )
        return mapped

    def claim(self, record_type: str, row: dict[str, Any], *unique: str) -> None:
        """Refuse a duplicate id, or a duplicate of a unique key, within the archive."""
        if row["id"] in self.ids[record_type]:
            raise self.field_error(record_type, row["id"], "id", "an id not used before")
        if unique:
            key = (record_type, *(row[u] for u in unique))
            if key in self.unique[record_type]:
                raise self.field_error(
                    record_type,
                    row["id"],
                    unique[-1],
                    f"a unique ({', '.join(unique)}), already used by an earlier {record_type}",
                )
            self.unique[record_type].add(key)

    # ---------------------------------------------------------------- rows

    def add(self, record_type: str, row: dict[str, Any]) -> None:
        arch_id: int = row["id"]
        table: sa.Table = _MODELS[record_type].__table__
        if record_type == "import_batch":
            self.claim(record_type, row)
        elif record_type == "site":
            self.claim(record_type, row, "key")
            row["import_batch_id"] = self.ref(record_type, row, "import_batch_id", "import_batch")
        elif record_type == "author_standing":
            self.claim(record_type, row, "site_id", "author_key")
            row["site_id"] = self.ref(record_type, row, "site_id", "site")
        elif record_type == "article":
            if self.version == 1:
                row["site_id"] = self.derived_site(row)
            else:
                row["site_id"] = self.ref(record_type, row, "site_id", "site")
            self.claim(record_type, row, "site_id", "key")
            row["import_batch_id"] = self.ref(record_type, row, "import_batch_id", "import_batch")
        elif record_type == "thread":
            self.claim(record_type, row, "article_id")
            row["article_id"] = self.ref(record_type, row, "article_id", "article")
            row["import_batch_id"] = self.ref(record_type, row, "import_batch_id", "import_batch")
        elif record_type == "comment":
            self.claim(record_type, row, "thread_id", "key")
            row["thread_id"] = self.ref(record_type, row, "thread_id", "thread")
            row["import_batch_id"] = self.ref(record_type, row, "import_batch_id", "import_batch")
        elif record_type == "topic_label":
            self.claim(record_type, row, "comment_id", "codebook", "topic_id", "source", "labeler")
            row["comment_id"] = self.ref(record_type, row, "comment_id", "comment")
        elif record_type == "topic_model":
            self.claim(record_type, row, "taxonomy_version", "topic_id")
        elif record_type == "report":
            self.claim(record_type, row)
            row["comment_id"] = self.ref(record_type, row, "comment_id", "comment")
        elif record_type == "event":
            self.claim(record_type, row)
            if not self.restore:
                self.remap_event(row)

        parent: int | None = None
        if record_type == "comment" and row["parent_id"] is not None:
            parent = row["parent_id"]
            mapped = self.ids["comment"].get(parent)
            row["parent_id"] = mapped  # None for now when the parent comes later

        if self.restore:
            self.ids[record_type][arch_id] = arch_id
            self.pending.append(row)
            if parent is not None and row["parent_id"] is None:
                self.fixups.append((arch_id, parent, self.lineno, arch_id))
            # batches wait for the section end: the caller's batch may need to move first
            if len(self.pending) >= _CHUNK and record_type != "import_batch":
                self.flush_pending(table)
            self.changes["inserted"] += 1
            return

        db_id = self.merge(record_type, table, row)
        self.ids[record_type][arch_id] = db_id
        if parent is not None and row["parent_id"] is None:
            self.fixups.append((db_id, parent, self.lineno, arch_id))

    def derived_site(self, article: dict[str, Any]) -> int:
        """The site of an article of a version 1 archive: that of its address (made once)."""
        from threads.ingest.sites import site_of_page

        site = site_of_page(article["source_url"])
        forum = (article["extra"] or {}).get("forum")
        if article["source_format"] == "disqus" and forum:
            site = ParsedSite(f"disqus:{str(forum).lower()}", str(forum))
        found = self.derived_sites.get(site.key)
        if found is None:
            existing = find_rows(self.session, table_of(Site), {"key": site.key})
            if existing:
                found = int(existing[0]["id"])
            else:
                now = datetime.now(UTC)
                values = {
                    "key": site.key,
                    "name": site.name,
                    "base_url": site.base_url,
                    "import_batch_id": None,
                    "extra": {"derived_by": "archive version 1"},
                    "created_at": now,
                    "updated_at": now,
                }
                found = insert_row_returning_id(self.session, table_of(Site), values)
            self.derived_sites[site.key] = found
        return found

    def remap_event(self, row: dict[str, Any]) -> None:
        target = {
            EventTarget.COMMENT: "comment",
            EventTarget.THREAD: "thread",
            EventTarget.ARTICLE: "article",
            EventTarget.AUTHOR: "author_standing",
        }.get(row["target_type"])
        if target is not None:
            row["target_id"] = self.ids[target].get(row["target_id"], row["target_id"])
        if row["thread_id"] is not None:
            row["thread_id"] = self.ids["thread"].get(row["thread_id"], row["thread_id"])

    def flush_pending(self, table: sa.Table) -> None:
        insert_rows(self.session, table, self.pending)
        self.pending = []

    def end_section(self) -> None:
        if self.section < 0 or self.section >= len(RECORD_TYPES):
            return
        name, table = ARCHIVE_SECTIONS[self.section]
        if self.restore:
            if name == "import_batch":
                self.move_batch_out_of_the_way()
            self.flush_pending(table)
        if name == "comment":
            self.apply_fixups()

    def move_batch_out_of_the_way(self) -> None:
        batch = self.batch
        if batch is None or batch.id is None or batch.id not in self.ids["import_batch"]:
            return
        highest = max(
            max(self.ids["import_batch"]), max_id(self.session, table_of(ImportBatch)) or 0
        )
        batch.id = highest + 1
        self.session.flush()

    def apply_fixups(self) -> None:
        for db_id, parent, lineno, arch_id in self.fixups:
            mapped = self.ids["comment"].get(parent)
            if mapped is None:
                self.lineno = lineno
                raise self.field_error(
                    "comment",
                    arch_id,
                    "parent_id",
                    f"refers to comment {parent}, which is not in the archive",
                )
            set_parent(self.session, db_id, mapped)
        self.fixups = []

    # ---------------------------------------------------------------- merging

    def merge(self, record_type: str, table: sa.Table, row: dict[str, Any]) -> int:
        values = {k: v for k, v in row.items() if k != "id"}
        if record_type == "event":
            scalar = {k: v for k, v in values.items() if k != "extra"}
            for found in find_rows(self.session, table, scalar):
                if _sorted_json(found["extra"]) == _sorted_json(values["extra"]):
                    self.changes["unchanged"] += 1
                    return int(found["id"])
            return self.insert(table, values)
        if record_type == "report":
            match = {
                k: values[k]
                for k in ("comment_id", "reason_code", "detail", "reporter", "created_at")
            }
            return self.match_or_insert(table, values, match, None)
        keys, newer = _MERGE_KEYS[record_type]
        match = {k: values[k] for k in keys}
        return self.match_or_insert(table, values, match, newer)

    def match_or_insert(
        self,
        table: sa.Table,
        values: dict[str, Any],
        match: dict[str, Any],
        newer: str | None,
    ) -> int:
        found = find_rows(self.session, table, match)
        if not found:
            return self.insert(table, values)
        existing = found[0]
        existing_id = int(existing["id"])
        if (
            newer is not None
            and values[newer] is not None
            and (existing[newer] is None or existing[newer] < values[newer])
        ):
            update = {
                k: v
                for k, v in values.items()
                if k not in match and k != "import_batch_id" and existing[k] != v
            }
            if update:
                update_row(self.session, table, existing_id, update)
                self.changes["updated"] += 1
                return existing_id
        self.changes["unchanged"] += 1
        return existing_id

    def insert(self, table: sa.Table, values: dict[str, Any]) -> int:
        self.changes["inserted"] += 1
        return insert_row_returning_id(self.session, table, values)


#: how a merge recognises a row already present, and which time says which version is newer
_MERGE_KEYS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "import_batch": (("sha256", "source_name", "format", "started_at"), None),
    "site": (("key",), "updated_at"),
    "author_standing": (("site_id", "author_key"), "set_at"),
    "article": (("site_id", "key"), "updated_at"),
    "thread": (("article_id",), "updated_at"),
    "comment": (("thread_id", "key"), "updated_at"),
    "topic_label": (("comment_id", "codebook", "topic_id", "source", "labeler"), "created_at"),
    "topic_model": (("taxonomy_version", "topic_id"), "trained_at"),
}


def table_of(model: Any) -> sa.Table:
    table: sa.Table = model.__table__
    return table
