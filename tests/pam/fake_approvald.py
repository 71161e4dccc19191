#!/usr/bin/env python3
"""fake_approvald.py MODEFILE PORTFILE LOGFILE TOKEN [CERT KEY]: a scripted stand-in
for approvald's host endpoints (docs/api.md), for tests/pam/test_pam_fake.sh.
It checks what the module sends (token, content type, body fields) and
answers per mode: the word in MODEFILE, read at each create. Every request
is logged as one line "METHOD PATH" to LOGFILE, anything it refuses as
"BAD reason"; the last context received goes to LOGFILE.ctx. The digest is
computed like common/wire.c approve_ctx_digest, independently of the
module (approve-v2 when the full-command fields are there). With CERT and KEY (PEM) it serves HTTPS. Every Authorization
header received is appended to LOGFILE.auth (the impostor tests assert that
none arrived). FAKE_LISTEN=unix:/PATH serves on a Unix socket instead of
127.0.0.1 (PORTFILE then just says "unix"), FAKE_LISTEN=tcp:PORT on that
127.0.0.1 port; FAKE_UID=N binds as the caller, then becomes uid N before
listen(), so SO_PEERCRED names N (the logs are opened before that).
It is the one fake approvald of the shell suites: tests/lib/harness.sh's
fake_server runs it too (tests/integration/failmode.sh, module_timeout.sh).
Modes at create: create_approved, create_denied, create_503 (503 twice,
then approved), create_500 (a hostile error detail), create_garbage_json
(JSON of the wrong shape), create_truncated_json (not JSON at all),
create_html, create_baddigest (pending with a wrong digest),
create_approved_baddigest (approved with a wrong digest), create_junk (bytes
that are not HTTP), create_close (closed without an answer), create_silent
(read, then never answered), notified (pending with the sinks approvers
were told through, then approved as "approve"), notified_bad (pending with
a control character in them); at wait: approve, approve_now, deny, hostile,
expire, cancelled, flaky, hang, sigint, wait_baddigest, wait_wrongid,
wait_404.
FAKE_KEYS=NAME=PEM,... names Ed25519 private keys for the signed modes
(sign_*): "good" is the one the test pins, the others per mode."""

import hashlib
import json
import os
import socket
import socketserver
import ssl
import stat
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEFILE, PORTFILE, LOGFILE, TOKEN = sys.argv[1:5]
FIELDS = {"service", "user", "uid", "target_user", "command", "sudo_command",
          "tty", "rhost", "cwd", "hostname", "reason", "ticket",
          "idempotency_key", "nonce", "requester_timeout",
          # reported and observed context (docs/agents.md)
          "agent", "run_url", "commit", "prompt", "observed_note", "ancestry",
          "loginuid", "audit_session", "tty_attached",
          # the requester's unix groups (policy group= rules; not in the digest)
          "groups"}
V3 = ("agent", "run_url", "commit", "prompt", "observed_note", "ancestry",
      "loginuid", "audit_session", "tty_attached")
for _c in ("command", "sudo_command"):
    FIELDS |= {_c + "_length", _c + "_shown", _c + "_truncated", _c + "_sha256"}
HOSTILE = "\x1b[31mred\x1b[0m \u202egnp.exe\x07\n second line"
lock = threading.Lock()
state = {"id": None, "digest": None, "waits": 0, "code": "K7Q-4MX",
         "cancelled": False, "mode": None}


# opened now: after FAKE_UID the files under the test's directory may be
# out of reach
LOGF = open(LOGFILE, "a", buffering=1)
AUTHF = open(LOGFILE + ".auth", "a", buffering=1)


with open(MODEFILE) as _f:
    START_MODE = _f.read().strip()


def log(line, f=LOGF):
    with lock:
        f.write(line + "\n")


