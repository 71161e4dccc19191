#!/usr/bin/env python3
"""tests/lib/notify_receiver.py: a local stand-in for the places approvald
notifies (a generic webhook endpoint, Slack's Web API and response_url,
a Teams incoming webhook), and a client that sends Slack interactivity
payloads to approvald the way Slack does. It speaks the public protocols
with real signatures; it decides nothing (the shell tests assert).

  serve --port-file F --log F [--port N] --webhook-secret-file F
        --slack-token-file F [--hold-file F] [--slack-incoming-answer-file F]
      Serves until SIGTERM. Every request is one JSON line in --log:
      {"path", "headers", "body" (parsed JSON or text), "sig_ok"}.
        POST /hook                  webhook; sig_ok says whether
                                    X-Approve-Signature (t=,v1= HMAC-SHA256
                                    over "t.BODY") verifies and t is fresh;
                                    while the --hold-file exists, logged
                                    with "held": true and never answered
                                    (a delivery attempt that hangs)
        POST /slack/api/chat.postMessage, chat.update, views.open
                                    Slack Web API: answers {"ok": true, ...}
                                    (a ts per posted message) when the
                                    bearer token is the configured one,
                                    else {"ok": false, "error": "invalid_auth"}
        POST /slack/incoming/...    a Slack incoming webhook: a JSON object
                                    with a non-empty "text" or "blocks" is
                                    answered 200 "ok" (text/plain), anything
                                    else 400 "invalid_payload"; while the
                                    --slack-incoming-answer-file exists,
                                    its "STATUS BODY" line is the answer
                                    instead (Slack's 500 rollup_error, 404
                                    no_service, ...); the line logged has
                                    "status", the status answered
        POST /slack/response/...    a response_url: answers "ok"
        POST /teams                 Teams Workflows webhook: 202
  slack-action --url U --secret-file F --user UID --action approve|deny|open
        --value ID [--response-url U] [--trigger-id T] [--forge] [--skew S]
  slack-submit --url U --secret-file F --user UID --value ID --comment TEXT
      POST a block_actions (or a view_submission of the deny modal) payload,
      form-encoded as payload=JSON, signed v0 with the signing secret
      (--forge: with a wrong key; --skew S: timestamp S seconds off). Prints
      the HTTP status on the first line, then the body.
"""
import argparse
import hashlib
import hmac
import http.server
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request


def read_secret(path):
    with open(path, "rb") as f:
        return f.read().rstrip(b"\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def answer(self, status, body, ctype="application/json"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def record(self, raw, sig_ok=None, held=False, status=None):
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", "replace")
        line = {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body, "sig_ok": sig_ok, "at": time.time()}
        if held:
            line["held"] = True
        if status is not None:
            line["status"] = status
        with self.server.lock, open(self.server.log, "a") as f:
            f.write(json.dumps(line) + "\n")
        return body

    def webhook_sig_ok(self, raw):
        h = self.headers.get("X-Approve-Signature", "")
        parts = dict(p.split("=", 1) for p in h.split(",") if "=" in p)
        t, v1 = parts.get("t", ""), parts.get("v1", "")
        if not t.isdigit() or abs(time.time() - int(t)) > 300:
            return False
        want = hmac.new(self.server.webhook_secret, t.encode() + b"." + raw,
                        hashlib.sha256).hexdigest()
        return hmac.compare_digest(want, v1)

    def slack_incoming(self, raw):
        forced = self.server.slack_incoming_answer_file
        if forced and os.path.exists(forced):
            with open(forced) as f:
                status, _, text = f.readline().strip().partition(" ")
            self.record(raw, status=int(status))
            return self.answer(int(status), text, "text/plain")
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        good = (self.headers.get("Content-Type", "").startswith("application/json") and
                isinstance(body, dict) and
                ((isinstance(body.get("text"), str) and body["text"] != "") or
                 (isinstance(body.get("blocks"), list) and body["blocks"])))
        self.record(raw, status=200 if good else 400)
        if not good:
            return self.answer(400, "invalid_payload", "text/plain")
        return self.answer(200, "ok", "text/plain")

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(n)
        if self.path == "/hook":
            hold = self.server.hold_file
            if hold and os.path.exists(hold):
                self.record(raw, self.webhook_sig_ok(raw), held=True)
                while os.path.exists(hold):
                    time.sleep(0.05)
                self.close_connection = True
                return None
            self.record(raw, self.webhook_sig_ok(raw))
            return self.answer(200, "{}")
        if self.path.startswith("/slack/api/"):
            auth_ok = self.headers.get("Authorization", "") == \
                "Bearer " + self.server.slack_token.decode()
            body = self.record(raw, auth_ok)
            if not auth_ok:
                return self.answer(200, json.dumps({"ok": False, "error": "invalid_auth"}))
            method = self.path[len("/slack/api/"):]
            if method == "chat.postMessage":
                with self.server.lock:
                    self.server.seq += 1
                    ts = "%d.%06d" % (int(time.time()), self.server.seq)
                return self.answer(200, json.dumps({
                    "ok": True, "channel": body.get("channel"), "ts": ts,
                    "message": {"type": "message", "text": body.get("text"), "ts": ts}}))
            if method == "chat.update":
                return self.answer(200, json.dumps({
                    "ok": True, "channel": body.get("channel"), "ts": body.get("ts"),
                    "text": body.get("text")}))
            if method == "views.open":
                return self.answer(200, json.dumps({"ok": True, "view": {"id": "V0TEST"}}))
            return self.answer(200, json.dumps({"ok": False, "error": "unknown_method"}))
        if self.path.startswith("/slack/incoming/"):
            return self.slack_incoming(raw)
        if self.path.startswith("/slack/response/"):
            self.record(raw)
            return self.answer(200, "ok", "text/plain")
        if self.path == "/teams":
            self.record(raw)
            return self.answer(202, "")
        self.record(raw)
        return self.answer(404, "{}")


def serve(a):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    srv.lock = threading.Lock()
    srv.log = a.log
    srv.seq = 0
    srv.webhook_secret = read_secret(a.webhook_secret_file) if a.webhook_secret_file else b""
    srv.slack_token = read_secret(a.slack_token_file) if a.slack_token_file else b""
    srv.hold_file = a.hold_file
    srv.slack_incoming_answer_file = a.slack_incoming_answer_file
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, a.port_file)
    srv.serve_forever()


