"""The bureau's shared database, read through mapped queries (data-contract.md section 3).

Each configured source has a SQLAlchemy URL and one SELECT per sheet key
whose result columns are the English keys plus school_code (the mapping from
the other system's own names is done in the query, with aliases).  Queries
run in a read-only transaction, and their rows go through exactly the same
checks as a sheet's rows.  One source key per (source, sheet):
`sql:<name>:<sheet key>`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import threading
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from decimal import Decimal

from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from sync import contract
from sync.cells import display, is_empty, without_invisible
from sync.errors import chinese_punctuation, first_line
from sync.reader import column_key_of
from sync.report import FileReport, unread_lines
from sync.validate import (
    Context,
    Problem,
    RawRow,
    masked_private,
    numeric_columns,
    privacy_problems,
    validate_rows,
)


class SourceUnavailable(Exception):
    """The shared database could not be queried; str(err) says why and what to do (English), `zh` the
    same in Chinese, for an operator who reads only that half of the CLI's line."""

    def __init__(self, en: str, zh: str):
        super().__init__(en)
        self.zh = chinese_punctuation(zh)


class SourceUnreachable(SourceUnavailable):
    """No connection to the shared database at all: its other queries need not try again this run."""


def _not_run(refused: tuple[str, str]) -> SourceUnavailable:
    zh, en = refused
    return SourceUnavailable(f"the query was not run: {en}", f"查詢未執行:{zh}")


def _server_said(err: BaseException) -> SourceUnavailable:
    said = first_line(err)
    if _refused_a_write(err):  # a function or a CTE that writes met the read-only transaction
        return SourceUnavailable(f"{said}: the query (or a function it calls) writes; a mapped query only reads",
                                 f"數據庫拒絕了寫入(數據庫的原話:{said}):查詢(或它調用的函數)會寫入數據;對應的查詢只能讀取")
    if _server_errors(err) & _TIMED_OUT:
        limit = QUERY_TIMEOUT_SECONDS
        return SourceUnavailable(
            f"{said}: the query ran past its limit of {limit} s; make it faster (a WHERE on an indexed column, "
            "fewer joins) or map a view the database's keeper prepares",
            f"查詢超過了 {limit} 秒的時限(數據庫的原話:{said});請讓查詢更快(按有索引的列篩選、減少關聯),或請數據庫管理員準備一個視圖")
    if _connection_lost(err):  # not the query's fault: its tables and columns are not what to check
        if "timed out" in said:  # PyMySQL's read timeout (_answer_limit)
            return _no_answer(QUERY_TIMEOUT_SECONDS + ANSWER_MARGIN_SECONDS)
        return SourceUnavailable(
            f"{said}: the connection to the database was lost while the query ran; check that the database and "
            "the network to it are up; the source keeps its records and is read again next run",
            f"查詢過程中與數據庫的連接中斷(數據庫驅動的原話:{said});請檢查數據庫服務器及網絡是否正常;此數據源保留原有記錄,下次同步時重新讀取")
    return SourceUnavailable(f"{said}; check the query against the database (its tables and columns)",
                             f"數據庫未能執行此查詢(數據庫的原話:{said});請對照數據庫核對查詢中的表名和列名")


def _no_answer(waited: int) -> SourceUnavailable:
    return SourceUnavailable(
        f"the database did not answer within {waited} s (it took the query and then said nothing: the server "
        "hung, or the network to it dropped); the connection was cut, the source keeps its records and is read "
        "again next run",
        f"數據庫在 {waited} 秒內沒有回應(收到查詢後再無答覆:服務器停止響應,或網絡中斷);已斷開連接,"
        "此數據源保留原有記錄,下次同步時重新讀取")


# MySQL's and MariaDB's client errors for a connection gone (gone away, lost during the query, lost reading
# the result); PostgreSQL's connection exceptions are SQLSTATE class 08, and libpq's own loss has no code.
_CONNECTION_LOST_MYSQL = frozenset({2006, 2013, 2055})


def _connection_lost(err: BaseException) -> bool:
    codes = _server_errors(err)
    if codes & _CONNECTION_LOST_MYSQL or any(isinstance(c, str) and c.startswith("08") for c in codes):
        return True
    return not codes and ("closed the connection" in str(err) or "connection is lost" in str(err))


