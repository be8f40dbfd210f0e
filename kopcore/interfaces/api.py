"""The web API, generated from the operation registry: ``make_app(kernel)``.

Each operation becomes ``GET`` (reads, query parameters) or ``POST`` (mutations, JSON body)
``/api/v1/<group>/<action>``. Authentication: ``Authorization: Bearer kop_...``. Mutations accept
``Idempotency-Key``. Every error is RFC 9457 problem+json with a stable ``type``. The OpenAPI 3.1
document is at ``/docs/openapi.json`` and the interactive docs page at ``/docs``, served with
locally bundled Swagger UI assets so it works without internet.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import anyio
from litestar import Litestar, MediaType, Request, Response, get, post
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme, Tag
from litestar.openapi.spec import Operation as OpenAPIOperation
from litestar.response import Redirect
from litestar.static_files import create_static_files_router
from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError, OperationalError
from swagger_ui_bundle import swagger_ui_path

from kopcore import __version__
from kopcore._auth import Principal, authenticate, check_key_format
from kopcore._i18n import DEFAULT_LOCALE, Locale, negotiate
from kopcore._service import Credential, invoke, invoke_authenticated
from kopcore.errors import (
    PROBLEM_BASE,
    Forbidden,
    IdempotencyConflict,
    KopcoreError,
    TooManyRequests,
    Unauthorized,
    UnsupportedMediaType,
    ValidationError,
    message,
    translated,
)
from kopcore.interfaces import _edge as edge
from kopcore.interfaces._convert import object_schema, query_parameters
from kopcore.interfaces._headers import add_common_headers, html_page_headers
from kopcore.interfaces._logs import app_log_config
from kopcore.interfaces._ratelimit import RateLimit
from kopcore.interfaces._shared import resolve_handler_hints
from kopcore.interfaces.web import web_router
from kopcore.interfaces.web.member import member_router
from kopcore.kernel import Kernel
from kopcore.operations import Operation

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
ASSETS = "/static/swagger-ui"

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "RFC 9457 problem details",
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "field": {"type": "string"},
    },
    "required": ["type", "title", "status", "detail", "code"],
}
APPROVAL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"status": {"type": "string"}, "approval_id": {"type": "integer"},
                   "detail": {"type": "string"}},
    "required": ["status", "approval_id", "detail"],
}
HTTP_TITLES = {400: message("Bad request"), 401: message("Authentication required"),
               403: message("Not allowed"), 404: message("Not found"),
               405: message("Method not allowed"), 413: message("Request too large"),
               415: message("Unsupported media type"), 429: message("Too many requests")}


def request_locale(request: Request[Any, Any, Any]) -> Locale:
    """The language of a request's problems: its ``Accept-Language``, else the cooperative's
    ``language`` setting (Indonesian unless the operator chose otherwise)."""
    default = getattr(request.app.state, "language", DEFAULT_LOCALE)
    return negotiate(request.headers.get("accept-language"), default)


def _language_headers(locale: str) -> dict[str, str]:
    return {"Content-Language": locale, "Vary": "Accept-Language"}


def problem_response(status: int, code: str, title: str, detail: str, *,
                     locale: str | None = None, **extra: Any) -> Response[Any]:
    """A problem document; with ``locale``, ``title`` and ``detail`` are msgids translated into
    it and the response says so (``Content-Language``)."""
    if locale is not None:
        title, detail = translated(title, locale), translated(detail, locale)
    body = {"type": PROBLEM_BASE + code, "title": title, "status": status, "detail": detail,
            "code": code, **extra}
    return Response(body, status_code=status, media_type=PROBLEM_JSON,
                    headers=_language_headers(locale) if locale is not None else None)


def _kopcore_error(request: Request[Any, Any, Any], exc: KopcoreError) -> Response[Any]:
    locale = request_locale(request)
    headers = _language_headers(locale)
    retry = exc.extra.get("retry_after")
    if retry is not None:
        headers["Retry-After"] = str(retry)
    return Response(exc.to_problem(locale), status_code=exc.status, media_type=PROBLEM_JSON,
                    headers=headers)


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if status >= 500:
        return _internal_error(request, exc)
    code = {404: "not-found", 405: "method-not-allowed", 413: "request-too-large",
            401: "unauthorized", 403: "forbidden"}.get(status, "bad-request")
    detail = exc.detail if isinstance(exc.detail, str) else HTTP_TITLES.get(status, "")
    return problem_response(status, code, HTTP_TITLES.get(status, message("Request refused")),
                            detail,
                            locale=request_locale(request))


def _database_unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.error("database unavailable on %s %s: %s", request.method, request.url.path, exc)
    return problem_response(503, "service-unavailable", message("Service unavailable"),
                            message("The database cannot be reached; nothing was written. "
                                    "Retry later with the same Idempotency-Key."),
                            locale=request_locale(request))


#: SQLSTATE of a write in a read-only transaction: the database is frozen (a tenant being moved
#: between clusters, docs/deployment.md#moving-a-cooperative) or is a replica.
READ_ONLY_SQLSTATE = "25006"


def _database_error(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[Any]:
    if getattr(exc.orig, "sqlstate", None) != READ_ONLY_SQLSTATE:
        return _internal_error(request, exc)
    log.warning("write refused on %s %s: the database is read-only", request.method,
                request.url.path)
    response = problem_response(
        503, "database-read-only", message("Service unavailable"),
        message("The cooperative's database accepts no writes for a moment (it is being "
                "moved); nothing was written. Retry later with the same Idempotency-Key."),
        locale=request_locale(request))
    response.headers["Retry-After"] = "5"
    return response


def _internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("internal error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(500, "internal-error", message("Internal error"),
                            message("The request could not be completed; it has been logged."),
                            locale=request_locale(request))


def _security_required(op: Operation) -> list[dict[str, list[str]]]:
    if op.signature_header is not None:
        return []  # public: authenticated by the caller's signature over the body
    return [{"bearer": []}]


def _responses(op: Operation) -> dict[str, Any]:
    output = {"description": "Success",
              "content": {"application/json": {
                  "schema": object_schema(op.output, for_input=False)}}}
    responses: dict[str, Any] = {"200": output}
    if op.approval_amount_field:
        responses["202"] = {"description": "Waiting for a second person's approval",
                            "content": {"application/json": {"schema": APPROVAL_SCHEMA}}}
    by_status: dict[int, set[str]] = defaultdict(set)
    errors: list[type[KopcoreError]] = [Unauthorized, Forbidden, ValidationError, *op.errors]
    if op.mutates:
        errors.append(IdempotencyConflict)
        errors.append(UnsupportedMediaType if op.signature_header is None else TooManyRequests)
    for error in errors:
        by_status[error.status].add(error.code)
    by_status[400].add("bad-request")
    for status, codes in sorted(by_status.items()):
        responses[str(status)] = {
            "description": "Problem: " + ", ".join(sorted(codes)),
            "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}},
        }
    return responses


def _parameters(op: Operation) -> list[dict[str, Any]]:
    if op.signature_header is not None:
        return [{"name": op.signature_header, "in": "header", "required": True,
                 "description": "The caller's signature over the raw request body",
                 "schema": {"type": "string"}}]
    if not op.mutates:
        return query_parameters(op.input)
    if op.sensitive_output:
        return []  # a secret is shown once: the Idempotency-Key header is refused
    return [{"name": "Idempotency-Key", "in": "header", "required": False,
             "description": "Repeat a request safely: the same key returns the first result",
             "schema": {"type": "string", "minLength": 1, "maxLength": 200}}]


#: The OpenAPI Operation class of each operation, made once per process: it depends on the
#: operation's declaration alone (equal declarations from every cooperative's plugin host
#: share it), never on a cooperative's settings or data.
_specs: dict[Operation, type[OpenAPIOperation]] = {}
_specs_lock = threading.Lock()


def operation_spec(op: Operation) -> type[OpenAPIOperation]:
    """An OpenAPI Operation class whose request and responses come from the attrs classes."""
    with _specs_lock:
        made = _specs.get(op)
    if made is None:
        made = _operation_spec(op)
        with _specs_lock:
            made = _specs.setdefault(op, made)
    return made


def _operation_spec(op: Operation) -> type[OpenAPIOperation]:
    @dataclass
    class OperationSpec(OpenAPIOperation):
        def __post_init__(self) -> None:
            # Plain dicts are valid here: litestar serialises spec values recursively.
            spec: Any = self
            spec.parameters = _parameters(op)
            spec.responses = _responses(op)
            spec.request_body = (
                {"required": True,
                 "content": {"application/json": {"schema": object_schema(op.input)}}}
                if op.mutates else None
            )
            if op.signature_header is not None:  # the caller's own payload, passed on raw
                spec.request_body = {"required": True, "content": {"application/json": {
                    "schema": {"type": "object", "description": "The signed payload"}}}}
            self.security = _security_required(op)
            self.description = op.description or None

    return OperationSpec


def _credential(kernel: Kernel, request: Request[Any, Any, Any]) -> Credential:
    """The request's API key, checked for its form here and authenticated inside the call's
    own transaction (:func:`~kopcore._service.invoke_authenticated`)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized(message("send an API key as 'Authorization: Bearer kop_...'"))
    key = token.strip()
    check_key_format(key)
    return partial(_authenticate, kernel.plugins, key)


