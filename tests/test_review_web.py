"""The review page in a real browser (Playwright driving Debian's chromium, never Playwright's own download):
sign in through the link the fake Zulip received, edit a line, approve, and find the edited digest exactly
once on the fake Zulip and the fake Discourse; hostile notes never run; expired, reused and forged links
and changes without the CSRF token are refused.

Without a browser the tests skip, saying why; under ``CI=true`` they fail instead (``.ci/run`` installs
Debian's ``chromium``).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from pathlib import Path

import httpx
import pytest
from fakes.discourse import FakeDiscourse
from fakes.zulip import FakeZulip
from pydantic import SecretStr
from test_review_modes import UNTIL, Clock

from chatops.config import parse_config
from chatops.health import HealthServer, Metrics
from chatops.review import Reviewer
from chatops.service import Compass, CompassChat
from chatops.web.app import create_app

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
EXAMPLE_NOTES = Path(__file__).resolve().parent.parent / "chatops" / "data" / "example-notes"
HOSTILE = """# Collaboration Cafe 2025-05-27

## Check-in

- Mallory / @mallory / Example Org

## Celebrations and Shout-Outs

- Please test the new proxy <script>window.__pwned = 1</script> and [click me](javascript:window.__pwned=2) or <img src=x onerror="window.__pwned=3"> please help!
- Help wanted: review `<script>window.__pwned=5</script>` in the docs please test!
"""


def _no_browser() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    if not os.path.exists(CHROMIUM):
        return f"no browser at {CHROMIUM}; install Debian's chromium (apt-get install -y chromium)"
    return None


@pytest.fixture(scope="module")
def browser():
    reason = _no_browser()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason + " - CI must run the browser tests")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        chromium.close()


class Site:
    """Fake Zulip and Discourse, a drafted digest and the review page on a loopback port."""

    def __init__(self, tmp_path: Path) -> None:
        self.zulip = FakeZulip().start()
        self.discourse = FakeDiscourse(api_key="dkey").start()
        self.bot = self.zulip.add_user("compass", bot=True)
        self.ann = self.zulip.add_user("Ann Lee", email="ann@example.org")
        notes = tmp_path / "notes"
        notes.mkdir()
        shutil.copy(EXAMPLE_NOTES / "collab-cafe-2025.md", notes)
        (notes / "hostile-2025-05-27.md").write_text(HOSTILE, encoding="utf-8")
        config = parse_config({
            "community": {"name": "JupyterHub", "timezone": "UTC"},
            "zulip": {"site": self.zulip.url, "email": self.bot.email, "api_key": self.bot.api_key},
            "discourse": {"url": self.discourse.url, "api_username": "compass", "category": "News"},
            "sources": {"notes": [str(notes)]},
            "server": {"secret": "test-signing-key"},
            "digests": [{
                "name": "community-monthly", "kind": "community", "schedule": "monthly first tuesday 16:00",
                "targets": [{"zulip": {"stream": "announce"}}, {"discourse": {}}],
                "review": {"mode": "approve", "reviewers": ["ann@example.org"]},
            }],
            "storage": {"url": f"sqlite:///{tmp_path / 'compass.db'}"},
        }, path=tmp_path / "compass.yaml")
        config = config.model_copy(update={"discourse": config.discourse.model_copy(update={"api_key": SecretStr("dkey")})})
        self.clock = Clock(UNTIL + dt.timedelta(minutes=1))
        self.compass = Compass(config, clock=self.clock)
        self.server = HealthServer(Metrics(), check=lambda: {"database": "ok"}, port=0,
                                   review=create_app(self.compass)).start()
        self.compass.page_url = self.server.url
        self.compass.fire("community-monthly", UNTIL)
        self.draft = self.compass.find_draft("community-monthly")

    def close(self) -> None:
        self.server.stop()
        self.compass.close()
        self.zulip.stop()
        self.discourse.stop()

    def link(self) -> str:
        """Ask for a sign-in link as Ann would in a channel; read it from her direct messages on the fake Zulip."""
        before = len(self._dms())
        answer = CompassChat(self.compass).sign_in(self.ann.email, self.ann.user_id, direct=False)
        assert "direct message" in answer
        (text,) = self._dms()[before:]
        match = re.search(r"(http://\S+/review/signin\?token=[\w.\-]+)", text)
        assert match, text
        return match.group(1)

    def _dms(self) -> list[str]:
        return [m["content"] for m in self.zulip.messages_by(self.bot)
                if m.get("type") == "private" and "signin?token=" in m["content"]]

    def posted_to_zulip(self) -> list[str]:
        return [m["content"] for m in self.zulip.messages_by(self.bot) if m.get("type") == "stream"]


@pytest.fixture
def site(tmp_path):
    made = Site(tmp_path)
    yield made
    made.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.dialogs = dialogs  # type: ignore[attr-defined]
    yield page
    context.close()


def _pwned(page) -> object:
    return page.evaluate("() => window.__pwned === undefined ? null : window.__pwned")


def test_reviewers_were_told_by_direct_message(site):
    notes = [m for m in site.zulip.messages_by(site.bot) if m.get("type") == "private"]
    assert len(notes) == 1 and "Draft for review" in notes[0]["content"]
    assert f"{site.server.url}/review/drafts/{site.draft.id}" in notes[0]["content"]
    assert site.posted_to_zulip() == [] and site.discourse.topics == {}


def test_sign_in_edit_approve_publishes_the_edit_once_everywhere(site, page):
    page.goto(site.link())
    page.wait_for_url(re.compile(r"/review/$"))
    assert page.get_by_role("heading", name="Drafts").is_visible()
    page.click(f"a[href='/review/drafts/{site.draft.id}']")
    assert page.locator("article.target").count() == 2  # as it will look on Zulip and on Discourse
    text = page.input_value("#text")
    first_line = text.splitlines()[0]
    page.fill("#text", text.replace(first_line, first_line + "\n\nReviewed by Ann: all names checked.", 1))
    page.wait_for_function("() => document.querySelector('#preview').innerText.includes('all names checked')")
    page.click("#save")
    assert "Saved." in page.inner_text(".flash")
    assert page.locator("article.target").first.inner_text().count("all names checked") == 1
    page.click("#approve")
    assert "Approved `community-monthly`" in page.inner_text(".flash")
    assert page.inner_text("#state") == "approved"
    zulip = site.posted_to_zulip()
    assert sum("Reviewed by Ann: all names checked." in m for m in zulip) == 1
    (topic,) = site.discourse.topics.values()
    assert topic.raw.count("Reviewed by Ann: all names checked.") == 1
    # The original is kept in the history; approving again publishes nothing more.
    assert page.locator(".history li").count() == 3
    assert not site.compass.approve("community-monthly", Reviewer(email="ann@example.org")).changed
    assert len(site.posted_to_zulip()) == len(zulip) and len(site.discourse.topics) == 1
    assert site.compass.history(site.draft.id)[0].body == site.draft.original


def test_hostile_notes_never_run_on_the_page(site, page):
    assert "window.__pwned=5" in site.draft.original  # the hostile text did reach the draft
    page.goto(site.link())
    page.wait_for_url(re.compile(r"/review/$"))
    page.goto(f"{site.server.url}/review/drafts/{site.draft.id}")
    assert "<script>window.__pwned=5</script>" in page.inner_text("article.target")  # shown as text
    assert page.locator("article.target script, article.target img[onerror]").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    # A hostile edit: in the live preview, saved, rendered per target and in the history.
    page.fill("#text", '<script>window.__pwned = 6</script>\n\n[x](javascript:window.__pwned=7) '
                       '<img src=x onerror="window.__pwned=8">\n')
    page.wait_for_function("() => document.querySelector('#preview').innerText.includes('window.__pwned = 6')")
    page.click("#save")
    for link in page.locator("a").all():
        assert not (link.get_attribute("href") or "").lower().startswith("javascript")
    assert "window.__pwned = 6" in page.locator("article.target").first.inner_text()
    assert page.locator(".history li").last.locator("pre").text_content().startswith("<script>window.__pwned = 6")
    page.locator("article.target").first.get_by_text("[x](javascript:window.__pwned=7)").click()
    assert _pwned(page) is None and page.dialogs == []


def test_expired_reused_and_forged_links_are_refused(site, page):
    link = site.link()
    page.goto(link)
    page.wait_for_url(re.compile(r"/review/$"))
    other = page.context.browser.new_context().new_page()
    try:
        other.goto(link)  # the same link again, from another browser
        assert "already used" in other.inner_text("main")
        assert other.goto(f"{site.server.url}/review/").status == 401
        late = site.link()
        import itsdangerous.timed  # the link's age is itsdangerous's own clock: move it 16 minutes on

        real = itsdangerous.timed.time.time
        itsdangerous.timed.time.time = lambda: real() + 16 * 60  # type: ignore[assignment]
        try:
            response = other.goto(late)
        finally:
            itsdangerous.timed.time.time = real  # type: ignore[assignment]
        assert response.status == 403 and "expired" in other.inner_text("main")
        forged = other.goto(late[:-4] + "AAAA")
        assert forged.status == 403 and "not valid" in other.inner_text("main")
    finally:
        other.context.close()


def test_a_change_without_the_csrf_token_is_refused(site, page):
    page.goto(site.link())
    page.wait_for_url(re.compile(r"/review/$"))
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "compass_review"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    url = f"{site.server.url}/review/drafts/{site.draft.id}/approve"
    with httpx.Client(cookies=cookies) as client:
        missing = client.post(url, data={})
        wrong = client.post(url, data={"csrf": "not-the-token"})
        preview = client.post(f"{site.server.url}/review/drafts/{site.draft.id}/preview", json={"text": "x"})
    assert missing.status_code == wrong.status_code == preview.status_code == 403
    assert "CSRF token is missing or wrong" in missing.text
    # And from the page itself, a form whose token was tampered with.
    page.goto(f"{site.server.url}/review/drafts/{site.draft.id}")
    page.evaluate("() => document.querySelectorAll('input[name=csrf]').forEach(i => i.value = 'tampered')")
    page.click("#approve")
    assert "CSRF token is missing or wrong" in page.inner_text("main")
    assert site.compass.find_draft("community-monthly").state == "waiting"
    assert site.posted_to_zulip() == [] and site.discourse.topics == {}


def test_newer_notes_after_an_edit_show_the_difference_and_the_edit_can_be_kept(site, page, tmp_path):
    page.goto(site.link())
    page.wait_for_url(re.compile(r"/review/$"))
    page.goto(f"{site.server.url}/review/drafts/{site.draft.id}")
    page.fill("#text", page.input_value("#text") + "\nA closing line from Ann.\n")
    page.click("#save")
    (tmp_path / "notes" / "cafe-2025-05-29.md").write_text(
        "# Collaboration Cafe 2025-05-29\n\n## Check-in\n\n- Zora Quill / @zquill / Example Org\n", encoding="utf-8")
    page.click("#refresh")
    assert "after your edit" in page.inner_text(".flash")
    added = page.locator(".diff .dadd").all_inner_texts()
    assert any("29 May 2025" in line for line in added), added
    page.click("#keep")
    assert "Your edit is kept" in page.inner_text(".flash") and page.locator(".diff").count() == 0
    page.click("#approve")
    (topic,) = site.discourse.topics.values()
    assert "A closing line from Ann." in topic.raw


def test_the_session_cookie_is_secure_behind_https(tmp_path):
    site_config = parse_config({"server": {"public_url": "https://compass.example.org", "secret": "k"},
                                "storage": {"url": f"sqlite:///{tmp_path / 'c.db'}"},
                                "digests": [{"name": "d", "kind": "community", "schedule": "weekly monday 09:00",
                                             "review": {"mode": "veto", "reviewers": ["ann@example.org"]}}]})
    compass = Compass(site_config)
    server = HealthServer(Metrics(), check=lambda: {"database": "ok"}, port=0, review=create_app(compass)).start()
    try:
        link = compass.sign_in_link(Reviewer(email="ann@example.org"))
        assert link.startswith("https://compass.example.org/review/signin?token=")
        response = httpx.get(f"{server.url}/review/signin?" + link.split("?", 1)[1])  # as the TLS proxy forwards it
        assert response.status_code == 200
        cookie = response.headers["set-cookie"].lower()
        assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie
        assert "default-src 'none'" in response.headers["content-security-policy"]
    finally:
        server.stop()
        compass.close()