# The servers' own word for "a write in a read-only transaction": PostgreSQL's SQLSTATE, MariaDB's and
# MySQL's error number.
_READ_ONLY_SQLSTATE = "25006"
_READ_ONLY_MYSQL_ERRNO = 1792


# ... and for a statement stopped at the time limit (PostgreSQL's statement_timeout, MariaDB's
# max_statement_time, MySQL's max_execution_time).
_TIMED_OUT = frozenset({"57014", 1969, 3024})


def _server_errors(err: BaseException) -> set:
    """The server's code for a driver's error: PostgreSQL's SQLSTATE, MySQL's and MariaDB's number."""
    orig = getattr(err, "orig", None) or err
    args = getattr(orig, "args", ())
    number = args[0] if args and isinstance(args[0], int) else None
    return {getattr(orig, "sqlstate", None), number} - {None}


def _refused_a_write(err: BaseException) -> bool:
    return bool(_server_errors(err) & {_READ_ONLY_SQLSTATE, _READ_ONLY_MYSQL_ERRNO})


def source_key(name: str, sheet_key: str) -> str:
    return f"sql:{name}:{sheet_key}"


QUERY_TIMEOUT_SECONDS = 120  # a mapped query that runs longer holds every later sync back
# How long past the query's own limit a connection waits for an answer before the driver gives up (PyMySQL's
# read timeout) or it is cut (PostgreSQL, _answer_watch): the server's limit needs a server that answers.
ANSWER_MARGIN_SECONDS = 30
# A host that takes the connection but never answers (a firewall dropping packets, a database hung)
# holds the run and every later one behind the sync lock: the driver gives up after this long.
CONNECT_TIMEOUT_SECONDS = 15


