#!/usr/bin/python3
"""Rendering check of the HTML progress report (docs/report.md "Checking the rendering").

Writes the synthetic report (report_fixture, on the real Bắc Giang district boundaries),
renders it with headless Chromium (scripts/render_report.sh, fixed window, no network) and
checks the PNG: its size, that it is not blank, and that every status colour of the map's
legend and gaps appears in its pixels. The PNG is decoded here with zlib (no imaging library).
"""
import argparse
import os
import re
import struct
import subprocess
import sys
import tempfile
import zlib

# geo::StatusColour: open, planned, cleared, awaiting_measurement, verified.
STATUS_COLOURS = {
    "open": (0xD7, 0x19, 0x1C),
    "planned": (0xFD, 0xAE, 0x61),
    "cleared": (0x2C, 0x7B, 0xB6),
    "awaiting_measurement": (0x7B, 0x32, 0x94),
    "verified": (0x1A, 0x96, 0x41),
}
WIDTH, HEIGHT = 900, 3600


def decode_png(data):
    """Returns (width, height, rows) with rows as lists of (r, g, b) tuples per pixel."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, width = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or colour not in (2, 6) or interlace != 0:
                raise ValueError(f"unsupported PNG: depth {depth} colour type {colour}")
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    prev = bytearray(stride)
    rows = []
    for y in range(height):
        start = y * (stride + 1)
        ftype = raw[start]
        line = bytearray(raw[start + 1:start + 1 + stride])
        if ftype == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif ftype == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev))
        elif ftype == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif ftype == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        elif ftype != 0:
            raise ValueError(f"bad filter type {ftype} in row {y}")
        rows.append(line)
        prev = line
    return width, height, bpp, rows


def check_readiness(text):
    """The readiness table's total row: of every district's six schools (report_fixture) two are
    in white zones, three covered and one uncertain, in the columns after the school count."""
    for label in ("White-zone schools", "Covered schools", "Uncertain schools"):
        assert f'<span class="en">{label}</span></th>' in text, f"no readiness column {label}"
    row = text.split('<tr class="total"><td class="k">Toàn tỉnh / Province</td>')[-1]
    cells = [int(c) for c in re.findall(r"<td>(\d+)</td>", row.split("</tr>")[0])]
    schools, white, covered, uncertain = cells[:4]
    assert schools > 0 and schools % 6 == 0, f"{schools} schools"
    assert (white, covered, uncertain) == (schools // 3, schools // 2, schools // 6), \
        f"readiness total {cells}: white zone, covered, uncertain of {schools} schools"
    print(f"readiness: {schools} schools, {white} white zone, {covered} covered, "
          f"{uncertain} uncertain")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fixture", required=True)
    ap.add_argument("--districts", required=True)
    ap.add_argument("--render", required=True)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        html = os.path.join(tmp, "report.html")
        png = os.path.join(tmp, "report.png")
        out = subprocess.run([args.fixture, args.districts, html], check=True,
                             capture_output=True, text=True).stdout
        print("fixture:", out.strip())
        size = os.path.getsize(html)
        assert 5_000 < size < 500_000, f"HTML report of {size} bytes"
        text = open(html, encoding="utf-8").read()
        for forbidden in ("<script", "src=", "href=", "@import", "url("):
            assert forbidden not in text, f"the report must be self-contained: found {forbidden}"
        check_readiness(text)
        subprocess.run([args.render, html, png, f"{WIDTH}x{HEIGHT}"], check=True)
        width, height, bpp, rows = decode_png(open(png, "rb").read())
    assert (width, height) == (WIDTH, HEIGHT), f"PNG is {width}x{height}"
    counts = {name: 0 for name in STATUS_COLOURS}
    wanted = {bytes(c): name for name, c in STATUS_COLOURS.items()}
    non_white = 0
    for line in rows:
        for x in range(0, len(line), bpp):
            px = bytes(line[x:x + 3])
            if px != b"\xff\xff\xff":
                non_white += 1
                name = wanted.get(px)
                if name:
                    counts[name] += 1
    print("pixels per status colour:", counts, "non-white:", non_white)
    assert non_white > 0.02 * width * height, "the page looks blank"
    for name, n in counts.items():
        # Each status has 10 gaps of 1.8 km (about 12 px square) plus its legend swatch.
        assert n >= 100, f"status colour {name} appears in only {n} pixels"
    print("report_render: ok")


if __name__ == "__main__":
    sys.exit(main())
