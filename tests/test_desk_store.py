"""The desk's storage: what it receives is kept as received and acknowledged only once durable; its register is
the register `nianbao collect` makes of the same files; links are unguessable and stored hashed."""
from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from helpers import run_cli, write_return
from nianbao.desk import exports
from nianbao.desk.store import Desk
from nianbao.errors import NianbaoError
from nianbao.formats import load_format
from nianbao.register import register_rows
from nianbao.sample_data import random_valid_values

YEAR = 2025
FMT = load_format("2021")
UNITS = [(f"D{i:02d}", f"测试区第{i}局") for i in range(1, 9)]


def _values(seed: int) -> dict:
    v = random_valid_values(FMT, random.Random(seed))
    return {k: 0 if k.startswith("t2.regulations.") else x for k, x in v.items()}


def _roster(folder: Path) -> Path:
    p = folder / "名单.csv"
    p.write_text("单位代码,单位名称,单位类型\n" + "".join(f"{c},{n},部门\n" for c, n in UNITS), encoding="utf-8")
    return p


def _desk(tmp_path) -> Desk:
    desk = Desk(tmp_path / "ws")
    desk.set_password("正确的办公室密码-123")
    desk.open_collection(YEAR, _roster(tmp_path))
    return desk


def _returns(folder: Path, key: bytes) -> list[Path]:
    """A month of uploads: passing, failing, resubmitted, misnamed, a stranger, last year's, a broken file."""
    out = []
    for n, (code, name) in enumerate(UNITS[:6], start=1):
        out.append(folder / f"{code}-{name}.xlsx")
        write_return(out[-1], _values(n), unit=name, code=code, key=key)
    bad = dict(_values(2), **{"t3.new.total": _values(2)["t3.new.total"] + 3})
    out.append(folder / "D02-更正前.xlsx")
    write_return(out[-1], bad, unit=UNITS[1][1], code="D02", key=key)
    out.append(folder / "D06-第二次.xlsx")
    write_return(out[-1], bad, unit=UNITS[5][1], code="D06", key=key)
    out.append(folder / f"D03-{UNITS[3][1]}.xlsx")  # D03's numbers under D04's name
    write_return(out[-1], _values(33), unit=UNITS[2][1], code="D03", key=key)
    out.append(folder / "外单位.xlsx")
    write_return(out[-1], _values(9), unit="区外单位", code="X9", key=key)
    out.append(folder / "D07-去年.xlsx")
    write_return(out[-1], _values(7), unit=UNITS[6][1], code="D07", key=key, year=YEAR - 1)
    out.append(folder / "损坏.xlsx")
    out[-1].write_bytes(out[0].read_bytes()[:1500])
    return out


def _chunks(path: Path, size: int = 4096):
    with open(path, "rb") as f:
        yield from iter(lambda: f.read(size), b"")


@pytest.fixture(scope="module")
def received(tmp_path_factory):
    base = tmp_path_factory.mktemp("desk")
    desk = _desk(base)
    files = _returns(base / "uploads", desk.office_key())
    random.Random(3).shuffle(files)
    subs = [desk.receive(YEAR, _chunks(p), p.name, unit=p.name.split("-")[0] if p.name[0] == "D" else None)
            for p in files]
    yield dict(base=base, desk=desk, files=files, subs=subs)
    desk.close()


def test_a_verdict_per_upload_as_check_gives_it(received):
    by_name = {s.filename: s for s in received["subs"]}
    assert by_name["D01-测试区第1局.xlsx"].status == "passed"
    assert by_name["D02-更正前.xlsx"].status == "failed"
    assert any(f["rule"] == "T3-02" for f in by_name["D02-更正前.xlsx"].errors)
    assert by_name["损坏.xlsx"].status == "unusable" and by_name["损坏.xlsx"].note.startswith("无法使用")
    assert by_name["D07-去年.xlsx"].status == "unusable"
    # D03's return sent through D03's link counts for D03, with the register's file-name note
    assert by_name[f"D03-{UNITS[3][1]}.xlsx"].note == ""
    rows = register_rows(received["desk"].register(YEAR))
    assert any(r[1] == "D03" and UNITS[3][1] in r[14] for r in rows)