def _time_limits(url) -> dict:
    """The driver's own limits for connecting.  PyMySQL waits for the server's greeting as long as its
    read_timeout, so that is the connect limit too until the connection stands (_answer_limit).  A limit
    written into the URL (?connect_timeout=2) is the bureau's and is kept."""
    driver, given = url.get_driver_name(), set(url.query)
    limits = {}
    if driver in ("psycopg", "psycopg2", "pymysql", "mysqldb"):
        limits["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
    if driver == "pymysql":
        limits["read_timeout"] = limits["write_timeout"] = CONNECT_TIMEOUT_SECONDS
    limits = {k: v for k, v in limits.items() if k not in given}
    if driver in ("pymysql", "mysqldb"):
        # Whatever charset the URL names: in utf8mb4 the server gives every column's text as it is, where
        # ?charset=utf8 (MySQL's 3-byte utf8, as older guides write it) sent 王𠀀明 as 王?明 and latin1 every
        # Chinese character as '?', loaded without a word (found by an audit).
        limits["charset"] = "utf8mb4"
    return limits


def _answer_limit(conn) -> None:
    """A PyMySQL connection, once standing, waits for an answer as long as a query may run and a little
    more (MariaDB's max_statement_time is the server's: a server that never answers never applies it)."""
    driver_connection = conn.connection.driver_connection
    if conn.dialect.driver == "pymysql" and hasattr(driver_connection, "_read_timeout"):
        driver_connection._read_timeout = driver_connection._write_timeout = QUERY_TIMEOUT_SECONDS + ANSWER_MARGIN_SECONDS


@contextmanager
def _answer_watch(conn):
    """A PostgreSQL connection cut when no answer has come QUERY_TIMEOUT_SECONDS + ANSWER_MARGIN_SECONDS
    after its query left.  statement_timeout is the server's: a server hung, or a path that takes the query
    and never answers, kept libpq waiting for ever, and the run with every later one behind the sync lock
    (found by an audit; PyMySQL has its read timeout, _answer_limit).  Shutting the socket down wakes the
    driver's wait: it raises, and the source fails this run with its records kept."""
    fd = _postgresql_socket(conn) if conn.dialect.name == "postgresql" else None
    if fd is None:
        yield
        return
    waited = QUERY_TIMEOUT_SECONDS + ANSWER_MARGIN_SECONDS
    cut_off = threading.Event()

    def cut() -> None:
        cut_off.set()
        try:
            with socket.socket(fileno=os.dup(fd)) as sock:
                sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed: the query ended as the limit came

    timer = threading.Timer(waited, cut)
    timer.daemon = True
    timer.start()
    try:
        yield
    except Exception:
        if cut_off.is_set():
            try:
                conn.invalidate()  # else closing it tries a rollback on the cut socket, and that error is said
            except Exception:  # noqa: BLE001 - it is being given up either way
                pass
            raise _no_answer(waited) from None
        raise
    finally:
        timer.cancel()  # before the connection closes: its descriptor's number may then be another's


def _postgresql_socket(conn) -> int | None:
    driver_connection = conn.connection.driver_connection
    pgconn = getattr(driver_connection, "pgconn", None)  # psycopg 3
    try:
        return pgconn.socket if pgconn is not None else driver_connection.fileno()  # psycopg2
    except Exception:  # noqa: BLE001 - another driver: its own limits stand
        return None


def _read_only(conn) -> None:
    dialect = conn.dialect.name
    if dialect == "postgresql":
        conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        conn.exec_driver_sql(f"SET LOCAL statement_timeout = {QUERY_TIMEOUT_SECONDS * 1000}")
    elif dialect in ("mysql", "mariadb"):
        conn.exec_driver_sql("SET SESSION TRANSACTION READ ONLY")
        try:  # MariaDB's limit (seconds); MySQL's own is max_execution_time (milliseconds)
            conn.exec_driver_sql(f"SET SESSION max_statement_time = {QUERY_TIMEOUT_SECONDS}")
        except Exception:  # noqa: BLE001 - MySQL
            conn.exec_driver_sql(f"SET SESSION max_execution_time = {QUERY_TIMEOUT_SECONDS * 1000}")
    elif dialect == "sqlite":
        conn.exec_driver_sql("PRAGMA query_only = ON")


# What a mapped query may not hold, found in its text with string literals and comments taken out:
# a second statement (COMMIT; DELETE ... would end the read-only transaction and write), or a SELECT
# that writes (INTO a table or a server file, FOR UPDATE locks).  Literals and comments exactly as each
# server reads them, or the check reads another query than the server runs (found by an audit):
# - PostgreSQL: E'...' with backslash escapes, $tag$ dollar quotes, but a $ after a letter is part of a
#   name (a$$ is a name, not a quote);
# - MySQL/MariaDB: backslash escapes in '...' and "...", # comments, -- only before a space, and
#   /*! ... */ (/*M! ... */) is not a comment but code the server runs: left in, and refused below.
_PG_LITERALS = r"(?<![\w$])[Ee]'(?:[^'\\]|\\.|'')*'|'(?:[^']|'')*'|(?<![\w$])\$((?:[^\W\d]\w*)?)\$.*?\$\1\$|--[^\n]*|/\*.*?\*/|\"(?:[^\"]|\"\")*\""
_MYSQL_LITERALS = (r"'(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.|\"\")*\"|`(?:[^`]|``)*`|#[^\n]*|"
                   r"--(?=[\s\x00-\x1f]|$)[^\n]*|/\*(?!M?!).*?\*/")
# The same where the server's sql_mode has NO_BACKSLASH_ESCAPES (a backslash is a character: 'x\' is
# one string) or ANSI_QUOTES ("..." is a name, in which a backslash is a character too): read with
# the default's literals, 'x\' AS a ... INTO OUTFILE '/tmp/f' -- ' hid its INTO (found by an audit).
_MYSQL_PLAIN_LITERALS = (r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`(?:[^`]|``)*`|#[^\n]*|"
                         r"--(?=[\s\x00-\x1f]|$)[^\n]*|/\*(?!M?!).*?\*/")
_LITERALS = {
    "mysql": re.compile(_MYSQL_LITERALS, re.S),
    "mysql-plain": re.compile(_MYSQL_PLAIN_LITERALS, re.S),
    "postgresql": re.compile(_PG_LITERALS, re.S),
    None: re.compile(r"'(?:[^']|'')*'|--[^\n]*|/\*.*?\*/|\"(?:[^\"]|\"\")*\"|`[^`]*`", re.S),
}
_WRITES = re.compile(r"\b(into|for\s+update|for\s+share|for\s+no\s+key\s+update|lock\s+in\s+share\s+mode)\b", re.I)


