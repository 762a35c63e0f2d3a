"""Bounds on what one input file may cost to read, and the readers that hold a file to them. Each bound can be
changed by an environment variable, e.g. NIANBAO_MAX_UNZIPPED_MB=500; README.md lists them."""
from __future__ import annotations

import io
import os
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from .errors import UnreadableFile


def _env(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


@dataclass(frozen=True)
class Limits:
    max_file_mb: int = _env("NIANBAO_MAX_FILE_MB", 50)  # the file on disk
    max_unzipped_mb: int = _env("NIANBAO_MAX_UNZIPPED_MB", 200)  # all zip members, decompressed
    max_members: int = _env("NIANBAO_MAX_MEMBERS", 2000)  # zip members
    max_ratio: int = _env("NIANBAO_MAX_RATIO", 500)  # decompressed / compressed, per member (zip bombs)
    max_files: int = _env("NIANBAO_MAX_FILES", 100_000)  # files under one folder given to check/collect

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_mb * 1024 * 1024

    @property
    def max_unzipped_bytes(self) -> int:
        return self.max_unzipped_mb * 1024 * 1024


LIMITS = Limits()


# ------------------------------------------------------------------------------------------ bounded reading
# a DTD declaration in UTF-8 or UTF-16 (either byte order), in any case: calamine's XML reader takes "<!doctype" too
DTD = re.compile(b"\\x00?".join(re.escape(bytes([c])) for c in b"<!DOCTYPE"), re.IGNORECASE)


def read_bounded(path: Path, limits: Limits = LIMITS, what: str = "文件") -> bytes:
    """The file's bytes, or UnreadableFile when it is a folder, empty, unreadable or larger than the limit."""
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise IsADirectoryError
        if size > limits.max_file_bytes:
            raise UnreadableFile(f"文件太大（{size / 1048576:.1f} MB，上限 {limits.max_file_mb} MB，"
                                 "可用环境变量 NIANBAO_MAX_FILE_MB 调整）")
        with open(path, "rb") as f:
            data = f.read(limits.max_file_bytes + 1)
    except IsADirectoryError:
        raise UnreadableFile(f"{path.name} 是文件夹，不是{what}") from None
    except OSError as e:
        raise UnreadableFile(f"无法读取文件：{e.strerror or e}") from None
    if not data:
        raise UnreadableFile("文件是空的（0 字节）")
    if len(data) > limits.max_file_bytes:  # grew while being read
        raise UnreadableFile(f"文件太大（上限 {limits.max_file_mb} MB）")
    return data


class BoundedZip:
    """A zip whose directory has been checked against the limits (member count, declared size, compression ratio),
    inflated a few members at a time: a reader inflates only the parts it needs, under one budget for the file.
    A member carrying a DTD is refused (no entity expansion, no external entities, whatever parser reads it later).
    Raises UnreadableFile."""

    def __init__(self, data, limits: Limits = LIMITS, what: str = "工作簿"):
        self.what = what
        self.limits = limits
        try:
            self.zf = data if isinstance(data, zipfile.ZipFile) else zipfile.ZipFile(io.BytesIO(data))
            self.infos = self.zf.infolist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
            raise UnreadableFile(f"{what}已损坏，无法解压（{e}）；请重新保存后提交") from None
        if len(self.infos) > limits.max_members:
            raise UnreadableFile(f"{what}包含 {len(self.infos)} 个部件，超过上限 {limits.max_members}，疑似恶意文件")
        declared = 0
        for i in self.infos:
            declared += i.file_size
            if i.file_size > 1 << 20 and i.file_size / max(i.compress_size, 1) > limits.max_ratio:
                raise UnreadableFile(f"部件 {i.filename} 的压缩比异常（{i.file_size // max(i.compress_size, 1)} 倍），"
                                     "疑似压缩炸弹，已拒绝读取")
        if declared > limits.max_unzipped_bytes:
            raise UnreadableFile(f"{what}解压后 {declared / 1048576:.0f} MB，超过上限 {limits.max_unzipped_mb} MB，"
                                 "已拒绝读取")
        self.budget = limits.max_unzipped_bytes
        self.names = {i.filename for i in self.infos}

    def inflate(self, want=None) -> dict[str, bytes]:
        """The members `want(name)` accepts (every member without it), inflated."""
        what, members = self.what, {}
        for info in self.infos:
            if info.is_dir() or (want is not None and not want(info.filename)):
                continue
            try:
                with self.zf.open(info) as f:
                    # never more than the header declares: zipfile inflates all it is asked for before cutting the
                    # result to the declared size, so a header that understates a member must not be trusted further
                    member = f.read(min(self.budget, info.file_size) + 1)
            except NotImplementedError:
                raise UnreadableFile(f"部件 {info.filename} 使用了不支持的压缩方式") from None
            except RuntimeError:  # zipfile's word for an encrypted member
                raise UnreadableFile(f"{what}的压缩包设置了密码，无法读取；请另存为不加密的文件") from None
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error) as e:
                raise UnreadableFile(f"{what}已损坏：部件 {info.filename} 无法解压（{e}）") from None
            self.budget -= len(member)
            if self.budget < 0:
                raise UnreadableFile(f"{what}解压后超过上限 {self.limits.max_unzipped_mb} MB，已拒绝读取")
            # anywhere in any member: a comment can push a DTD far down, and a part may have any name
            if b"!" in member and DTD.search(member):  # "!" first: a memchr, rare in XML outside declarations
                raise UnreadableFile(f"部件 {info.filename} 含有 DTD 声明（可能借此展开实体或读取本机文件），已拒绝读取")
            members[info.filename] = member
        return members


def unzip(data, limits: Limits = LIMITS, what: str = "工作簿", want=None) -> dict[str, bytes]:
    """Every member of a zip (or those `want(name)` accepts), inflated under the limits (see BoundedZip)."""
    return BoundedZip(data, limits, what).inflate(want)


def repack(members: dict[str, bytes]) -> bytes:
    """The members in a fresh uncompressed zip: what a library reads next is exactly what was bounded and checked
    above, whatever the original headers claimed."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()
