"""A department's page, reached by its personal link /u/<token> (no account): its template, its upload and
verdict, its annotated copy, its earlier submissions and its explanations. A link shows its own unit only: every
submission is looked up through the link's unit and year, never by an id alone."""
from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route

from .uploads import chunks, read_form, uploads
from .views import submission_view
from .web import XLSX, attachment, check_csrf, render, sync


async def _unit(request: Request):
    found = await sync(request.app.state.desk.unit_for_token, request.path_params["token"])
    if found is None:
        raise HTTPException(404, "这个填报链接无效或已被撤销，请向区政务公开办索取新的链接。")
    return found  # (year, unit)


async def _own_submission(request: Request, year, unit):
    sub = await sync(request.app.state.desk.submission, request.path_params["sid"])
    if sub is None or sub.year != year or sub.unit != unit.code:
        raise HTTPException(404)  # another unit's (or the office's) submission does not exist for this link
    return sub


def _base(request: Request) -> str:
    return f"/u/{request.path_params['token']}"


async def _page(request: Request, year, unit, current):
    from .previous import unit_has

    desk = request.app.state.desk
    subs = await sync(desk.unit_submissions, year, unit.code)
    own = [s for s in subs if s.unit == unit.code]
    return render(request, "department.html", year=year, unit=unit, base=_base(request), current=current,
                  submissions=[submission_view(s) for s in reversed(own)], office=False,
                  last_year=await sync(unit_has, desk, year, unit))


async def unit_home(request: Request):
    year, unit = await _unit(request)
    return await _page(request, year, unit, None)


async def submission_page(request: Request):
    year, unit = await _unit(request)
    sub = await _own_submission(request, year, unit)
    return await _page(request, year, unit, submission_view(sub))


async def upload(request: Request):
    year, unit = await _unit(request)
    form = await read_form(request)
    check_csrf(request, form)
    files = uploads(form)
    if not files:
        raise HTTPException(400, "请先选择要上传的填报表文件")
    sub = await sync(request.app.state.desk.receive, year, chunks(files[0]), files[0].name, unit.code)
    return RedirectResponse(f"{_base(request)}/s/{sub.id}", 303)


async def explain(request: Request):
    year, unit = await _unit(request)
    sub = await _own_submission(request, year, unit)
    form = await read_form(request)
    check_csrf(request, form)
    rule = form.get("rule", "")
    if rule not in {f["rule"] for f in (sub.result or {}).get("findings", [])}:
        raise HTTPException(400, "这次提交没有这条问题")
    await sync(request.app.state.desk.set_explanation, sub.id, rule, form.get("text", "").strip()[:2000])
    return RedirectResponse(f"{_base(request)}/s/{sub.id}#explain-{rule}", 303)


async def template(request: Request):
    from . import exports

    year, unit = await _unit(request)
    name, data = await sync(exports.unit_template, request.app.state.desk, year, unit.code)
    return attachment(data, name, XLSX)


async def annotated(request: Request):
    from . import exports

    year, unit = await _unit(request)
    sub = await _own_submission(request, year, unit)
    name, data = await sync(exports.annotated, request.app.state.desk, sub.id)
    return attachment(data, name, XLSX)


routes = [
    Route("/u/{token}", unit_home),
    Route("/u/{token}/template", template),
    Route("/u/{token}/upload", upload, methods=["POST"]),
    Route("/u/{token}/s/{sid:int}", submission_page),
    Route("/u/{token}/s/{sid:int}/annotated", annotated),
    Route("/u/{token}/s/{sid:int}/explain", explain, methods=["POST"]),
]
