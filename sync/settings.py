"""Configuration in one place.

Three environment settings (SAFESCHOOL_DATABASE_URL, SAFESCHOOL_INBOX,
SAFESCHOOL_CONFIG) and one optional TOML file named by SAFESCHOOL_CONFIG that
holds what a bureau tunes: the rubric file, calendar overrides, SQL sources,
the sync schedule and the circular's wording.  A bad value stops start-up with
one line naming the setting and what is wrong (ConfigError); the CLI prints
that line and exits 2.
"""

from __future__ import annotations

import tomllib
from datetime import date
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from sync.errors import ConfigError

DEFAULT_DATA_DIR = Path("data")


def shown_url(value: str) -> str:
    """A URL as a message may show it: never its password."""
    try:
        url = make_url(value)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        return "<not a URL>"
    # hide_password hides user:password@ only; a driver also takes ?password=... (found by an audit)
    url = url.update_query_dict({k: "***" for k in url.query if "password" in k.lower() or k.lower() == "passwd"})
    return url.render_as_string(hide_password=True).replace("%2A%2A%2A", "***")


# A password as typed (Admin@123) ends at its first @ in a URL: the rest of it is read as the host (and a
# ':' in it as a port), which every connection error then printed, logged and stored (found by an audit).
_AT_IN_PASSWORD = ("its user name or password holds an '@', which a URL reads as the end of the password "
                   "(the rest is taken for the host); write each @ in them as %40 (p@ss as p%40ss)")


def _at_in_password(value: str) -> bool:
    """Whether a URL's password (or user name) holds an @ of its own: user:pass@word@host read as the
    host 'word@host', or, with a ':' after it, a port that is no number."""
    try:
        host = make_url(value).host or ""
    except ValueError:
        return value.split("://", 1)[-1].split("?", 1)[0].count("@") > 1
    except ArgumentError:
        return False
    return "@" in host


# The drivers this project installs, for the URL schemes people write without one.
_DRIVER_HINTS = {"mysql": "mysql+pymysql://", "mariadb": "mysql+pymysql://", "postgresql": "postgresql+psycopg://",
                 "postgres": "postgresql+psycopg://"}


def checked_url(value: str) -> str:
    if value.startswith("postgres://"):
        # what psql, libpq and many hosts write; SQLAlchemy knows the scheme only as postgresql://, whose
        # default driver is psycopg2 before 2.1 (not installed): name the one installed
        value = "postgresql+psycopg://" + value[len("postgres://"):]
    if _at_in_password(value):
        raise Said(_AT_IN_PASSWORD, "其中的用戶名或密碼含有「@」,URL 把它當作密碼的結尾(其後的部分會被當作主機名);"
                                    "請把其中每個 @ 寫成 %40(如 p@ss 寫成 p%40ss)")
    try:
        make_url(value).get_dialect().import_dbapi()
    except ArgumentError:
        raise Said(
            f"{shown_url(value)!r} is not a database URL; expected e.g. sqlite:///data/safeschool.db "
            "or postgresql+psycopg://user@host/db",
            f"{shown_url(value)!r} 不是數據庫地址,應寫成如 postgresql+psycopg://用戶@主機/數據庫"
        ) from None
    except ValueError:  # SQLAlchemy's int() of the port ("invalid literal for int() with base 10: 'pg'")
        raise Said("its port (after the host's ':') is not a number; write it as host:5432, "
                   "or leave the port out for the driver's own",
                   "其中的端口(主機名後「:」之後)不是數字;請寫成 主機:5432,或省去端口") from None
    except (NoSuchModuleError, ImportError):
        scheme = value.split(":", 1)[0].split("+", 1)[0].lower()
        hint = f"; write it as {_DRIVER_HINTS[scheme]}user:password@host/db" if scheme in _DRIVER_HINTS else ""
        zh_hint = f",請寫成 {_DRIVER_HINTS[scheme]}用戶:密碼@主機/數據庫" if scheme in _DRIVER_HINTS else ""
        raise Said(f"{shown_url(value)!r} names a database driver that is not installed or does not "
                   f"exist{hint}", f"{shown_url(value)!r} 指定的數據庫驅動未安裝或不存在{zh_hint}") from None
    url = make_url(value)
    folder = url.database if value.startswith("sqlite") else None
    if value.startswith("sqlite") and (not folder or folder == ":memory:" or url.query.get("mode") == "memory"):
        # sqlite:/// (a variable left empty: sqlite:///$DB) is a database in memory: `init` said "upgraded"
        # and `copy-store` "copied 2,642 rows", and everything was gone when the command ended (a config audit)
        raise Said(f"{value!r} names no database file (SQLite keeps such a database in memory, and it is "
                   "gone when the command ends); name a file, e.g. sqlite:///data/safeschool.db",
                   f"{value!r} 沒有寫數據庫文件名(這樣的 SQLite 數據庫只在內存中,命令結束即消失);"
                   "請寫上文件名,如 sqlite:///data/safeschool.db")
    if folder and Path(folder).is_dir():  # SQLite's own "unable to open database file" said nothing of it
        example = f"sqlite:///{folder.rstrip('/')}/safeschool.db"
        raise Said(f"{folder!r} is a folder, not a database file: name a file in it, e.g. {example}",
                   f"{folder!r} 是文件夾,不是數據庫文件:請寫上其中的文件名,如 {example}")
    return value


