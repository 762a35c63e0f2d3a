"""Outputs are written atomically: into a temporary file beside the target, then renamed over it."""
from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path

from .errors import NianbaoError


_WHY = {errno.ENOSPC: "磁盘空间不足", errno.EDQUOT: "超出磁盘配额", errno.EROFS: "只读文件系统",
        errno.EACCES: "没有写入权限", errno.EPERM: "没有写入权限"}


def _why(e: OSError) -> str:
    return _WHY.get(e.errno, e.strerror or str(e))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike):
    """Yields a temporary path in the target's folder; on success it replaces the target in one rename."""
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as e:
        raise NianbaoError(f"无法写入输出文件夹 {target.parent}：{_why(e)}") from None
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; an output is an ordinary file
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    except OSError as e:
        raise NianbaoError(f"无法写入 {target}：{_why(e)}（未留下不完整的文件）") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def write_bytes(target, data: bytes) -> Path:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)


def write_text(target, text: str, encoding: str = "utf-8") -> Path:
    return write_bytes(target, text.encode(encoding))
