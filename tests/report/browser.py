"""Headless Chromium for the report tests: DOM dumps, screenshots, and a missing-glyph probe.

The probe draws each CJK character in its own cell of a grid, in a given font stack, next to a
reference cell holding a private-use character no font maps (it renders as the .notdef glyph, or
nothing). A character whose cell is blank or pixel-identical to the reference has no glyph: that
is what the "tofu" boxes of a machine without fonts-noto-cjk look like.
"""

from __future__ import annotations

import hashlib
import html
import os
import shutil
import struct
import subprocess
import zlib
from dataclasses import dataclass
from pathlib import Path

CELL = 48
COLUMNS = 32
NOTDEF = "\ue000"  # private use: mapped by no installed font


def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        raise RuntimeError(
            "chromium is not installed: `make browser` installs Debian's chromium and "
            "fonts-noto-cjk (make test runs it first)"
        )
    return path


def run_chromium(
    args: list[str], profile: Path, env: dict | None = None
) -> subprocess.CompletedProcess:
    command = [
        chromium(),
        "--headless",
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        "--disable-extensions",
        f"--user-data-dir={profile}",
        # file:// pages only; nothing is fetched (the report must not need the network)
        "--host-resolver-rules=MAP * ~NOTFOUND",
    ]
    if os.geteuid() == 0:
        command.append("--no-sandbox")  # Chromium refuses to run its sandbox as root
    proc = subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"chromium failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return proc


def dump_dom(page: Path, profile: Path) -> str:
    return run_chromium(["--dump-dom", page.as_uri()], profile).stdout


def screenshot(
    page: Path, out: Path, size: tuple[int, int], profile: Path, env: dict | None = None
) -> Path:
    run_chromium(
        [f"--screenshot={out}", f"--window-size={size[0]},{size[1]}", page.as_uri()], profile, env
    )
    if not out.is_file():
        raise RuntimeError(f"chromium wrote no screenshot to {out}")
    return out


@dataclass
class Image:
    width: int
    height: int
    channels: int
    rows: list[bytes]

    def cell(self, x: int, y: int, w: int, h: int) -> bytes:
        c = self.channels
        return b"".join(row[x * c : (x + w) * c] for row in self.rows[y : y + h])


def read_png(path: Path) -> Image:
    """Decode an 8-bit, non-interlaced RGB/RGBA PNG (what Chromium's screenshots are)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, [], None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + length
    assert header is not None
    width, height, depth, color, _, _, interlace = header
    assert depth == 8 and color in (2, 6) and interlace == 0, header
    channels = 4 if color == 6 else 3
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        if kind == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif kind == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev, strict=True))
        elif kind == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b, c = prev[i], prev[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        rows.append(bytes(line))
        prev = line
    return Image(width, height, channels, rows)


def missing_glyphs(
    chars: list[str], font_stack: str, workdir: Path, env: dict | None = None
) -> list[str]:
    """The characters of ``chars`` that render blank or as the .notdef box in ``font_stack``."""
    cells = [NOTDEF, *chars]
    rows = (len(cells) + COLUMNS - 1) // COLUMNS
    divs = "".join(
        f'<div style="left:{(i % COLUMNS) * CELL}px;top:{(i // COLUMNS) * CELL}px">'
        f"{html.escape(ch)}</div>"
        for i, ch in enumerate(cells)
    )
    page = workdir / "glyph_probe.html"
    page.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><style>"
        "html,body{margin:0;background:#fff}"
        f"div{{position:absolute;width:{CELL}px;height:{CELL}px;line-height:{CELL}px;"
        f"text-align:center;font-size:{CELL * 3 // 4}px;color:#000;font-family:{font_stack}}}"
        f"</style></head><body>{divs}</body></html>",
        encoding="utf-8",
    )
    shot = screenshot(
        page,
        workdir / "glyph_probe.png",
        (COLUMNS * CELL, rows * CELL),
        workdir / "profile",
        env,
    )
    image = read_png(shot)
    blank = image.cell(image.width - 1, image.height - 1, 1, 1) * (CELL * CELL)

    def digest(i: int) -> bytes:
        return hashlib.sha256(
            image.cell((i % COLUMNS) * CELL, (i // COLUMNS) * CELL, CELL, CELL)
        ).digest()

    notdef, empty = digest(0), hashlib.sha256(blank).digest()
    return [ch for i, ch in enumerate(chars, 1) if digest(i) in (notdef, empty)]


def fontconfig_without(fonts_dir: Path, workdir: Path) -> dict[str, str]:
    """Environment pointing fontconfig at one font folder only (e.g. an empty one)."""
    conf = workdir / "fonts.conf"
    cache = workdir / "fc-cache"
    cache.mkdir(exist_ok=True)
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        f"<dir>{html.escape(str(fonts_dir))}</dir><cachedir>{html.escape(str(cache))}</cachedir>"
        "</fontconfig>",
        encoding="utf-8",
    )
    return {"FONTCONFIG_FILE": str(conf), "FONTCONFIG_PATH": str(workdir)}