class Said(ValueError):
    """A validator's reason in English (str) and Chinese (`zh`): pydantic keeps the exception in the
    error's ctx, whence the configuration's Chinese line is taken."""

    def __init__(self, message: str, zh: str):
        super().__init__(message)
        self.zh = zh


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SAFESCHOOL_", extra="ignore")

    database_url: str = Field(default="", description="SQLAlchemy URL of the store")
    inbox: Path = Field(default=DEFAULT_DATA_DIR / "inbox", description="folder the sync reads")
    config: Path | None = Field(default=None, description="optional TOML configuration file")
    secret_key: str = Field(default="", description="Flask session secret (generated if empty)")
    max_upload_mb: float = Field(default=10.0, gt=0, description="largest workbook a school may upload")
    # at most 64: a county's server has a few cores, and each worker holds tens of MB (1000 was taken)
    sync_workers: int = Field(default=0, ge=0, le=64, description="processes checking workbooks in a sync (0: one per core)")
    https: bool = Field(default=False, description="the dashboard is reached over https (session cookies marked Secure)")
    hosts: str = Field(default="", description="host names the dashboard answers to, comma-separated (empty: any)")

    @property
    def host_names(self) -> list[str]:
        """`hosts` as a list (a port written after a name is ignored; werkzeug cannot match an IPv6 address)."""
        return [name.strip().lower() for name in self.hosts.split(",") if name.strip()]

    @field_validator("inbox", mode="before")
    @classmethod
    def _inbox_named(cls, value):
        # Set but empty (SAFESCHOOL_INBOX=) would be the current folder, read recursively: every
        # workbook under it loaded under new keys, the inbox's own taken as removed.
        if isinstance(value, str) and not value.strip():
            raise Said("is empty: set it to the folder the schools' workbooks are in, or unset it for ./data/inbox",
                       "是空的:請設為存放學校工作簿的文件夾,或不設置(即 ./data/inbox)")
        return value

    @field_validator("config", mode="before")
    @classmethod
    def _config_or_none(cls, value):
        return None if isinstance(value, str) and not value.strip() else value  # SAFESCHOOL_CONFIG= : not set

    @field_validator("database_url")
    @classmethod
    def _url_parses(cls, value: str) -> str:
        if not value:
            return value
        return checked_url(value)

    @property
    def store_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(DEFAULT_DATA_DIR / 'safeschool.db').resolve()}"


