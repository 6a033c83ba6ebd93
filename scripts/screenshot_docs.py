"""`make docs-screenshot`: render Swagger UI (/v1/docs) in headless Chromium and save a screenshot.

A human check that the seller API's docs really render in a browser: the script starts `make local`
on a free port (with its own demo-tenant file, so .local/tenant.json is left alone), waits for
GET /_local/health, then runs headless Chromium twice against /v1/docs:

  --screenshot  writes the PNG (default docs/swagger-ui.png), which must be a PNG and not blank
  --dump-dom    the DOM after the scripts ran, which must hold the rendered title ("Huike seller
                API") and the operations (Swagger UI's `opblock` elements, e.g. /v1/customers)

Powertools inlines the swagger-ui bundle and the OpenAPI document into the page, so nothing is
fetched from a CDN: it renders offline. Needs Chromium (Debian: `apt-get install -y chromium`; or
set CHROMIUM to the browser's path). Only the standard library is used.

    python3 scripts/screenshot_docs.py [--output docs/swagger-ui.png] [--window-size 1280,1800]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zlib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_HINT = (
    "Chromium is needed to render Swagger UI. Install it with `apt-get install -y chromium` (Debian/Ubuntu), "
    "or set CHROMIUM to a Chromium/Chrome executable."
)
HEALTH_TIMEOUT_S = 180
CHROMIUM_TIMEOUT_S = 120
TITLE = "Huike seller API"
EXPECTED_PATH = "/v1/customers"


class Failure(Exception):
    """The check failed; the message says why."""


def find_chromium() -> str:
    override = os.environ.get("CHROMIUM")
    if override:
        found = shutil.which(override)
        if not found:
            raise Failure(f"CHROMIUM={override!r} is not an executable. {INSTALL_HINT}")
        return found
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise Failure(f"no Chromium found on PATH (tried {', '.join(BROWSERS)}). {INSTALL_HINT}")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def http_get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (a local http URL)
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class LocalServer:
    """`make local` on a free port, in its own process group so stopping it stops make and Python."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "make-local.log"
        self.env = {
            **os.environ,
            "HUIKE_PORT": str(self.port),
            "HUIKE_TENANT_FILE": str(workdir / "tenant.json"),
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        make = shutil.which("make")
        if not make:
            raise Failure("`make` is not on PATH")
        print(f"starting `make local` on {self.base_url} (log: {self.log_path})", flush=True)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 (fixed arguments)
                [make, "--no-print-directory", "local"],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + HEALTH_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise Failure(f"`make local` exited with {code} before it was healthy\n{self.log_tail()}")
            try:
                status, _ = http_get(f"{self.base_url}/_local/health", timeout=2)
            except OSError:
                status = 0
            if status == 200:
                return
            time.sleep(0.5)
        raise Failure(f"GET /_local/health was not 200 within {HEALTH_TIMEOUT_S}s\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        # SIGINT/SIGTERM to the group: infra.local stops its runtime cleanly on either.
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "--- make local (last lines) ---\n" + "\n".join(text.splitlines()[-lines:])


def run_chromium(chromium: str, workdir: Path, window_size: str, action: list[str], url: str) -> bytes:
    """One headless run with a fresh profile; returns stdout (the DOM for --dump-dom)."""
    profile = tempfile.mkdtemp(prefix="chromium-profile-", dir=workdir)
    command = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        f"--window-size={window_size}",
        "--virtual-time-budget=15000",
        *action,
        url,
    ]
    try:
        result = subprocess.run(  # noqa: S603 (fixed arguments)
            command, capture_output=True, timeout=CHROMIUM_TIMEOUT_S, check=False, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired as exc:
        raise Failure(f"Chromium did not finish within {CHROMIUM_TIMEOUT_S}s: {' '.join(action)}") from exc
    if result.returncode != 0:
        stderr = result.stderr.decode(errors="replace").strip().splitlines()[-15:]
        raise Failure(f"Chromium exited with {result.returncode} ({' '.join(action)}):\n" + "\n".join(stderr))
    return result.stdout


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit, non-interlaced RGB/RGBA PNG (what Chromium writes): width, height, pixel rows."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise Failure("the screenshot is not a PNG")
    offset, idat, header = 8, bytearray(), b""
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        offset += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    width, height, depth, color_type, _, _, interlace = struct.unpack(">IIBBBBB", header)
    channels = {2: 3, 6: 4}.get(color_type)
    if depth != 8 or channels is None or interlace:
        raise Failure(f"unexpected PNG format (depth {depth}, color type {color_type}, interlace {interlace})")
    raw = zlib.decompress(bytes(idat))
    stride = width * channels
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        if kind == 1:  # Sub
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif kind == 2:  # Up
            line = bytearray((a + b) & 0xFF for a, b in zip(line, previous, strict=True))
        elif kind == 3:  # Average
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:  # Paeth
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b = previous[i]
                c = previous[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                predictor = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + predictor) & 0xFF
        elif kind != 0:
            raise Failure(f"corrupt PNG (filter type {kind} on row {y})")
        rows.append(bytes(line))
        previous = line
    return width, height, rows


def check_png(path: Path) -> dict[str, object]:
    if not path.is_file() or path.stat().st_size == 0:
        raise Failure(f"Chromium wrote no screenshot ({path} is missing or empty)")
    data = path.read_bytes()
    width, height, rows = png_pixels(data)
    channels = len(rows[0]) // width
    colours: Counter[bytes] = Counter()
    for row in rows[::4]:  # every 4th row is plenty to tell a page from a blank one
        colours.update(row[i : i + 3] for i in range(0, len(row), channels))
    sampled = sum(colours.values())
    background, background_count = colours.most_common(1)[0]
    ink = 1 - background_count / sampled
    if len(colours) < 16 or ink < 0.01:
        raise Failure(
            f"the screenshot looks blank: {len(colours)} colours, {ink:.2%} of pixels differ from "
            f"the background #{background.hex()}"
        )
    return {"bytes": len(data), "width": width, "height": height, "colours": len(colours), "ink": ink}


def check_dom(dom: str, served: str) -> dict[str, int]:
    # The page inlines the OpenAPI document and swagger-ui's CSS/JS, so the title and the word
    # "opblock" are in it before anything renders: look for the elements Swagger UI creates.
    if not re.search(r'class="title"[^>]*>\s*' + re.escape(TITLE), dom):
        raise Failure(f"the rendered DOM has no title {TITLE!r}: Swagger UI did not render the API")
    paths = re.findall(r'class="opblock-summary-path"[^>]*data-path="([^"]+)"', dom)
    if EXPECTED_PATH not in paths:
        raise Failure(f"the rendered DOM has no operation {EXPECTED_PATH!r} (rendered: {sorted(set(paths))})")
    return {
        "opblock": dom.count("opblock"),
        "opblock_served": served.count("opblock"),
        "operations": len(paths),
        "paths": len(set(paths)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "swagger-ui.png", help="PNG to write")
    parser.add_argument("--window-size", default="1280,1800", help="WIDTH,HEIGHT of the headless window")
    args = parser.parse_args()
    try:
        chromium = find_chromium()
        with tempfile.TemporaryDirectory(prefix="huike-docs-") as tmp:
            workdir = Path(tmp)
            server = LocalServer(workdir)
            try:
                server.start()
                url = f"{server.base_url}/v1/docs"
                status, served = http_get(url)
                if status != 200:
                    raise Failure(f"GET /v1/docs returned {status}")
                shot = workdir / "swagger-ui.png"
                print(f"rendering {url} with {chromium}", flush=True)
                run_chromium(chromium, workdir, args.window_size, [f"--screenshot={shot}"], url)
                dom = run_chromium(chromium, workdir, args.window_size, ["--dump-dom"], url)
            finally:
                server.stop()
            png = check_png(shot)
            figures = check_dom(dom.decode(errors="replace"), served.decode(errors="replace"))
            args.output.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(shot, args.output)
    except Failure as exc:
        print(f"docs-screenshot FAILED: {exc}", file=sys.stderr)
        return 1
    print(
        f"wrote {args.output}: {png['bytes']} bytes, {png['width']}x{png['height']}, "
        f"{png['colours']} colours, {png['ink']:.1%} non-background pixels"
    )
    print(
        f"rendered DOM: {figures['opblock']} `opblock` occurrences ({figures['opblock_served']} in the served page's "
        f"inlined CSS/JS), {figures['operations']} operations on {figures['paths']} paths, "
        f"title {TITLE!r}, {EXPECTED_PATH} present"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
