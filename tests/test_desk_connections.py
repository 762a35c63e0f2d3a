"""A real `nianbao serve` on loopback against what a process on the machine (or on the network) can do with the
connection itself: name its own client address in a header, send a request very slowly, open many at once."""
from __future__ import annotations

import select
import socket
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx

from desk_helpers import PASSWORD, YEAR, Server, csrf_of, free_port, make_workspace
from nianbao.desk.protocol import DeskProtocol


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
        # 5 free, then waits of 2, 4, 8 … s: a loaded machine spreading the guesses over seconds lets a few more in
        assert answers[401] <= 9 and answers[429] >= 11, answers
    finally:
        server.stop()


def test_behind_the_named_proxy_each_forwarded_client_is_throttled_on_its_own(tmp_path):
    server = _served(tmp_path, "--proxy", "127.0.0.1")
    try:
        answers = _guesses(server.url, [(f"猜测的密码-{i:04d}", "10.1.1.1") for i in range(16)])
        assert answers[401] <= 9 and answers[429] >= 7, answers
        # another clerk behind the same proxy is not locked out by the guesser
        assert _guesses(server.url, [(PASSWORD, "10.2.2.2")]) == {303: 1}
    finally:
        server.stop()


def test_a_proxy_that_is_no_address_is_a_chinese_error(tmp_path):
    from test_desk_serve import serve

    r = serve(tmp_path / "ws", "--proxy", "nginx.local")
    assert r.returncode == 2 and "不是 IP 地址" in r.stderr and "Traceback" not in r.stderr


# ------------------------------------------------------------------------------------------------ slow requests
def _held(port: int, first: bytes, trickle: bytes, every: float, give_up: float) -> tuple[float, bytes]:
    """A connection that sends `first`, then `trickle` a byte every `every` seconds: how long the desk kept it
    open (`give_up` when it still was), and what it answered."""
    answer, start = b"", time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=give_up) as s:
        s.sendall(first)
        while time.monotonic() - start < give_up:
            if select.select([s], [], [], every)[0]:
                try:
                    data = s.recv(65536)
                except ConnectionResetError:
                    data = b""
                if not data:
                    return time.monotonic() - start, answer
                answer += data
            elif trickle:
                try:
                    s.sendall(trickle[:1])
                except OSError:
                    continue  # closed by the desk: recv says so next
                trickle = trickle[1:]
    return give_up, answer


def test_a_request_dribbling_its_headers_is_cut_off_and_the_desk_answers_others_meanwhile(tmp_path):
    bound = DeskProtocol.headers_seconds
    server = _served(tmp_path)
    try:
        with ThreadPoolExecutor(2) as pool:
            dribbling = pool.submit(_held, server.port, b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\n",
                                    b"X-Slow: " + b"a" * 200, 0.5, bound + 10)
            silent = pool.submit(_held, server.port, b"", b"", 0.5, bound + 10)
            time.sleep(2)
            started = time.monotonic()
            assert httpx.get(server.url + "/login", timeout=10).status_code == 200
            assert time.monotonic() - started < 5
            for held in (dribbling, silent):
                seconds, answer = held.result()
                assert seconds <= bound + 3, seconds
                assert answer.startswith(b"HTTP/1.1 408") and "请求超时".encode() in answer, answer[:200]
        assert httpx.get(server.url + "/healthz", timeout=10).status_code == 200
    finally:
        server.stop()


class _Short(DeskProtocol):
    """The desk's protocol with bounds a test can wait for."""
    headers_seconds, body_pause_seconds, body_seconds, max_connections = 5.0, 2.0, 4.0, 4


@contextmanager
def _desk_on(tmp_path, protocol):
    """The desk's app on a real uvicorn server on loopback, in this process, speaking `protocol`."""
    import uvicorn

    from nianbao.desk.app import create_app

    desk = make_workspace(tmp_path / "ws")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(desk), host="127.0.0.1", port=port, http=protocol, ws="none",
                                           lifespan="off", log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield desk, port
    finally:
        server.should_exit = True
        thread.join(15)
        desk.close()


def test_an_upload_whose_body_dribbles_or_stalls_is_cut_off_and_nothing_is_stored(tmp_path):
    with _desk_on(tmp_path, _Short) as (desk, port):
        head = (f"POST /u/{desk.link_for(YEAR, 'D01')}/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n"
                "Content-Type: multipart/form-data; boundary=B\r\n\r\n").encode()
        body = b'--B\r\nContent-Disposition: form-data; name="file"; filename="r.xlsx"\r\n\r\n' + b"x" * 1000
        # a byte every 0.3 s never pauses 2 s, but the whole body is due in 4 s
        seconds, _ = _held(port, head + body[:10], body[10:], 0.3, 20)
        assert 3.5 <= seconds <= 8, seconds
        seconds, _ = _held(port, head + body, b"", 0.3, 20)  # stalls: closed after a pause of 2 s
        assert 1.5 <= seconds <= 5, seconds
        assert desk.unit_submissions(YEAR, "D01") == []
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200


def test_a_crowded_desk_answers_503_in_chinese_and_recovers(tmp_path):
    with _desk_on(tmp_path, _Short) as (_, port):
        idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(_Short.max_connections - 1)]
        time.sleep(0.3)
        r = httpx.get(f"http://127.0.0.1:{port}/login", timeout=10)
        assert r.status_code == 503 and "收集台正忙" in r.text and r.headers["retry-after"]
        assert r.headers["content-security-policy"] and r.headers["connection"] == "close"
        for s in idle:
            s.close()
        time.sleep(0.3)
        assert httpx.get(f"http://127.0.0.1:{port}/login", timeout=10).status_code == 200
