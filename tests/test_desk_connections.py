"""A real `nianbao serve` on loopback against what a process on the machine (or on the network) can do with the
connection itself: name its own client address in a header, send a request very slowly, open many at once."""
from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx

from desk_helpers import PASSWORD, Server, csrf_of, make_workspace


def _served(tmp_path, *extra) -> Server:
    make_workspace(tmp_path / "ws").close()
    return Server(tmp_path / "ws", extra=extra)


def _guesses(url: str, guesses: list[tuple[str, str]]) -> Counter:
    """Login attempts (password, the address its X-Forwarded-For names), each from a fresh browser session, all
    sent at once (the throttle counts an attempt before checking it: one after the other, they would race the
    throttle's first wait of 2 s on a slow machine)."""
    def prepared(forwarded_for):
        c = httpx.Client(base_url=url, headers={"x-forwarded-for": forwarded_for}, timeout=60)
        return c, csrf_of(c.get("/login").text)

    sessions = [prepared(ip) for _, ip in guesses]
    try:
        with ThreadPoolExecutor(len(guesses)) as pool:
            return Counter(pool.map(lambda s, pw: s[0].post("/login", data={"csrf_token": s[1], "password": pw,
                                                                            "next": "/office"}).status_code,
                                    sessions, [pw for pw, _ in guesses]))
    finally:
        for c, _ in sessions:
            c.close()


def test_a_new_forwarded_address_for_every_guess_is_throttled_all_the_same(tmp_path):
    server = _served(tmp_path)
    try:
        answers = _guesses(server.url, [(f"猜测的密码-{i:04d}", f"10.9.0.{i + 1}") for i in range(20)])
        assert answers[401] <= 5 and answers[429] >= 15, answers
    finally:
        server.stop()


def test_behind_the_named_proxy_each_forwarded_client_is_throttled_on_its_own(tmp_path):
    server = _served(tmp_path, "--proxy", "127.0.0.1")
    try:
        answers = _guesses(server.url, [(f"猜测的密码-{i:04d}", "10.1.1.1") for i in range(10)])
        assert answers[401] <= 5 and answers[429] >= 5, answers
        # another clerk behind the same proxy is not locked out by the guesser
        assert _guesses(server.url, [(PASSWORD, "10.2.2.2")]) == {303: 1}
    finally:
        server.stop()


def test_a_proxy_that_is_no_address_is_a_chinese_error(tmp_path):
    from test_desk_serve import serve

    r = serve(tmp_path / "ws", "--proxy", "nginx.local")
    assert r.returncode == 2 and "不是 IP 地址" in r.stderr and "Traceback" not in r.stderr
