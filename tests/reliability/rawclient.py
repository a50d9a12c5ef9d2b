#!/usr/bin/env python3
"""Send hand-made (hostile) bytes to vzd and print what comes back.

rawclient.py SOCKET MODE [N]
  oversized-header  a length prefix over the 1 MiB limit, then a little body
  oversized-body    2 MiB of a real JSON body behind a matching prefix
  truncated         a prefix of 100 bytes, then 10 bytes, then EOF
  malformed         a well-framed body that is not JSON
  not-object        a well-framed JSON array
  unknown-op        a well-formed request for an operation that does not exist
  stall N           open N connections, send 1 byte on each, hold them 60 s
                    (prints "stalled N" once all are connected)
Prints the last reply's JSON on one line, or "ERROR <reason>"."""
import json
import socket
import struct
import sys
import time


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def read_replies(s):
    last = None
    buf = b""
    while True:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:
            return "ERROR connection reset (reply lost)"
        if not chunk:
            break
        buf += chunk
    while len(buf) >= 4:
        (n,) = struct.unpack(">I", buf[:4])
        if len(buf) < 4 + n:
            return "ERROR truncated reply"
        last = json.loads(buf[4:4 + n])
        buf = buf[4 + n:]
    return json.dumps(last) if last is not None else "ERROR no reply"


def send(path, data, shut=True):
    s = connect(path)
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass
    if shut:
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
    print(read_replies(s))


def frame(body):
    return struct.pack(">I", len(body)) + body


def main():
    path, mode = sys.argv[1], sys.argv[2]
    if mode == "oversized-header":
        send(path, struct.pack(">I", 64 * 1024 * 1024) + b'{"op":')
    elif mode == "oversized-body":
        body = json.dumps({"v": 1, "op": "version", "pad": "x" * (2 * 1024 * 1024)}).encode()
        send(path, frame(body))
    elif mode == "truncated":
        send(path, struct.pack(">I", 100) + b'{"v":1,"op')
    elif mode == "malformed":
        send(path, frame(b'{"v":1,"op":"version",,}'))
    elif mode == "not-object":
        send(path, frame(b'["version"]'))
    elif mode == "unknown-op":
        send(path, frame(b'{"v":1,"op":"format-disk","ctid":"101"}'))
    elif mode == "stall":
        conns = []
        for _ in range(int(sys.argv[3])):
            c = connect(path)
            c.send(b"\x00")
            conns.append(c)
        print("stalled %d" % len(conns), flush=True)
        time.sleep(60)
    else:
        sys.exit("unknown mode " + mode)


main()