class SqlSource(BaseModel):
    """One mapped query set against an existing shared database (contract section 3)."""

    model_config = ConfigDict(extra="forbid")
    name: str
    url: str
    queries: dict[str, str]

    @field_validator("name")
    @classmethod
    def _names_its_records(cls, value: str) -> str:
        # Its records are the store's sql:<name>:<sheet> (500 characters at most), read back by the
        # name between the colons: which source of two stands for a school's guards goes by it.
        if not value.strip():
            raise Said("is empty: give the source a name (e.g. \"school-information-system\"); its records "
                       "are kept under it", "是空的:請給數據源起個名字(如 \"school-information-system\"),其記錄按名字保存")
        if ":" in value or len(value) > 200:
            shown = f"{value[:40]!r}{'...' if len(value) > 40 else ''}"
            raise Said(f"{shown}: a source's name may not hold ':' and has at most 200 characters; "
                       "e.g. \"school-information-system\"",
                       f"{shown}:數據源名稱不能含有「:」,最多 200 個字符,如 \"school-information-system\"")
        return value

    @field_validator("url")
    @classmethod
    def _url_parses(cls, value: str) -> str:
        return checked_url(value)

    @field_validator("queries")
    @classmethod
    def _known_sheets(cls, value: dict[str, str]) -> dict[str, str]:
        from sync.contract import SHEETS

        unknown = sorted(set(value) - set(SHEETS))
        if unknown:
            raise Said(f"unknown sheet key(s) {', '.join(unknown)}; known: {', '.join(SHEETS)}",
                       f"沒有這樣的表:{'、'.join(unknown)};可用的有:{'、'.join(SHEETS)}")
        # A source mapping nothing was taken without a word, and an empty query refused only at sync time
        # (a configuration audit).
        if not value:
            raise Said("maps no sheet: give [sources.queries] one query per sheet key, e.g. "
                       "guards = \"SELECT ... FROM ...\", or take the source out",
                       "沒有映射任何表:請在 [sources.queries] 中為每個表寫一條查詢,如 guards = \"SELECT ... FROM ...\","
                       "或刪除這個數據源")
        blank = sorted(key for key, query in value.items() if not str(query).strip())
        if blank:
            raise Said(f"the query for {', '.join(blank)} is empty: write its SELECT, or take the line out",
                       f"{'、'.join(blank)} 的查詢是空的:請寫上 SELECT 查詢,或刪除這一行")
        return value


class Schedule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cron: str = "*/30 * * * *"
    timezone: str = "Asia/Shanghai"  # the county's: the scheduler's clock, and the day a database's time falls on

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        # Read as the scheduler reads it, when the configuration is read: a typo stopped only `scheduler`,
        # while every other command took it.
        from sync.scheduler import CronNeverFires, cron_trigger

        try:
            cron_trigger(value, "UTC")
        except CronNeverFires as err:
            raise Said(str(err), err.zh) from None
        except ValueError as err:
            raise Said(str(err), f"{value!r} 不是有效的 cron 表達式:五項依次為 分 時 日 月 星期(0–7,0 和 7 為星期日),"
                                 "例如 '*/30 * * * *' 每30分鐘") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo

        try:
            ZoneInfo(value)
        except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
            raise Said(f"{value!r} is not a time zone; e.g. 'Asia/Shanghai'",
                       f"時區 {value!r} 不存在,例如 'Asia/Shanghai'") from None
        return value


def county_zone():
    """The county's time zone (schedule.timezone)."""
    from zoneinfo import ZoneInfo

    return ZoneInfo(get_file_config().schedule.timezone)


def county_today():
    """Today in the county (schedule.timezone), not on the server's clock: a server kept on UTC is still
    on yesterday until 08:00 in Asia/Shanghai, and a gate duty kept at 07:20 would be "in the future"."""
    from datetime import datetime

    return datetime.now(county_zone()).date()


def county_now():
    """The county's wall clock, without a zone: what every stored time (a sync run, an upload, a log-in,
    a publication) says, so that the pages show it as the county reads its clocks, whatever zone the
    server keeps (a UTC server showed a sync at 17:01 on a page dated the next morning)."""
    from datetime import datetime

    return datetime.now(county_zone()).replace(tzinfo=None)


PLACEHOLDER_ISSUER = "XX縣教育和體育局"
DEFAULT_CIRCULAR_TITLE = "關於{year}年度學校本質安全考評結果的通報"