def test_collect_on_the_received_files_gives_the_desks_register_summary_and_report(received, tmp_path):
    desk = received["desk"]
    write = exports.write_received(desk, YEAR, tmp_path / "收到的文件")
    assert len(write) == len(received["files"])
    out = tmp_path / "collect"
    r = run_cli("collect", tmp_path / "收到的文件", "--roster", received["base"] / "名单.csv", "--year", YEAR,
                "-o", out, "--key-file", desk.key_path, "--json", "--report-format", "html")
    assert r.returncode == 1, r.stderr  # failing and missing units
    assert json.loads(r.stdout) == json.loads(exports.register_json(desk, YEAR))
    assert r.stdout.encode("utf-8") == exports.register_json(desk, YEAR)
    units = {u["code"]: u["status"] for u in json.loads(r.stdout)["units"]}
    assert [units[c] for c in ("D01", "D03", "D04", "D05", "D07", "D08")] == ["passed"] * 4 + ["missing"] * 2
    from nianbao.xlsx_read import read

    (tmp_path / "desk-汇总.xlsx").write_bytes(exports.summary_xlsx(desk, YEAR))
    ours, theirs = read(tmp_path / "desk-汇总.xlsx"), read(out / "汇总.xlsx")
    assert ours.values == theirs.values and ours.values == desk.register(YEAR).summary
    name, html = exports.district_report(desk, YEAR, "html")
    assert html == (out / "报告" / name).read_bytes()
    assert (out / "登记表.xlsx").read_bytes() == exports.register_xlsx(desk, YEAR)


def test_the_register_is_rebuilt_from_stored_results_without_reading_a_file(received, monkeypatch):
    before = received["desk"].register(YEAR).to_json()

    def no(*a, **k):
        raise AssertionError("a stored file was read again")

    monkeypatch.setattr("nianbao.review.review_file", no)
    monkeypatch.setattr("nianbao.returns.examine", no)
    with Desk(received["desk"].workspace) as again:
        assert again.register(YEAR).to_json() == before
        assert again.register(YEAR).summary == received["desk"].register(YEAR).summary


def test_explanation_travels_into_the_register_and_survives_a_restart(tmp_path):
    desk = _desk(tmp_path)
    bad = dict(_values(5), **{"t3.new.total": -1})
    write_return(tmp_path / "x.xlsx", bad, unit=UNITS[0][1], code="D01", key=desk.office_key())
    sub = desk.receive(YEAR, _chunks(tmp_path / "x.xlsx"), "x.xlsx", unit="D01")
    rule = sub.errors[0]["rule"]
    desk.set_explanation(sub.id, rule, "=系统导出，已核实")
    with pytest.raises(NianbaoError):
        desk.set_explanation(sub.id, "NOPE", "x")
    row = next(r for r in register_rows(desk.register(YEAR)) if r[1] == "D01")
    assert row[13] == f"{rule}：=系统导出，已核实"
    desk.close()
    with Desk(tmp_path / "ws") as again:
        assert again.submission(sub.id).explanations == {rule: "=系统导出，已核实"}
        row = next(r for r in register_rows(again.register(YEAR)) if r[1] == "D01")
        assert row[13] == f"{rule}：=系统导出，已核实"
        assert [s.id for s in again.unit_submissions(YEAR, "D01")] == [sub.id]


def test_an_explanation_typed_through_another_desk_on_the_workspace_shows_at_once(tmp_path):
    running = _desk(tmp_path)  # the desk serving the office; `other`: a second worker or desk process on the folder
    bad = dict(_values(5), **{"t3.new.total": -1})
    write_return(tmp_path / "x.xlsx", bad, unit=UNITS[0][1], code="D01", key=running.office_key())
    sub = running.receive(YEAR, _chunks(tmp_path / "x.xlsx"), "x.xlsx", unit="D01")
    rule = sub.errors[0]["rule"]

    def shown() -> str:
        return next(r for r in register_rows(running.register(YEAR)) if r[1] == "D01")[13]

    assert shown() == ""
    with Desk(tmp_path / "ws") as other:
        other.set_explanation(sub.id, rule, "另一进程填写的说明")
        assert shown() == f"{rule}：另一进程填写的说明"
        assert running.submission(sub.id).explanations == {rule: "另一进程填写的说明"}
        other.set_explanation(sub.id, rule, "")
        assert shown() == "" and running.submission(sub.id).explanations == {}
    running.set_explanation(sub.id, rule, "本进程的说明")  # and the other way round, for the next desk that opens
    with Desk(tmp_path / "ws") as other:
        assert other.submission(sub.id).explanations == {rule: "本进程的说明"}
    running.close()