def query_problem(query: str, dialect: str | None = None, sql_mode: str = "") -> tuple[str, str] | None:
    """Why a mapped query is refused before it runs (zh, en), or None: one SELECT (or WITH ... SELECT) only.
    dialect: "postgresql" or "mysql" (MariaDB), for how its literals and comments are written;
    sql_mode: a MySQL/MariaDB session's, which changes how they are read."""
    if dialect == "mysql" and ("NO_BACKSLASH_ESCAPES" in sql_mode.upper() or "ANSI_QUOTES" in sql_mode.upper()):
        # Refused when either reading finds a write: under ANSI_QUOTES alone "..." still lets no write
        # through the other way, and a query clean under both is clean as the server reads it.
        return query_problem(query, "mysql") or query_problem(query, "mysql-plain")
    bare = _LITERALS.get(dialect, _LITERALS[None]).sub(" ", query).strip().rstrip(";").strip()
    if "/*" in bare:
        return ("它含有 /*! ... */ 註釋,MySQL 和 MariaDB 會把它當作代碼執行;請刪去",
                "it holds a /*! ... */ comment, which MySQL and MariaDB run as code; take it out")
    if ";" in bare:
        return ("它含有不止一條語句(結尾之前有「;」);每張表只能對應一條 SELECT",
                "it holds more than one statement (a ';' before its end); map one SELECT per sheet")
    if not re.match(r"(?is)^\(?\s*(select|with)\b", bare):
        return ("它不是 SELECT 查詢;每張表對應一條 SELECT(或 WITH ... SELECT)",
                "it is not a SELECT; map one SELECT (or WITH ... SELECT) per sheet")
    found = _WRITES.search(bare)
    if found:
        word = " ".join(found.group(1).upper().split())
        return (f"它會寫入或鎖定數據({word});對應的查詢只能讀取",
                f"it writes or locks ({word}); a mapped query only reads")
    return None


def fetch(url: str, query: str) -> tuple[list[str], list[tuple]]:
    """Run one mapped query read-only: (column names, rows).  The query text goes to the driver as
    written (a ':x' inside a string literal is not a parameter)."""
    parsed = make_url(url)
    engine = create_engine(parsed, poolclass=NullPool, connect_args=_time_limits(parsed))
    dialect = engine.dialect.name
    refused = query_problem(query, "mysql" if dialect in ("mysql", "mariadb") else dialect)
    if refused:
        engine.dispose()
        raise _not_run(refused)
    try:
        try:
            conn = engine.connect()
        except Exception as err:  # noqa: BLE001 - any driver error: the host, the password, the database
            said = first_line(err)
            raise SourceUnreachable(f"{said}; check the URL and password in the configuration",
                                    f"無法連接數據庫({said});請檢查配置中的地址和密碼") from None
        with conn:
            _answer_limit(conn)
            if dialect in ("mysql", "mariadb"):
                # Read as this server reads it: its sql_mode (a DBA's, or the URL's init_command) may
                # change what is a string; checked before the query runs, in the same session.
                mode = conn.exec_driver_sql("SELECT @@SESSION.sql_mode").scalar() or ""
                conn.rollback()
                refused = query_problem(query, "mysql", mode)
                if refused:
                    raise _not_run(refused)
                session_zone = _county_clock(conn)
            else:
                session_zone = None
            _read_only(conn)  # first statement of the transaction the query then runs in
            with _answer_watch(conn):
                out = _run_one_statement(conn, query, session_zone)
            conn.rollback()
            return out
    except SourceUnavailable:
        raise
    except Exception as err:  # any driver error: the source is unavailable this run
        raise _server_said(err) from None
    finally:
        engine.dispose()


