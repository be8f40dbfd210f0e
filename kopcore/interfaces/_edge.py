"""The edge: input no operation could use is refused before any operation sees it.

The web API and the CLI hand every request body, query string, JSON option and command-line
argument through these checks first, so both refuse the same things with the same
:class:`~kopcore.errors.BadRequest` (problem+json 400 on the API; a message and exit status 1
on the CLI) instead of failing deep inside with a server error:

- **Lone surrogates.** A JSON string may spell half of a UTF-16 pair (``"\\ud800"``), and
  Python carries a command-line argument whose bytes are not UTF-8 as such halves too. No
  database driver can store them, so they never get past here.
- **Deep nesting.** No operation takes input nested deeper than :data:`MAX_DEPTH` levels; a
  body of thirty thousand ``[`` would otherwise exhaust the parser's recursion.
- **Encoding.** JSON is UTF-8 (RFC 8259 §8.1). Bytes that are not are not JSON, even where
  the parser could guess UTF-16 from them.
- **Media type.** An operation's JSON body must be sent as ``application/json`` (a
  ``charset``, if given, UTF-8): a form, a multipart upload, XML or text is refused with
  :class:`~kopcore.errors.UnsupportedMediaType` (415) instead of being read as JSON. Signed
  provider callbacks are not operations' JSON bodies: they keep their provider's own type.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from kopcore.errors import BadRequest, UnsupportedMediaType, ValidationError, message

#: Deepest nesting of any operation's input is an object in a list in an object (3 levels);
#: the margin leaves room for future inputs without letting a body exhaust the parser.
MAX_DEPTH = 16

_SURROGATE = re.compile("[\ud800-\udfff]")


def has_lone_surrogate(text: str) -> bool:
    """Whether ``text`` holds half of a UTF-16 surrogate pair (unstorable, unprintable)."""
    return _SURROGATE.search(text) is not None


def check_text(values: Iterable[str], what: str) -> None:
    """Refuse strings no database can store; ``what`` names them in the message."""
    for value in values:
        if has_lone_surrogate(value):
            raise BadRequest(message("{what} holds a lone UTF-16 surrogate (an escape such "
                                     "as \\ud800 without its pair); send text as valid "
                                     "Unicode", what=what))


def check_arguments(arguments: Iterable[str]) -> None:
    """Refuse command-line arguments whose bytes are not UTF-8 text."""
    for argument in arguments:
        if has_lone_surrogate(argument):
            shown = argument.encode("utf-8", "backslashreplace").decode("utf-8")
            raise BadRequest(message("argument '{argument}' is not valid UTF-8 text; check "
                                     "the terminal's encoding (the locale should be UTF-8)",
                                     argument=shown))


#: What a request's body is called in messages.
REQUEST_BODY = message("the request body")


def check_structure(data: Any, what: str = REQUEST_BODY) -> None:
    """Refuse nesting deeper than :data:`MAX_DEPTH` and lone surrogates anywhere in parsed
    JSON (keys included). Iterative, so no input can make it recurse."""
    pending: list[tuple[Any, int]] = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            check_text((value,), what)
            continue
        if not isinstance(value, dict | list):
            continue
        if depth > MAX_DEPTH:
            raise BadRequest(too_deep(what))
        if isinstance(value, dict):
            check_text(value, message("a field name in {what}", what=what))
            pending.extend((item, depth + 1) for item in value.values())
        else:
            pending.extend((item, depth + 1) for item in value)


def too_deep(what: str) -> str:
    return message("{what} nests deeper than {count} levels", what=what, count=MAX_DEPTH)


JSON_MEDIA_TYPE = "application/json"


def require_json(content_type: str | None) -> None:
    """Refuse a request body whose ``Content-Type`` is not JSON in UTF-8."""
    media_type, _, parameters = (content_type or "").partition(";")
    charset = next((value.strip().strip('"').lower() for name, _, value in
                    (p.partition("=") for p in parameters.split(";"))
                    if name.strip().lower() == "charset"), "utf-8")
    if media_type.strip().lower() != JSON_MEDIA_TYPE or charset not in ("utf-8", "utf8"):
        if not content_type:
            raise UnsupportedMediaType(message(
                "send the body as '{media_type}' (UTF-8), not without a Content-Type",
                media_type=JSON_MEDIA_TYPE))
        raise UnsupportedMediaType(message(
            "send the body as '{media_type}' (UTF-8), not '{content_type}'",
            media_type=JSON_MEDIA_TYPE, content_type=content_type.strip()))


def parse_json(raw: str | bytes, what: str = REQUEST_BODY) -> Any:
    """Parse JSON text (bytes must be UTF-8) and run :func:`check_structure` on the result.

    Text that is not JSON raises :class:`~kopcore.errors.ValidationError`, as any value that
    fails its field's rules does; nesting and unstorable text raise :class:`BadRequest`.
    """
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError(message("{what} is not valid JSON: JSON is UTF-8 text",
                                          what=what)) from None
    try:
        data = json.loads(raw)
    except RecursionError:
        raise BadRequest(too_deep(what)) from None
    except ValueError:
        raise ValidationError(message("{what} is not valid JSON", what=what)) from None
    check_structure(data, what)
    return data


__all__ = ["JSON_MEDIA_TYPE", "MAX_DEPTH", "check_arguments", "check_structure", "check_text",
           "has_lone_surrogate", "parse_json", "require_json"]
