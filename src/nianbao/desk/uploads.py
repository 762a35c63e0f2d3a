"""Uploads read while they stream: Starlette's multipart parser (python-multipart underneath), with every file's
size and the whole request's size counted as the bytes arrive, so an oversized upload is refused at the limit and
never held whole (a file part spools to disk past 1 MB)."""
from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from ..limits import LIMITS

FIELD_BYTES = 64 * 1024  # a text field (an explanation, a token) is never larger


class TooLarge(Exception):
    pass


class _BoundedParser(MultiPartParser):
    def __init__(self, *args, max_file_bytes: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_file_bytes = max_file_bytes
        self._part_bytes = 0

    def on_part_begin(self) -> None:
        super().on_part_begin()
        self._part_bytes = 0

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        self._part_bytes += end - start
        if self._current_part.file is not None and self._part_bytes > self.max_file_bytes:
            raise TooLarge()
        super().on_part_data(data, start, end)


async def _bounded(stream, limit: int):
    seen = 0
    async for chunk in stream:
        seen += len(chunk)
        if seen > limit:
            raise TooLarge()
        yield chunk


@dataclass
class Upload:
    name: str  # the browser's file name: shown and stored as text, never used as a path
    file: UploadFile


async def read_form(request: Request, max_files: int = 1, max_file_bytes: int | None = None) -> FormData:
    """The form of a POST, files included, within the limits: HTTPException 413 past them, 400 if malformed."""
    per_file = max_file_bytes or LIMITS.max_file_bytes
    total = per_file * max_files + FIELD_BYTES * 8
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > total:
        raise HTTPException(413)  # said up front: not a byte of it is read
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        return await _small_form(request, total)  # urlencoded, or no body at all
    parser = _BoundedParser(request.headers, _bounded(request.stream(), total), max_files=max_files,
                            max_fields=32, max_part_size=FIELD_BYTES, max_file_bytes=per_file)
    try:
        return await parser.parse()
    except TooLarge:
        for f in parser._files_to_close_on_error:
            f.close()
        raise HTTPException(413)
    except MultiPartException as e:
        raise HTTPException(400, f"表单无法读取（{e.message}）")


async def _small_form(request: Request, limit: int) -> FormData:
    body = bytearray()
    async for chunk in _bounded(request.stream(), min(limit, FIELD_BYTES * 8)):
        body += chunk
    from urllib.parse import parse_qsl

    return FormData(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def uploads(form: FormData, field: str = "file") -> list[Upload]:
    """The files a form carries under `field` (an empty file chooser sends a nameless empty part: skipped)."""
    return [Upload(f.filename or "", f) for f in form.getlist(field)
            if isinstance(f, UploadFile) and (f.filename or f.size)]


def chunks(upload: Upload, size: int = 1 << 20):
    """The uploaded file as the store takes it: an iterable of bytes, a megabyte at a time."""
    f = upload.file.file
    f.seek(0)
    return iter(lambda: f.read(size), b"")