def _county_clock(conn) -> tzinfo | None:
    """A MySQL/MariaDB TIMESTAMP is sent in the session's zone (the server's own by default), and what the
    query works out of one (DATE(sj), COALESCE, a WHERE on CURDATE()) is worked out in it: the session
    speaks the county's zone, so a drill written at 07:30 on 1 March in the county is not dated 28
    February by a server kept in UTC (found by an audit).  By name where the server has its zone tables
    (summer time and all, each value by its own day); else as the county's offset now, which a zone with
    summer time has wrong half the year: a TIMESTAMP column is then read as the instant it is and dated by
    its own day's offset (_run_one_statement, _plain; an SQL audit), what the query worked out of one is
    as the server gave it (a diff review: a session in UTC dated DATE(sj) on UTC's day).  Returns the fixed
    offset the session speaks, None where it speaks the zone by name."""
    from sqlalchemy.exc import DBAPIError

    from sync.settings import county_zone

    zone = county_zone()
    try:
        conn.exec_driver_sql(f"SET time_zone = '{zone.key}'")  # a zoneinfo key: letters, digits, / _ - +
        conn.rollback()
        return None
    except DBAPIError:  # 1298 Unknown or incorrect time zone: no zone tables loaded (the usual install)
        conn.rollback()
    offset = datetime.now(zone).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    try:
        conn.exec_driver_sql(f"SET time_zone = '{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}'")
    except DBAPIError:
        # MariaDB takes -12:59 to +13:00 only: a county at +14:00 (Kiritimati) or +13:45 had every query
        # refused (a review).  UTC then, each TIMESTAMP column dated by its own day as above.
        conn.rollback()
        conn.exec_driver_sql("SET time_zone = '+00:00'")
        offset = timedelta(0)
    conn.rollback()
    return timezone(offset)


def _run_one_statement(conn, query: str, session_zone: tzinfo | None = None) -> tuple[list[str], list[tuple]]:
    """(column names, rows) of the query, run so that the server takes one statement only, whatever
    its text hides from query_problem: psycopg through the extended protocol (a prepared statement;
    its simple protocol runs "SELECT ...; COMMIT; UPDATE ..." whole), PyMySQL without multi-statements
    (its default)."""
    if conn.dialect.driver == "psycopg":
        cursor = conn.connection.dbapi_connection.cursor()
        _psycopg_loaders(cursor)
        cursor.execute(query, prepare=True)  # no parameters: % and : go to the server as written
        if cursor.description is None:
            raise SourceUnavailable("the query returns no rows (it is not a SELECT)",
                                    "查詢沒有返回結果集(它不是 SELECT)")
        singles = [d.name for d in cursor.description if d.type_code == _POSTGRESQL_REAL]
        return QueryColumns([d.name for d in cursor.description], singles), [tuple(r) for r in cursor.fetchall()]
    # text() escapes % for the drivers' format paramstyles; \: keeps ':x' (in a literal, or PG's ::cast)
    # from being read as a bind parameter.
    result = conn.execute(text(query.replace(":", "\\:")))
    described = result.cursor.description or ()
    floats = [d[0] for d in described if d[1] == _MYSQL_FLOAT]
    instants = {i for i, d in enumerate(described) if d[1] == _MYSQL_TIMESTAMP} if session_zone else set()
    rows = [tuple(r) for r in result]
    if instants:  # sent at the session's fixed offset (_county_clock): the instant, which _plain dates in the county
        rows = [tuple(v.replace(tzinfo=session_zone) if i in instants and isinstance(v, datetime) else v
                      for i, v in enumerate(row)) for row in rows]
    return QueryColumns(result.keys(), floats), rows


_MYSQL_FLOAT = 4  # pymysql.constants.FIELD_TYPE.FLOAT: single precision, sent as text with 6 digits
_MYSQL_TIMESTAMP = 7  # pymysql.constants.FIELD_TYPE.TIMESTAMP: an instant, sent in the session's zone
_POSTGRESQL_REAL = 700  # float4's type OID: single precision, about 7 digits (1234567.89 is 1234567.9)


class QueryColumns(list):
    """A query's column names, and those MySQL/MariaDB sent as FLOAT: the server writes such a value with
    6 significant digits (12345.67 arrives as 12345.7), which no reader can undo (found by an audit)."""

    def __init__(self, names, imprecise=()):
        super().__init__(names)
        self.imprecise = frozenset(imprecise)


