"""Bounds on what one input file may cost to read. Each can be changed by an environment variable, e.g.
NIANBAO_MAX_UNZIPPED_MB=500; README.md lists them."""
from __future__ import annotations

import os
from dataclasses import dataclass


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
