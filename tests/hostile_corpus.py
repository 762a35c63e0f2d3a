"""Builders of broken and hostile inputs, made from valid returns at test time (no committed binaries)."""
from __future__ import annotations

import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Member:
    name: str
    deflated: bytes  # raw deflate stream
    crc: int
    size: int  # what the headers declare as the inflated size


def deflate(data: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def member(name: str, data: bytes) -> Member:
    return Member(name, deflate(data), zlib.crc32(data), len(data))


def members_of(path: Path) -> list[Member]:
    with zipfile.ZipFile(path) as z:
        return [member(i.filename, z.read(i)) for i in z.infolist()]


def repeated(name: str, head: bytes, chunk: bytes, total: int, tail: bytes = b"") -> Member:
    """A member inflating to ~`total` bytes (head + chunk repeated + tail), built without ever holding it:
    after a full flush deflate forgets its history, so every copy of the chunk compresses to the same bytes."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    parts = [c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)]
    block = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    n = max(1, (total - len(head) - len(tail)) // len(chunk))
    crc = zlib.crc32(head)
    for _ in range(n):
        crc = zlib.crc32(chunk, crc)
    parts += [block] * n
    parts.append(c.compress(tail) + c.flush())
    return Member(name, b"".join(parts), zlib.crc32(tail, crc), len(head) + n * len(chunk) + len(tail))


def write_zip(path: Path, members: list[Member]) -> Path:
    """A plain deflate zip written by hand, so that its headers can say whatever a test wants them to."""
    out, central = bytearray(), bytearray()
    for m in members:
        name = m.name.encode()
        offset = len(out)
        fields = struct.pack("<HHHHHIII", 20, 0x800, 8, 0, 0x21, m.crc, len(m.deflated), m.size)
        out += b"PK\x03\x04" + fields + struct.pack("<HH", len(name), 0) + name + m.deflated
        central += (b"PK\x01\x02" + struct.pack("<H", 20) + fields
                    + struct.pack("<HHHHHII", len(name), 0, 0, 0, 0, 0, offset) + name)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(out), 0)
    path.write_bytes(bytes(out + central + end))
    return path


def replaced(members: list[Member], name: str, data: bytes | Member) -> list[Member]:
    """The members with one replaced (or added at the end)."""
    new = data if isinstance(data, Member) else member(name, data)
    out = [new if m.name == name else m for m in members]
    return out if any(m.name == name for m in members) else out + [new]


def read_member(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read(name)


def sheet_part(path: Path, sheet: str) -> str:
    """The zip member that holds a sheet, through workbook.xml and its relationships."""
    import re

    wb = read_member(path, "xl/workbook.xml").decode()
    rels = read_member(path, "xl/_rels/workbook.xml.rels").decode()
    rid = re.search(rf'<sheet [^>]*name="{sheet}"[^>]*r:id="([^"]+)"', wb).group(1)
    target = re.search(rf'<Relationship [^>]*Id="{rid}"[^>]*Target="([^"]+)"', rels) or \
        re.search(rf'<Relationship [^>]*Target="([^"]+)"[^>]*Id="{rid}"', rels)
    t = target.group(1)
    return t.lstrip("/") if t.startswith("/") else "xl/" + t


def with_dtd(xml: bytes, dtd: bytes) -> bytes:
    """The XML part with a document type declaration after its XML declaration."""
    if xml.startswith(b"<?xml"):
        end = xml.index(b"?>") + 2
        return xml[:end] + dtd + xml[end:]
    return dtd + xml


BILLION_LAUGHS = (b'<!DOCTYPE sst [<!ENTITY lol "lol">'
                  + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                             for i in range(1, 10)) + b"]>")


def external_entity(target: str, root: str) -> bytes:
    return b'<!DOCTYPE %s [<!ENTITY xxe SYSTEM "file://%s">]>' % (root.encode(), target.encode())
