"""Text that leaves the tool: file names that cannot escape a folder, cells that cannot become formulas."""
from __future__ import annotations

import re
import unicodedata

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutral_cell(value):
    """A value for a CSV or spreadsheet cell: text that a spreadsheet would run as a formula gets a leading '."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def safe_filename(text: str, fallback: str = "未命名") -> str:
    """A file name part: no path separators, no characters Windows refuses, no leading =+-@ or dots."""
    s = unicodedata.normalize("NFC", str(text))
    s = re.sub(r'[\x00-\x1f<>:"/\\|?*]', "_", s)
    s = s.replace("..", "_")
    s = s.lstrip("=+-@. _").rstrip(". ")
    return s[:80] or fallback