CHILD = textwrap.dedent("""
    import sys
    from pathlib import Path
    from nianbao.desk.store import Desk

    desk = Desk(sys.argv[1])
    for p in sorted(Path(sys.argv[2]).iterdir()):
        data = p.read_bytes()
        sub = desk.receive(2025, (data[i:i + 1000] for i in range(0, len(data), 1000)), p.name)
        print("ACK", sub.id, sub.sha256, flush=True)
""")


def test_killed_midway_every_acknowledged_upload_is_there_and_no_half_record(tmp_path):
    desk = _desk(tmp_path)
    key = desk.office_key()
    desk.close()
    uploads = tmp_path / "uploads"
    for n in range(50):
        code, name = UNITS[n % len(UNITS)]
        write_return(uploads / f"{n:02d}-{code}.xlsx", _values(100 + n), unit=name, code=code, key=key)
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path / "ws"), str(uploads)],
                             stdout=subprocess.PIPE, text=True)
    acked = {}
    for line in child.stdout:
        _, sid, sha = line.split()
        acked[int(sid)] = sha
        if len(acked) == 23:
            child.send_signal(signal.SIGKILL)
            break
    child.wait()
    assert child.returncode == -signal.SIGKILL
    with Desk(tmp_path / "ws") as again:
        stored = {s.id: s for s in again.submissions(YEAR)}
        for sid, sha in acked.items():
            assert stored[sid].sha256 == sha
            assert hashlib.sha256(again.blob_path(sha).read_bytes()).hexdigest() == sha
        for s in stored.values():  # no row without its blob
            assert hashlib.sha256(again.blob_path(s.sha256).read_bytes()).hexdigest() == s.sha256
        blobs = {p.name for p in again.files.glob("??/*")}
        assert {s.sha256 for s in stored.values()} <= blobs  # a half-written upload in incoming/ is never counted
        assert len(again.register(YEAR).to_json()["units"]) == len(UNITS)
        counted = sum(len(r.submissions) for r in again.register(YEAR).records)
        assert counted == len(stored) >= len(acked) and len(stored) < 50  # it did die midway


def test_blobs_are_content_addressed_and_never_overwritten(tmp_path):
    desk = _desk(tmp_path)
    write_return(tmp_path / "a.xlsx", _values(1), unit=UNITS[0][1], code="D01", key=desk.office_key())
    first = desk.receive(YEAR, _chunks(tmp_path / "a.xlsx"), "a.xlsx")
    blob = desk.blob_path(first.sha256)
    assert blob.parent.name == first.sha256[:2] and blob.read_bytes() == (tmp_path / "a.xlsx").read_bytes()
    st = blob.stat()
    second = desk.receive(YEAR, _chunks(tmp_path / "a.xlsx"), "a-again.xlsx")
    assert second.id != first.id and second.sha256 == first.sha256
    assert (blob.stat().st_ino, blob.stat().st_mtime_ns) == (st.st_ino, st.st_mtime_ns)
    assert len(desk.register(YEAR).record("D01").submissions) == 2
    desk.close()


def test_a_file_name_never_becomes_a_path(tmp_path):
    desk = _desk(tmp_path)
    write_return(tmp_path / "a.xlsx", _values(1), unit=UNITS[0][1], code="D01", key=desk.office_key())
    before = sorted(p for p in tmp_path.rglob("*"))
    sub = desk.receive(YEAR, _chunks(tmp_path / "a.xlsx"), "../../etc/passwd")
    evil = desk.receive(YEAR, _chunks(tmp_path / "a.xlsx"), "..\\..\\boot.ini")
    assert sub.filename == "passwd" and evil.filename == "boot.ini"
    assert "/" not in sub.file.split("/", 1)[1] and ".." not in sub.file
    made = sorted(set(tmp_path.rglob("*")) - set(before))
    assert all((tmp_path / "ws") in p.parents for p in made)
    assert not any(p.name in ("passwd", "boot.ini") for p in made)
    received = exports.write_received(desk, YEAR, tmp_path / "out")
    assert all((tmp_path / "out") in p.parents for p in received)
    desk.close()


