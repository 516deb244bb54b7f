"""The review page: drafts and recent publications, one draft as each target will show it, an editor with a
live preview, Approve / Hold / Skip, and the edit history. Served under ``/review`` by ``compass run`` (beside
``/healthz``) and by ``compass serve``.

Everything goes through the ``Compass`` service; nothing here touches publishing or storage directly.

Access: ``GET /review/signin?token=...`` redeems a single-use link (``Compass.redeem``, 15 minutes) and
starts a session: a cookie signed with ``server.secret`` by Starlette's ``SessionMiddleware`` (itsdangerous),
HttpOnly, SameSite=Strict, and Secure when ``server.public_url`` is https. Every change is a POST that
must carry the session's CSRF token (a form field, or the ``X-CSRF-Token`` header). Pages are Jinja2
templates with autoescaping and a Content-Security-Policy that allows only this site's own script.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from chatops.errors import CompassError
from digests.html import to_html

if TYPE_CHECKING:
    from chatops.review import Draft, Reviewer
    from chatops.service import Compass

__all__ = ["create_app"]

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
SESSION_AGE = 8 * 3600
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
MAX_TEXT = 200_000  # characters of an edited draft


def create_app(compass: Compass) -> Starlette:
    """The review page's ASGI app, to mount at ``/review``."""
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    secure = (compass.config.server.public_url or "").startswith("https://")
    for name in ("base.html", "message.html", "signin.html", "list.html", "draft.html"):
        env.get_template(name)  # compiled at start-up, not by the first reviewer's request
    to_html("")  # builds the Markdown renderer now, likewise

    def page(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        values.setdefault("who", _who(request))
        values.setdefault("csrf", request.session.get("csrf", ""))
        values["base"] = request.scope.get("root_path", "")
        values["flash"] = request.session.pop("flash", None)
        html = env.get_template(template).render(**values)
        return HTMLResponse(html, status_code=status, headers=_headers())

    def refuse(request: Request, status: int, message: str) -> HTMLResponse:
        return page(request, "message.html", status=status, title="Not allowed", message=message)

    def signed_in(request: Request) -> Reviewer | None:
        from chatops.review import Reviewer as Who

        data = request.session.get("who")
        if not isinstance(data, dict):
            return None
        who = Who(email=data.get("email"), user_id=data.get("id"))
        return who if compass.is_reviewer(who) else None

    def need_sign_in(request: Request) -> HTMLResponse:
        return page(request, "message.html", status=401, title="Sign in",
                    message="Ask compass for a sign-in link: say `review` to it in Zulip (or in a direct message). "
                            "The link works once, for 15 minutes.")

    async def csrf_ok(request: Request) -> tuple[bool, dict[str, Any]]:
        expected = request.session.get("csrf")
        form: dict[str, Any] = {}
        sent = request.headers.get("x-csrf-token")
        if request.headers.get("content-type", "").startswith(("application/x-www-form-urlencoded", "multipart/")):
            form = dict(await request.form())
            sent = sent or form.get("csrf")
        ok = isinstance(expected, str) and isinstance(sent, str) and hmac.compare_digest(expected, sent)
        return ok, form

    async def signin(request: Request) -> Response:
        token = request.query_params.get("token", "")
        try:
            who = await run_in_threadpool(compass.redeem, token)
        except CompassError as exc:
            return refuse(request, 403, str(exc))
        request.session.clear()
        request.session["who"] = {"email": who.email, "id": who.user_id}
        request.session["csrf"] = secrets.token_urlsafe(32)
        # A page that moves on by itself: the SameSite=Strict cookie is sent on that same-site navigation.
        return page(request, "signin.html", title="Signed in")

    async def signout(request: Request) -> Response:
        ok, _ = await csrf_ok(request)
        if not ok:
            return refuse(request, 403, "This change was refused: the form's CSRF token is missing or wrong.")
        request.session.clear()
        return page(request, "message.html", title="Signed out", message="You are signed out.")

    async def index(request: Request) -> Response:
        who = signed_in(request)
        if who is None:
            return need_sign_in(request)
        drafts, publications = await run_in_threadpool(lambda: (compass.drafts(limit=50),
                                                                compass.recent_publications(20)))
        return page(request, "list.html", title="Drafts", drafts=drafts, publications=publications,
                    when=lambda d, m: _when(compass, d, m))

    def load(request: Request) -> Draft | None:
        try:
            review_id = int(request.path_params["review_id"])
        except (KeyError, ValueError):
            return None
        return compass.get_draft(review_id)

    async def draft_page(request: Request) -> Response:
        who = signed_in(request)
        if who is None:
            return need_sign_in(request)
        draft = await run_in_threadpool(load, request)
        if draft is None:
            return page(request, "message.html", status=404, title="No such draft",
                        message="There is no such draft; the list shows them all.")
        return page(request, "draft.html", **await run_in_threadpool(_draft_view, compass, draft, who))

    async def preview(request: Request) -> Response:
        if signed_in(request) is None:
            return JSONResponse({"error": "sign in first"}, status_code=401)
        ok, _ = await csrf_ok(request)
        if not ok:
            return JSONResponse({"error": "CSRF token missing or wrong"}, status_code=403)
        body = await request.json()
        text = str(body.get("text", ""))[:MAX_TEXT] if isinstance(body, dict) else ""
        # The draft's own text (the preview as the page opens) was rendered when it was stored; an edit in
        # progress is rendered now and not stored.
        review_id = int(request.path_params["review_id"])
        html = await run_in_threadpool(lambda: compass.draft_html(review_id, [text], store=False)[0])
        return JSONResponse({"html": html}, headers=_headers())

    async def act(request: Request) -> Response:
        who = signed_in(request)
        if who is None:
            return need_sign_in(request)
        ok, form = await csrf_ok(request)
        if not ok:
            return refuse(request, 403, "This change was refused: the form's CSRF token is missing or wrong. "
                                        "Reload the page and try again.")
        draft = await run_in_threadpool(load, request)
        if draft is None:
            return refuse(request, 404, "There is no such draft.")
        action = request.path_params["action"]
        reason = str(form.get("reason") or "").strip()[:500] or None
        version = _int(form.get("version"))

        def run() -> str:
            if action == "approve":
                return compass.approve(draft.digest, who, review_id=draft.id).message
            if action == "hold":
                return compass.hold(draft.digest, who, review_id=draft.id, reason=reason).message
            if action == "skip":
                return compass.skip(draft.digest, who, review_id=draft.id, reason=reason).message
            if action == "edit":
                return compass.edit(draft.id, str(form.get("text") or "")[:MAX_TEXT], who, version=version).message
            if action == "refresh":
                return compass.refresh(draft.id, who).message
            if action in ("take", "keep"):
                return compass.take_fresh(draft.id, who, take=action == "take", version=version).message
            return "Unknown action."

        try:
            message = await run_in_threadpool(run)
        except CompassError as exc:
            message = str(exc)
        request.session["flash"] = message
        base = request.scope.get("root_path", "")
        return RedirectResponse(f"{base}/drafts/{draft.id}", status_code=303)

    routes = [
        Route("/", index, methods=["GET"]),
        Route("/signin", signin, methods=["GET"]),
        Route("/signout", signout, methods=["POST"]),
        Route("/drafts/{review_id:int}", draft_page, methods=["GET"]),
        Route("/drafts/{review_id:int}/preview", preview, methods=["POST"]),
        Route("/drafts/{review_id:int}/{action:str}", act, methods=["POST"]),
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
    ]
    middleware = [Middleware(SessionMiddleware, secret_key=compass.web_secret, session_cookie="compass_review",
                             max_age=SESSION_AGE, same_site="strict", https_only=secure)]
    return Starlette(routes=routes, middleware=middleware)


def _headers() -> dict[str, str]:
    return {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store"}


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def _who(request: Request) -> str | None:
    data = request.session.get("who")
    if not isinstance(data, dict):
        return None
    return data.get("email") or (f"user {data['id']}" if data.get("id") is not None else None)


def _when(compass: Compass, digest: str, moment: Any) -> str:
    if moment is None:
        return ""
    try:
        zone = compass.config.digest_zone(compass.config.digest(digest))
    except CompassError:
        import datetime as dt

        zone = dt.UTC  # type: ignore[assignment]
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M %Z}"


def _draft_view(compass: Compass, draft: Draft, who: Reviewer) -> dict[str, Any]:
    """What draft.html shows: each target's rendering, the diff of newer notes, the history."""
    from chatops.review import diff_lines, shown_parts

    shown = [(key, status, post, shown_parts(key, post) if post is not None else ())
             for key, status, post in compass.as_published(draft)]
    html = iter(compass.draft_html(draft.id, [part for *_, parts in shown for part in parts]))  # stored with it
    targets: list[dict[str, Any]] = []
    for key, status, post, parts in shown:
        targets.append({"key": key, "status": status, "title": (post.topic or post.title) if post else None,
                        "parts": [next(html) for _ in parts]})
    events = compass.history(draft.id)
    return {
        "title": draft.title,
        "draft": draft,
        "targets": targets,
        "events": events,
        "diff": diff_lines(draft.original, draft.fresh) if draft.fresh is not None else None,
        "may_act": compass.is_reviewer(who, draft.digest) and draft.open,
        "when": lambda m: _when(compass, draft.digest, m),
    }
