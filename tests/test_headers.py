"""Security headers: nothing of the API is cached, no type is sniffed, and the documentation
page runs only what this server sent and cannot be framed."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser

from tests import interfaces_support as support
from tests.interfaces_support import OWN_MEMBER, Env

env = support.env


def test_every_api_response_is_no_store_and_nosniff(env: Env) -> None:
    issued = env.client.post("/api/v1/keys/issue", json={"username": "teller"},
                             headers=env.headers() | {"Content-Type": "application/json"})
    assert issued.status_code == 200
    responses = [
        issued,  # an API key, shown once
        env.client.get("/api/v1/members/get", params={"member": OWN_MEMBER},
                       headers=env.headers("anggota")),  # personal data
        env.client.get("/api/v1/members/get", params={"member": OWN_MEMBER}),  # 401
        env.client.get("/api/v1/nope", headers=env.headers()),  # 404, no route
        env.client.post("/api/v1/members/get", headers=env.headers()),  # 405
    ]
    for response in responses:
        assert response.headers["cache-control"] == "no-store", response.request.url
        assert response.headers["x-content-type-options"] == "nosniff"
    assert "no-store" not in env.client.get("/health").headers.get("cache-control", "")
    assert env.client.get("/health").headers["x-content-type-options"] == "nosniff"


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script":
            self._in_script = "src" not in found
            if found.get("src"):
                self.sources.append(str(found["src"]))
        if tag == "link" and found.get("href"):
            self.sources.append(str(found["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.inline.append(data)


def test_the_docs_page_allows_only_its_own_scripts_and_cannot_be_framed(env: Env) -> None:
    page = env.client.get("/docs")
    assert page.status_code == 200
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-content-type-options"] == "nosniff"
    policy = dict(d.strip().split(" ", 1) for d in page.headers["content-security-policy"]
                  .split(";"))
    assert policy["default-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert policy["connect-src"] == "'self'"
    # Every inline script of the page as sent is allowed by its hash, and nothing else inline.
    parsed = _Page()
    parsed.feed(page.text)
    assert parsed.inline
    allowed = set(re.findall(r"'sha256-([^']+)'", policy["script-src"]))
    hashes = {base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()
              for s in parsed.inline}
    assert hashes == allowed
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    # Scripts, styles and icons come from this server ('self'), which serves each of them.
    assert parsed.sources
    for source in parsed.sources:
        assert source.startswith("/static/swagger-ui/"), source
        assert env.client.get(source).status_code == 200
    assert env.client.get("/docs/openapi.json").status_code == 200  # fetched by the page
