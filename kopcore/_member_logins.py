"""Members' logins to the member app: one-time codes, PINs and server-side sessions.

A member signs in with their member number or phone number. The app sends a one-time code
(:data:`CODE_DIGITS` digits, valid for :data:`CODE_LIFETIME`) through the cooperative's
notification channel (:mod:`kopcore._notify`) to the phone the member register holds; the member
types it, then sets a PIN of :data:`PIN_DIGITS` digits at the first login (or after the PIN
was blocked), or types the PIN they set. The PIN also confirms every money movement.

- Codes and PINs are kept only as argon2id hashes (``member_logins``); a code is accepted once.
- Asking for a code is limited per address typed (the member number or phone, normalised:
  ``0812...``, ``62812...`` and ``+62812...`` are one address) and per client address: one
  request per :data:`CODE_RESEND` and :data:`MAX_CODE_REQUESTS` per :data:`CODE_REQUEST_WINDOW`
  for an address, :data:`MAX_CLIENT_CODE_REQUESTS` per window from a client address. Beyond
  them the request is refused (:class:`~kopcore.errors.TooManyRequests`, saying how long to
  wait). The limits look only at what was typed and where from, never at whether it is a
  member's, so a refusal tells nothing about who is a member; they are counted in the database
  (``login_code_requests``), so they hold across server processes.
- A member gets at most one code per :data:`CODE_RESEND` and :data:`MAX_CODE_REQUESTS` per
  window whichever address they are reached by; until then the code sent stands (and a voided
  one is not replaced), silently: the answer is the same as when a code goes.
- :data:`MAX_CODE_FAILURES` wrong codes in a row void the code (a new one must be asked for).
- :data:`MAX_PIN_FAILURES` wrong PINs in a row (at login or confirming a payment) block the PIN
  and end every session of the member: they sign in again with a new code and set a new PIN.
- An unknown member number or phone, a member who is not active or has no phone, all answer
  as a known one does ("the code was sent if the number is registered"), so nobody learns who
  is a member; such a login can never succeed.
- A money movement at or above the ``member_step_up_amount`` setting needs, besides the PIN, a
  fresh code sent for that payment alone (:func:`begin_step_up`, :func:`check_step_up`):
  bound to the session and to the payment's digest (its kind, form key, amount and recipient),
  valid for :data:`CODE_LIFETIME`, void after :data:`MAX_STEP_UP_FAILURES` wrong codes.
- A session is a random token in an HttpOnly cookie; only its SHA-256 is kept
  (``member_sessions``), with the CSRF token of its forms and the stage of the login. It ends
  after :data:`IDLE` without a request or :data:`LIFETIME` after login. Its last request is
  written at most every :data:`TOUCH_EVERY` (most pages only read their session,
  :func:`live_session`), so a session left idle ends up to that much early, never late.

The member app acts as the member's ``member`` user: the same
:class:`~kopcore._auth.Principal` an API key of that user gives, so every page runs the
kernel's operations with the API's authorisation (a member sees and moves only their own
money). A member without such a user gets one (``anggota-<member number>``) at the first
login. Nothing here knows HTTP.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import re
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, delete, func, or_, select, update

from kopcore import _auth as auth
from kopcore._db import tables as t
from kopcore._db.database import Database
from kopcore._notify import notify, send_now
from kopcore.context import Context
from kopcore.errors import TooManyRequests, ValidationError, message
from kopcore.money import Money
from kopcore.records import Notification

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=5)
CODE_RESEND = timedelta(seconds=60)
MAX_CODE_FAILURES = 5
#: The window of the request limits, and how many code requests it allows per address typed
#: (and per member) and per client address (several members may share one: a mobile
#: operator's or an office's network).
CODE_REQUEST_WINDOW = timedelta(minutes=15)
MAX_CODE_REQUESTS = 5
MAX_CLIENT_CODE_REQUESTS = 30
PIN_DIGITS = 6
MAX_PIN_FAILURES = 5
IDLE = timedelta(minutes=10)
LIFETIME = timedelta(hours=12)
LOGIN_CODE = "member.login-code"
#: Stages of a session: waiting for the code, for a new PIN, for the PIN; signed in.
CODE, NEW_PIN, PIN, READY = "code", "new-pin", "pin", "ready"

_HASHER = PasswordHasher()
_ABSENT = _HASHER.hash(secrets.token_urlsafe(16))


@attrs.frozen
class MemberSession:
    """A session of the member app: whose (``None``: a login that cannot succeed), its
    stage, the CSRF token of its forms and, once signed in, the principal to act as."""

    token_hash: str
    member_id: int | None
    stage: str
    csrf_token: str
    principal: auth.Principal | None = None
    member_number: str = ""
    member_name: str = ""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _verify(stored: str | None, given: str) -> bool:
    try:
        return bool(_HASHER.verify(stored or _ABSENT, given)) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def phone_forms(text: str) -> set[str]:
    """The ways a member register may hold the phone typed: ``0812...``, ``62812...``,
    ``+62812...``."""
    digits = re.sub(r"\D", "", text)
    if len(digits) < 8:
        return set()
    national = "0" + digits[2:] if digits.startswith("62") else digits
    if not national.startswith("0"):
        return set()
    rest = national[1:]
    return {national, "62" + rest, "+62" + rest}


def find_member(conn: Connection, identifier: str) -> Any:
    """The member with this member number or phone number, or ``None``."""
    text = identifier.strip()
    if not text or len(text) > 40:
        return None
    m = t.members.c
    rows = conn.execute(select(m.id, m.member_number, m.name, m.phone, m.status).where(or_(
        m.member_number == text.upper(), m.member_number == text,
        m.phone.in_(sorted(phone_forms(text)))))).all()
    return rows[0] if len(rows) == 1 else None


def _member_user(conn: Connection, plugins: Any, member: Any) -> int | None:
    """The ``member`` user the app acts as for ``member`` (created when there is none);
    ``None`` when the member's user was deactivated."""
    u = t.users.c
    row = conn.execute(select(u.id, u.active).where(u.member_id == member.id,
                                                    u.role == "member")
                       .order_by(u.id)).first()
    if row is not None:
        return int(row.id) if row.active else None
    base = "anggota-" + re.sub(r"[^a-z0-9._-]", "", member.member_number.lower())
    username, n = base, 1
    while conn.execute(select(u.id).where(u.username == username)).first() is not None:
        n += 1
        username = f"{base}-{n}"
    created = auth.create_user(conn, username, "member", member.id,
                               roles=auth.declared_roles(plugins))
    return int(created["id"])


