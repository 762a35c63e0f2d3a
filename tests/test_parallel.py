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
