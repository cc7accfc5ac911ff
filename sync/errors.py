"""Errors a user can cause; the CLI and the dashboard show their text as is."""


class UserError(Exception):
    """Something the person can fix: str(err) says what, where, and how."""
