"""People's logins to the staff web app: passwords, lockout and server-side sessions.

A user signs in to the web app with their username and a password. Only the password's argon2id
hash is kept (``web_logins``). A password set by an administrator (``users set-password``) is
temporary: it must be changed at the first login. After :data:`MAX_FAILURES` failed attempts in
a row the login is locked for :data:`LOCKOUT`; every failure answers the same refusal, so a
guess learns nothing about which usernames exist.

A session is a random token in an HttpOnly cookie; the database keeps only its SHA-256
(``web_sessions``), with the CSRF token of its forms, and ends it after :data:`IDLE` without a
request or :data:`LIFETIME` after login, whichever comes first. A session's last request is
written at most every :data:`TOUCH_EVERY`, so most pages only read their session
(:func:`live_session`): the idle time counts from the last request written, and a session left
idle ends up to that much early, never late. Logging out deletes the session;
logging out everywhere deletes every session of the user, as do a password change and a
deactivation.

Every login, refused login, second step and logout is written to the audit trail
(``audit_log``, interface ``web``) in the same transaction: the operation :data:`LOGIN`,
:data:`LOGIN_CODE` or :data:`LOGOUT`, the username typed as the actor, the outcome (``ok``,
``wrong-password``, ``unknown-user``, ``inactive``, ``locked`` for a try while locked out,
``lockout`` for the failure that locked the login; ``password-ok`` when the authenticator's
code is still to come, then ``ok`` or ``wrong-code`` for it; ``everywhere`` for a logout of
every session) and the client's address as
the detail. The audit trail search shows them beside the operations.

Nothing here knows HTTP: the web app (:mod:`kopcore.interfaces.web`) calls these functions and
establishes the :class:`~kopcore._auth.Principal` from the session, then runs operations through
:func:`kopcore._service.invoke` like every other front end.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from datetime import UTC, date, datetime, timedelta
from typing import Any

import attrs
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, bindparam, delete, select, update

from kopcore._auth import Principal, get_user, principal_for
from kopcore._db import tables as t
from kopcore._db.database import Database
from kopcore.errors import ValidationError, message, printable

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
IDLE = timedelta(minutes=30)
LIFETIME = timedelta(hours=12)
#: How often a session's last use is written (see the module's docstring).
TOUCH_EVERY = timedelta(minutes=1)
MIN_PASSWORD = 10
#: Two-step login (TOTP, RFC 6238): 6 digits, 30-second steps, one step of clock drift allowed.
TOTP_STEP = 30
TOTP_DIGITS = 6
#: The audit trail's names of the login events, with their titles.
LOGIN, LOGIN_CODE, LOGOUT = "web.login", "web.login-code", "web.logout"
EVENTS = {LOGIN: "Staff sign-in", LOGIN_CODE: "Staff sign-in: authenticator code",
          LOGOUT: "Staff sign-out"}
#: What the outcomes of the login events mean, for the audit trail search.
OUTCOMES = {"wrong-password": "wrong password", "unknown-user": "unknown username",
            "inactive": "deactivated user", "locked": "refused: the login is locked",
            "lockout": "locked after repeated failures",
            "password-ok": "password right, authenticator code next",
            "wrong-code": "wrong authenticator code", "everywhere": "from every device"}
_HASHER = PasswordHasher()
#: Verified against when the username is unknown, so both refusals take the same time.
_ABSENT = _HASHER.hash(secrets.token_urlsafe(16))


@attrs.frozen
class Session:
    """A signed-in person: who, the CSRF token of their forms and whether they must first
    change their password."""

    token_hash: str
    principal: Principal
    csrf_token: str
    must_change: bool
    #: Logged in with the password; the authenticator's code is still to be typed.
    needs_code: bool = False
    #: The business date when the session was read (in the same statement): what a page shows
    #: as the day it works on, without a transaction of its own.
    business_date: date | None = None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def check_password_rules(username: str, password: str) -> None:
    """Refuse a password too short or equal to the username."""
    if len(password) < MIN_PASSWORD:
        raise ValidationError(message("a password has at least {minimum} characters",
                                      minimum=MIN_PASSWORD),
                              field="password", minimum=MIN_PASSWORD)
    if password.strip().lower() == username.lower():
        raise ValidationError(message("a password may not be the username"), field="password")


def set_password(conn: Connection, username: str, password: str, *, temporary: bool) -> None:
    """Set a user's web password (a ``temporary`` one must be changed at the next login and
    turns two-step login off), clear the lockout and end the user's sessions."""
    user = get_user(conn, username)
    check_password_rules(username, password)
    values: dict[str, Any] = {"password_hash": _HASHER.hash(password), "must_change": temporary,
                              "failed_attempts": 0, "locked_until": None, "changed_at": _now()}
    if temporary:
        # A new start for someone who lost their password or their phone: two-step login is
        # off until they turn it on again.
        values.update(totp_secret=None, totp_last_step=None)
    l = t.web_logins.c  # noqa: E741
    if conn.execute(select(l.user_id).where(l.user_id == user["id"])).first():
        conn.execute(update(t.web_logins).where(l.user_id == user["id"]).values(**values))
    else:
        conn.execute(t.web_logins.insert().values(user_id=user["id"], **values))
    end_sessions(conn, user["id"])


