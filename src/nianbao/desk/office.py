"""The office's pages (login required): collections per year, the live register, a unit's submissions, the drop of
many workbooks, the downloads and the list of units still missing."""
from __future__ import annotations

import functools
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ..register import STATUS
from .uploads import chunks, read_form, uploads
from .views import FILTERS, register_view, submission_view
from .web import DOCX, XLSX, attachment, check_csrf, is_office, render, sync

DROP_MAX_FILES = 200  # one drop; the office can drop again
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'"


def office_only(handler):
    """Pages send a visitor to the login page; downloads, the API and every POST answer 403."""

    @functools.wraps(handler)
    async def guarded(request: Request):
        if not is_office(request):
            if request.method == "GET" and getattr(handler, "page", False):
                return RedirectResponse("/login?next=" + quote(request.url.path, safe="/"), 303)
            raise HTTPException(403)
        return await handler(request)

    return guarded


def page(handler):
    handler.page = True
    return office_only(handler)


async def _collection(request: Request):
    year = request.path_params["year"]
    info = await sync(request.app.state.desk.collection, year)
    if info is None:
        raise HTTPException(404, f"没有 {year} 年度的收集")
    return year, info


# ------------------------------------------------------------------------------------------------ pages
@page
async def collections(request: Request):
    desk = request.app.state.desk
    return render(request, "collections.html", collections=await sync(desk.collections))


@office_only
async def open_collection(request: Request):
    desk = request.app.state.desk
    form = await read_form(request)
    check_csrf(request, form)
    year = form.get("year", "").strip()
    files = uploads(form, "roster")
    if not year.isdigit() or not files:
        raise HTTPException(400, "请填写年度（如 2025）并选择名单文件（.csv 或 .xlsx）")
    roster = files[0]
    import tempfile
    from pathlib import Path

    suffix = Path(roster.name).suffix.lower()  # only the suffix: read_roster goes by it; the name is never a path
    if suffix not in (".csv", ".xlsx"):
        raise HTTPException(400, "名单须为 .csv 或 .xlsx 文件")
    with tempfile.TemporaryDirectory(dir=desk.incoming_dir()) as tmp:
        target = Path(tmp) / f"roster{suffix}"
        with open(target, "wb") as out:
            out.write(await roster.file.read())
        await sync(desk.open_collection, int(year), target)
    return RedirectResponse(f"/office/{int(year)}", 303)


async def _register(request: Request, template: str):
    year, info = await _collection(request)
    q = request.query_params
    status = q.get("status") if q.get("status") in STATUS else None
    page_no = int(q["page"]) if q.get("page", "").isdigit() else 1
    view = await run_in_threadpool(register_view, request.app.state.desk, year, status, page_no)
    if template == "register.html":
        from .previous import summary

        view["last_year"] = await sync(summary, request.app.state.desk, year)
    return render(request, template, year=year, info=info, filters=FILTERS, **view)


@page
async def register_page(request: Request):
    return await _register(request, "register.html")


@office_only
async def register_rows(request: Request):
    """The register's rows and progress line alone, for static/desk.js to refresh the page in place."""
    return await _register(request, "register_live.html")


@page
async def unit_page(request: Request):
    year, _ = await _collection(request)
    desk, code = request.app.state.desk, request.path_params["code"]
    unit = next((u for u in await sync(desk.units, year) if u.code == code), None)
    if unit is None:
        raise HTTPException(404, "名单中没有这个单位")
    subs = await sync(desk.unit_submissions, year, code)
    from .store import unit_url

    token = await sync(desk.link_for, year, code)
    link = unit_url(request.app.state.public_url, token) if token else None
    views = [dict(submission_view(s), changes=await sync(desk.changes, s.id)) for s in reversed(subs)]
    from .previous import unit_has

    return render(request, "office_unit.html", year=year, unit=unit, link=link, submissions=views,
                  has_earlier=len(subs) > 1, counted=await sync(_counted, desk, year, code),
                  last_year=await sync(unit_has, desk, year, unit))


def _counted(desk, year: int, code: str) -> str | None:
    """The register's name of the submission that counts for the unit (its latest genuine return)."""
    with desk.lock:
        rec = desk.register(year).record(code)
        return rec.latest.file if rec and rec.latest else None


@office_only
async def unit_link(request: Request):
    """Revoke a unit's link (it stops working at once), or give it a new one (the old one stops working)."""
    year, _ = await _collection(request)
    form = await read_form(request)
    check_csrf(request, form)
    action = {"revoke": request.app.state.desk.revoke, "renew": request.app.state.desk.renew}.get(form.get("action"))
    if action is None:
        raise HTTPException(400, "未知的操作")
    await sync(action, year, request.path_params["code"])
    return RedirectResponse(f"/office/{year}/unit/{quote(request.path_params['code'])}", 303)


@office_only
async def drop(request: Request):
    year, _ = await _collection(request)
    desk = request.app.state.desk
    form = await read_form(request, max_files=DROP_MAX_FILES)
    check_csrf(request, form)
    received = []
    for up in uploads(form):
        sub = await sync(desk.receive, year, chunks(up), up.name, None)
        received.append(submission_view(sub))
    if not received:
        raise HTTPException(400, "没有选择任何文件")
    return render(request, "drop.html", year=year, received=received)