def test_an_upload_past_the_limit_is_refused_while_streaming(tmp_path, monkeypatch):
    from nianbao.limits import Limits

    desk = _desk(tmp_path)
    monkeypatch.setattr("nianbao.desk.receiving.LIMITS", Limits(max_file_mb=1))
    pulled = []

    def endless():
        while True:
            pulled.append(1)
            yield b"\0" * (256 * 1024)

    with pytest.raises(NianbaoError, match="文件太大"):
        desk.receive(YEAR, endless(), "big.xlsx")
    assert len(pulled) == 5  # stopped at the first chunk past 1 MB: never the whole upload
    assert not list(desk.incoming_dir().iterdir()) and desk.submissions(YEAR) == []
    desk.close()


def _db_bytes(ws: Path) -> bytes:
    return b"".join(p.read_bytes() for p in ws.glob("desk.sqlite3*"))


def test_links_are_unguessable_stored_hashed_and_revocable(tmp_path):
    desk = _desk(tmp_path)
    tokens = {code: desk.link_for(YEAR, code) for code, _ in UNITS}
    assert len(set(tokens.values())) == len(UNITS)
    for t in tokens.values():
        assert len(t) >= 22 and len(base64.urlsafe_b64decode(t + "=" * (-len(t) % 4))) * 8 >= 128
    assert desk.link_for(YEAR, "D01") == tokens["D01"]  # the same link when 分发清单 is downloaded again
    year, unit = desk.unit_for_token(tokens["D02"])
    assert (year, unit.code) == (YEAR, "D02")
    altered = tokens["D02"][:-1] + ("B" if tokens["D02"].endswith("A") else "A")  # one character off
    assert desk.unit_for_token(altered) is None and desk.unit_for_token("") is None
    api = desk.new_api_token()
    assert desk.check_api_token(api) and not desk.check_api_token(api[:-1])
    data = _db_bytes(tmp_path / "ws")
    for secret in list(tokens.values()) + [api, "正确的办公室密码-123"]:
        assert secret.encode() not in data
    assert b"$argon2id$" in data
    assert desk.verify_password("正确的办公室密码-123") and not desk.verify_password("错误的办公室密码-123")
    desk.revoke(YEAR, "D02")
    assert desk.unit_for_token(tokens["D02"]) is None and desk.link_for(YEAR, "D02") is None
    new = desk.renew(YEAR, "D02")
    assert new != tokens["D02"] and desk.unit_for_token(new)[1].code == "D02"
    assert desk.unit_for_token(tokens["D02"]) is None
    desk.close()
    with Desk(tmp_path / "ws") as again:  # what the office handed out stays valid across restarts
        assert again.unit_for_token(tokens["D01"])[1].code == "D01"
        assert again.unit_for_token(new)[1].code == "D02"


def test_templates_zip_carries_each_units_link_and_signed_templates(tmp_path):
    import csv
    import io

    from nianbao.identity import verify
    from nianbao.xlsx_read import read

    desk = _desk(tmp_path)
    z = zipfile.ZipFile(io.BytesIO(exports.templates_zip(desk, YEAR, "https://gkb.example.gov.cn/")))
    rows = list(csv.DictReader(io.StringIO(z.read("分发清单.csv").decode("utf-8-sig"))))
    assert [r["单位代码"] for r in rows] == [c for c, _ in UNITS]
    for r in rows:
        token = r["填报链接"].removeprefix("https://gkb.example.gov.cn/u/")
        assert desk.unit_for_token(token)[1].code == r["单位代码"]
        (tmp_path / "t.xlsx").write_bytes(z.read(r["模板文件"]))
        filing = read(tmp_path / "t.xlsx")
        assert filing.unit_code == r["单位代码"] and verify(filing.identity, desk.office_key()) is None
    units, notice = exports.missing(desk, YEAR)
    assert len(units) == len(UNITS) and all(n in notice for _, n in UNITS)
    desk.close()


