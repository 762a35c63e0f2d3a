"""Who a workbook is for, and proof that this office issued it.

The identity is stamped into a very hidden sheet of the template (cell values survive a save by Excel, WPS and
LibreOffice; tests/test_libreoffice_agreement.py proves it for LibreOffice) and signed with HMAC-SHA256 under the
office's key, so that check and collect can tell an edited identity, another office's template, another unit or
another year.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
from pathlib import Path

from .errors import NianbaoError

FIELDS = ("unit", "unit_code", "year", "layout", "template_version", "template_id", "generated_at", "office",
          "previous", "signature")
SIGNED = FIELDS[:-1]
MARKER = "nianbao-identity"
LABELS = {  # shown beside the values on the hidden sheet, for a person who unhides it
    "unit": "单位名称", "unit_code": "单位代码", "year": "报告年度", "layout": "格式版本",
    "template_version": "模板版本", "template_id": "模板编号", "generated_at": "生成时间", "office": "签发机关标识",
    "previous": "随模板下发的上年数据", "signature": "签名",
}
KEY_ENV = "NIANBAO_KEY_FILE"


def default_key_path() -> Path:
    if os.environ.get(KEY_ENV):
        return Path(os.environ[KEY_ENV])
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "nianbao" / "office.key"


def load_key(path: str | os.PathLike | None = None, create: bool = True) -> tuple[bytes, Path, bool]:
    """The office key: (key, path, created). Created on first use, readable by its owner only."""
    p = Path(path) if path else default_key_path()
    if p.is_file():
        text = p.read_text(encoding="ascii", errors="replace").strip()
        try:
            key = bytes.fromhex(text)
        except ValueError:
            raise NianbaoError(f"密钥文件 {p} 内容无效（应为十六进制文本）") from None
        if len(key) < 16:
            raise NianbaoError(f"密钥文件 {p} 太短")
        return key, p, False
    if not create:
        raise NianbaoError(f"找不到本办公室的密钥文件 {p}")
    key = os.urandom(32)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(key.hex() + "\n")
    except OSError as e:
        raise NianbaoError(f"无法创建密钥文件 {p}：{e.strerror or e}") from None
    return key, p, True


def office_id(key: bytes) -> str:
    """A public fingerprint of the key: tells which office issued a template without revealing the key."""
    return hashlib.sha256(b"nianbao-office:" + key).hexdigest()[:12]


def _payload(identity: dict) -> bytes:
    # last year's values (nianbao.last_year) are signed with the rest; a template without them signs what a
    # template signed before they existed, so those still verify
    fields = {k: str(identity.get(k, "") or "") for k in SIGNED}
    if not fields["previous"]:
        del fields["previous"]
    return json.dumps(fields, ensure_ascii=False, sort_keys=True).encode("utf-8")


def sign(identity: dict, key: bytes) -> dict:
    out = dict(identity, office=office_id(key))
    out["signature"] = hmac.new(key, _payload(out), hashlib.sha256).hexdigest()
    return out


def verify(identity: dict, key: bytes) -> str | None:
    """None when the identity is intact and ours; otherwise why not, in Chinese."""
    sig = str(identity.get("signature") or "")
    if not sig:
        return "模板没有签名（不是本办公室用 nianbao 签发的模板）"
    if str(identity.get("office") or "") != office_id(key):
        return "模板由其他机关签发（签发机关标识与本办公室的密钥不符）"
    good = hmac.new(key, _payload(identity), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(good, sig):
        return "模板的身份信息被改动过（签名不符）"
    return None