@office_only
async def last_year(request: Request):
    """Last year's data of the collection: uploaded files (kept as blobs), the desk's previous collection, or none."""
    from . import previous

    year, _ = await _collection(request)
    desk = request.app.state.desk
    form = await read_form(request, max_files=previous.MAX_FILES)
    check_csrf(request, form)
    action = form.get("action")
    if action == "upload":
        kept = [(await sync(desk.keep, chunks(up)))[0] for up in uploads(form)]
        await sync(previous.set_files, desk, year, list(zip(kept, [up.name for up in uploads(form)])))
    elif action == "collection":
        await sync(previous.use_collection, desk, year)
    elif action == "clear":
        await sync(previous.clear, desk, year)
    else:
        raise HTTPException(400, "未知的操作")
    return RedirectResponse(f"/office/{year}#last-year", 303)


@page
async def missing_page(request: Request):
    year, _ = await _collection(request)
    from . import exports

    units, notice = await sync(exports.missing, request.app.state.desk, year)
    return render(request, "missing.html", year=year, units=units, notice=notice)


# ------------------------------------------------------------------------------------------------ downloads
DOWNLOADS = {  # name in the URL → (export function, file name, media type)
    "templates.zip": ("templates_zip", "{year}年度填报模板.zip", "application/zip"),
    "register.xlsx": ("register_xlsx", "{year}年度登记表.xlsx", XLSX),
    "sendbacks.zip": ("sendbacks_zip", "{year}年度退回表.zip", "application/zip"),
    "summary.xlsx": ("summary_xlsx", "{year}年度汇总.xlsx", XLSX),
    "register.json": ("register_json", "{year}年度登记.json", "application/json"),
}


@office_only
async def download(request: Request):
    year, _ = await _collection(request)
    from . import exports

    what, desk = request.path_params["what"], request.app.state.desk
    if what in ("report.docx", "report.html"):
        name, data = await sync(exports.district_report, desk, year, what.split(".")[1])
        return _report(data, name, what)
    if what not in DOWNLOADS:
        raise HTTPException(404)
    func, name, media = DOWNLOADS[what]
    args = (desk, year, request.app.state.public_url) if func == "templates_zip" else (desk, year)
    data = await sync(getattr(exports, func), *args)
    return attachment(data if isinstance(data, bytes) else data.encode(), name.format(year=year), media)


def _report(data: bytes, name: str, what: str) -> Response:
    """A report: the Word file to download, the HTML shown in the page (it is our own render, escaped there)."""
    if what.endswith(".html"):  # its styles are inline (a self-contained page); still no script at all
        return Response(data, media_type="text/html; charset=utf-8", headers={"content-security-policy": REPORT_CSP})
    return attachment(data, name, DOCX)


@office_only
async def unit_download(request: Request):
    year, _ = await _collection(request)
    from . import exports

    desk, code, what = request.app.state.desk, request.path_params["code"], request.path_params["what"]
    if what == "template":
        name, data = await sync(exports.unit_template, desk, year, code)
        return attachment(data, name, XLSX)
    if what in ("report.docx", "report.html"):
        name, data = await sync(exports.unit_report, desk, year, code, what.split(".")[1])
        return _report(data, name, what)
    raise HTTPException(404)


@office_only
async def submission_file(request: Request):
    """A stored upload as received, or its annotated copy."""
    from . import exports

    desk = request.app.state.desk
    sub = await sync(desk.submission, request.path_params["sid"])
    if sub is None:
        raise HTTPException(404)
    if request.path_params["kind"] == "annotated":
        name, data = await sync(exports.annotated, desk, sub.id)
        return attachment(data, name, XLSX)
    if request.path_params["kind"] == "original":
        data = await run_in_threadpool(desk.blob_path(sub.sha256).read_bytes)
        return attachment(data, sub.filename or f"{sub.id}.xlsx")
    raise HTTPException(404)


async def api_register(request: Request):
    """The register as `collect --json` prints it: for the office's session or `Authorization: Bearer TOKEN`."""
    desk = request.app.state.desk
    auth = request.headers.get("authorization", "")
    bearer = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
    if not is_office(request) and not (bearer and await sync(desk.check_api_token, bearer)):
        return JSONResponse({"error": "需要办公室登录或 API 令牌（Authorization: Bearer …）"}, 403)
    year = request.query_params.get("year", "")
    if not year.isdigit() or await sync(desk.collection, int(year)) is None:
        return JSONResponse({"error": f"没有 {year} 年度的收集"}, 404)
    register = await sync(desk.register, int(year))
    return JSONResponse(register.to_json())


routes = [
    Route("/office", collections),
    Route("/office/open", open_collection, methods=["POST"]),
    Route("/office/{year:int}", register_page),
    Route("/office/{year:int}/live", register_rows),
    Route("/office/{year:int}/drop", drop, methods=["POST"]),
    Route("/office/{year:int}/missing", missing_page),
    Route("/office/{year:int}/last-year", last_year, methods=["POST"]),
    Route("/office/{year:int}/download/{what}", download),
    Route("/office/{year:int}/unit/{code}", unit_page),
    Route("/office/{year:int}/unit/{code}/link", unit_link, methods=["POST"]),
    Route("/office/{year:int}/unit/{code}/download/{what}", unit_download),
    Route("/office/submission/{sid:int}/{kind}", submission_file),
    Route("/api/register", api_register),
]
