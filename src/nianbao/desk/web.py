"""What every page of the desk shares: the templates (Jinja2, autoescaped), the security headers, the Chinese error
pages, CSRF (WTForms' session CSRF: a token in every form, checked against the session) and who is asking."""
from __future__ import annotations

import secrets
import time
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from wtforms import Form
from wtforms.csrf.session import SessionCSRF

from ..errors import NianbaoError

HERE = Path(__file__).parent
ENV = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]),
                  trim_blocks=True, lstrip_blocks=True)

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
           (b"x-frame-options", b"DENY"), (b"referrer-policy", b"no-referrer"),
           (b"cross-origin-opener-policy", b"same-origin"), (b"cache-control", b"no-store")]

ERRORS = {  # status → (title, what to do)
    400: ("请求有误", "表单内容不完整或格式不对，请返回上一页重新提交。"),
    403: ("无权访问", "这个页面需要办公室登录，或您的链接无权查看这里的内容。"),
    404: ("找不到页面", "地址有误，或链接已被撤销。请向区政务公开办索取新的链接。"),
    405: ("不支持的操作", "这个地址不接受这种请求。请从页面上的按钮或链接进入。"),
    408: ("请求超时", "请求发送得太慢，连接已关闭。请检查网络后重新打开页面，或重新上传。"),
    413: ("文件太大", "上传的文件超过了允许的大小。请确认选对了文件（年度报告填报表通常不到 1 MB）。"),
    429: ("尝试次数过多", "登录失败次数过多，请稍后再试。"),
    500: ("系统出错", "处理请求时出了错，已记录。请稍后重试；若仍出错，请联系区政务公开办。"),
    503: ("收集台正忙", "同时访问的人太多，请稍等一两分钟后刷新页面重试。已经收下的文件不受影响。"),
}


class SecurityHeaders:
    """Pure ASGI: the headers go on every response, error pages and static files included."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [h for h in HEADERS if h[0] not in names]
            await send(message)

        await self.app(scope, receive, with_headers)


def render(request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
    context.setdefault("office", is_office(request))
    context["csrf"] = csrf_token(request)
    context["request"] = request
    return HTMLResponse(ENV.get_template(name).render(**context), status_code=status)


async def error_page(request: Request, exc: Exception) -> HTMLResponse:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    title, hint = ERRORS.get(status, (f"错误 {status}", ""))
    detail = getattr(exc, "detail", "") or ""
    detail = "" if detail.isascii() else detail  # Starlette's English reason phrases are not shown
    headers = getattr(exc, "headers", None) or {}
    if status == 405:
        headers = {}  # the allowed methods are not a visitor's business
    parts = request.url.path.split("/")
    back = f"/u/{parts[2]}" if len(parts) > 3 and parts[1] == "u" else None  # a link's sub-page: to its page
    response = render(request, "error.html", status, title=title, hint=hint, detail=detail, code=status,
                      office=False, back=back)
    response.headers.update(headers)
    return response


def _plain_error(status: int) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """The error page of `status` for an answer given before any request reached the app (see protocol.py): no
    session, no CSRF token; the connection is closed after it."""
    title, hint = ERRORS[status]
    body = ENV.get_template("error.html").render(title=title, hint=hint, code=status, office=False).encode()
    return [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"), *HEADERS], body


async def busy(scope, receive, send):
    """The answer of a crowded desk (503), without reading the request."""
    headers, body = _plain_error(503)
    await send({"type": "http.response.start", "status": 503, "headers": headers + [(b"retry-after", b"60")]})
    await send({"type": "http.response.body", "body": body})


def static_page(status: int) -> bytes:
    """The error page as the bytes of a whole HTTP answer, for a connection the app never saw (408)."""
    from http import HTTPStatus

    headers, body = _plain_error(status)
    lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}".encode()] + [k + b": " + v for k, v in headers]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


# ------------------------------------------------------------------------------------------------ store calls, files
def sync(func, *args, **kwargs):
    """A call into the store, off the event loop; its Chinese refusals become a 400 page."""

    async def run():
        try:
            return await run_in_threadpool(func, *args, **kwargs)
        except NianbaoError as e:
            raise HTTPException(400, e.message)

    return run()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def attachment(data: bytes, filename: str, media_type: str = "application/octet-stream") -> Response:
    """A download under its Chinese name (RFC 6266 filename*), with an ASCII fallback for old browsers."""
    ascii_name = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in filename)
    return Response(data, media_type=media_type, headers={
        "content-disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"})


# ------------------------------------------------------------------------------------------------ CSRF
class CsrfForm(Form):
    class Meta:
        csrf = True
        csrf_class = SessionCSRF
        csrf_field_name = "csrf_token"
        csrf_time_limit = None  # a department may keep its page open all day

    @classmethod
    def bind(cls, request: Request, formdata=None):
        return cls(formdata=formdata, meta={"csrf_secret": request.app.state.csrf_secret,
                                           "csrf_context": request.session})


def csrf_token(request: Request) -> str:
    return CsrfForm.bind(request).csrf_token.current_token


def check_csrf(request: Request, form) -> None:
    bound = CsrfForm.bind(request, form)
    if not bound.validate():
        raise HTTPException(403, "表单已过期或来源不明，请刷新页面后重新提交。")


# ------------------------------------------------------------------------------------------------ who asks
def is_office(request: Request) -> bool:
    return request.app.state.logins.valid(request.session.get("office"))


class Logins:
    """The office's open logins, by a random id the signed session cookie carries: a logout ends one on the
    server, so a copy of the cookie stops working with it (a restart of the desk ends them all)."""

    def __init__(self, max_age: float):
        self.max_age = max_age
        self.opened: dict[str, float] = {}

    def open(self) -> str:
        now = time.monotonic()
        self.opened = {k: t for k, t in self.opened.items() if now - t < self.max_age}
        login_id = secrets.token_urlsafe(32)
        self.opened[login_id] = now
        return login_id

    def valid(self, login_id) -> bool:
        t = self.opened.get(login_id) if isinstance(login_id, str) else None
        return t is not None and time.monotonic() - t < self.max_age

    def close(self, login_id) -> None:
        if isinstance(login_id, str):
            self.opened.pop(login_id, None)


class Throttle:
    """Failed logins per client address: after `free` failures the next attempt waits, doubling each time."""

    def __init__(self, free: int = 5, base_seconds: float = 2.0, cap_seconds: float = 900.0):
        self.free, self.base, self.cap = free, base_seconds, cap_seconds
        self.failures: dict[str, tuple[int, float]] = {}

    def wait(self, who: str) -> float:
        n, last = self.failures.get(who, (0, 0.0))
        if n < self.free:
            return 0.0
        return max(0.0, last + min(self.cap, self.base * 2 ** (n - self.free)) - time.monotonic())

    def failed(self, who: str) -> None:
        n, _ = self.failures.get(who, (0, 0.0))
        self.failures[who] = (n + 1, time.monotonic())
        if len(self.failures) > 10000:  # bounded: the oldest addresses are forgotten
            for k in sorted(self.failures, key=lambda k: self.failures[k][1])[:5000]:
                del self.failures[k]

    def refused(self, who: str) -> None:
        """The wait runs from the refusal the client saw, not from when its attempt came in: a password check slowed
        by a busy machine does not use up the wait."""
        if who in self.failures:
            self.failures[who] = (self.failures[who][0], time.monotonic())

    def succeeded(self, who: str) -> None:
        self.failures.pop(who, None)