class Circular(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = DEFAULT_CIRCULAR_TITLE
    issuer: str = PLACEHOLDER_ISSUER

    @field_validator("title", "issuer")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():  # a circular with no title, or 「，組織考評組對全縣…」 with no one issuing it
            raise Said("may not be empty; leave it out of [circular] for the default",
                       "不能是空的;如用默認值,請從 [circular] 中刪去這一行")
        return value.strip()

    @field_validator("title")
    @classmethod
    def _title_takes_the_year(cls, value: str) -> str:
        try:  # checked here, not first when the bureau exports its circular
            value.format(year=2026)
        except (KeyError, IndexError, ValueError, AttributeError):
            raise Said("the title may hold {year} (the evaluation year) and no other {...}; "
                       "write a brace as {{ or }}",
                       "標題中只能有 {year}(考評年度),不能有其他 {...};花括號本身請寫作 {{ 或 }}") from None
        return value


class Semester(BaseModel):
    model_config = ConfigDict(extra="forbid")
    spring: tuple[date, date] | None = None
    autumn: tuple[date, date] | None = None


class FileConfig(BaseModel):
    """What SAFESCHOOL_CONFIG may hold."""

    model_config = ConfigDict(extra="forbid")
    rubric: Path | None = None
    calendar: dict[int, Semester] = Field(default_factory=dict)
    schedule: Schedule = Field(default_factory=Schedule)
    circular: Circular = Field(default_factory=Circular)
    sources: list[SqlSource] = Field(default_factory=list)

    @field_validator("calendar", mode="before")
    @classmethod
    def _by_year(cls, value):
        # [calendar] spring = [...] with no year said only "Input should be a valid integer" (a configuration audit)
        if isinstance(value, dict):
            not_years = [str(key) for key in value if not str(key).strip().isdigit()]
            if not_years:
                raise Said(f"is set year by year: write [calendar.2026] with spring = [2026-02-23, 2026-07-03] and "
                           f"autumn = [2026-09-01, 2027-01-22] under it, not {', '.join(not_years)} under [calendar]",
                           f"須按年份設置:寫 [calendar.2026],其下寫 spring = [2026-02-23, 2026-07-03] 和 "
                           f"autumn = [2026-09-01, 2027-01-22],而不是在 [calendar] 下直接寫 {'、'.join(not_years)}")
        return value

    @field_validator("sources")
    @classmethod
    def _names_unique(cls, value: list[SqlSource]) -> list[SqlSource]:
        # Each source owns its records by name (sql:<name>:<sheet>): two of one name would replace
        # each other's records every run.
        names = [s.name for s in value]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise Said(f"[[sources]] name {', '.join(map(repr, twice))} is used more than once; "
                       "give each source its own name",
                       f"[[sources]] 的名稱 {'、'.join(map(repr, twice))} 用了不止一次;請給每個數據源起不同的名字")
        return value


def _message(error: dict) -> str:
    return str(error["msg"]).removeprefix("Value error, ")


# What pydantic found, in Chinese, by the kind of its error; the English line says it in its own words.
_KIND_ZH = {"missing": "缺少這一項,請補上", "extra_forbidden": "不是可用的設置項(拼寫有誤?),請對照 README 的配置說明"}
_BOUND_ZH = {"greater_than_equal": "應不小於", "greater_than": "應大於", "less_than_equal": "應不大於",
             "less_than": "應小於"}
_TYPE_ZH = {"string": "文字(加引號)", "int": "整數", "float": "數字", "bool": "true 或 false", "list": "列表 [...]",
            "dict": "表 [...]", "date": "日期(如 2026-02-23)", "tuple": "列表 [開始, 結束]", "model": "表 [...]"}


def _message_zh(error: dict) -> str:
    said = getattr((error.get("ctx") or {}).get("error"), "zh", None)
    if said:
        return said
    kind = str(error.get("type", ""))
    if kind in _KIND_ZH:
        return _KIND_ZH[kind]
    ctx = error.get("ctx") or {}
    if kind in _BOUND_ZH:  # SAFESCHOOL_SYNC_WORKERS=-1 read 值不對 alone (a configuration audit)
        limit = next(iter(ctx.values()), "")
        return f"{_BOUND_ZH[kind]} {limit:g}" if isinstance(limit, int | float) else f"{_BOUND_ZH[kind]} {limit}"
    if kind == "date_from_datetime_inexact":
        return "應為日期(如 2026-02-23),不帶時間"
    base = kind.removesuffix("_type").removesuffix("_parsing")
    if base != kind:
        return f"類型不對,應為{_TYPE_ZH.get(base, '另一種類型')}"
    return "值不對,見後面的英文說明"


def _first_error(err: ValidationError, prefix: str) -> tuple[str, str]:
    """(English, Chinese) of the first thing wrong, each naming where."""
    first = err.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    where = f"{prefix}.{where}" if where else prefix
    return f"{where}: {_message(first)}", f"{where}:{_message_zh(first)}"


# Read elsewhere than Settings: the dashboard's warm-up, the sync's fault test; SAFESCHOOL_TEST_* are the tests'.
_OTHER_SETTINGS = ("SAFESCHOOL_WARM", "SAFESCHOOL_SYNC_TEST_PAUSE")


def unknown_settings(environ) -> list[tuple[str, str | None]]:
    """SAFESCHOOL_* variables that are no setting (a misspelt name is ignored, its value with it), each with
    the setting it was most likely meant for (None when no name is near)."""
    import difflib

    settings = [f"SAFESCHOOL_{name.upper()}" for name in Settings.model_fields]
    known = settings + list(_OTHER_SETTINGS)
    out = []
    for name in sorted(environ):
        # Settings are read whatever the case of their name (SAFESCHOOL_database_url is used: it was called
        # ignored, an audit found); the others are read as written.
        upper = name.upper()
        if (not upper.startswith("SAFESCHOOL_") or upper in settings or name in _OTHER_SETTINGS
                or upper.startswith("SAFESCHOOL_TEST_")):
            continue
        bare = upper.removeprefix("SAFESCHOOL_")  # every name shares the prefix: compared without it
        if any(word in bare for word in ("DB", "DATABASE", "STORE", "URL")):
            out.append((name, "SAFESCHOOL_DATABASE_URL"))
            continue
        near = difflib.get_close_matches(bare, [k.removeprefix("SAFESCHOOL_") for k in known], n=1, cutoff=0.6)
        out.append((name, f"SAFESCHOOL_{near[0]}" if near else None))
    return out


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as err:
        first = err.errors()[0]
        name = "SAFESCHOOL_" + str(first["loc"][0]).upper()
        raise ConfigError(f"{name}: {_message(first)}", f"環境變量 {name}:{_message_zh(first)}") from None


def load_file_config(path: Path | None) -> FileConfig:
    if path is None:
        return FileConfig()
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"SAFESCHOOL_CONFIG: {path} does not exist or is not a file",
                          f"SAFESCHOOL_CONFIG:配置文件 {path} 不存在或不是文件")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"SAFESCHOOL_CONFIG: {path} cannot be read ({err.strerror or err}); "
                          "let the user running safeschool read it",
                          f"SAFESCHOOL_CONFIG:配置文件 {path} 無法讀取,請讓運行 safeschool 的用戶有權讀取") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"SAFESCHOOL_CONFIG: {path} is not valid TOML ({err})",
                          f"SAFESCHOOL_CONFIG:配置文件 {path} 不是有效的 TOML({err})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"SAFESCHOOL_CONFIG: {path} is not UTF-8 text",
                          f"SAFESCHOOL_CONFIG:配置文件 {path} 不是 UTF-8 文本,請另存為 UTF-8") from None
    try:
        cfg = FileConfig.model_validate(raw)
    except ValidationError as err:
        en, zh = _first_error(err, "config")
        raise ConfigError(f"SAFESCHOOL_CONFIG ({path}) {en}", f"配置文件 {path} 的 {zh}") from None
    if cfg.rubric is not None and not cfg.rubric.is_absolute():
        cfg.rubric = (path.parent / cfg.rubric).resolve()
    if cfg.rubric is not None and not cfg.rubric.is_file():
        raise ConfigError(f"SAFESCHOOL_CONFIG ({path}) rubric: {cfg.rubric} does not exist",
                          f"配置文件 {path} 的 rubric:{cfg.rubric} 不存在")
    return cfg


