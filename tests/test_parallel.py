"""The process pool behind check and collect: a worker that dies costs one file, never the batch."""
from __future__ import annotations

import os

from nianbao.review import crashed, parallel_map


def _maybe_die(i: int) -> int:
    if i == 7:
        os._exit(70)  # as a crashing native library would: no exception, the process is gone
    return i * i


def test_a_dying_worker_costs_one_item_not_the_batch():
    out = list(parallel_map(_maybe_die, range(20), workers=2, on_crash=lambda i: -1))
    assert out == [-1 if i == 7 else i * i for i in range(20)]


def test_results_stay_in_order_with_one_process_too():
    assert list(parallel_map(abs, [-3, 2, -1], workers=1)) == [3, 2, 1]


def test_crashed_verdict_names_the_file_in_chinese(tmp_path):
    r = crashed(tmp_path / "x.xlsx")
    assert r["ok"] is False and "x.xlsx" in r["file"] and "进程" in r["error"]


def test_work_set_aside_runs_in_another_process_and_hands_back_its_result_or_error(tmp_path):
    import pytest

    from nianbao.errors import NianbaoError
    from nianbao.review import Aside

    here = os.getpid()
    job = Aside(lambda: (os.getpid(), (tmp_path / "x").write_text("写好了")))
    assert job.result()[0] != here and (tmp_path / "x").read_text() == "写好了"

    def refuse():
        raise NianbaoError("输出文件夹只读")

    with pytest.raises(NianbaoError, match="只读"):
        Aside(refuse).result()
    calls = []

    def dies_there():  # as a crashing library would in the child; here it finishes
        calls.append(os.getpid())
        if os.getpid() != here:
            os._exit(70)
        return "在本进程完成"

    assert Aside(dies_there).result() == "在本进程完成" and calls == [here]
