"""nianbao serve: the collection desk in the browser — the office's pages and every department's link, served by
uvicorn from one workspace folder."""
from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path

import click

from ..errors import NianbaoError

PASSWORD_ENV = "NIANBAO_DESK_PASSWORD_FILE"
DEMO_PASSWORD = "nianbao-demo-2025"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def trusted_proxies(values) -> list[str]:
    """The addresses (or networks) of the reverse proxies whose X-Forwarded-For / X-Forwarded-Proto the desk
    believes. None by default: uvicorn would otherwise believe them from 127.0.0.1, so any process on the machine
    could name a new client address with each login guess and never be throttled."""
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise NianbaoError(f"--proxy {value}：不是 IP 地址或网段（如 127.0.0.1、10.0.0.0/24）") from None
    return list(values)


def read_password_file(path) -> str:
    p = Path(path)
    try:
        pw = p.read_text(encoding="utf-8").splitlines()[0].strip() if p.stat().st_size < 4096 else ""
    except (OSError, IndexError, UnicodeDecodeError):
        raise NianbaoError(f"无法读取密码文件 {p}（应为 UTF-8 文本，第一行是密码）") from None
    return pw


def has_password(workspace: Path) -> bool:
    """Whether the workspace has its office password, creating nothing (a refusal leaves no empty folder)."""
    from ..desk.store import Desk

    if not (workspace / "desk.sqlite3").is_file():
        return False
    with Desk(workspace) as desk:
        return desk.has_password()


def first_password(password_file) -> str:
    """The office password a script gives for a first start, read and checked before anything is created."""
    from ..desk.access import check_password

    pw = read_password_file(password_file)
    try:
        check_password(pw)
    except NianbaoError as e:
        raise NianbaoError(f"密码文件 {password_file}：{e.message}") from None
    return pw


def _check_port(host: str, port: int):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as e:
            raise NianbaoError(f"无法在 {host}:{port} 上启动（{e.strerror or e}）：端口可能已被占用，可用 --port 换一个") \
                from None


def load_demo(workspace: Path, samples: Path):
    """A workspace preloaded with samples/: its key (so the samples' signatures verify), the 2025 roster, the
    returns, and the demo password."""
    from ..desk.store import Desk

    workspace.mkdir(parents=True, exist_ok=True)
    key = workspace / "office.key"
    if not key.exists():
        key.write_bytes((samples / "office.key").read_bytes())
    desk = Desk(workspace, workers=None)
    if not desk.has_password():
        desk.set_password(DEMO_PASSWORD)
    if desk.collection(2025) is None:
        desk.open_collection(2025, samples / "roster.csv")
        for f in sorted((samples / "returns").iterdir()):
            with open(f, "rb") as fh:
                desk.receive(2025, iter(lambda: fh.read(1 << 20), b""), f.name)
    return desk


@click.command("serve", help="启动收集台网页：办公室查看登记、下载汇总，各部门通过专用链接上传填报表。"
                            "WORKSPACE 是数据文件夹（默认 ./nianbao-desk）。")
@click.argument("workspace", required=False, type=click.Path(file_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址（设置办公室密码前只能是本机地址）")
@click.option("--port", default=8750, show_default=True, type=int, help="端口")
@click.option("--password-file", type=click.Path(dir_okay=False),
              help=f"首次启动时从此文件读取办公室密码（也可用环境变量 {PASSWORD_ENV}）")
@click.option("--public-url", help="写进填报链接的地址，如 https://nianbao.example.gov.cn（经反向代理时）")
@click.option("--proxy", "proxies", multiple=True, metavar="IP",
              help="反向代理（如 nginx）的地址，如 127.0.0.1：只相信它转发的客户端地址（X-Forwarded-For）；可写多次。"
                   "不设时不相信任何转发头")
@click.option("--demo", is_flag=True, help="打开一个预先载入 samples/ 示例的工作区，供试用")
def command(workspace, host, port, password_file, public_url, proxies, demo):
    import uvicorn

    from ..desk.app import create_app
    from ..desk.protocol import DeskProtocol
    from ..desk.store import DEFAULT_WORKSPACE, Desk

    ws = Path(workspace) if workspace else (Path("nianbao-desk-demo") if demo else DEFAULT_WORKSPACE)
    proxies = trusted_proxies(proxies)
    password_file = password_file or os.environ.get(PASSWORD_ENV)
    first = not demo and not has_password(ws)  # no office password yet: it comes from the file or the browser
    password = first_password(password_file) if first and password_file else None
    if first and password is None and not is_loopback(host):
        click.secho(f"错误：尚未设置办公室密码，不能在 {host} 上对外提供服务。请先在本机启动（--host 127.0.0.1）并在浏览器中"
                    f"设置密码，或用 --password-file 提供密码。", fg="red", err=True)
        raise SystemExit(2)
    _check_port(host, port)
    if demo:
        samples = Path("samples")
        if not (samples / "roster.csv").is_file():
            raise NianbaoError("找不到 samples/ 示例文件夹：请在项目根目录运行 nianbao serve --demo（或 make desk）")
        desk = load_demo(ws, samples)
    else:
        desk = Desk(ws, workers=None)  # uploads examined in worker processes: every core, and a crash costs one
    if password is not None and not desk.has_password():
        desk.set_password(password)
    shown_host = f"[{host}]" if ":" in host else host
    public_url = (public_url or f"http://{shown_host}:{port}").rstrip("/")
    app = create_app(desk, public_url)
    click.echo(f"年报收集台已启动，工作区 {ws.resolve()}")
    click.echo(f"请在浏览器中打开：http://{shown_host}:{port}/")
    if not desk.has_password():
        click.echo("首次使用：打开后先设置办公室密码。")
    if demo:
        click.echo(f"演示密码：{DEMO_PASSWORD}（各单位链接见登记表里的单位页面）")
    click.echo("按 Ctrl+C 停止。")
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=bool(proxies),
                forwarded_allow_ips=proxies or None, server_header=False, http=DeskProtocol, ws="none",
                timeout_graceful_shutdown=5)
