"""The staff and member web apps under a platform's path prefix, ``/t/<slug>/app/`` and
``/t/<slug>/anggota/``, without PostgreSQL: two cooperatives, each the demo cooperative in an
SQLite file of its own (the second a copy of the first, so the same users and members exist in
both), served by the platform's ASGI app with the registry in SQLite.

Every link, form, script, stylesheet, redirect and cookie path carries the cooperative's prefix;
a session cookie of one cooperative is never sent to the other's path, and presented there it
opens nothing. A real browser logs in under the prefix and follows the links."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
from litestar.testing import TestClient
from sqlalchemy import create_engine, select

from kopcore._db import tables as t
from kopcore._demo import demo_password
from kopcore._tenants.hosting import TenantKernels
from kopcore._tenants.platform import Platform
from kopcore._tenants.registry import Registry
from kopcore.kernel import Kernel
from kopcore.settings import Settings
from kopcore.testing import ON_POSTGRES, RunningServer
from tests.web_support import demo_database, hidden

pytestmark = pytest.mark.skipif(
    ON_POSTGRES, reason="both cooperatives are SQLite files whatever the session's database: "
                        "the PostgreSQL run would repeat the SQLite one")

#: Every URL a page makes: links, forms, scripts, stylesheets, htmx requests.
URLS = re.compile(r'(?:href|action|src|hx-get|hx-post)="(/[^"]*)"')
LINKS = re.compile(r'href="(/[^"]*)"')


@attrs.define
class DemoKernels(TenantKernels):
    """Each cooperative's kernel on its own SQLite copy of the demo cooperative."""

    databases: dict[str, Settings] = attrs.field(factory=dict)

    def open(self, tenant: Any, cluster: Any, **_: Any) -> Kernel:  # type: ignore[override]
        return Kernel.start(self.databases[tenant.slug])


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    directory = tmp_path_factory.mktemp("tenants-web")
    demo, url = demo_database(directory, None)  # SQLite whatever the test database
    copy = directory / "ksp-b.db"
    shutil.copy(url.removeprefix("sqlite:///"), copy)
    databases = {"ksp-a": demo,
                 "ksp-b": attrs.evolve(demo, database_url=f"sqlite:///{copy}",
                                       cooperative_name="Koperasi B")}
    registry = Registry.open(f"sqlite:///{directory / 'registry.db'}")
    registry.add_cluster("alpha", "postgresql://kopcore@pg-a:6432", max_connections=4)
    for slug in databases:
        registry.reserve(slug, "alpha", demo.plugins, {"cooperative_name": slug})
        registry.update(slug, state="active")
    settings = Settings(tenant_base_domain="kop.test")
    made = Platform(settings, registry, kernels=DemoKernels(settings, databases=databases))
    yield made
    made.close()


def client(platform: Platform) -> TestClient[Any]:
    return TestClient(platform, base_url="http://kop.test")  # type: ignore[arg-type]


def cookie_paths(response: Any) -> dict[str, str]:
    """Each cookie a response sets, with its Path."""
    found = {}
    for header in response.headers.get_list("set-cookie"):
        name = header.split("=", 1)[0]
        path = re.search(r"[Pp]ath=([^;]+)", header)
        found[name] = path.group(1) if path else ""
    return found


def staff_log_in(c: TestClient[Any], slug: str, username: str, next_page: str) -> Any:
    form = c.get(f"/t/{slug}/app/login").text
    return c.post(f"/t/{slug}/app/login", data={
        "login_token": hidden(form, "login_token"), "username": username,
        "password": demo_password(username), "next": next_page}, follow_redirects=False)


