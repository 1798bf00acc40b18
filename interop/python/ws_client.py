#!/usr/bin/python3
"""Interop client for wsloop using the Python `websockets` library (Debian python3-websockets).

Usage: ws_client.py BASE_URL {on|off|limits}
  BASE_URL  ws://127.0.0.1:PORT (the server's /echo and /chat are used)
  on|off    whether the server was started with -compress
  limits    the server runs with -max-message 65536: checks the 1009 close only
  hold      opens /echo and /chat, prints "connected", and waits (60 s at most) for the
            server to close both with 1001 as it shuts down

Prints "ok <case>" per passed case, then "PASS <n> cases"; on the first failure prints
"FAIL <case>: <error>" and exits 1. Every network wait is bounded by a timeout.
"""

import asyncio
import os
import ssl
import sys

import websockets

TIMEOUT = 10  # seconds, for each receive / close / handshake
MAX_SIZE = 4 << 20


async def recv(ws):
    return await asyncio.wait_for(ws.recv(), TIMEOUT)


def tls_context(url):
    """wss:// against the server's -tls-self-signed certificate: no CA to verify."""
    if not url.startswith("wss://"):
        return None
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


async def connect(url, compression):
    return await websockets.connect(
        url,
        ssl=tls_context(url),
        compression="deflate" if compression else None,
        max_size=MAX_SIZE,
        open_timeout=TIMEOUT,
        close_timeout=TIMEOUT,
        ping_interval=None,  # keep the conversation deterministic
    )


def expect(cond, msg):
    if not cond:
        raise AssertionError(msg)


async def echo_case(base, compression, payload):
    ws = await connect(base + "/echo", compression)
    try:
        await ws.send(payload)
        got = await recv(ws)
        expect(type(got) is type(payload), f"type {type(got).__name__} != {type(payload).__name__}")
        expect(got == payload, f"echo mismatch: {len(got)} bytes back for {len(payload)}")
    finally:
        await ws.close()


async def case_text(base, c):
    await echo_case(base, c, "héllo wsloop ✓ " * 10)


async def case_binary(base, c):
    await echo_case(base, c, bytes(range(256)) * 16)


async def case_empty(base, c):
    await echo_case(base, c, "")


async def case_large(base, c):
    await echo_case(base, c, os.urandom(1 << 20))


async def case_large_text(base, c):
    # Compressible 1 MiB of text: exercises inflate/deflate with large windows.
    text = "".join(f"wsloop interop line {i}\n" for i in range(60000))[: 1 << 20]
    expect(len(text) == 1 << 20, f"built {len(text)} bytes")
    await echo_case(base, c, text)


async def case_fragmented(base, c):
    ws = await connect(base + "/echo", c)
    try:
        # websockets sends a message given as an iterable as one frame per item.
        await ws.send(["frag-", "ment", "ed ✓", ""])
        got = await recv(ws)
        expect(got == "frag-mented ✓", f"text fragments: got {got!r}")
        parts = [bytes([i]) * 1000 for i in range(5)]
        await ws.send(parts)
        got = await recv(ws)
        expect(got == b"".join(parts), f"binary fragments: got {len(got)} bytes")
        many = [bytes([i % 251]) * (i % 7 + 1) for i in range(2000)]  # 2000 small frames
        await ws.send(many)
        got = await recv(ws)
        expect(got == b"".join(many), f"2000 fragments: got {len(got)} bytes")
    finally:
        await ws.close()


async def case_ping(base, c):
    ws = await connect(base + "/echo", c)
    try:
        for data in (b"ping-0", b"", bytes(range(125))):  # 125 bytes: the largest control payload
            waiter = await ws.ping(data)
            await asyncio.wait_for(waiter, TIMEOUT)
        # The connection still echoes after control frames.
        await ws.send("after ping")
        expect(await recv(ws) == "after ping", "echo after ping failed")
    finally:
        await ws.close()


async def case_close_4000(base, c):
    ws = await connect(base + "/echo", c)
    await ws.send("bye soon")
    expect(await recv(ws) == "bye soon", "echo before close failed")
    await asyncio.wait_for(ws.close(code=4000, reason="bye"), TIMEOUT)
    expect(ws.close_code == 4000, f"server answered close code {ws.close_code}, want 4000")
    print(f"   close reason echoed: {ws.close_reason!r}")


async def case_close_normal(base, c):
    ws = await connect(base + "/echo", c)
    await asyncio.wait_for(ws.close(code=1000, reason=""), TIMEOUT)
    expect(ws.close_code == 1000, f"server answered close code {ws.close_code}, want 1000")