def test_desk_cli_open_and_token(tmp_path):
    ws = tmp_path / "ws"
    r = run_cli("desk", "open", ws, "--year", YEAR, "--roster", _roster(tmp_path), "-o", tmp_path / "清单.csv",
                "--public-url", "https://gkb.example.gov.cn")
    assert r.returncode == 0, r.stderr
    text = (tmp_path / "清单.csv").read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].endswith("填报链接") and text.count("https://gkb.example.gov.cn/u/") == len(UNITS)
    token = run_cli("desk", "token", ws).stdout.strip()
    with Desk(ws) as desk:
        assert desk.check_api_token(token)
        assert token.encode() not in _db_bytes(ws)
    for args, words in ((("desk", "open", ws, "--year", "1999", "--roster", tmp_path / "名单.csv"), "报告年度"),
                        (("desk", "open", ws, "--year", YEAR, "--roster", tmp_path / "无.csv"), "找不到名单"),
                        (("desk", "token", tmp_path / "没有"), "找不到工作区")):
        r = run_cli(*args)
        assert r.returncode == 2 and words in r.stderr and "Traceback" not in r.stderr


def test_many_uploads_at_once_examined_in_worker_processes(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from nianbao.collect import collect
    from nianbao.roster import read_roster

    desk = Desk(tmp_path / "ws", workers=2)
    desk.open_collection(YEAR, _roster(tmp_path))
    files = []
    for n in range(24):
        code, name = UNITS[n % len(UNITS)]
        files.append(tmp_path / "up" / f"{n:02d}-{code}.xlsx")
        write_return(files[-1], _values(200 + n), unit=name, code=code, key=desk.office_key())
    with ThreadPoolExecutor(12) as pool:
        subs = list(pool.map(lambda p: desk.receive(YEAR, _chunks(p), p.name, unit=p.name[3:6]), files))
    assert sorted(s.id for s in subs) == list(range(1, 25)) and all(s.status == "passed" for s in subs)
    exports.write_received(desk, YEAR, tmp_path / "got")
    again = collect(tmp_path / "got", read_roster(tmp_path / "名单.csv"), YEAR, desk.office_key(), workers=1)
    assert again.to_json() == desk.register(YEAR).to_json()
    assert again.summary == desk.register(YEAR).summary
    desk.close()


def test_what_a_resubmission_changed(tmp_path):
    desk = _desk(tmp_path)
    code, name = UNITS[0]
    first = _values(1)
    second = dict(first, **{"t4.review.total": first["t4.review.total"] + 1,
                            "t4.review.upheld": first["t4.review.upheld"] + 1})
    subs = []
    for n, values in enumerate((first, second)):
        write_return(tmp_path / f"{n}.xlsx", values, unit=name, code=code, key=desk.office_key())
        subs.append(desk.receive(YEAR, _chunks(tmp_path / f"{n}.xlsx"), f"{n}.xlsx", unit=code))
    assert desk.changes(subs[0].id) == []
    lines = desk.changes(subs[1].id)
    assert len(lines) == 2 and all("→" in line for line in lines)
    assert [s.id for s in desk.unit_submissions(YEAR, code)] == [subs[0].id, subs[1].id]
    desk.close()


def test_leftovers_of_a_crash_in_incoming_are_cleared_and_fresh_ones_kept(tmp_path):
    desk = _desk(tmp_path)
    old_file, old_dir = desk.incoming_dir() / "up-old.part", desk.incoming_dir() / "tmp-old"
    fresh = desk.incoming_dir() / "up-fresh.part"
    old_file.write_bytes(b"half")
    (old_dir / "x").parent.mkdir()
    (old_dir / "x").write_bytes(b"half")
    fresh.write_bytes(b"being written by the running server")
    for p in (old_file, old_dir):
        os.utime(p, (1_600_000_000, 1_600_000_000))
    desk.close()
    with Desk(tmp_path / "ws") as again:
        assert sorted(p.name for p in again.incoming_dir().iterdir()) == ["up-fresh.part"]
