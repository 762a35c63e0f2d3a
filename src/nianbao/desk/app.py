"""The desk's web application: `create_app(desk, public_url)` → a Starlette app. Pages are rendered on the server
(Jinja2, autoescaped) and every action is a plain form, so all of it works without JavaScript; static/desk.js only
adds drag-and-drop and a live register."""
from __future__ import annotations

import hmac

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import NianbaoError
from . import department, office
from .uploads import read_form
from .web import HERE, Logins, SecurityHeaders, Throttle, check_csrf, error_page, is_office, render

SESSION_HOURS = 8


async def home(request: Request):
    return RedirectResponse("/office" if is_office(request) else "/login", 303)


async def healthz(request: Request):
    return PlainTextResponse("ok")


async def setup(request: Request):
    desk = request.app.state.desk
    if await run_in_threadpool(desk.has_password):
        return RedirectResponse("/login", 303)
    if not _on_this_machine(request):
        raise HTTPException(403, "办公室密码只能在运行收集台的电脑上设置：请在那台电脑的浏览器中打开 http://127.0.0.1 上的收集台，"
                                 "或用 --password-file 启动。")
    if request.method == "GET":
        return render(request, "setup.html")
    form = await read_form(request)
    check_csrf(request, form)
    pw = form.get("password", "")
    if pw != form.get("password2", ""):
        return render(request, "setup.html", 400, problem="两次输入的密码不一致")
    try:
        await run_in_threadpool(desk.set_password, pw)  # the store says what a password must be
    except NianbaoError as e:
        return render(request, "setup.html", 400, problem=e.message)
    _log_in(request)
    return RedirectResponse("/office", 303)


async def login(request: Request):
    desk = request.app.state.desk
    if not await run_in_threadpool(desk.has_password):
        return RedirectResponse("/setup", 303)
    nxt = request.query_params.get("next", "/office")
    if request.method == "GET":
        return render(request, "login.html", next=nxt)
    form = await read_form(request)
    check_csrf(request, form)
    throttle: Throttle = request.app.state.throttle
    who = request.client.host if request.client else "?"
    if throttle.wait(who) > 0:
        raise HTTPException(429)
    throttle.failed(who)  # counted before the check: attempts sent all at once are throttled too
    if not await run_in_threadpool(desk.verify_password, form.get("password", "")):
        throttle.refused(who)
        return render(request, "login.html", 401, problem="密码不正确", next=form.get("next", "/office"))
    throttle.succeeded(who)
    _log_in(request)
    return RedirectResponse(_local(form.get("next", "")), 303)


def _on_this_machine(request: Request) -> bool:
    """The first start's password is set from the desk's own machine: a loopback client (behind a reverse proxy,
    the forwarded address) asking for a loopback name (not a DNS name rebound to 127.0.0.1 by another site)."""
    from ..commands.serve import is_loopback

    host = request.url.hostname or ""
    return bool(request.client) and is_loopback(request.client.host) and is_loopback(host.strip("[]"))


def _local(path: str) -> str:
    """Where to go after the login: a path on this desk only ("//host" and "/\\host" lead elsewhere)."""
    return path if path.startswith("/") and not path.startswith(("//", "/\\")) else "/office"


def _log_in(request: Request):
    request.session.clear()  # a fresh session: nothing carried over from before the login
    request.session["office"] = request.app.state.logins.open()


async def logout(request: Request):
    form = await read_form(request)
    check_csrf(request, form)
    request.app.state.logins.close(request.session.get("office"))  # a copy of the cookie is no good either
    request.session.clear()
    return RedirectResponse("/login", 303)


def create_app(desk, public_url: str = "http://127.0.0.1:8750") -> Starlette:
    routes = [
        Route("/", home),
        Route("/healthz", healthz),
        Route("/setup", setup, methods=["GET", "POST"]),
        Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        *office.routes,
        *department.routes,
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    secure = public_url.startswith("https://")
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(SessionMiddleware, secret_key=desk.secret_key().hex(), session_cookie="nianbao_session",
                   max_age=SESSION_HOURS * 3600, same_site="lax", https_only=secure),
    ]
    handlers = {HTTPException: error_page, Exception: error_page}
    app = Starlette(routes=routes, middleware=middleware, exception_handlers=handlers)
    app.state.desk = desk
    app.state.public_url = public_url.rstrip("/")
    app.state.csrf_secret = hmac.new(desk.secret_key(), b"csrf", "sha256").digest()  # not the session's key
    app.state.throttle = Throttle()
    app.state.logins = Logins(SESSION_HOURS * 3600)
    return app