def _psycopg_loaders(cursor) -> None:
    """money read as a number (_money); PostgreSQL's 'infinity' date or time (how it writes "no end")
    read as the last day Python holds, '-infinity' (and a date before year 1, '... BC') as the first: psycopg
    refuses the whole result for one such cell (found by an audit), where the checks take 9999-12-31 as "no end" and refuse any
    other date out of range, row by row; any other value Python cannot hold (a year past 9999, TIME '24:00', an
    interval past a billion days) as the text the server wrote, refused on its row where a column reads it."""
    from psycopg import DataError
    from psycopg.types.datetime import (
        DateLoader,
        IntervalLoader,
        TimeLoader,
        TimestampLoader,
        TimestamptzLoader,
        TimetzLoader,
    )

    def loader(base, last=None, first=None):
        class AsWritten(base):
            def load(self, data):
                if last is not None and bytes(data) == b"infinity":
                    return last
                if first is not None and (bytes(data) == b"-infinity" or bytes(data).endswith(b" BC")):
                    return first  # a date before year 1 (a typo a legacy form kept): its row is refused, not the query
                try:
                    return super().load(data)
                except DataError:
                    # A year past 9999 (20226-03-20, a typo), an interval past Python's: as the text the
                    # server wrote, which the row's check refuses, quoting it; the whole query failed for
                    # it (an audit).
                    return bytes(data).decode("utf-8", "replace")
        return AsWritten

    cursor.adapters.register_loader("money", _money_loader())
    cursor.adapters.register_loader("date", loader(DateLoader, date.max, date.min))
    cursor.adapters.register_loader("timestamp", loader(TimestampLoader, datetime.max, datetime.min))
    cursor.adapters.register_loader("timestamptz", loader(TimestamptzLoader, datetime.max.replace(tzinfo=UTC),
                                                          datetime.min.replace(tzinfo=UTC)))
    cursor.adapters.register_loader("interval", loader(IntervalLoader))
    # TIME '24:00:00' (a gate duty "until 24:00", which PostgreSQL takes and Python's time does not)
    cursor.adapters.register_loader("time", loader(TimeLoader))
    cursor.adapters.register_loader("timetz", loader(TimetzLoader))


def _money(text: str):
    """PostgreSQL's money as the number it is: the server writes it in its lc_monetary's way
    ('$1,200.50', '-$1,200.50', '￥1,200.50', '1.200,50 €'), which psycopg hands over as text, refused
    as "not a number" row by row (found by an audit).  Text it cannot read is passed on as it came."""
    bare = re.sub(r"[^\d.,()-]", "", text)
    negative = bare.startswith("-") or bare.startswith("(")
    digits = bare.strip("-()")
    marks = [c for c in digits if c in ".,"]
    if marks and (len(digits) - 1 - max(digits.rfind("."), digits.rfind(","))) in (1, 2):
        point = marks[-1]  # the last mark followed by one or two digits is the decimal point
        digits = digits.replace("," if point == "." else ".", "").replace(",", ".")
    else:
        digits = digits.replace(",", "").replace(".", "")
    try:
        value = Decimal(digits)
    except ArithmeticError:
        return text
    return -value if negative else value


def _money_loader():
    from psycopg.adapt import Loader

    class MoneyLoader(Loader):
        def load(self, data):
            return _money(bytes(data).decode("utf-8", "replace"))
    return MoneyLoader


class _Binary(str):
    """A binary cell that is no text in UTF-8 or GB18030 (a picture, a hash): shown as its size."""


def _plain(value, zone: tzinfo):
    """A database value as a sheet's cell would hold it, so that every check (a date's day, privacy,
    yes/no) sees what a person would read (found by an audit: bytes kept as "b'...'", a timestamptz
    dated in the server's zone, JSON and arrays passed over by the privacy check)."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        # a whole number exactly as the database holds it: 9223372036854775808 is quoted so when refused
        return int(value) if value.is_finite() and value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        # 2026-03-01 00:10+08 is 1 March in the county whatever zone the database session speaks.
        try:
            return value.astimezone(zone).replace(tzinfo=None) if value.tzinfo is not None else value
        except OverflowError:  # 'infinity' (_psycopg_loaders): the last moment Python holds, in any zone
            return value.replace(tzinfo=None)
    if isinstance(value, timedelta) and timedelta(0) <= value < timedelta(days=1):
        return (datetime.min + value).time()  # MySQL's TIME 07:20 comes as a duration: a time of day, as shown
    if isinstance(value, str):
        if _ZERO_DATE.match(value):  # MySQL's "no date" (a legacy table's default for "still on duty")
            return ""
        return _chinese_kept_as_latin1(value) if not value.isascii() else value
    if isinstance(value, timedelta):
        return _duration_text(value)
    if isinstance(value, (int, float, date, time)):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _text_of(bytes(value))
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)  # a UUID, an address, a range: as the database prints it


def _duration_text(value: timedelta) -> str:
    """A duration past a day, or negative (MySQL's TIME -01:00:00 or 838:59:59, PostgreSQL's interval), as
    MySQL writes it: Python's own text ("-1 day, 23:00:00") was stored for it (found by an audit)."""
    seconds = abs(value).total_seconds()
    minutes, second = divmod(seconds, 60)
    hours, minute = divmod(int(minutes), 60)
    second_text = f"{int(second):02d}" if float(second).is_integer() else f"{second:09.6f}"
    return f"{'-' if value < timedelta(0) else ''}{hours:02d}:{minute:02d}:{second_text}"


