"""What kopcore writes to its logs: never a credential, never a control character.

:class:`RedactCredentials` is a logging filter on every handler the server and the CLI log
through — uvicorn's access and error logs (:func:`server_log_config`), the web app's own and
kopcore's (:func:`app_log_config`), the CLI's — so it applies to whatever a record says, however
it got there:

- the values of a query string are never written, only the parameters' names
  (``/api/v1/accounts/get?account=*&api_key=*``): a client that puts an API key in the URL,
  where it is refused, does not leave it in the access log;
- an API key (``kop_...``), an ``Authorization`` credential (``Bearer ...``, ``Basic ...``) and
  the password of a URL (``postgresql://kopcore:***@db``) are replaced wherever they appear,
  in the message, its arguments or a traceback;
- control characters are escaped (``\\x1b``, ``\\n``), so input cannot forge log lines or
  drive a terminal; a traceback keeps its own line breaks.
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Mapping
from typing import Any

REDACTED = "***"
_QUERY = re.compile(r"\?[^\s\"']+")
_PARAMETER = re.compile(r"([^&=;]*)=[^&;]*")
_API_KEY = re.compile(r"kop_[A-Za-z0-9_-]+")
_AUTHORIZATION = re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]+")
_URL_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@/\s]+@")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_NEWLINE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def _escape(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape").decode("ascii")


def _query_names(match: re.Match[str]) -> str:
    return _PARAMETER.sub(lambda m: f"{m.group(1)}=*", match.group())


def redact(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with credentials replaced, query values dropped and control characters
    escaped (line breaks kept with ``keep_newlines``, for tracebacks)."""
    text = _QUERY.sub(_query_names, text)
    text = _API_KEY.sub("kop_" + REDACTED, text)
    text = _AUTHORIZATION.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    text = _URL_PASSWORD.sub(lambda m: f"{m.group(1)}{REDACTED}@", text)
    return (_CONTROL_BUT_NEWLINE if keep_newlines else _CONTROL).sub(_escape, text)


def _argument(value: Any) -> Any:
    # Numbers stay numbers (a "%d" needs one); anything else is logged as redacted text.
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact(value if isinstance(value, str) else str(value))


class RedactCredentials(logging.Filter):
    """Rewrites every record it sees with :func:`redact`; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, Mapping):
            record.args = {key: _argument(value) for key, value in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_argument(value) for value in record.args)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, keep_newlines=True)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, keep_newlines=True)
        return True


FILTER_NAME = "kopcore_redact"
_FILTERS: dict[str, Any] = {FILTER_NAME: {"()": RedactCredentials}}


def server_log_config(*, tenants: bool = False) -> dict[str, Any]:
    """uvicorn's logging configuration with :class:`RedactCredentials` on every handler (the
    access log included), for ``uvicorn.run(log_config=...)``. ``tenants``: the platform
    serving many cooperatives, whose access log lines name the cooperative (``[tenant
    <slug>]``, from the record's ``tenant``, see :mod:`kopcore._tenants.platform`)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = dict(_FILTERS)
    for handler in config["handlers"].values():
        handler["filters"] = [FILTER_NAME]
    if tenants:
        access = config["formatters"]["access"]
        access["fmt"] = access["fmt"].replace("%(levelprefix)s ",
                                              "%(levelprefix)s [tenant %(tenant)s] ", 1)
    return config


def app_log_config() -> Any:
    """The web app's logging (Litestar's default, which also carries kopcore's loggers through
    the root logger) with :class:`RedactCredentials` on every handler."""
    from litestar.logging.config import LoggingConfig

    default = LoggingConfig()
    handlers = {name: {**handler, "filters": [FILTER_NAME]}
                for name, handler in default.handlers.items()}
    return LoggingConfig(filters=dict(_FILTERS), handlers=handlers)


def redact_handlers(logger: logging.Logger) -> None:
    """Put :class:`RedactCredentials` on every handler of ``logger`` (the CLI's root)."""
    for handler in logger.handlers:
        if not any(isinstance(f, RedactCredentials) for f in handler.filters):
            handler.addFilter(RedactCredentials())


__all__ = ["RedactCredentials", "app_log_config", "redact", "redact_handlers",
           "server_log_config"]
