"""Accounts in the store (`users`): who may log in, with which role and password.

The CLI (`safeschool users ...`) and the dashboard's Accounts page both change accounts, so this lives
with the store, as the audit trail does (sync.audit); the dashboard's log-in gate and session
(dashboard.access) read through it.  Passwords are kept as argon2id hashes only.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from sync.errors import UserError
from sync.settings import county_now
from sync.store import users


@dataclass(frozen=True)
class Account:
    """An account as created: what the CLI prints and the audit trail records of it."""

    user_id: int
    username: str
    role: str
    school_code: str | None = None
    display_name: str | None = None


ROLES = ("admin", "leader", "school")
_hasher = PasswordHasher()
# Verifying against this keeps a wrong user name as slow as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password")
MIN_PASSWORD_LENGTH = 8


# What guessers try first (the most used passwords in Chinese and English leak lists, and this product's
# own words), compared without case.  Length alone let 12345678 and 88888888 guard a school's account.
_GUESSED_FIRST = frozenset("""
password password1 password123 passw0rd iloveyou woaini1314 woaini520 5201314520 1314520520 admin123 admin888
administrator qwertyui qwertyuiop 1qaz2wsx 1q2w3e4r 1q2w3e4r5t qwer1234 1234qwer asdf1234 zxcv1234 zxcvbnm123
qwe123456 123qwe123 abc12345 abcd1234 abc123456 123456abc a1234567 a12345678 a123456789 aa123456 qq123456
123123123 147258369 147852369 159357258 159753456 112233445566 11223344 safeschool safeschool1 school123
changeme letmein1 welcome1 abcdefg123
""".split())


def check_password(password: str, username: str = "") -> None:
    """UserError for a password a guesser tries first: shorter than MIN_PASSWORD_LENGTH, the account's own
    name, one of the most used passwords, a run (12345678, abcdefgh, 87654321) or a few characters
    repeated (88888888, 11112222).  Said in both languages for the Accounts page and the CLI alike."""
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters",
                        zh=f"密碼至少需要{MIN_PASSWORD_LENGTH}個字符")
    lowered = password.lower()
    steps = {ord(b) - ord(a) for a, b in pairwise(lowered)}
    if lowered == (username or "").strip().lower():
        raise UserError("the password must not be the user name", zh="密碼不能與賬號名稱相同")
    if lowered in _GUESSED_FIRST or len(set(lowered)) < 4 or steps in ({1}, {-1}):
        raise UserError("this password is among the first anyone guesses (a run like 12345678, a character "
                        "repeated, or a common password); choose another, e.g. three unrelated words",
                        zh="這個密碼很容易被猜中(如12345678這樣的連續字符、重複字符或常用密碼);"
                           "請另選一個,例如三個不相關的詞")


def create_user(
    engine: Engine,
    username: str,
    password: str,
    role: str,
    school_code: str | None = None,
    display_name: str | None = None,
    on_page: bool = False,
) -> Account:
    username = check_new_account(engine, username, role, school_code, on_page=on_page)
    if display_name and len(display_name) > DISPLAY_NAME_MAX:
        raise _refusal(on_page, "users.error.long_display_name", {"most": DISPLAY_NAME_MAX},
                       f"a name to show has at most {DISPLAY_NAME_MAX} characters (this one has {len(display_name)})",
                       f"顯示名稱最多 {DISPLAY_NAME_MAX} 個字符（這個有 {len(display_name)} 個）")
    check_password(password, username)
    with engine.begin() as conn:  # the name is UNIQUE in the store: two made at once, the second fails
        user_id = conn.execute(
            users.insert().values(
                username=username,
                password_hash=_hasher.hash(password),
                role=role,
                school_code=school_code,
                display_name=display_name,
                active=True,
                created_at=county_now(),
            )
        ).inserted_primary_key[0]
    return Account(user_id, username, role, school_code, display_name)


USERNAME_MAX = 100  # characters: the store's users.username


DISPLAY_NAME_MAX = 200  # the store's users.display_name


def check_new_account(engine: Engine, username: str, role: str, school_code: str | None,
                      on_page: bool = False) -> str:
    """The user name as stored, or UserError for what refuses the account whatever its password (the CLI
    asks before it prompts for one).

    The CLI's English names its options (--school, reset-password); on the Accounts page (on_page) the
    error says what to do on that page instead, in the catalogue's words (the error's `key` and `values`
    for dashboard.layout.user_error_text), for a person who never saw the command line."""
    username = (username or "").strip()
    if not username:
        raise _refusal(on_page, "users.error.no_name", {}, "a user name is needed", "請填寫賬號名稱")
    if len(username) > USERNAME_MAX:
        # PostgreSQL refused it as "the store cannot be used (value too long ...)", with advice to run init;
        # SQLite stored it (a configuration audit)
        raise _refusal(on_page, "users.error.long_name", {"most": USERNAME_MAX},
                       f"a user name has at most {USERNAME_MAX} characters (this one has {len(username)})",
                       f"賬號名稱最多 {USERNAME_MAX} 個字符（這個有 {len(username)} 個）")
    if not role:  # the page's picker left empty: "there is no role ''" said nothing useful (a review)
        raise _refusal(on_page, "users.error.no_role", {}, f"a role is needed: one of {', '.join(ROLES)}",
                       "請選擇角色")
    if role not in ROLES:
        raise _refusal(on_page, "users.error.unknown_role", {"role": role},
                       f"role {role!r} is unknown; use one of {', '.join(ROLES)}", f"角色「{role}」不存在")
    if role == "school" and not school_code:
        raise _refusal(on_page, "users.error.needs_school", {}, "a school account needs --school SCHOOL_CODE",
                       "學校賬號需要選擇所屬學校")
    if role != "school" and school_code:
        raise _refusal(on_page, "users.error.no_school", {},
                       f"{'an' if role[:1] in 'aeiou' else 'a'} {role} account reads every school; leave out --school",
                       "教體局賬號可查看所有學校，請去掉 --school")
    if account_exists(engine, username):
        raise _refusal(on_page, "users.error.exists", {"username": username},
                       f"user {username!r} exists already; use reset-password to change the password",
                       f"賬號「{username}」已存在;如要更改密碼,請用「重設密碼」")
    return username


def _refusal(on_page: bool, key: str, values: dict, cli_en: str, cli_zh: str | None = None) -> UserError:
    """The error for the CLI (its own English and Chinese), or for the Accounts page: there it carries the
    catalogue's label `key` and its `values`, which the page shows in the viewer's language
    (dashboard.layout.user_error_text), for a person who never saw the command line."""
    if not on_page:
        return UserError(cli_en, zh=cli_zh)
    return UserError(cli_en, zh=cli_zh, key=key, values=values)


def list_accounts(engine: Engine) -> list[dict]:
    """Every account, by role then name, without its password hash."""
    with engine.connect() as conn:
        rows = conn.execute(select(users).order_by(users.c.role, users.c.username)).mappings().all()
    return [{k: v for k, v in r.items() if k != "password_hash"} for r in rows]


def account_exists(engine: Engine, username: str) -> bool:
    with engine.connect() as conn:
        return conn.execute(select(users.c.user_id).where(users.c.username == username)).first() is not None


def set_password(engine: Engine, username: str, password: str) -> None:
    """A new password; every session of the account ends."""
    check_password(password, username)
    with engine.begin() as conn:
        done = conn.execute(update(users).where(users.c.username == username).values(
            password_hash=_hasher.hash(password), session_epoch=users.c.session_epoch + 1)).rowcount
    if not done:
        raise UserError(f"there is no user {username!r}", zh=f"沒有賬號「{username}」")  # a page shows it too


def set_active(engine: Engine, username: str, active: bool) -> None:
    with engine.begin() as conn:
        if not active:
            # The last active admin disabled leaves nobody to manage accounts or publish on the dashboard
            # (found by an audit); checked in the transaction that disables.
            admins = set(conn.execute(select(users.c.username).where(users.c.role == "admin", users.c.active)).scalars())
            if admins == {username}:
                raise UserError(f"{username!r} is the only active admin; add or enable another admin first",
                                zh=f"「{username}」是唯一可用的管理員賬號;請先新增或啟用另一個管理員")
        was = conn.execute(select(users.c.active).where(users.c.username == username)).first()
        if was is None:
            raise UserError(f"there is no user {username!r}", zh=f"沒有賬號「{username}」")  # a page shows it too
        if bool(was.active) != active:
            # Either way every session of the account ends: disabling only suspended them, and enabling the
            # account again (for the school's next officer) brought every old cookie back (found by an
            # audit).  Asked for what it already is (demo-accounts, a click on Enable), nothing changes.
            conn.execute(update(users).where(users.c.username == username)
                         .values(active=active, session_epoch=users.c.session_epoch + 1))


def has_password(engine: Engine, username: str, password: str) -> bool:
    """Whether the account's password is `password` (active or not)."""
    with engine.connect() as conn:
        stored = conn.execute(select(users.c.password_hash).where(users.c.username == username)).scalar()
    return stored is not None and _verify(stored, password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_login(engine: Engine, username: str, password: str):
    """The account's row for a correct user name and password of an active account, else None; a hash made
    under older parameters is made again, over the one just verified only."""
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.username == (username or "").strip())).first()
    if row is None:
        _verify(_DUMMY_HASH, password or "")
        return None
    if not _verify(row.password_hash, password or "") or not row.active:
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        # The same password under newer hash parameters, only over the hash just verified: a reset made
        # meanwhile (the office shutting out a stolen password) is never written back over (found by an audit).
        with engine.begin() as conn:
            conn.execute(update(users).where(users.c.user_id == row.user_id,
                                             users.c.password_hash == row.password_hash)
                         .values(password_hash=_hasher.hash(password)))
    return row


def end_sessions(engine: Engine, user_id: int) -> None:
    """Every session of the account ends (log-out, a copied cookie included)."""
    with engine.begin() as conn:
        conn.execute(update(users).where(users.c.user_id == user_id).values(session_epoch=users.c.session_epoch + 1))