def test_the_staff_app_under_a_path_prefix_keeps_to_it(platform: Platform) -> None:
    with client(platform) as c:
        root = c.get("/t/ksp-a/", follow_redirects=False)
        assert root.headers["location"] == "/t/ksp-a/app/"
        to_login = c.get("/t/ksp-a/app/", follow_redirects=False)
        assert to_login.status_code == 303
        assert to_login.headers["location"] == "/t/ksp-a/app/login?next=/t/ksp-a/app"
        login = c.get("/t/ksp-a/app/login")
        assert 'action="/t/ksp-a/app/login"' in login.text
        assert 'href="/t/ksp-a/app/static/app.css"' in login.text
        assert cookie_paths(login) == {"kopcore_login": "/t/ksp-a/app"}
        assert c.get("/t/ksp-a/app/static/app.css").headers["content-type"].startswith(
            "text/css")

        # After the login: the page asked for, never another cooperative's.
        signed_in = staff_log_in(c, "ksp-a", "teller", "/t/ksp-a/app/teller")
        assert signed_in.headers["location"] == "/t/ksp-a/app/teller"
        assert cookie_paths(signed_in)["kopcore_session"] == "/t/ksp-a/app"
        assert "httponly" in signed_in.headers["set-cookie"].lower()
        assert staff_log_in(c, "ksp-a", "teller", "/t/ksp-b/app/").headers["location"] == \
            "/t/ksp-a/app/"

        home = c.get("/t/ksp-a/app/")
        assert home.status_code == 200
        urls = URLS.findall(home.text)
        assert len(urls) > 10
        assert [u for u in urls if not u.startswith("/t/ksp-a/app/")] == []
        # Follow every link of the home page and the navigation: each is a page of ksp-a.
        links = LINKS.findall(home.text)
        assert len(set(links)) > 20  # the navigation: every operation the teller may run
        for url in sorted({u for u in links if "/static/" not in u and "/language/" not in u}):
            page = c.get(url.replace("&amp;", "&"), follow_redirects=False)
            assert page.status_code == 200, url
            assert [u for u in URLS.findall(page.text)
                    if not u.startswith("/t/ksp-a/app/")] == [], url

        # A form's redirect (the language) and the logout stay under the prefix.
        english = c.get("/t/ksp-a/app/language/en?next=/t/ksp-a/app/teller",
                        follow_redirects=False)
        assert english.headers["location"] == "/t/ksp-a/app/teller"
        assert cookie_paths(english) == {"kopcore_lang": "/t/ksp-a/app"}
        out = c.post("/t/ksp-a/app/logout", data={"csrf": hidden(home.text, "csrf")},
                     follow_redirects=False)
        assert out.headers["location"] == "/t/ksp-a/app/login?bye=1"
        assert cookie_paths(out) == {"kopcore_session": "/t/ksp-a/app"}


def test_a_session_of_one_cooperative_opens_nothing_under_anothers_prefix(
        platform: Platform) -> None:
    with client(platform) as c:
        staff_log_in(c, "ksp-a", "admin", "/t/ksp-a/app/")
        session = c.cookies.get("kopcore_session")
        assert session
        assert c.get("/t/ksp-a/app/", follow_redirects=False).status_code == 200
        # The browser's jar never sends A's cookie to B's path...
        at_b = c.get("/t/ksp-b/app/", follow_redirects=False)
        assert at_b.headers["location"] == "/t/ksp-b/app/login?next=/t/ksp-b/app"
        # ...and presented there on purpose, it is no session of B's: refused, and cleared.
        forged = TestClient(platform, base_url="http://kop.test")  # type: ignore[arg-type]
        stolen = forged.get("/t/ksp-b/app/", headers={"Cookie": f"kopcore_session={session}"},
                            follow_redirects=False)
        assert stolen.status_code == 303
        assert stolen.headers["location"] == \
            "/t/ksp-b/app/login?next=/t/ksp-b/app&expired=1"
        assert cookie_paths(stolen) == {"kopcore_session": "/t/ksp-b/app"}
        assert c.get("/t/ksp-a/app/", follow_redirects=False).status_code == 200


