"""Outputs are written atomically: into a temporary file beside the target, then renamed over it."""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from .errors import NianbaoError


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
        raise NianbaoError(f"无法写入输出文件夹 {target.parent}：{e.strerror or e}") from None
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; an output is an ordinary file
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    except OSError as e:
        raise NianbaoError(f"无法写入 {target}：{e.strerror or e}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def write_bytes(target, data: bytes) -> Path:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
    return Path(target)


def write_text(target, text: str, encoding: str = "utf-8") -> Path:
    return write_bytes(target, text.encode(encoding))
