"""Errors a user can cause; the CLI and the dashboard show their text."""


def first_line(err: BaseException) -> str:
    """The driver's own first line of a database error (not SQLAlchemy's SQL and parameter dump), or the
    error's kind."""
    lines = str(getattr(err, "orig", None) or err).strip().splitlines()
    return lines[0][:300] if lines else type(err).__name__


class UserError(Exception):
    """Something the person can fix: str(err) says what, where, and how (English, for the CLI and the
    log); `zh`, when given, says it in Chinese for the dashboard, in the dashboard's own words; `key`
    (with `values`), when given, names the dashboard catalogue's label that says it on a page, where the
    CLI's words (its options, --force) mean nothing (dashboard.layout.user_error_text)."""

    def __init__(self, message: str, zh: str | None = None, key: str | None = None, values: dict | None = None):
        super().__init__(message)
        self.zh, self.key, self.values = zh, key, values or {}


class ConfigError(Exception):
    """A configuration value is wrong; str(err) is the one line shown to the user, `zh` (when given) the
    same in Chinese, which the CLI prints first.  Here, not in sync.settings, so that scoring's rubric can
    raise it without loading the settings' database driver checks (scoring is pure)."""

    def __init__(self, message: str, zh: str | None = None):
        super().__init__(message)
        self.zh = zh