def temporary_password() -> str:
    """A temporary password an administrator hands over: 12 characters, easy to read aloud."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))


def audit(conn: Connection, event: str, username: str, outcome: str, client: str) -> None:
    """Write a login event to the audit trail, in ``conn``'s transaction: who (the username
    typed), when, from where (``client``) and how it ended. The password is never kept."""
    who = printable(username.strip().lower())[:64] or "?"
    conn.execute(t.audit_log.insert().values(
        at=_now(), actor=who, interface="web", operation=event,
        input_digest=hashlib.sha256(who.encode()).hexdigest(), outcome=outcome,
        detail=f"from {printable(client)[:100] or '?'}"))


def log_in(conn: Connection, plugins: Any, username: str, password: str, client: str = ""
           ) -> tuple[str, Session] | None:
    """Check the password and open a session: returns the cookie's token and the session, or
    ``None`` when refused, whatever the reason (a wrong username or password, a locked or a
    deactivated login), so a refusal tells nothing. A wrong password is counted, and the
    attempt audited with the client's address (``client``), in ``conn``'s transaction: this
    returns instead of raising, which would roll them back."""
    u, l = t.users.c, t.web_logins.c  # noqa: E741
    row = conn.execute(
        select(u.id, u.username, u.active, l.password_hash, l.must_change, l.failed_attempts,
               l.locked_until, l.totp_secret).join(t.web_logins, l.user_id == u.id)
        .where(u.username == username.strip().lower())
    ).first()
    stored = row.password_hash if row is not None else _ABSENT
    try:
        valid: bool = _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        valid = False
    if row is None or not row.active:
        audit(conn, LOGIN, username, "unknown-user" if row is None else "inactive", client)
        return None
    now = _now()
    if row.locked_until is not None and row.locked_until > now:
        audit(conn, LOGIN, username, "locked", client)
        return None
    if not valid:
        failures = row.failed_attempts + 1
        locked = now + LOCKOUT if failures >= MAX_FAILURES else None
        conn.execute(update(t.web_logins).where(l.user_id == row.id).values(
            failed_attempts=0 if locked else failures, locked_until=locked))
        audit(conn, LOGIN, username, "lockout" if locked else "wrong-password", client)
        return None
    audit(conn, LOGIN, username, "ok" if row.totp_secret is None else "password-ok", client)
    if _HASHER.check_needs_rehash(row.password_hash):
        conn.execute(update(t.web_logins).where(l.user_id == row.id)
                     .values(password_hash=_HASHER.hash(password)))
    conn.execute(update(t.web_logins).where(l.user_id == row.id)
                 .values(failed_attempts=0, locked_until=None))
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    needs_code = row.totp_secret is not None
    conn.execute(t.web_sessions.insert().values(
        token_hash=_digest(token), user_id=row.id, csrf_token=csrf, created_at=now,
        last_seen_at=now, expires_at=now + (IDLE if needs_code else LIFETIME),
        needs_code=needs_code))
    return token, Session(_digest(token), principal_for(conn, plugins, row.username), csrf,
                          bool(row.must_change), needs_code)


_s, _su, _sl = t.web_sessions.c, t.users.c, t.web_logins.c
#: A session with its user and login, and the business date; built once.
_SESSION = select(
    _s.token_hash, _s.csrf_token, _s.last_seen_at, _s.expires_at, _s.needs_code, _su.username,
    _su.active, _sl.must_change,
    select(t.business_calendar.c.business_date).scalar_subquery().label("business_date"),
).join(t.users, _su.id == _s.user_id).join(t.web_logins, _sl.user_id == _s.user_id).where(
    _s.token_hash == bindparam("token_hash"))


def _session_row(conn: Connection, token: str) -> Any:
    return conn.execute(_SESSION, {"token_hash": _digest(token)}).first()


def _ended(row: Any, now: datetime) -> bool:
    return not row.active or row.expires_at <= now or row.last_seen_at + IDLE <= now


def _session_of(conn: Connection, plugins: Any, row: Any) -> Session:
    return Session(row.token_hash, principal_for(conn, plugins, row.username), row.csrf_token,
                   bool(row.must_change), bool(row.needs_code), row.business_date)


def session_for(conn: Connection, plugins: Any, token: str | None) -> Session | None:
    """The live session of a cookie's token, its last use moved to now; ``None`` when there is
    none, it expired (idle or past its lifetime; the row is deleted) or the user was
    deactivated. Needs a write transaction."""
    if not token:
        return None
    row = _session_row(conn, token)
    if row is None:
        return None
    now = _now()
    if _ended(row, now):
        conn.execute(delete(t.web_sessions).where(_s.token_hash == row.token_hash))
        return None
    conn.execute(update(t.web_sessions).where(_s.token_hash == row.token_hash)
                 .values(last_seen_at=now))
    return _session_of(conn, plugins, row)


def live_session(db: Database, plugins: Any, token: str | None) -> Session | None:
    """:func:`session_for`, in a read transaction when there is nothing to write: the session
    is live and its last use was written less than :data:`TOUCH_EVERY` ago (every page but
    about one a minute). Otherwise (it ended, or its last use is due) in a write transaction,
    which decides again on what it reads."""
    if not token:
        return None

    def read(conn: Connection) -> tuple[bool, Session | None]:
        row = _session_row(conn, token)
        if row is None:
            return False, None
        now = _now()
        if _ended(row, now) or row.last_seen_at + TOUCH_EVERY <= now:
            return True, None
        return False, _session_of(conn, plugins, row)

    write, session = db.read(read)
    if write:
        return db.write(lambda conn: session_for(conn, plugins, token))
    return session


def csrf_matches(session: Session, sent: str | None) -> bool:
    """The form's CSRF token is the session's (compared in constant time)."""
    return bool(sent) and hmac.compare_digest(session.csrf_token.encode(),
                                              str(sent).encode())


def change_password(conn: Connection, session: Session, current: str, new: str) -> None:
    """Change the signed-in user's password: the current one must be right, the new one
    follow the rules and differ from it. Every other session of the user ends."""
    username = session.principal.username
    l = t.web_logins.c  # noqa: E741
    user = get_user(conn, username)
    stored = conn.execute(select(l.password_hash).where(l.user_id == user["id"])).scalar_one()
    try:
        _HASHER.verify(stored, current)
    except (VerificationError, InvalidHashError):
        raise ValidationError(message("the current password is wrong"), field="current") from None
    if new == current:
        raise ValidationError(message("the new password must differ from the current one"),
                              field="password")
    check_password_rules(username, new)
    conn.execute(update(t.web_logins).where(l.user_id == user["id"]).values(
        password_hash=_HASHER.hash(new), must_change=False, changed_at=_now()))
    s = t.web_sessions.c
    conn.execute(delete(t.web_sessions).where(s.user_id == user["id"],
                                              s.token_hash != session.token_hash))


def log_out(conn: Connection, session: Session, client: str = "") -> None:
    conn.execute(delete(t.web_sessions).where(t.web_sessions.c.token_hash == session.token_hash))
    audit(conn, LOGOUT, session.principal.username, "ok", client)


def log_out_everywhere(conn: Connection, session: Session, client: str = "") -> None:
    end_sessions(conn, get_user(conn, session.principal.username)["id"])
    audit(conn, LOGOUT, session.principal.username, "everywhere", client)


def end_sessions(conn: Connection, user_id: int) -> None:
    """End every web session of a user."""
    conn.execute(delete(t.web_sessions).where(t.web_sessions.c.user_id == user_id))


# --- two-step login (TOTP) ------------------------------------------------------------------


def new_totp_secret() -> str:
    """A new authenticator secret: 20 random bytes in base32, as authenticator apps take it."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii")