# PyMySQL hands MySQL's zero date over as this text: a legacy table's NOT NULL DEFAULT '0000-00-00'
# for an end of service or a closing day not yet come.  The empty cell it stands for, as PostgreSQL's
# 'infinity' is "no end": refused as no calendar day, every guard on duty was lost (found by an audit).
# A DATETIME(6) or TIMESTAMP(3) zero comes with its fractions (0000-00-00 00:00:00.000000): the same "no date".
_ZERO_DATE = re.compile(r"0000-00-00(?: 00:00:00(?:\.0+)?)?$")

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _chinese_kept_as_latin1(text: str) -> str:
    """The Chinese a legacy system wrote into a MySQL latin1 column, as its own screens show it: the
    server hands the column's bytes over as latin1 characters (王保安 comes as çŽ‹ä¿\x9då®‰; found by an
    audit, stored so).  Only when those bytes read as Chinese in UTF-8; Café stays Café."""
    if _CJK.search(text):
        return text
    raw = bytearray()
    for char in text:
        try:
            raw += char.encode("cp1252")  # MySQL's latin1 is Windows-1252 ...
        except UnicodeEncodeError:
            if ord(char) > 0xFF:
                return text
            raw.append(ord(char))  # ... whose five unassigned bytes it passes through as U+0081 etc.
    try:
        decoded = raw.decode("utf-8")  # strict: Western text in latin1 almost never reads as UTF-8
    except UnicodeDecodeError:
        return text  # (GB18030 would read most byte pairs as some character: Müller as M黮ler)
    return decoded if _CJK.search(decoded) else text


def _text_of(data: bytes):
    """A binary column's value: MariaDB's BIT(1) as 0 or 1, else text in UTF-8 or the GBK family older
    Chinese systems store names in."""
    if len(data) == 1 and data in (b"\x00", b"\x01"):
        return data[0]
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return _Binary(f"<{len(data)} bytes>")


def rows_digest(columns: list[str], rows: list[tuple]) -> str:
    """What a query's result holds, whatever order the server sent its rows in: a query without ORDER BY
    comes back in another order after an UPDATE of a column it does not read, which reloaded the source
    and recomputed the scores for nothing (found by an audit)."""
    h = hashlib.sha256(repr(columns).encode())
    for line in sorted(repr(row) for row in rows):
        h.update(line.encode())
        h.update(b"\n")
    return h.hexdigest()