async def case_invalid_utf8(base, c):
    ws = await connect(base + "/echo", c)
    # A text frame that is not UTF-8: the server must close with 1007 (RFC 6455 8.1).
    await ws.write_frame(True, 0x1, b"ok \xff\xfe")
    await asyncio.wait_for(ws.wait_closed(), TIMEOUT)
    expect(ws.close_code == 1007, f"server closed with {ws.close_code}, want 1007")


async def case_oversize(base, c):
    ws = await connect(base + "/echo", c)
    await ws.send(b"x" * 1000)
    expect(await recv(ws) == b"x" * 1000, "small echo failed")
    await ws.send(os.urandom(100000))  # over -max-message 65536
    await asyncio.wait_for(ws.wait_closed(), TIMEOUT)
    expect(ws.close_code == 1009, f"server closed with {ws.close_code}, want 1009")


async def case_compression(base, c):
    ws = await connect(base + "/echo", True)  # always offer; the server decides
    try:
        ext = ws.response_headers.get("Sec-WebSocket-Extensions", "")
        negotiated = [e.name for e in ws.extensions]
        print(f"   Sec-WebSocket-Extensions: {ext!r}, extensions: {negotiated}")
        if c:
            expect("permessage-deflate" in ext, "server with -compress did not accept permessage-deflate")
            expect("permessage-deflate" in negotiated, "client did not activate permessage-deflate")
        else:
            expect(ext == "", "server without -compress answered an extension")
            expect(negotiated == [], "extension active without -compress")
        msg = "compress me " * 5000
        for _ in range(3):  # several messages: context takeover across messages
            await ws.send(msg)
            expect(await recv(ws) == msg, "compressed echo mismatch")
        await ws.send(b"\x00" * 70000)
        expect(await recv(ws) == b"\x00" * 70000, "compressed binary echo mismatch")
    finally:
        await ws.close()


async def case_chat(base, c):
    a = await connect(base + "/chat", c)
    b = await connect(base + "/chat", c)
    try:
        await asyncio.sleep(0.2)  # let both joins register
        await a.send('{"from":"py-a","text":"hello room"}')
        got_b = await recv(b)
        got_a = await recv(a)
        expect(got_b == '{"from":"py-a","text":"hello room"}', f"b got {got_b!r}")
        expect(got_a == got_b, f"sender got {got_a!r}")
    finally:
        await a.close()
        await b.close()


async def case_bad_path(base, c):
    try:
        ws = await connect(base + "/nope", c)
    except websockets.exceptions.InvalidStatusCode as e:
        expect(e.status_code == 404, f"status {e.status_code}, want 404")
        return
    await ws.close()
    raise AssertionError("upgrade to /nope succeeded")


CASES = [
    ("text", case_text),
    ("binary", case_binary),
    ("empty", case_empty),
    ("large-1MiB-binary", case_large),
    ("large-1MiB-text", case_large_text),
    ("fragmented", case_fragmented),
    ("ping-pong", case_ping),
    ("close-4000", case_close_4000),
    ("close-1000", case_close_normal),
    ("compression", case_compression),
    ("chat-broadcast", case_chat),
    ("bad-path-404", case_bad_path),
    ("invalid-utf8-1007", case_invalid_utf8),
]

LIMIT_CASES = [("oversize-1009", case_oversize)]


async def case_shutdown(base, c):
    conns = [await connect(base + "/echo", c), await connect(base + "/chat", c)]
    print("connected", flush=True)
    for ws in conns:
        await asyncio.wait_for(ws.wait_closed(), 60)
        print(f"   closed with {ws.close_code} {ws.close_reason!r}")
        expect(ws.close_code == 1001, f"server closed with {ws.close_code}, want 1001 (going away)")


HOLD_CASES = [("shutdown-1001", case_shutdown)]


async def main():
    if len(sys.argv) != 3 or sys.argv[2] not in ("on", "off", "limits", "hold"):
        print(__doc__, file=sys.stderr)
        return 2
    base, compression = sys.argv[1].rstrip("/"), sys.argv[2] == "on"
    cases = {"limits": LIMIT_CASES, "hold": HOLD_CASES}.get(sys.argv[2], CASES)
    print(f"websockets {websockets.__version__}, mode {sys.argv[2]}")
    for name, fn in cases:
        try:
            await asyncio.wait_for(fn(base, compression), 90)
        except Exception as e:  # report every failure kind with its name
            print(f"FAIL {name}: {type(e).__name__}: {e}")
            return 1
        print(f"ok {name}", flush=True)
    print(f"PASS {len(cases)} cases")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