def post_signed(url, secret, payload, forge=False, skew=0):
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    ts = str(int(time.time()) + skew)
    key = secret if not forge else secret + b"x"
    sig = "v0=" + hmac.new(key, b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig,
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            print(r.status)
            print(r.read().decode())
    except urllib.error.HTTPError as e:
        print(e.code)
        print(e.read().decode())


def user_obj(uid):
    return {"id": uid, "username": uid.lower(), "name": uid.lower(), "team_id": "T0TEST"}


def slack_action(a):
    payload = {
        "type": "block_actions", "user": user_obj(a.user), "api_app_id": "A0TEST",
        "token": "legacy-verification-token-unused", "trigger_id": a.trigger_id,
        "team": {"id": "T0TEST", "domain": "test"},
        "container": {"type": "message", "message_ts": "1.000001", "channel_id": "C0TEST",
                      "is_ephemeral": False},
        "channel": {"id": "C0TEST", "name": "approvals"},
        "response_url": a.response_url,
        "actions": [{"type": "button", "action_id": a.action, "block_id": "approve_request",
                     "value": a.value, "text": {"type": "plain_text", "text": a.action},
                     "action_ts": "%.6f" % time.time()}],
    }
    post_signed(a.url, read_secret(a.secret_file), payload, a.forge, a.skew)


def slack_submit(a):
    payload = {
        "type": "view_submission", "team": {"id": "T0TEST", "domain": "test"},
        "user": user_obj(a.user), "api_app_id": "A0TEST", "trigger_id": "1.2.3",
        "view": {"id": "V0TEST", "type": "modal", "callback_id": "deny_comment",
                 "private_metadata": a.value,
                 "state": {"values": {"comment": {"comment": {
                     "type": "plain_text_input", "value": a.comment}}}}},
    }
    post_signed(a.url, read_secret(a.secret_file), payload, a.forge, a.skew)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--port", type=int, default=0)
    s.add_argument("--port-file", required=True)
    s.add_argument("--log", required=True)
    s.add_argument("--webhook-secret-file")
    s.add_argument("--slack-token-file")
    s.add_argument("--hold-file")
    s.add_argument("--slack-incoming-answer-file")
    for name in ("slack-action", "slack-submit"):
        c = sub.add_parser(name)
        c.add_argument("--url", required=True)
        c.add_argument("--secret-file", required=True)
        c.add_argument("--user", required=True)
        c.add_argument("--value", default="")
        c.add_argument("--forge", action="store_true")
        c.add_argument("--skew", type=int, default=0)
        if name == "slack-action":
            c.add_argument("--action", required=True)
            c.add_argument("--response-url", default="")
            c.add_argument("--trigger-id", default="13345224609.738474920.8088930838d88f008e0")
        else:
            c.add_argument("--comment", required=True)
    a = p.parse_args()
    {"serve": serve, "slack-action": slack_action, "slack-submit": slack_submit}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