def digest(ctx):
    """approve-v3 (v2 plus the reported and observed context) when any of
    those is there, else approve-v2 (the whole command bound by its sha256
    and length) when the module reported command_sha256, else approve-v1."""
    v3 = any(k in ctx for k in V3)
    v2 = v3 or "command_sha256" in ctx
    h = hashlib.sha256(b"approve-v3" if v3 else b"approve-v2" if v2 else b"approve-v1")
    uid = str(ctx["uid"])

    def field(v):
        if v is None:
            h.update(b"-")
        else:
            b = v.encode()
            h.update(b"%d:" % len(b) + b)

    for k in ("hostname", None, "user", "target_user", "service", "command",
              "sudo_command", "cwd", "tty"):
        field(uid if k is None else ctx.get(k))
        if v2 and k in ("command", "sudo_command"):
            sha = ctx.get(k + "_sha256")
            field(sha)
            field(None if sha is None else str(ctx[k + "_length"]))
    if v3:
        for k in ("agent", "run_url", "commit", "prompt"):
            field(ctx.get(k))
        anc = ctx.get("ancestry") or []
        field(str(len(anc)))
        for p in anc:
            field(str(p["pid"]))
            field(p.get("exe"))
            field(p.get("argv"))
        for k in ("loginuid", "audit_session"):
            field(None if ctx.get(k) is None else str(ctx[k]))
        t = ctx.get("tty_attached")
        field(None if t is None else ("1" if t else "0"))
        field(ctx.get("observed_note"))
    return h.hexdigest()


KEYS = {}
for _kv in filter(None, os.environ.get("FAKE_KEYS", "").split(",")):
    from cryptography.hazmat.primitives import serialization as _ser
    _name, _path = _kv.split("=", 1)
    with open(_path, "rb") as _f:
        KEYS[_name] = _ser.load_pem_private_key(_f.read(), None)