def _authenticate(plugins: Any, key: str, conn: Connection) -> Principal:
    return authenticate(conn, plugins, key)


async def _input(op: Operation, request: Request[Any, Any, Any]
                 ) -> Callable[[], dict[str, Any]]:
    """The input, parsed once the caller is authenticated (a query string, or the body read
    here)."""
    if not op.mutates:
        query = {key: request.query_params.getall(key)[-1] for key in request.query_params}
        return lambda: query
    body = await request.body()
    content_type = request.headers.get("content-type")
    return partial(_parse_body, body, content_type)


def _parse_body(body: bytes, content_type: str | None) -> dict[str, Any]:
    if not body.strip():
        return {}
    edge.require_json(content_type)
    data = edge.parse_json(body)
    if not isinstance(data, dict):
        raise ValidationError(message("request body must be a JSON object"))
    return data


async def _signed_input(op: Operation, request: Request[Any, Any, Any]) -> dict[str, Any]:
    """A signed callback's input: the raw body and its signature header, unparsed."""
    body = await request.body()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError(message("request body is not UTF-8"), field="body") from None
    return {"body": text, "signature": request.headers.get(str(op.signature_header), "")}


def route_for(kernel: Kernel, op: Operation) -> Any:
    public = RateLimit(kernel.settings.callback_requests_per_minute) \
        if op.signature_header is not None else None

    async def endpoint(request: Request[Any, Any, Any]) -> Response[Any]:
        if public is not None:
            # Deliberately public: the handler authenticates the body by its signature.
            public.take(request.client.host if request.client else "unknown")
            principal = Principal("callback", "callback", None, frozenset({op.permission}))
            data = await _signed_input(op, request)
            call = partial(invoke, kernel, op, data, principal, interface="api")
        else:
            # One hop to a worker thread, one transaction: the key is authenticated inside
            # the call's own transaction.
            credential = _credential(kernel, request)
            given = await _input(op, request)
            key = request.headers.get("idempotency-key") if op.mutates else None
            call = partial(invoke_authenticated, kernel, op, given, credential,
                           interface="api", idempotency_key=key, from_text=not op.mutates)
        outcome = await anyio.to_thread.run_sync(call)
        headers = {"Idempotency-Replayed": "true"} if outcome.replayed else {}
        return Response(outcome.payload, status_code=outcome.status, headers=headers,
                        media_type=MediaType.JSON)

    endpoint.__name__ = op.name.replace(".", "_").replace("-", "_")
    decorator = post if op.mutates else get
    return decorator(
        op.path, name=op.name, operation_id=op.name, summary=op.summary or op.name,
        tags=[op.plugin or op.group], operation_class=operation_spec(op), status_code=200,
    )(endpoint)