@lru_cache(maxsize=1)
def get_file_config() -> FileConfig:
    return load_file_config(get_settings().config)


def configured_rubric():
    """The rubric SAFESCHOOL_CONFIG names (or scoring's default), with its calendar overrides: scoring
    is given it, as it is given the records, and reads no configuration itself.

    Read again only when its file changes (the scheduler picks up an edited rubric at its next run): the
    dashboard asks for it on every page with to-dos, and parsing it took 6 ms each time."""
    from scoring.rubric import DEFAULT_RUBRIC, load_rubric

    cfg = get_file_config()
    path = Path(cfg.rubric or DEFAULT_RUBRIC)
    try:
        stat = path.stat()
    except OSError:
        return load_rubric(cfg.rubric, cfg.calendar)  # says what is wrong with the file
    key = (id(cfg), str(path), stat.st_mtime_ns, stat.st_size)
    kept = _RUBRIC_READ.get("key")
    if kept != key:
        _RUBRIC_READ.update(key=key, config=cfg, rubric=load_rubric(cfg.rubric, cfg.calendar))
    return _RUBRIC_READ["rubric"]


_RUBRIC_READ: dict = {}  # the last rubric read, its file's state, and the configuration (kept alive: id() is its key)


def reset_caches() -> None:
    """Tests and the CLI change the environment; forget what was read before."""
    get_settings.cache_clear()
    get_file_config.cache_clear()
    _RUBRIC_READ.clear()