def _a_member_number(platform: Platform) -> str:
    url = platform.kernels.databases["ksp-a"].database_url  # type: ignore[attr-defined]
    engine = create_engine(url)
    with engine.connect() as conn:
        number = conn.execute(select(t.members.c.member_number)
                              .order_by(t.members.c.id).limit(1)).scalar_one()
    engine.dispose()
    return str(number)


def test_the_member_app_under_a_path_prefix_keeps_to_it(platform: Platform) -> None:
    with client(platform) as c:
        start = c.get("/t/ksp-a/anggota/masuk")
        assert start.status_code == 200
        urls = URLS.findall(start.text)
        assert "/t/ksp-a/anggota/static/member.css" in urls
        assert [u for u in urls if not u.startswith("/t/ksp-a/anggota/")] == []
        assert cookie_paths(start) == {"kopcore_anggota_masuk": "/t/ksp-a/anggota"}
        sent = c.post("/t/ksp-a/anggota/masuk", data={
            "start_token": hidden(start.text, "start_token"),
            "identitas": _a_member_number(platform)}, follow_redirects=False)
        assert sent.headers["location"] == "/t/ksp-a/anggota/kode"
        assert cookie_paths(sent)["kopcore_anggota"] == "/t/ksp-a/anggota"
        code = c.get("/t/ksp-a/anggota/kode")
        assert 'action="/t/ksp-a/anggota/kode"' in code.text
        assert c.get("/t/ksp-b/anggota/kode", follow_redirects=False).headers["location"] == \
            "/t/ksp-b/anggota/masuk"
        manifest = c.get("/t/ksp-a/anggota/manifest.webmanifest").json()
        assert (manifest["start_url"], manifest["scope"]) == \
            ("/t/ksp-a/anggota/", "/t/ksp-a/anggota/")
        assert manifest["icons"][0]["src"] == "/t/ksp-a/anggota/static/icon.svg"
        worker = c.get("/t/ksp-a/anggota/sw.js")
        assert worker.headers["service-worker-allowed"] == "/t/ksp-a/anggota/"
        assert c.get("/t/ksp-a/anggota/static/member.js").status_code == 200