def key_id(k):
    from cryptography.hazmat.primitives import serialization as _ser
    raw = k.public_key().public_bytes(_ser.Encoding.Raw, _ser.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def canonical(body):
    """common/sig.c's answer bytes, written independently."""
    out = b"approve-answer-v1"
    for k in ("id", "digest", "status", "decided_by", "decided_at", "nonce",
              "expires_at"):
        v = body.get(k)
        if v is None:
            out += b"-"
        else:
            b = v.encode()
            out += b"%d:" % len(b) + b
    return out


def signed(body, key="good", over=None):
    """body with nonce, decided_at and a signature by KEYS[key]; over:
    fields that differ in what is signed (the body keeps its own)."""
    import base64
    body = dict(body, nonce=body.get("nonce", state.get("nonce")),
                decided_at="2026-12-01T10:00:00.000000Z")
    k = KEYS[key]
    msg = dict(body, **(over or {}))
    body["signature"] = base64.b64encode(k.sign(canonical(msg))).decode()
    body["key_id"] = key_id(k)
    return body


def status(st, **extra):
    body = {"id": state["id"], "code": state["code"], "status": st,
            "digest": state["digest"],
            "expires_at": "2030-01-01T00:00:00.000000Z"}
    body.update(extra)
    return body


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, code, body, ctype="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        # one write: the whole answer reaches the module in one segment
        head = ("HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %d"
                "\r\nConnection: close\r\n\r\n" % (code, ctype, len(data)))
        self.close_connection = True
        try:
            self.wfile.write(head.encode() + data)
        except (BrokenPipeError, ConnectionResetError):
            pass    # the module gave up on this long-poll (deadline, signal)

    def authorized(self):
        log(self.headers.get("Authorization", "(none)"), AUTHF)
        if self.headers.get("Authorization") != "Bearer " + TOKEN:
            log("BAD token")
            self.send(401, {"error": "unauthorized"})
            return False
        return True

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_POST(self):
        log("POST " + self.path)
        if not self.authorized():
            return
        raw = self.body()
        if self.path == "/v1/requests":
            return self.create(raw)
        if self.path == "/v1/requests/%s/cancel" % state["id"]:
            state["cancelled"] = True
            log("CANCEL %s" % raw.decode(errors="replace"))
            return self.send(200, status("cancelled"))
        self.send(404, {"error": "not_found"})

    def create(self, raw):
        ctype = self.headers.get("Content-Type", "")
        if not ctype.startswith("application/json"):
            log("BAD content type " + ctype)
        ctx = json.loads(raw)
        unknown = set(ctx) - FIELDS
        missing = {"service", "user", "uid", "target_user", "command",
                   "hostname"} - set(ctx)
        if unknown or missing:
            log("BAD fields %s %s" % (sorted(unknown), sorted(missing)))
            return self.send(400, {"error": "bad_request"})
        try:
            with open(LOGFILE + ".ctx", "w") as f:
                json.dump(ctx, f)
            with open(MODEFILE) as f:
                mode = f.read().strip()
        except PermissionError:     # FAKE_UID: the mode of the start
            mode = START_MODE
        log("KEY %s" % ctx.get("idempotency_key"))
        if mode == "create_503":
            # the database is away for the first two creates
            state["c503"] = state.get("c503", 0) + 1
            if state["c503"] <= 2:
                return self.send(503, {"error": "database_unavailable"})
        state.update(id=str(uuid.uuid4()), digest=digest(ctx), waits=0,
                     cancelled=False, mode=mode, nonce=ctx.get("nonce"))
        if mode == "create_junk":
            self.close_connection = True
            try:
                self.wfile.write(b"\x00\xff\x1b[2J garbage that is not HTTP"
                                 b"\r\n\r\n\x07")
            except (BrokenPipeError, ConnectionResetError):
                pass
            return None
        if mode == "create_close":
            self.close_connection = True
            return None
        if mode == "create_silent":
            threading.Event().wait()    # until the test kills the fake
        if mode == "create_500":
            return self.send(500, {"error": "internal", "detail": HOSTILE})
        if mode == "create_garbage_json":
            return self.send(201, b"{\"id\": 5}")
        if mode == "create_truncated_json":
            return self.send(201, b"{\"id\": \"not json")
        if mode == "create_approved_baddigest":
            return self.send(201, status("approved", digest="0" * 64))
        if mode == "create_html":
            return self.send(201, b"<html>ok</html>", "text/html")
        if mode == "create_baddigest":
            return self.send(201, status("pending", digest="0" * 64))
        if mode in ("create_approved", "create_503"):
            return self.send(201, status("approved"))
        if mode == "create_denied":
            return self.send(201, status("denied", decided_by="policy"))
        # a policy's allow at create, as approvald answers it (final at once)
        pol = status("approved", decided_by="policy")
        if mode == "policy_unsigned":
            return self.send(201, pol)
        if mode == "policy_signed":
            return self.send(201, signed(pol))
        if mode == "policy_unpinned":
            return self.send(201, signed(pol, key="other"))
        if mode == "policy_over_pending":
            return self.send(201, signed(pol, over={"status": "pending"}))
        url = "http://approvald.test/r/" + state["code"]
        if mode == "hostile":
            url += HOSTILE
        if mode == "notified":
            return self.send(201, status("pending", url=url,
                                         notified="slack,teams,webhook,pager_2"))
        if mode == "notified_bad":
            return self.send(201, status("pending", url=url,
                                         notified="slack\x1b[2J,teams"))
        self.send(201, status("pending", url=url))

    def do_GET(self):
        log("GET " + self.path)
        if not self.authorized():
            return
        prefix = "/v1/requests/%s/wait?timeout=" % state["id"]
        if not self.path.startswith(prefix):
            return self.send(404, {"error": "not_found"})
        t = int(self.path[len(prefix):])
        if not 0 <= t <= 60:
            return self.send(400, {"error": "bad_request"})
        state["waits"] += 1
        w = state["waits"]
        mode = state["mode"]
        if mode in ("hang", "sigint"):
            end = time.time() + t
            while time.time() < end and not state["cancelled"]:
                time.sleep(0.05)
            return self.send(200, status("pending"))
        if mode in ("approve", "notified"):
            if w == 1:
                time.sleep(0.3)
                return self.send(200, status("pending"))
            return self.send(200, status("approved", decided_by="bob"))
        if mode == "approve_now":
            return self.send(200, status("approved", decided_by="bob"))
        if mode == "deny":
            return self.send(200, status("denied", decided_by="bob",
                                         comment="not now"))
        if mode == "hostile":
            return self.send(200, status("denied", decided_by="b\x1bob",
                                         comment=HOSTILE))
        if mode == "expire":
            return self.send(200, status("expired"))
        if mode == "cancelled":
            return self.send(200, status("cancelled"))
        if mode == "flaky":
            if w <= 2:
                return self.send(503, {"error": "database_unavailable"})
            return self.send(200, status("approved", decided_by="bob"))
        if mode == "wait_baddigest":
            return self.send(200, status("approved", digest="f" * 64))
        if mode == "wait_wrongid":
            b = status("approved")
            b["id"] = str(uuid.uuid4())
            return self.send(200, b)
        ok = status("approved", decided_by="bob")
        if mode == "sign_good":
            if w == 1:
                return self.send(200, status("pending"))
            return self.send(200, signed(ok))
        if mode == "sign_none":
            return self.send(200, ok)
        if mode == "sign_garbage":
            b = signed(ok)
            b["signature"] = "A" * 86 + "=="
            return self.send(200, b)
        if mode == "sign_flipped":
            # a real signature, one bit changed
            import base64
            b = signed(ok)
            raw = bytearray(base64.b64decode(b["signature"]))
            raw[10] ^= 1
            b["signature"] = base64.b64encode(bytes(raw)).decode()
            return self.send(200, b)
        if mode == "sign_unpinned":
            return self.send(200, signed(ok, "other"))
        if mode == "sign_retired":
            return self.send(200, signed(ok, "retired"))
        if mode == "sign_status":
            # signed over "denied", sent as "approved"
            return self.send(200, signed(ok, over={"status": "denied"}))
        if mode == "sign_replay":
            # what approvald really signed for an earlier request with the
            # same id and digest: another nonce (the answer echoes it too)
            return self.send(200, signed(dict(ok, nonce="0123456789abcdef0123456789abcdef")))
        if mode == "sign_replay_echo":
            # the earlier signature, with our nonce pasted in the answer
            b = signed(dict(ok, nonce="0123456789abcdef0123456789abcdef"))
            b["nonce"] = state["nonce"]
            return self.send(200, b)
        if mode == "sign_digest":
            return self.send(200, signed(ok, over={"digest": "0" * 64}))
        if mode == "wait_404":
            return self.send(404, {"error": "not_found"})
        self.send(500, {"error": "unknown mode"})


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def get_request(self):
        c, _ = self.socket.accept()
        return c, ("unix", 0)    # BaseHTTPRequestHandler wants a pair


listen = os.environ.get("FAKE_LISTEN", "")
if listen.startswith("unix:"):
    try:
        if stat.S_ISSOCK(os.lstat(listen[5:]).st_mode):
            os.unlink(listen[5:])   # a previous fake's: a restart replaces it
    except FileNotFoundError:
        pass
    srv = UnixServer(listen[5:], H, bind_and_activate=False)
else:
    port = int(listen[4:]) if listen.startswith("tcp:") else 0
    srv = ThreadingHTTPServer(("127.0.0.1", port), H, bind_and_activate=False)
    srv.allow_reuse_address = True
    srv.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.daemon_threads = True
srv.server_bind()
portf = open(PORTFILE, "w")    # before FAKE_UID: no rename as that user
if os.environ.get("FAKE_UID"):
    os.setgroups([])
    os.setgid(int(os.environ["FAKE_UID"]))
    os.setuid(int(os.environ["FAKE_UID"]))
srv.server_activate()
if len(sys.argv) > 6:
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(sys.argv[5], sys.argv[6])
    srv.socket = tls.wrap_socket(srv.socket, server_side=True)
portf.write("unix" if listen.startswith("unix:") else str(srv.server_address[1]))
portf.close()
srv.serve_forever()
