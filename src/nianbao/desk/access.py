"""Who may use the desk: the office's password, key, session secret and API tokens, and each unit's link.

Links: a unit's token is HMAC-SHA256(the workspace's link secret, "year|code|generation"), base64url (192 bits),
so the office can download 分发清单 with the same links again; only its SHA-256 is stored, indexed for look-up.
`Access` is a part of `store.Desk` (it uses the desk's db, lock, _tx and _one); see store's docstring for the API.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets

from ..errors import NianbaoError
from .records import UnitInfo

UNIT_PATH = "/u/"
MIN_PASSWORD = 10


def check_password(password: str):
    """Refuses (in Chinese) a password the office may not choose."""
    if len(password or "") < MIN_PASSWORD:
        raise NianbaoError(f"密码至少需要 {MIN_PASSWORD} 个字符")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def unit_url(public_url: str, token: str) -> str:
    return public_url.rstrip("/") + UNIT_PATH + token


class Access:
    # ------------------------------------------------------------------------------------------ the office
    def _secret(self, name: str) -> bytes:
        return self._secrets[name]

    def _load_secrets(self) -> dict[str, bytes]:
        with self._tx():
            for name in ("links", "session"):
                self.db.execute("INSERT OR IGNORE INTO secrets (name, value) VALUES (?, ?)",
                                (name, secrets.token_bytes(32)))
            return {n: bytes(v) for n, v in self.db.execute("SELECT name, value FROM secrets")}

    def has_password(self) -> bool:
        return self._one("SELECT 1 FROM office WHERE id = 1") is not None

    def set_password(self, password: str):
        """Sets (or changes) the office's password, argon2id-hashed; the office key is created with it."""
        from argon2 import PasswordHasher

        check_password(password)
        digest = PasswordHasher().hash(password)
        self.office_key()
        with self.lock, self._tx():
            self.db.execute("INSERT INTO office (id, password_hash, created_at) VALUES (1, ?, ?) "
                            "ON CONFLICT (id) DO UPDATE SET password_hash = excluded.password_hash",
                            (digest, _now().isoformat()))

    def verify_password(self, password: str) -> bool:
        from argon2 import PasswordHasher
        from argon2.exceptions import InvalidHashError, VerificationError

        row = self._one("SELECT password_hash FROM office WHERE id = 1")
        if row is None or not password:
            return False
        ph = PasswordHasher()
        try:
            ph.verify(row[0], password)
        except (VerificationError, InvalidHashError):
            return False
        if ph.check_needs_rehash(row[0]):
            with self.lock, self._tx():
                self.db.execute("UPDATE office SET password_hash = ? WHERE id = 1", (ph.hash(password),))
        return True

    def office_key(self) -> bytes:
        """The key templates are signed with (<workspace>/office.key; an existing one is kept)."""
        from ..identity import load_key

        if self._key is None:
            self._key = load_key(self.key_path, create=True)[0]
        return self._key

    def secret_key(self) -> bytes:
        return self._secret("session")

    def new_api_token(self) -> str:
        token = secrets.token_urlsafe(32)
        with self.lock, self._tx():
            self.db.execute("INSERT INTO api_tokens (hash, created_at) VALUES (?, ?)",
                            (sha(token), _now().isoformat()))
        return token

    def check_api_token(self, token: str) -> bool:
        return bool(token) and self._one("SELECT 1 FROM api_tokens WHERE hash = ?", sha(token)) is not None

    # ------------------------------------------------------------------------------------------ links
    def _token(self, year: int, code: str, generation: int) -> str:
        mac = hmac.new(self._secret("links"), f"{year}|{code}|{generation}".encode("utf-8"), hashlib.sha256)
        return base64.urlsafe_b64encode(mac.digest()[:24]).decode("ascii")

    def _unit_row(self, year: int, code: str):
        row = self._one("SELECT generation, revoked FROM units WHERE year = ? AND code = ?", int(year), str(code))
        if row is None:
            raise NianbaoError(f"{year} 年度的名单中没有单位代码“{code}”")
        return row

    def link_for(self, year: int, code: str) -> str | None:
        """The unit's link token (the same every time until it is revoked or renewed); None while revoked."""
        gen, revoked = self._unit_row(year, code)
        return None if revoked else self._token(int(year), str(code), gen)

    def unit_for_token(self, token: str) -> tuple[int, UnitInfo] | None:
        if not token or len(token) > 100:
            return None
        row = self._one("SELECT year, code, name, type, contact, generation, revoked FROM units WHERE link_hash = ?",
                        sha(token))
        return (row[0], UnitInfo(*row[1:6], bool(row[6]))) if row else None

    def revoke(self, year: int, code: str):
        self._unit_row(year, code)
        with self.lock, self._tx():
            self.db.execute("UPDATE units SET generation = generation + 1, revoked = 1, link_hash = NULL"
                            " WHERE year = ? AND code = ?", (int(year), str(code)))

    def renew(self, year: int, code: str) -> str:
        gen, _ = self._unit_row(year, code)
        token = self._token(int(year), str(code), gen + 1)
        with self.lock, self._tx():
            self.db.execute("UPDATE units SET generation = ?, revoked = 0, link_hash = ? WHERE year = ? AND code = ?",
                            (gen + 1, sha(token), int(year), str(code)))
        return token