def totp_code(secret: str, step: int) -> str:
    """The code of a time step (RFC 6238 over RFC 4226's HOTP, HMAC-SHA1)."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**TOTP_DIGITS).zfill(TOTP_DIGITS)


def current_step(at: datetime | None = None) -> int:
    return int((at or _now()).timestamp()) // TOTP_STEP


def _matching_step(secret: str, code: str, after: int | None) -> int | None:
    """The time step (now, or one step either side) whose code is ``code`` and that is later
    than the last one used."""
    code = "".join(code.split())
    now = current_step()
    for step in (now, now - 1, now + 1):
        if (after is None or step > after) and hmac.compare_digest(totp_code(secret, step), code):
            return step
    return None


def totp_uri(secret: str, username: str, issuer: str) -> str:
    """The ``otpauth://`` address an authenticator app reads (typed or from a QR code)."""
    from urllib.parse import quote

    return (f"otpauth://totp/{quote(issuer)}:{quote(username)}?secret={secret}"
            f"&issuer={quote(issuer)}&digits={TOTP_DIGITS}&period={TOTP_STEP}")


def enable_totp(conn: Connection, session: Session, secret: str, code: str) -> None:
    """Turn on two-step login with ``secret`` once the app shows the right ``code``."""
    step = _matching_step(secret, code, None)
    if step is None:
        raise ValidationError(message("the code does not match: check the phone's clock and "
                                      "type the code the app shows now"), field="code")
    user = get_user(conn, session.principal.username)
    conn.execute(update(t.web_logins).where(t.web_logins.c.user_id == user["id"])
                 .values(totp_secret=secret, totp_last_step=step))