def test_a_browser_logs_in_under_a_path_prefix_and_follows_its_links(
        platform: Platform) -> None:
    from tests.test_web_browser import CHROMEDRIVER, CHROMIUM, _missing

    missing = _missing()
    if missing:
        pytest.skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", "--no-first-run", "--window-size=1366,768"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        with RunningServer(None, app=platform) as server:
            wait = WebDriverWait(driver, 15)
            driver.get(server.url + "/t/ksp-a/app/teller")
            wait.until(ec.visibility_of_element_located((By.ID, "username")))
            assert driver.current_url.startswith(server.url + "/t/ksp-a/app/login?next=")
            # The stylesheet came from under the prefix and applies.
            assert driver.execute_script(
                "return document.styleSheets[0].cssRules.length") > 0
            driver.find_element(By.ID, "username").send_keys("teller", Keys.TAB,
                                                             demo_password("teller"),
                                                             Keys.ENTER)
            wait.until(ec.text_to_be_present_in_element(
                (By.CSS_SELECTOR, "[data-testid=who]"), "teller"))
            assert driver.current_url == server.url + "/t/ksp-a/app/teller"
            assert [(c["name"], c["path"]) for c in driver.get_cookies()
                    if c["name"] == "kopcore_session"] == [("kopcore_session", "/t/ksp-a/app")]
            # Find a member with the search field and follow the first result.
            driver.find_element(By.ID, "q").send_keys("Siti", Keys.ENTER)
            wait.until(ec.visibility_of_element_located((By.CSS_SELECTOR, ".members a")))
            driver.find_element(By.CSS_SELECTOR, ".members a").click()
            wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Siti"))
            assert driver.current_url.startswith(server.url + "/t/ksp-a/app/teller/member/")
            # Back home by the brand link, then the cash position from the home page.
            driver.find_element(By.CSS_SELECTOR, "a.brand").click()
            wait.until(ec.url_to_be(server.url + "/t/ksp-a/app/"))
            driver.find_element(By.CSS_SELECTOR, 'a[href="/t/ksp-a/app/cash"]').click()
            wait.until(ec.url_to_be(server.url + "/t/ksp-a/app/cash"))
            # The other cooperative's path: its own login, the session not carried over.
            driver.get(server.url + "/t/ksp-b/app/")
            wait.until(ec.visibility_of_element_located((By.ID, "username")))
            assert driver.current_url.startswith(server.url + "/t/ksp-b/app/login")
            driver.get(server.url + "/t/ksp-a/app/")
            wait.until(ec.text_to_be_present_in_element(
                (By.CSS_SELECTOR, "[data-testid=who]"), "teller"))
            driver.find_element(By.ID, "logout").click()
            wait.until(ec.visibility_of_element_located((By.ID, "username")))
            assert driver.current_url == server.url + "/t/ksp-a/app/login?bye=1"
            # The member app installs its service worker for its own prefix.
            driver.get(server.url + "/t/ksp-b/anggota/masuk")
            wait.until(ec.visibility_of_element_located((By.NAME, "identitas")))
            driver.set_script_timeout(15)
            scope = driver.execute_async_script(
                "const done = arguments[0];"
                "navigator.serviceWorker.ready.then(r => done(r.scope))"
                ".catch(e => done(String(e)));")
            assert scope == server.url + "/t/ksp-b/anggota/"
            # A second cooperative's member app on the same phone: each keeps its own shell,
            # and installing one does not remove the other's.
            driver.get(server.url + "/t/ksp-a/anggota/masuk")
            wait.until(ec.visibility_of_element_located((By.NAME, "identitas")))
            shells = driver.execute_async_script(
                "const done = arguments[0];"
                "navigator.serviceWorker.ready.then(() => caches.keys())"
                ".then(names => Promise.all(names.sort().map(name => caches.open(name)"
                ".then(c => c.keys()).then(rs => [name, rs.map(r => new URL(r.url).pathname)"
                ".sort()]))))"
                ".then(done).catch(e => done(String(e)));")
            assert [name for name, _ in shells] == [
                "kopcore-anggota-shell-v1 /t/ksp-a/anggota/",
                "kopcore-anggota-shell-v1 /t/ksp-b/anggota/"]
            for name, paths in shells:
                base = name.split(" ", 1)[1]
                assert base + "offline" in paths
                assert base + "static/member.css" in paths
                assert all(path.startswith(base) for path in paths), (name, paths)
    finally:
        driver.quit()


def test_the_paths_of_both_web_apps_are_made_in_one_place() -> None:
    from litestar.testing import RequestFactory

    from kopcore.interfaces.web._base import mounted_at

    plain = RequestFactory().get("/app/")
    prefixed = RequestFactory(root_path="/t/ksp-a").get("/app/")
    assert (mounted_at(plain, "/app"), mounted_at(plain, "/anggota")) == ("/app", "/anggota")
    assert mounted_at(prefixed, "/anggota") == "/t/ksp-a/anggota"


def test_the_api_docs_under_the_prefix_load_their_files_and_call_this_cooperative(
        platform: Platform) -> None:
    """The docs page's scripts, stylesheet and icon come from under the prefix, and its document
    names the prefix as the server, so "Try it out" reaches this cooperative's API."""
    with client(platform) as http:
        page = http.get("/t/ksp-b/docs")
        assert page.status_code == 200
        assets = re.findall(r"(?:href|src)='?\"?(/[^'\" >]*)", page.text)
        assert assets
        assert all(url.startswith("/t/ksp-b/static/swagger-ui/") for url in assets)
        for url in assets:
            assert http.get(url).status_code == 200, url
        assert '"servers":[{"url":"/t/ksp-b"}]' in page.text
        document = http.get("/t/ksp-b/docs/openapi.json")
        assert document.status_code == 200
        assert document.json()["servers"] == [{"url": "/t/ksp-b"}]
        assert document.json()["info"]["title"].endswith("Koperasi B")
