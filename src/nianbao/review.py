"""One returned file → its verdict: read, check every rule, verify the stamped identity. Used by check and collect,
one file at a time or in a process pool (the result is a plain dict, so it crosses process boundaries)."""
from __future__ import annotations

import os
from pathlib import Path

from .errors import NianbaoError

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")


def sha256(path: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def review_file(path, previous=None, key: bytes | None = None, keep_filing: bool = False) -> dict:
    """{file, unit, unit_code, year, layout, ok, findings, ...}; unreadable files get `error` and ok False."""
    from .checks import check, has_errors
    from .filing import Finding
    from .identity import verify
    from .xlsx_read import read

    path = Path(path)
    result = {"file": str(path), "unit": None, "unit_code": None, "year": None, "layout": None, "ok": False,
              "findings": []}
    try:
        filing = read(path)
    except NianbaoError as e:
        result["error"] = e.message
        return result
    except Exception as e:  # a reader bug must not stop a batch; say what happened
        result["error"] = f"读取时出错（{type(e).__name__}: {e}）"
        return result
    idt = filing.identity
    notice = None
    if hasattr(previous, "match"):  # last year's units (a summary, a folder): this unit's, by code, then name
        stamped = getattr(filing, "previous", None)  # what its template carried, signed
        if stamped is not None and previous.stamped_first:
            previous = None
        else:
            previous = previous.match(idt.get("unit_code"), idt.get("unit"))
            if previous is None and stamped is None:
                from .last_year import absent

                notice = absent(filing.fmt, idt)  # said, never silently left unchecked
    elif previous is not None:  # the one file given: used for every return, said when it is another unit's
        from .last_year import other_unit

        notice = other_unit(filing.fmt, idt, previous)
    findings = check(filing, previous)
    if notice is not None:
        findings.append(notice)
    i01 = filing.fmt.rules["I01"]
    if not idt.get("unit"):
        findings.insert(0, Finding("I01", "error", i01.text("no_identity")))
    elif key is not None:
        problem = verify(idt, key)
        if problem and not getattr(filing, "identity_sheet", True):
            problem = i01.text("identity_sheet_gone", problem=problem, sheet=filing.fmt.workbook["identity"])
        if problem:
            findings.insert(0, Finding("I01", "error", problem))
    result.update(unit=idt.get("unit") or None, unit_code=idt.get("unit_code") or None, year=filing.year,
                  layout=filing.layout, ok=not has_errors(findings), findings=[f.to_dict() for f in findings],
                  template_id=idt.get("template_id"), generated_at=idt.get("generated_at"),
                  explanations=filing.explanations, container=getattr(filing, "container", "xlsx"))
    if keep_filing:
        result["sha256"] = filing.sha256
        result["properties"] = filing.properties
        result["values"] = filing.values
        result["raw"] = {k: v for k, v in filing.raw.items()}
    return result


def find_workbooks(paths, max_files: int | None = None) -> tuple[list[Path], list[str]]:
    """Every workbook under the given paths (folders recursively), sorted; and the paths that do not exist."""
    from .limits import LIMITS

    limit = max_files or LIMITS.max_files
    found, missing = [], []
    for p in map(Path, paths):
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs.sort()
                for name in sorted(files):
                    if name.startswith(("~$", ".~lock")):
                        continue  # Office / LibreOffice lock files
                    q = Path(root) / name
                    if q.suffix.lower() in WORKBOOK_SUFFIXES:
                        found.append(q)
                # a folder named like a workbook is reported, not walked into silently
                found += [Path(root) / d for d in dirs if Path(d).suffix.lower() in WORKBOOK_SUFFIXES]
                dirs[:] = [d for d in dirs if Path(d).suffix.lower() not in WORKBOOK_SUFFIXES]
                if len(found) > limit:
                    raise NianbaoError(f"{p} 下的工作簿超过 {limit} 个（可用环境变量 NIANBAO_MAX_FILES 调整）")
        elif p.exists():
            found.append(p)
        else:
            missing.append(str(p))
    return found, missing


def parallel_map(func, items, initializer=None, initargs=(), workers: int | None = None, on_crash=None):
    """func over items, results in order and streamed: a process pool on every core (at most 8) for a batch, one
    process for a few items or where no pool can start (a sandbox without /dev/shm). `initializer(*initargs)` sets
    per-process state (the office key, last year's filings) once instead of pickling it with every item.
    Should a worker die (a library crashing on a hostile file), the items not yet done are each run in a process
    of their own, and `on_crash(item)` stands in for the result of the one that kills it: one file, not the batch."""
    items = list(items)
    workers = workers if workers is not None else min(os.cpu_count() or 1, 8)
    done = 0
    if workers > 1 and len(items) >= 16:
        from concurrent.futures import ProcessPoolExecutor  # only here: it costs 15 ms to import
        from concurrent.futures.process import BrokenProcessPool

        try:
            with ProcessPoolExecutor(workers, initializer=initializer, initargs=initargs) as pool:
                for r in pool.map(func, items, chunksize=max(1, min(32, len(items) // (workers * 8)))):
                    done += 1
                    yield r
            return
        except BrokenProcessPool:
            for item in items[done:]:
                yield _isolated(func, item, initializer, initargs, on_crash)
            return
        except (OSError, PermissionError, NotImplementedError, RuntimeError):
            pass  # no process pool here: this process does the rest
    if initializer is not None:
        initializer(*initargs)
    for item in items[done:]:
        yield func(item)


class Aside:
    """func() in a forked process while the caller goes on (where fork exists; elsewhere it runs at result()).
    For work that needs everything read and nothing from the caller's next steps, e.g. the district summary
    while the register is written: the parent's core is otherwise idle after reading. result() returns what func
    returned, or raises its NianbaoError; should the process die, func runs again here."""

    def __init__(self, func):
        self.func, self.proc = func, None
        try:
            import multiprocessing

            ctx = multiprocessing.get_context("fork")
            self.receive, send = ctx.Pipe(duplex=False)
            self.proc = ctx.Process(target=self._run, args=(send,), daemon=True)
            self.proc.start()
            send.close()
        except (ValueError, OSError, RuntimeError):
            self.proc = None  # no fork here: run in this process

    def _run(self, send):
        try:
            send.send(("ok", self.func()))
        except NianbaoError as e:
            send.send(("nianbao", e.message))
        except BaseException as e:  # noqa: BLE001  the parent decides; nothing may escape a forked child
            send.send(("error", f"{type(e).__name__}: {e}"))

    def result(self):
        if self.proc is None:
            return self.func()
        try:
            kind, value = self.receive.recv()
        except (EOFError, OSError):
            kind, value = "died", None
        finally:
            self.proc.join()
            self.receive.close()
        if kind == "ok":
            return value
        if kind == "nianbao":
            raise NianbaoError(value)
        return self.func()  # it died or failed there: here its error is raised as it is


def _isolated(func, item, initializer, initargs, on_crash):
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    try:
        with ProcessPoolExecutor(1, initializer=initializer, initargs=initargs) as pool:
            return pool.submit(func, item).result()
    except BrokenProcessPool:
        if on_crash is None:
            raise
        return on_crash(item)


def crashed(path) -> dict:
    """The verdict for a file whose reading killed the process that read it."""
    return {"file": str(path), "unit": None, "unit_code": None, "year": None, "layout": None, "ok": False,
            "findings": [], "error": "读取时处理进程意外终止（文件可能已损坏或被恶意构造），请重新保存后提交"}


def preload():
    """Import what reviewing a file imports on first use, once here before the pool forks, rather than in every
    worker while it holds its first files."""
    import html  # noqa: F401  (formulas_in)

    import python_calamine  # noqa: F401

    from . import checks, identity, narrative_checks, narrative_numbers, xlsx_read  # noqa: F401


_PREVIOUS = None  # last year, set once per worker (a district's summary is too big to send with every file)


def _set_previous(previous):
    global _PREVIOUS
    _PREVIOUS = previous


def _work(args):
    return review_file(args[0], _PREVIOUS, *args[1:])


def review_many(paths, previous=None, key=None, keep_filing=False, workers: int | None = None):
    """Verdicts for many files, in the order of `paths`. `previous`: last year's Filing, or last year's units
    (last_year.LastYears, e.g. a district summary's breakdown) matched to each return."""
    preload()
    yield from parallel_map(_work, [(p, key, keep_filing) for p in paths], _set_previous, (previous,),
                            workers=workers, on_crash=lambda job: crashed(job[0]))
