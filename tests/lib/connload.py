#!/usr/bin/env python3
"""tests/lib/connload.py: bounded connection load against approvald for the
integration tests (conn_abuse.sh, waiters_gone.sh). Every mode stops by
itself within --max seconds and prints one result line per connection or
one summary line; it asserts nothing (the shell test does).

  trickle  --count N --interval S: N connections that each send one byte of
           a request head every S seconds; prints "closed SECONDS" for each
           connection the server closed (and the status line it answered,
           if any), "open SECONDS" for each still open
           at --max. With --body (and --token-file): the head of a POST
           /v1/requests is sent whole, and its body trickles instead; a
           create answered 503 (a crowded pool) is started again, and its
           seconds count from then.
  hold     --count N --path P [--token-file F]: N connections that each send
           a complete GET request and wait; writes --ready FILE once all are
           sent, then holds them until --max or SIGTERM; prints
           "held N answered A closed C" at the end.
  reset    like hold, but once every connection is sent and --go FILE
           appears, resets them all at once (SO_LINGER 0 then close) and
           exits; prints "reset N".
  again    --count N --path P: N kept-alive connections that each ask P
           once; writes --ready FILE; once --go FILE appears asks P again
           on each (one after the other, 5 s each at most) and prints
           "CODE MS" per connection ("000 5000" when no answer came).

--src ADDR binds the source address; "--src 127.0.1.1+40" spreads the
connections round-robin over 40 loopback addresses from 127.0.1.1 on
(every 127/8 address is local on Linux).
"""
import argparse
import ipaddress
import os
import signal
import socket
import struct
import sys
import time


def sources(spec):
    if "+" in spec:
        base, n = spec.split("+", 1)
        first = ipaddress.IPv4Address(base)
        return [str(first + i) for i in range(int(n))]
    return [spec]


def connect(port, src):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.settimeout(10)
    s.connect(("127.0.0.1", port))
    s.setblocking(False)
    return s


def request(path, token):
    head = "GET %s HTTP/1.1\r\nHost: approvald.test\r\n" % path
    if token:
        head += "Authorization: Bearer %s\r\n" % token
    return (head + "\r\n").encode()


