"""Errors a user can cause; the CLI and the dashboard show their text."""


class UserError(Exception):
    """Something the person can fix: str(err) says what, where, and how (English, for the CLI and the
    log); `zh`, when given, says it in Chinese for the dashboard, in the dashboard's own words."""

    def __init__(self, message: str, zh: str | None = None):
        super().__init__(message)
        self.zh = zh