def disable_totp(conn: Connection, session: Session, code: str) -> None:
    """Turn two-step login off; the app's current code is needed."""
    _accept_code(conn, session, code)
    user = get_user(conn, session.principal.username)
    conn.execute(update(t.web_logins).where(t.web_logins.c.user_id == user["id"])
                 .values(totp_secret=None, totp_last_step=None))


def totp_enabled(conn: Connection, username: str) -> bool:
    user = get_user(conn, username)
    return conn.execute(select(t.web_logins.c.totp_secret)
                        .where(t.web_logins.c.user_id == user["id"])).scalar() is not None


def _accept_code(conn: Connection, session: Session, code: str) -> None:
    user = get_user(conn, session.principal.username)
    l = t.web_logins.c  # noqa: E741
    row = conn.execute(select(l.totp_secret, l.totp_last_step)
                       .where(l.user_id == user["id"])).one()
    step = _matching_step(row.totp_secret, code, row.totp_last_step) \
        if row.totp_secret else None
    if step is None:
        raise ValidationError(message("wrong or already used code"), field="code")
    conn.execute(update(t.web_logins).where(l.user_id == user["id"])
                 .values(totp_last_step=step))


def complete_login(conn: Connection, session: Session, code: str, client: str = ""
                   ) -> Session:
    """The second step of a login: the authenticator's code, accepted once (and audited). The
    session then lives its full lifetime."""
    _accept_code(conn, session, code)
    audit(conn, LOGIN_CODE, session.principal.username, "ok", client)
    s = t.web_sessions.c
    now = _now()
    conn.execute(update(t.web_sessions).where(s.token_hash == session.token_hash)
                 .values(needs_code=False, expires_at=now + LIFETIME, last_seen_at=now))
    return attrs.evolve(session, needs_code=False)


def code_refused(conn: Connection, session: Session, client: str = "") -> None:
    """Count (and audit) a wrong code like a wrong password: after :data:`MAX_FAILURES` the
    login is locked and every session of the user ends."""
    user = get_user(conn, session.principal.username)
    l = t.web_logins.c  # noqa: E741
    failures = conn.execute(select(l.failed_attempts).where(l.user_id == user["id"])
                            ).scalar_one() + 1
    if failures >= MAX_FAILURES:
        conn.execute(update(t.web_logins).where(l.user_id == user["id"])
                     .values(failed_attempts=0, locked_until=_now() + LOCKOUT))
        end_sessions(conn, user["id"])
        audit(conn, LOGIN_CODE, session.principal.username, "lockout", client)
    else:
        conn.execute(update(t.web_logins).where(l.user_id == user["id"])
                     .values(failed_attempts=failures))
        audit(conn, LOGIN_CODE, session.principal.username, "wrong-code", client)