@get("/", include_in_schema=False)
async def _root(request: Request[Any, Any, Any]) -> Redirect:
    # Behind a platform's path prefix (the ASGI root_path), the staff app under it.
    return Redirect(path=str(request.scope.get("root_path", "")).rstrip("/") + "/app/")


class MountedSwagger(SwaggerRenderPlugin):
    """The docs page of an app mounted under a path (a platform's ``/t/<slug>/``): its scripts,
    stylesheet and icon are loaded from under that path, and its document names that path as the
    server, so "Try it out" calls this cooperative's API."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        mounted = _mounted_path(request)
        if not mounted:
            return super().render(request, openapi_schema)
        page = copy.copy(self)
        page.js_url, page.css_url, page.standalone_preset_js_url = (
            mounted + self.js_url, mounted + self.css_url, mounted + self.standalone_preset_js_url)
        page.favicon = self.favicon.replace(f"href='{ASSETS}", f"href='{mounted}{ASSETS}")
        return SwaggerRenderPlugin.render(page, request, _served_from(mounted, openapi_schema))


class MountedJson(JsonRenderPlugin):
    """``/docs/openapi.json``, naming the path the app is mounted under as its server."""

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, _served_from(_mounted_path(request), openapi_schema))


def _mounted_path(request: Request[Any, Any, Any]) -> str:
    return str(request.scope.get("root_path") or "").rstrip("/")


def _served_from(mounted: str, openapi_schema: dict[str, Any]) -> dict[str, Any]:
    return {**openapi_schema, "servers": [{"url": mounted}]} if mounted else openapi_schema


@get("/health", include_in_schema=False, media_type=MediaType.TEXT)
async def _health() -> str:
    return "ok"


def make_app(kernel: Kernel, *, debug: bool = False) -> Litestar:
    """Build the web app for a started kernel; nothing is built at import time."""
    operations = sorted((c.value for c in kernel.plugins.operations.values()),
                        key=lambda o: o.name)
    plugins = sorted({op.plugin for op in operations})
    swagger = MountedSwagger(
        js_url=f"{ASSETS}/swagger-ui-bundle.js", css_url=f"{ASSETS}/swagger-ui.css",
        standalone_preset_js_url=f"{ASSETS}/swagger-ui-standalone-preset.js",
        favicon=f"<link rel='icon' type='image/png' href='{ASSETS}/favicon-32x32.png'>",
        path="/",
    )
    openapi = OpenAPIConfig(
        title=f"kopcore API — {kernel.settings.cooperative_name}",
        version=__version__,
        description=("Core banking API of the cooperative. Authenticate with "
                     "`Authorization: Bearer <API key>`. Amounts are decimal strings. "
                     "Errors are RFC 9457 problem+json."),
        path="/docs",
        render_plugins=[swagger, MountedJson()],
        components=Components(security_schemes={
            "bearer": SecurityScheme(type="http", scheme="bearer",
                                     description="API key issued with `kopcore keys issue`")}),
        tags=[Tag(name=p, description=f"Operations of plugin {p}") for p in plugins],
    )
    handlers = [
        *(route_for(kernel, op) for op in operations),
        create_static_files_router(path=ASSETS, directories=[swagger_ui_path],
                                   include_in_schema=False),
        web_router(kernel),
        member_router(kernel),
        _root, _health,
    ]
    resolve_handler_hints(handlers)
    return Litestar(
        route_handlers=handlers,
        openapi_config=openapi,
        exception_handlers={
            KopcoreError: _kopcore_error,
            HTTPException: _http_error,
            OperationalError: _database_unavailable,
            DBAPIError: _database_error,
            Exception: _internal_error,
        },
        request_max_body_size=kernel.settings.max_request_bytes,
        state=State({"language": kernel.settings.language}),
        logging_config=app_log_config(),
        before_send=[add_common_headers],
        middleware=[html_page_headers],
        debug=debug,
    )