def _login_row(conn: Connection, member_id: int) -> Any:
    return conn.execute(select(t.member_logins).where(
        t.member_logins.c.member_id == member_id)).first()


#: What the request limits count: the address typed, the client's address, the member.
ADDRESS, CLIENT, MEMBER = "address", "client", "member"


def address_key(identifier: str) -> str:
    """The address a code request names, one way however it is written: a phone number in
    its national form (``0812...``), anything else (a member number) case-folded."""
    text = identifier.strip()
    forms = sorted(f for f in phone_forms(text) if f.startswith("0"))
    return "tel:" + forms[0] if forms else "id:" + text.casefold()


def _key(scope: str, value: str) -> str:
    return hashlib.sha256(f"{scope}:{value}".encode()).hexdigest()


def _recent(conn: Connection, scope: str, key: str, now: datetime) -> list[datetime]:
    """When ``key`` asked within the window, oldest first (older rows of it are deleted)."""
    r = t.login_code_requests.c
    since = now - CODE_REQUEST_WINDOW
    conn.execute(delete(t.login_code_requests).where(r.scope == scope, r.key == key,
                                                     r.at <= since))
    return list(conn.execute(select(r.at).where(r.scope == scope, r.key == key)
                             .order_by(r.at)).scalars())


def _wait(times: list[datetime], most: int, now: datetime, *, cool_down: bool) -> int:
    """Whole seconds until one more request is allowed (0: now)."""
    waits = [timedelta(0)]
    if cool_down and times:
        waits.append(times[-1] + CODE_RESEND - now)
    if len(times) >= most:
        waits.append(times[len(times) - most] + CODE_REQUEST_WINDOW - now)
    return max(0, -(-int(max(waits).total_seconds() * 1000) // 1000))


def limit_requests(conn: Connection, identifier: str, client: str) -> None:
    """Count a code request for the address typed and the client's address, or refuse it
    (:class:`TooManyRequests`, counting nothing) when either spent its limit. Decided by what
    was typed alone, so it answers a member's number and a stranger's the same."""
    now = _now()
    if secrets.randbelow(100) == 0:  # now and then, forget every old request
        conn.execute(delete(t.login_code_requests).where(
            t.login_code_requests.c.at <= now - CODE_REQUEST_WINDOW))
    address, source = _key(ADDRESS, address_key(identifier)), _key(CLIENT, client or "?")
    wait = max(_wait(_recent(conn, ADDRESS, address, now), MAX_CODE_REQUESTS, now,
                     cool_down=True),
               _wait(_recent(conn, CLIENT, source, now), MAX_CLIENT_CODE_REQUESTS, now,
                     cool_down=False))
    if wait:
        if wait <= 90:
            said = message("sign-in codes were asked for too often; ask again in {seconds} "
                           "seconds", seconds=wait)
        else:
            said = message("sign-in codes were asked for too often; ask again in {minutes} "
                           "minutes", minutes=-(-wait // 60))
        raise TooManyRequests(said, retry_after=wait)
    conn.execute(t.login_code_requests.insert(), [{"scope": ADDRESS, "key": address, "at": now},
                                                  {"scope": CLIENT, "key": source, "at": now}])


def _forget_latest(conn: Connection, scope: str, key: str) -> None:
    r = t.login_code_requests.c
    latest = conn.execute(select(func.max(r.id)).where(r.scope == scope, r.key == key)
                          ).scalar()
    if latest is not None:
        conn.execute(delete(t.login_code_requests).where(r.id == latest))


def withdraw_request(conn: Connection, identifier: str, client: str) -> None:
    """Count a code request no more: its code could not be sent (the channel refused), so the
    member may ask again at once."""
    _forget_latest(conn, ADDRESS, _key(ADDRESS, address_key(identifier)))
    _forget_latest(conn, CLIENT, _key(CLIENT, client or "?"))


def begin(ctx: Context, identifier: str, device: str, client: str = ""
          ) -> tuple[str, str | None]:
    """Start a login: a new one-time code for the member (unless the member was sent one less
    than :data:`CODE_RESEND` ago, or :data:`MAX_CODE_REQUESTS` within the window) and a
    session waiting for it. Returns the session's cookie token, the same whether or not the
    number is a member's, and the event carrying the code (recorded in this transaction, in
    the event outbox), to :func:`deliver` once this transaction committed (``None``: no new
    code). Raises :class:`TooManyRequests` when the
    address typed or the client's address (``client``) asked too often
    (:func:`limit_requests`)."""
    conn = ctx.conn
    limit_requests(conn, identifier, client)
    member = find_member(conn, identifier)
    member_id = None
    message = None
    if member is not None and member.status == "active" and member.phone:
        user_id = _member_user(conn, ctx.kernel.plugins, member)
        if user_id is not None:
            member_id = int(member.id)
            code = _new_code(ctx, member, user_id)
            message = notify(ctx, code) if code is not None else None
    if message is None:
        _HASHER.hash(secrets.token_urlsafe(8))  # the time a new code's hash takes
    token = secrets.token_urlsafe(32)
    now = _now()
    conn.execute(t.member_sessions.insert().values(
        token_hash=_digest(token), member_id=member_id, csrf_token=secrets.token_urlsafe(32),
        stage=CODE, device=(device or "?")[:200], code_failures=0, created_at=now, last_seen_at=now,
        expires_at=now + CODE_LIFETIME))
    return token, message


def deliver(kernel: Any, event_id: str) -> bool:
    """Send a login code (the event :func:`begin` recorded with it) through the member's
    channel, now that the code was committed. A channel's refusal voids the code, so the
    member may ask again at once; returns whether the message went."""
    if not send_now(kernel, event_id):
        def void(conn: Connection) -> None:
            member = conn.execute(select(t.events.c.member_id).where(
                t.events.c.event_id == event_id)).scalar_one()
            conn.execute(update(t.member_logins).where(t.member_logins.c.member_id == member)
                         .values(code_hash=None, code_expires_at=None, code_sent_at=None))
            _forget_latest(conn, MEMBER, _key(MEMBER, str(member)))

        kernel.db.write(void)
        return False
    return True


def _new_code(ctx: Context, member: Any, user_id: int) -> Notification | None:
    conn = ctx.conn
    now = _now()
    row = _login_row(conn, member.id)
    if row is not None and row.code_sent_at is not None \
            and row.code_sent_at + CODE_RESEND > now:
        return None  # the code sent a moment ago stands (or, voided, none until the minute)
    key = _key(MEMBER, str(member.id))
    if len(_recent(conn, MEMBER, key, now)) >= MAX_CODE_REQUESTS:
        return None  # enough codes for now, by whichever address the member was asked
    conn.execute(t.login_code_requests.insert().values(scope=MEMBER, key=key, at=now))
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    values = {"user_id": user_id, "code_hash": _HASHER.hash(code), "code_sent_at": now,
              "code_expires_at": now + CODE_LIFETIME, "code_failures": 0}
    if row is None:
        conn.execute(t.member_logins.insert().values(member_id=member.id, pin_failures=0,
                                                     **values))
    else:
        conn.execute(update(t.member_logins).where(t.member_logins.c.member_id == member.id)
                     .values(**values))
    minutes = int(CODE_LIFETIME.total_seconds() // 60)
    return Notification(
        LOGIN_CODE, member.member_number, member.phone,
        f"{code} adalah kode masuk aplikasi anggota {ctx.settings.cooperative_name}. "
        f"Berlaku {minutes} menit. JANGAN berikan kode ini kepada siapa pun, termasuk "
        "petugas koperasi.")


#: How often a session's last use is written (see the module's docstring).
TOUCH_EVERY = timedelta(minutes=1)


class _WriteDue(Exception):
    """A session read without writing has something to write (it ended, or its last use is
    due): it is asked for again in a write transaction."""


def live_session(db: Database, plugins: Any, token: str | None) -> MemberSession | None:
    """:func:`session_for`, in a read transaction when there is nothing to write (the session
    is live and its last use was written less than :data:`TOUCH_EVERY` ago), otherwise in a
    write transaction, which decides again on what it reads."""
    if not token:
        return None
    try:
        return db.read(lambda conn: session_for(conn, plugins, token, read_only=True))
    except _WriteDue:
        return db.write(lambda conn: session_for(conn, plugins, token))


def session_for(conn: Connection, plugins: Any, token: str | None, *,
                read_only: bool = False) -> MemberSession | None:
    """The live session of a cookie's token, its last use moved to now; ``None`` when there is
    none or it expired (the row is deleted). ``read_only``: write nothing, and raise
    :class:`_WriteDue` when something is to be written (see :func:`live_session`)."""
    if not token:
        return None
    s = t.member_sessions.c
    row = conn.execute(select(t.member_sessions).where(s.token_hash == _digest(token))).first()
    if row is None:
        return None
    now = _now()
    if row.expires_at <= now or row.last_seen_at + IDLE <= now:
        if read_only:
            raise _WriteDue
        conn.execute(delete(t.member_sessions).where(s.token_hash == row.token_hash))
        return None
    if read_only:
        if row.last_seen_at + TOUCH_EVERY <= now:
            raise _WriteDue
    else:
        conn.execute(update(t.member_sessions).where(s.token_hash == row.token_hash)
                     .values(last_seen_at=now))
    principal = None
    number = name = ""
    if row.member_id is not None:
        m, u, l = t.members.c, t.users.c, t.member_logins.c  # noqa: E741
        who = conn.execute(select(m.member_number, m.name, u.username, u.active)
                           .join(t.member_logins, l.member_id == m.id)
                           .join(t.users, u.id == l.user_id)
                           .where(m.id == row.member_id)).first()
        if who is None or not who.active:
            if read_only:
                raise _WriteDue
            conn.execute(delete(t.member_sessions).where(s.token_hash == row.token_hash))
            return None
        number, name = who.member_number, who.name
        if row.stage == READY:
            principal = auth.principal_for(conn, plugins, who.username)
    return MemberSession(row.token_hash, row.member_id, row.stage, row.csrf_token, principal,
                         number, name)


def csrf_matches(session: MemberSession, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(session.csrf_token.encode(), str(sent).encode())


def _to_stage(conn: Connection, session: MemberSession, stage: str) -> None:
    now = _now()
    # Signed in: the session's lifetime; a step of the login: a few minutes for the next one.
    values: dict[str, Any] = {"stage": stage, "last_seen_at": now,
                              "expires_at": now + (LIFETIME if stage == READY
                                                   else CODE_LIFETIME)}
    conn.execute(update(t.member_sessions)
                 .where(t.member_sessions.c.token_hash == session.token_hash).values(**values))


def check_code(conn: Connection, session: MemberSession, code: str) -> str:
    """The one-time code of a session waiting for it: ``ok`` (the session then waits for a new
    PIN or the PIN), ``wrong`` or ``void`` (too many wrong codes, or expired: ask for a new
    one; the session ends). A wrong code is counted in ``conn``'s transaction: this returns
    instead of raising, which would roll the count back."""
    code = re.sub(r"\s", "", code or "")
    row = _login_row(conn, session.member_id) if session.member_id is not None else None
    valid = _verify(row.code_hash if row is not None else None, code)
    l, s = t.member_logins.c, t.member_sessions.c  # noqa: E741
    if row is not None and (row.code_hash is None or row.code_expires_at is None
                            or row.code_expires_at <= _now()):
        end_session(conn, session)
        return "void"
    if row is None or not valid:
        # Counted in the session and for the member, so a login that cannot succeed (an
        # unknown number) answers exactly as a member's does.
        in_session = conn.execute(select(s.code_failures).where(
            s.token_hash == session.token_hash)).scalar_one() + 1
        failures = max(in_session, row.code_failures + 1 if row is not None else 0)
        if failures >= MAX_CODE_FAILURES:
            if row is not None:
                conn.execute(update(t.member_logins).where(l.member_id == row.member_id)
                             .values(code_hash=None, code_expires_at=None, code_failures=0))
            end_session(conn, session)
            return "void"
        conn.execute(update(t.member_sessions).where(s.token_hash == session.token_hash)
                     .values(code_failures=in_session))
        if row is not None:
            conn.execute(update(t.member_logins).where(l.member_id == row.member_id)
                         .values(code_failures=failures))
        return "wrong"
    conn.execute(update(t.member_logins).where(l.member_id == row.member_id)
                 .values(code_hash=None, code_expires_at=None, code_failures=0))
    _to_stage(conn, session, NEW_PIN if row.pin_hash is None or row.pin_locked_at is not None
              else PIN)
    return "ok"


def check_pin_rules(pin: str) -> None:
    """A PIN is :data:`PIN_DIGITS` digits, not one digit repeated and not a run (123456)."""
    if not re.fullmatch(rf"[0-9]{{{PIN_DIGITS}}}", pin or ""):
        raise ValidationError(message("a PIN is {digits} digits", digits=PIN_DIGITS), field="pin")
    digits = [int(c) for c in pin]
    steps = {b - a for a, b in itertools.pairwise(digits)}
    if len(set(digits)) == 1 or steps in ({1}, {-1}):
        raise ValidationError(message("a PIN may not be one digit repeated or a run of digits"),
                              field="pin")


def set_pin(conn: Connection, session: MemberSession, pin: str) -> None:
    """Set the PIN of a session that passed the code: the member is then signed in, and every
    other session of theirs ends."""
    if session.stage != NEW_PIN or session.member_id is None:
        raise ValidationError(message("the PIN is set right after the one-time code"),
                              field="pin")
    check_pin_rules(pin)
    l = t.member_logins.c  # noqa: E741
    conn.execute(update(t.member_logins).where(l.member_id == session.member_id).values(
        pin_hash=_HASHER.hash(pin), pin_failures=0, pin_locked_at=None, pin_set_at=_now()))
    s = t.member_sessions.c
    conn.execute(delete(t.member_sessions).where(s.member_id == session.member_id,
                                                 s.token_hash != session.token_hash))
    _to_stage(conn, session, READY)


def check_pin(conn: Connection, session: MemberSession, pin: str) -> str:
    """The member's PIN, at login (stage ``pin``) or confirming a payment (``ready``): ``ok``
    (a login is then signed in), ``wrong``, or ``locked`` (:data:`MAX_PIN_FAILURES` in a row:
    the PIN is blocked and every session of the member ends). Counted in ``conn``'s
    transaction, so this returns instead of raising."""
    if session.member_id is None or session.stage not in (PIN, READY):
        return "wrong"
    row = _login_row(conn, session.member_id)
    valid = _verify(row.pin_hash if row is not None else None, pin or "")
    if row is None or row.pin_hash is None or row.pin_locked_at is not None:
        end_sessions(conn, session.member_id)
        return "locked"
    l = t.member_logins.c  # noqa: E741
    if not valid:
        failures = row.pin_failures + 1
        if failures >= MAX_PIN_FAILURES:
            conn.execute(update(t.member_logins).where(l.member_id == row.member_id)
                         .values(pin_failures=failures, pin_locked_at=_now()))
            end_sessions(conn, session.member_id)
            return "locked"
        conn.execute(update(t.member_logins).where(l.member_id == row.member_id)
                     .values(pin_failures=failures))
        return "wrong"
    if _HASHER.check_needs_rehash(row.pin_hash):
        conn.execute(update(t.member_logins).where(l.member_id == row.member_id)
                     .values(pin_hash=_HASHER.hash(pin)))
    conn.execute(update(t.member_logins).where(l.member_id == row.member_id)
                 .values(pin_failures=0))
    if session.stage == PIN:
        _to_stage(conn, session, READY)
    return "ok"


def pin_failures(conn: Connection, member_id: int) -> int:
    row = _login_row(conn, member_id)
    return int(row.pin_failures) if row is not None else 0


@attrs.frozen
class Device:
    """A phone (or browser) signed in to the member app."""

    key: str  # the first characters of the session's hash: names it, opens nothing
    device: str
    signed_in_at: datetime
    last_seen_at: datetime
    this_one: bool


def devices(conn: Connection, session: MemberSession) -> list[Device]:
    """The member's signed-in devices, the latest used first."""
    s = t.member_sessions.c
    rows = conn.execute(select(s.token_hash, s.device, s.created_at, s.last_seen_at)
                        .where(s.member_id == session.member_id, s.stage == READY)
                        .order_by(s.last_seen_at.desc())).all()
    return [Device(r.token_hash[:12], r.device, r.created_at, r.last_seen_at,
                   r.token_hash == session.token_hash) for r in rows]


def end_device(conn: Connection, session: MemberSession, key: str) -> bool:
    """Sign out the member's device named ``key`` (:attr:`Device.key`); only their own."""
    if len(key) != 12 or session.member_id is None:
        return False
    s = t.member_sessions.c
    done = conn.execute(delete(t.member_sessions).where(
        s.member_id == session.member_id, s.token_hash.startswith(key, autoescape=True)))
    return bool(done.rowcount)


def end_session(conn: Connection, session: MemberSession) -> None:
    conn.execute(delete(t.member_sessions).where(
        t.member_sessions.c.token_hash == session.token_hash))


def end_sessions(conn: Connection, member_id: int) -> None:
    """End every member app session of a member (every device)."""
    conn.execute(delete(t.member_sessions).where(t.member_sessions.c.member_id == member_id))


# --- a fresh code for a large payment (step-up) ---------------------------------------------

STEP_UP_CODE = "member.step-up-code"
#: Wrong codes after which a payment's fresh code is void (the payment starts again).
MAX_STEP_UP_FAILURES = 3
_PASSED = "passed"


def step_up_needed(settings: Any, amount: Money) -> bool:
    """Whether a money movement of ``amount`` in the member app needs a fresh one-time code
    besides the PIN: at or above the ``member_step_up_amount`` setting."""
    limit = Money.parse(str(settings.member_step_up_amount), amount.currency)
    return amount.minor >= limit.minor


def payment_digest(*parts: str) -> str:
    """What a fresh code confirms: the digest of the payment's kind, form key, amount and
    recipient (a code for one payment never confirms another)."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def begin_step_up(ctx: Context, session: MemberSession, payment: str, what: str
                  ) -> str | None:
    """A fresh code for the payment whose digest is ``payment`` (:func:`payment_digest`),
    described to the member as ``what``: the event carrying it, recorded in this
    transaction, to :func:`deliver_step_up` once it committed. ``None`` when the code sent
    for the same payment less than :data:`CODE_RESEND` ago stands, or it was already typed
    right. Raises :class:`TooManyRequests` when the member
    was sent :data:`MAX_CODE_REQUESTS` codes within :data:`CODE_REQUEST_WINDOW`."""
    conn = ctx.conn
    if session.member_id is None or session.stage != READY:
        raise ValidationError(message("a payment is confirmed once signed in"), field="pin")
    s = t.member_sessions.c
    row = conn.execute(select(s.step_up_hash, s.step_up_for, s.step_up_sent_at).where(
        s.token_hash == session.token_hash)).one()
    now = _now()
    if row.step_up_for == payment and (row.step_up_hash == _PASSED or (
            row.step_up_hash is not None and row.step_up_sent_at + CODE_RESEND > now)):
        return None
    key = _key(MEMBER, str(session.member_id))
    times = _recent(conn, MEMBER, key, now)
    wait = _wait(times, MAX_CODE_REQUESTS, now, cool_down=False)
    if wait:
        raise TooManyRequests(message("sign-in codes were asked for too often; ask again in "
                                      "{minutes} minutes", minutes=-(-wait // 60)),
                              retry_after=wait)
    conn.execute(t.login_code_requests.insert().values(scope=MEMBER, key=key, at=now))
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    conn.execute(update(t.member_sessions).where(s.token_hash == session.token_hash).values(
        step_up_hash=_HASHER.hash(code), step_up_for=payment, step_up_sent_at=now,
        step_up_expires_at=now + CODE_LIFETIME, step_up_failures=0))
    member = conn.execute(select(t.members.c.member_number, t.members.c.phone).where(
        t.members.c.id == session.member_id)).one()
    minutes = int(CODE_LIFETIME.total_seconds() // 60)
    return notify(ctx, Notification(
        STEP_UP_CODE, member.member_number, member.phone,
        f"{code} adalah kode konfirmasi {what} di aplikasi anggota "
        f"{ctx.settings.cooperative_name}. Berlaku {minutes} menit. Jika Anda tidak sedang "
        "membayar, JANGAN berikan kode ini kepada siapa pun dan hubungi koperasi."))


def deliver_step_up(kernel: Any, event_id: str, session: MemberSession) -> bool:
    """Send a payment's fresh code (the event :func:`begin_step_up` recorded with it); a
    channel's refusal voids it (the member may ask again at once). Returns whether the
    message went."""
    if not send_now(kernel, event_id):
        def void(conn: Connection) -> None:
            conn.execute(update(t.member_sessions)
                         .where(t.member_sessions.c.token_hash == session.token_hash)
                         .values(step_up_hash=None, step_up_for=None, step_up_sent_at=None,
                                 step_up_expires_at=None, step_up_failures=0))
            _forget_latest(conn, MEMBER, _key(MEMBER, str(session.member_id)))

        kernel.db.write(void)
        return False
    return True


def check_step_up(conn: Connection, session: MemberSession, payment: str, code: str) -> str:
    """The fresh code of the payment ``payment``: ``ok`` (it stays accepted for this payment,
    so sending the same form again shows its first result), ``wrong``, or ``void`` (none sent
    for this payment, expired, or :data:`MAX_STEP_UP_FAILURES` wrong codes: the payment starts
    again with a new code). Counted in ``conn``'s transaction: returns instead of raising."""
    s = t.member_sessions.c
    row = conn.execute(select(s.step_up_hash, s.step_up_for, s.step_up_expires_at,
                              s.step_up_failures).where(s.token_hash == session.token_hash)
                       ).first()
    if row is None or row.step_up_for != payment or row.step_up_hash is None:
        return "void"
    if row.step_up_hash == _PASSED:
        return "ok"
    valid = _verify(row.step_up_hash, re.sub(r"\s", "", code or ""))
    if row.step_up_expires_at is None or row.step_up_expires_at <= _now():
        valid = False
        failures = MAX_STEP_UP_FAILURES
    else:
        failures = row.step_up_failures + (0 if valid else 1)
    if valid:
        conn.execute(update(t.member_sessions).where(s.token_hash == session.token_hash)
                     .values(step_up_hash=_PASSED, step_up_failures=0))
        return "ok"
    if failures >= MAX_STEP_UP_FAILURES:
        conn.execute(update(t.member_sessions).where(s.token_hash == session.token_hash)
                     .values(step_up_hash=None, step_up_for=None, step_up_expires_at=None,
                             step_up_failures=0))
        return "void"
    conn.execute(update(t.member_sessions).where(s.token_hash == session.token_hash)
                 .values(step_up_failures=failures))
    return "wrong"


def step_up_failures(conn: Connection, session: MemberSession) -> int:
    return int(conn.execute(select(t.member_sessions.c.step_up_failures).where(
        t.member_sessions.c.token_hash == session.token_hash)).scalar() or 0)
