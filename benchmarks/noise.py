"""OCR-style damage of a Markdown report (a PDF run through OCR or a PDF-to-Markdown converter), for the rendition
matrix: what such output really does to the tables, never to the numbers' meaning.

- a long row label broken over two rows (the numbers on the first or on the second);
- a row's numbers on the next row, its label alone above them;
- a page break inside 表三: a page number (— 3 —) and the column headers printed again;
- the column headers garbled into generic names (数据1 … 数据N);
- a spurious header row (列1 | 列2 | …) inside a table;
- characters misread: 沭 → 沐 in the text (not the title), 〇 for the digit 0.
"""
from __future__ import annotations

import random
import re

_NUMBER_ROW = re.compile(r"^\|(?:[^|]*\|){2,}\s*$")


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _has_numbers(cells: list[str]) -> bool:
    return sum(bool(re.fullmatch(r"[\d.\-\\]+", c)) for c in cells) >= 1


def damage(md: str, rng: random.Random) -> str:
    lines = md.split("\n")
    out: list[str] = []
    tables = -1
    page = rng.randint(2, 5)
    in_table = False
    header_rows: list[str] = []
    broke_page = False
    for i, line in enumerate(lines):
        if not line.startswith("|"):
            in_table = False
            out.append(line if i == 0 else line.replace("沭", "沐"))
            continue
        if not in_table:
            in_table, tables, header_rows, broke_page = True, tables + 1, [], False
        if set(line.replace("|", "").strip()) <= set("-: "):
            out.append(line)
            continue
        cells = _cells(line)
        numbers = _has_numbers(cells)
        if not numbers:
            header_rows.append(line)
            if tables == 1 and "自然人" in line and rng.random() < 0.5:  # 表三's column headers, garbled
                k = 0
                for j, c in enumerate(cells):
                    if c:
                        k += 1
                        cells[j] = f"数据{k}"
                line = _row(cells)
            out.append(line)
            continue
        cells = [re.sub(r"0", "〇", c) if rng.random() < 0.15 and re.fullmatch(r"\d+", c) else c for c in cells]
        label_at = next((j for j, c in enumerate(cells) if c and not re.fullmatch(r"[\d.〇\-\\]+", c)), None)
        r = rng.random()
        if label_at is not None and len(cells[label_at]) >= 8 and r < 0.15:  # label broken over two rows
            label = cells[label_at]
            cut = rng.randint(3, len(label) - 3)
            first = [c if j < label_at else "" for j, c in enumerate(cells)]
            first[label_at] = label[:cut]
            second = ["" if j <= label_at else c for j, c in enumerate(cells)]
            second[label_at] = label[cut:]
            if rng.random() < 0.5:
                first, second = [*first[:label_at + 1], *cells[label_at + 1:]], [*["" for _ in cells]]
                second[label_at] = label[cut:]
            out += [_row(first), _row(second)]
        elif label_at is not None and r < 0.3:  # the numbers on the next row
            out.append(_row([c if j <= label_at else "" for j, c in enumerate(cells)]))
            out.append(_row(["" if j <= label_at else c for j, c in enumerate(cells)]))
        else:
            out.append(_row(cells))
        if tables == 1 and not broke_page and rng.random() < 0.12:  # a page break inside 表三
            broke_page = True
            out.append(f"— {page} —")
            out += header_rows[-2:]
        elif rng.random() < 0.03:
            out.append(_row([f"列{k + 1}" for k in range(len(cells))]))
    return "\n".join(out)