def closed_by_peer(s):
    """True when the peer closed or reset s (never blocks)."""
    try:
        data = s.recv(4096, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except BlockingIOError:
        return False
    except OSError:
        return True
    return data == b""


def do_trickle(a):
    srcs = sources(a.src)
    head = request("/healthz", None)
    token = None
    if a.body:
        with open(a.token_file) as f:
            token = f.read().strip()
        body = b'{"service":"sudo"' + b" " * 200 + b"}"
        post = ("POST /v1/requests HTTP/1.1\r\nHost: approvald.test\r\n"
                "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                "Content-Length: %d\r\n\r\n" % (token, len(body))).encode()
        head = body + b"\r\n"  # the trickled part; its last 2 bytes are never sent

    def open_one(i):
        s = connect(a.port, srcs[i % len(srcs)])
        if a.body:
            s.setblocking(True)
            s.sendall(post)
            s.setblocking(False)
        return s

    conns = [open_one(i) for i in range(a.count)]
    t0 = time.monotonic()
    start = [t0] * a.count
    sent = [0] * a.count
    done = [None] * a.count
    next_byte = t0
    while time.monotonic() - t0 < a.max and None in done:
        now = time.monotonic()
        for i, s in enumerate(conns):
            if done[i] is not None:
                continue
            gone = closed_by_peer(s)
            if not gone and now >= next_byte and sent[i] < len(head) - 2:  # never complete
                try:
                    s.send(head[sent[i]:sent[i] + 1])
                    sent[i] += 1
                except OSError:
                    gone = True
            if not gone:
                continue
            if a.body and answer_of(s, peek=True).split(" ")[1:2] == ["503"]:
                # a crowded pool answers a create 503 at once (the module
                # retries): start this one again, its deadline anew
                s.close()
                conns[i] = open_one(i)
                start[i], sent[i] = now, 0
                continue
            done[i] = now - start[i]
        if now >= next_byte:
            next_byte = now + a.interval
        time.sleep(0.05)
    for i, s in enumerate(conns):
        if done[i] is None:
            print("open %.1f" % (time.monotonic() - start[i]))
        else:
            print(("closed %.1f %s" % (done[i], answer_of(s))).rstrip())
        s.close()


def answer_of(s, peek=False):
    """The status line the server answered on s before it closed, or ""."""
    try:
        data = s.recv(4096, socket.MSG_DONTWAIT | (socket.MSG_PEEK if peek else 0))
    except OSError:
        return ""
    return data.split(b"\r\n", 1)[0].decode("latin-1") if data else ""


def open_many(a):
    srcs = sources(a.src)
    token = None
    if a.token_file:
        with open(a.token_file) as f:
            token = f.read().strip()
    req = request(a.path, token)

    def send_one(i):
        s = connect(a.port, srcs[i % len(srcs)])
        try:
            s.setblocking(True)
            s.sendall(req)
        except OSError:
            pass  # refused at accept: seen as closed below, and asked again
        s.setblocking(False)
        return s

    conns = [send_one(i) for i in range(a.count)]
    # A burst this size can meet approvald's crowded-pool rule: a long-poll
    # beyond the pool answered 503 at once (the module retries those). Ask
    # again for those, as the module would, so that every connection ends
    # up waiting; bounded by a.max. A connection asked again at once can
    # still find its predecessor counted against the per-peer cap (approvald
    # has not seen that close yet) and be closed at accept: ask again for
    # those too, after the next pause.
    t0 = time.monotonic()
    retried = True
    while retried and time.monotonic() - t0 < a.max:
        retried = False
        time.sleep(0.2)
        for i, s in enumerate(conns):
            try:
                data = s.recv(65536, socket.MSG_PEEK)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if data == b"" or data.startswith(b"HTTP/1.1 503") or data.startswith(b"HTTP/1.0 503"):
                s.close()
                conns[i] = send_one(i)
                retried = True
    if a.ready:
        with open(a.ready + ".tmp", "w") as f:
            f.write("%d\n" % len(conns))
        os.rename(a.ready + ".tmp", a.ready)
    return conns


def do_hold(a):
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    conns = open_many(a)
    t0 = time.monotonic()
    answered = closed = 0
    state = [0] * len(conns)  # 0 waiting, 1 answered, 2 closed
    while not stop and time.monotonic() - t0 < a.max:
        for i, s in enumerate(conns):
            if state[i] == 2:
                continue
            try:
                data = s.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if data:
                state[i] = 1
            else:
                state[i] = 2
        time.sleep(0.1)
    answered = sum(1 for x in state if x >= 1)
    closed = sum(1 for x in state if x == 2)
    print("held %d answered %d closed %d" % (len(conns), answered, closed))
    for s in conns:
        s.close()


def do_reset(a):
    conns = open_many(a)
    t0 = time.monotonic()
    while not os.path.exists(a.go):
        if time.monotonic() - t0 > a.max:
            print("reset 0 (no go file)")
            return
        time.sleep(0.05)
    linger = struct.pack("ii", 1, 0)
    for s in conns:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
        s.close()
    print("reset %d" % len(conns))


def ask(s, path):
    """One GET on the kept-alive s: (status code text, ms to the answer)."""
    s.setblocking(True)
    s.settimeout(5)
    t0 = time.monotonic()
    try:
        s.sendall(request(path, None))
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v.strip())
        while len(rest) < length:
            chunk = s.recv(65536)
            if not chunk:
                break
            rest += chunk
        code = head.split(b" ")[1].decode() if head.startswith(b"HTTP/") else "000"
    except OSError:
        return "000", 5000
    return code, int((time.monotonic() - t0) * 1000)


def do_again(a):
    srcs = sources(a.src)
    conns = []
    for i in range(a.count):
        s = connect(a.port, srcs[i % len(srcs)])
        ask(s, a.path)
        conns.append(s)
    with open(a.ready + ".tmp", "w") as f:
        f.write("%d\n" % len(conns))
    os.rename(a.ready + ".tmp", a.ready)
    t0 = time.monotonic()
    while not os.path.exists(a.go):
        if time.monotonic() - t0 > a.max:
            break
        time.sleep(0.05)
    for s in conns:
        print("%s %d" % ask(s, a.path))
        s.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["trickle", "hold", "reset", "again"])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--src", default="127.0.0.1")
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--interval", type=float, default=2.0)
    p.add_argument("--path", default="/healthz")
    p.add_argument("--token-file")
    p.add_argument("--body", action="store_true")
    p.add_argument("--ready")
    p.add_argument("--go")
    p.add_argument("--max", type=float, default=60.0)
    a = p.parse_args()
    if a.count < 1 or a.count > 5000 or a.max > 300:
        sys.exit("connload: --count 1..5000, --max at most 300")
    {"trickle": do_trickle, "hold": do_hold, "reset": do_reset, "again": do_again}[a.mode](a)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