def check_rows(name: str, sheet_key: str, columns: list[str], rows: list[tuple], registry: set[str] | None,
               today: date, maxima: dict[str, float], campuses: dict[str, set[str]] | None = None,
               zone: tzinfo | None = None) -> FileReport:
    """Validate a query result as the sheet `sheet_key` (school_code is a column here).
    campuses: each school's campuses, which a guard's campus must be one of (None: not checked);
    zone: the county's time zone, the day a time with a zone falls on (default: schedule.timezone)."""
    if zone is None:
        from sync.settings import county_zone

        zone = county_zone()
    spec = contract.SHEETS[sheet_key]
    report = FileReport(f"{name}:{sheet_key}", kind="sql")
    report.rows_read = len(rows)  # a refused result was read all the same
    mapping, twice = {}, {}
    for i, col in enumerate(columns):
        # school_code as any sheet names it (SCHOOL_CODE as MariaDB keeps an alias's case, 學校代碼).
        key = column_key_of(spec, col) or (
            "school_code" if column_key_of(contract.SHEETS["registry"], col) == "school_code" else None)
        if key and key not in mapping:
            mapping[key] = i
        elif key:
            twice.setdefault(key, [columns[mapping[key]]]).append(col)
    for key, names in twice.items():  # as a sheet with a column twice: which one is meant is not guessed
        report.add_file_problem(
            f"查詢結果中「{key}」列出現了{len(names)}次({'、'.join(map(str, names))}),請只保留一列",
            f"the query returns the '{key}' column {len(names)} times ({', '.join(map(str, names))}); keep one",
            sheet=sheet_key, column=str(names[1]), sheet_key=sheet_key,
        )
    needed = [c for c in spec.columns if not c.may_be_absent and c.key not in mapping]
    if "school_code" not in mapping and "school_code" not in [c.key for c in needed]:
        needed.insert(0, contract.Column("school_code", "學校代碼", en="school code"))
    for col in needed:
        report.add_file_problem(
            f"查詢結果缺少「{col.key}」列({col.zh}),請在查詢中用別名 AS {col.key} 給出",
            f"the query returns no '{col.key}' column ({col.label_en}); alias one with AS {col.key}",
            sheet=sheet_key, column=col.key, sheet_key=sheet_key,
        )
    for key, i in mapping.items():
        if columns[i] in getattr(columns, "imprecise", ()) and spec.column(key).kind == contract.MONEY:
            report.problems.append(Problem(
                "note", sheet_key, None, str(columns[i]), None,
                f"「{columns[i]}」是單精度列(FLOAT、REAL):只有 6 到 7 位有效數字(12345.67 會成為 12345.7);"
                f"請在查詢中寫 CAST({columns[i]} AS DECIMAL(14,2)) AS {key}",
                f"'{columns[i]}' is a single-precision column (FLOAT, REAL): it holds 6 or 7 significant digits "
                f"only (12345.67 arrives as 12345.7); write CAST({columns[i]} AS DECIMAL(14,2)) AS {key} in the "
                "query",
                sheet_key=sheet_key, column_key=key))
    region = [(n, [_plain(v, zone) for v in row]) for n, row in enumerate(rows, start=1)]
    binary = sorted({i for _n, cells in region for i, v in enumerate(cells) if v.__class__ is _Binary
                     and i in mapping.values()})
    for i in binary:
        report.add_file_problem(
            f"查詢結果的「{columns[i]}」列是二進制數據,不是文字;請在查詢中轉成文字(如 CAST(... AS CHAR) 或 convert_from)",
            f"the query's '{columns[i]}' column holds binary data, not text; convert it to text in the query "
            "(CAST(... AS CHAR), convert_from(...))", sheet=sheet_key, column=str(columns[i]), sheet_key=sheet_key)
    report.problems.extend(privacy_problems(sheet_key, sheet_key, None, list(columns), region,
                                            code_col=mapping.get("school_code"),
                                            skip_cols=numeric_columns(sheet_key, mapping)))
    if report.refused:
        return report
    headers = {key: (i + 1, columns[i]) for key, i in mapping.items()}
    raw_rows = []
    for n, cells in region:
        # As the reader picks a sheet's cells: a zero-width space or a BOM pasted into the other system is a
        # stray space there too (data-contract.md: the result is treated exactly as the sheet).
        picked = {key: without_invisible(cells[i]) for key, i in mapping.items()}
        if all(map(is_empty, picked.values())):
            # A blank row between records is passed over, as on a sheet (an outer join's row of NULLs); one
            # filled only in columns the contract does not name is shown as a line not read, never refused.
            shown = " ".join(display(c) for c in map(without_invisible, cells) if not is_empty(c))[:500]
            if shown:
                notes = [(n, masked_private(shown), "extra")]
                report.notes.extend({"sheet": sheet_key, "row": r, "text": t, "kind": k} for r, t, k in notes)
                report.problems.extend(unread_lines(spec, sheet_key, notes))
            report.rows_read -= 1
            continue
        raw_rows.append(RawRow(n, picked, row_cells=cells, names=list(columns)))
    ctx = Context(today=today, school_code=None, registry=registry if sheet_key != "registry" else None,
                  indicator_max=maxima, campuses_by_school=campuses)
    result = validate_rows(spec, raw_rows, ctx, sheet_key, headers)
    report.rows[sheet_key] = result.accepted
    report.rejected.extend(result.rejected)
    report.problems.extend(result.problems)
    return report.masked()
