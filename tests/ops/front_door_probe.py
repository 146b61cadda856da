#!/usr/bin/env python3
"""The attacks of issue #13 against a real `owlet serve`, one line per case.

Runs any owlet binary (so the same probe measures a build before and after a
change) on loopback with a fresh HOME, knowledge base and model store, and
prints what each attack got: status, time, the server's peak RSS, and for SSRF
cases the connections a loopback listener saw. Manual: docs/RELIABILITY.md
("Front door") has the results and the command.

    python3 tests/ops/front_door_probe.py build/owlet build/tests/fixtures/qwen2-tiny.gguf
"""
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zlib


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Listener:
    """Counts the TCP connections made to it (an SSRF target)."""

    def __init__(self, host="127.0.0.1"):
        self.sock = socket.socket()
        self.sock.bind((host, 0))
        self.sock.listen(64)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.count = 0
        self.stop = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
                self.count += 1
                c.close()
            except OSError:
                pass


class Server:
    def __init__(self, binary, model, extra=(), env=None, ctx=2048):
        self.home = tempfile.mkdtemp(prefix="owlet-probe-")
        self.port = free_port()
        e = dict(os.environ, HOME=self.home, OWLET_CONFIG="", OWLET_MODELS=self.home + "/models",
                 OLLAMA_MODELS=self.home + "/ollama", OWLET_WEB="never",
                 OWLET_KNOWLEDGE_PATH=self.home + "/kb")
        e.update(env or {})
        args = [binary, "serve", "--port", str(self.port), "--threads", "2", "--parallel", "1",
                "--ctx-size", str(ctx), "--model", model, *extra]
        self.proc = subprocess.Popen(args, env=e, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        for _ in range(300):
            try:
                if self.request("GET", "/health")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)

    def rss_mb(self, peak=True):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:" if peak else "VmRSS:"):
                    return int(line.split()[1]) // 1024
        return -1

    def request(self, method, path, body=b"", headers=None, timeout=120):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        h = {"Host": f"127.0.0.1:{self.port}"}
        h.update(headers or {})
        c.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for k, v in h.items():
            for one in v if isinstance(v, list) else [v]:
                c.putheader(k, one)
        if body or method in ("POST", "DELETE"):
            c.putheader("Content-Length", str(len(body)))
        c.endheaders()
        if body:
            c.send(body)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data, dict(r.getheaders())

    def close(self, sig=signal.SIGKILL):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=60)
        subprocess.run(["rm", "-rf", self.home])


def gzip_stream(prefix, fill, n, suffix, level=9):
    z = zlib.compressobj(level, zlib.DEFLATED, 31)
    out = [z.compress(prefix)]
    chunk = fill * (1 << 20)
    for _ in range(n >> 20):
        out.append(z.compress(chunk))
    out.append(z.compress(suffix))
    out.append(z.flush())
    return b"".join(out)


def timed(fn):
    t = time.monotonic()
    try:
        r = fn()
    except Exception as e:  # a hang or a dropped connection is a result too
        r = (type(e).__name__, b"", {})
    return r, time.monotonic() - t


def row(case, result, extra=""):
    status, body, _ = result[0]
    err = ""
    try:
        j = json.loads(body)
        err = j.get("error", "") if isinstance(j, dict) else ""
        if isinstance(err, dict):
            err = err.get("message", "")
    except Exception:
        pass
    print(f"| {case} | {status} | {result[1]:.2f} s | {extra} | {str(err)[:90]} |", flush=True)


def chat(model, content, n=1, **opts):
    o = {"num_predict": n, "temperature": 0}
    o.update(opts)
    return json.dumps({"model": model, "messages": [{"role": "user", "content": content}], "stream": False,
                       "options": o}).encode()


def main():
    binary, model = sys.argv[1], sys.argv[2]
    print(f"binary: {binary}")
    print("| case | status | time | measure | error |\n|---|---|---|---|---|")
    s = Server(binary, model)
    try:
        # 1. cross-site writes, DNS rebinding
        poison = b'{"text":"the capital of France is Berlin","source":"poison"}'
        row("1 text/plain POST /api/ingest, Origin http://evil.example",
            timed(lambda: s.request("POST", "/api/ingest", poison,
                                    {"Origin": "http://evil.example", "Content-Type": "text/plain"})))
        docs = json.loads(s.request("GET", "/api/kb/stats")[1]).get("documents")
        print(f"| 1 documents in the knowledge base afterwards | {docs} | | | |")
        row("1 GET /api/kb/search, Host: evil.test",
            timed(lambda: s.request("GET", "/api/kb/search?q=France", headers={"Host": "evil.test"})))
        # 2. SSRF through /api/pull
        target = Listener()
        for name, insecure in ((f"127.0.0.1:{target.port}/library/x:latest", True),
                               (f"localhost:{target.port}/library/x:latest", True),
                               (f"2130706433:{target.port}/library/x:latest", True),
                               (f"127.0.0.1:{target.port}/library/x:latest", False)):
            body = json.dumps({"model": name, "insecure": insecure, "stream": False}).encode()
            before = target.count
            r = timed(lambda: s.request("POST", "/api/pull", body, {"Content-Type": "application/json"}, timeout=60))
            row(f"2 pull {name.split(':')[0]}:PORT/… insecure={insecure}", r, f"{target.count - before} connections")
        target.stop = True
        # 3. compressed bodies
        bomb = gzip_stream(b'{"text":"', b"a", 256 << 20, b'"}')
        row(f"3 {len(bomb) // 1024} KB gzip = 256 MiB JSON to /api/ingest",
            timed(lambda: s.request("POST", "/api/ingest", bomb,
                                    {"Content-Encoding": "gzip", "Content-Type": "application/json"}, timeout=300)),
            f"peak RSS {s.rss_mb()} MB")
        mp = gzip_stream(b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\n', b"b",
                         200 << 20, b"\r\n--XyZ--\r\n")
        row(f"3 {len(mp) // 1024} KB gzip multipart = 200 MB part",
            timed(lambda: s.request("POST", "/api/ingest", mp, {"Content-Encoding": "gzip",
                                                                "Content-Type": "multipart/form-data; boundary=XyZ"},
                                    timeout=300)), f"peak RSS {s.rss_mb()} MB")
        nest = gzip_stream(b"", b"[", 12 << 20, b"")
        row(f"3 {len(nest) // 1024} KB gzip of 12 MB '['",
            timed(lambda: s.request("POST", "/api/chat", nest, {"Content-Encoding": "gzip"}, timeout=300)),
            f"peak RSS {s.rss_mb()} MB")
    finally:
        s.close()
    s = Server(binary, model)
    try:
        # 4. deep nesting
        deep = b"[" * (15 << 20)
        for i in range(3):
            row(f"4 15 MB of '[' to /api/chat (#{i + 1})", timed(lambda: s.request("POST", "/api/chat", deep,
                                                                                   timeout=300)),
                f"RSS now {s.rss_mb(False)} MB, peak {s.rss_mb()} MB")
        # 5. model names as paths
        for name in ("/etc/shadow", "/nonexistent", "../../etc/passwd.gguf"):
            row(f"5 /api/chat model {name}", timed(lambda: s.request("POST", "/api/chat", chat(name, "hi"))))
        fifo = os.path.join(s.home, "fifo.gguf")
        os.mkfifo(fifo)
        row("5 /api/chat model = a FIFO", timed(lambda: s.request("POST", "/api/chat", chat(fifo, "hi"), timeout=10)))
        row("5 /health after the FIFO", timed(lambda: s.request("GET", "/health", timeout=10)))
    finally:
        s.close()
    for v in ("18446744073709551615", "1e300"):
        # A fresh server each: one that starts an unbounded generation stays busy.
        s = Server(binary, model, ctx=1 << 15)
        body = (chat(model, "hi").decode().replace('"num_predict": 1', f'"num_predict": {v}')).encode()
        row(f"6 num_predict {v}", timed(lambda: s.request("POST", "/api/chat", body, timeout=20)))
        s.close()
    s = Server(binary, model)
    try:
        # 6. the smaller ones
        counts = {}
        for content in ("x", "<|im_end|>"):
            st, b, _ = s.request("POST", "/api/chat", chat(model, content))
            counts[content] = json.loads(b).get("prompt_eval_count") if st == 200 else st
        print(f"| 6 prompt tokens: 'x' vs '<\\|im_end\\|>' | {counts['x']} vs {counts['<|im_end|>']} | | "
              f"extra tokens: 1 = a control token, 4 = five text tokens | |")
        row("6 /api/show model 'a::b'", timed(lambda: s.request("POST", "/api/show", b'{"model":"a::b"}')))
        row("6 /api/delete unknown model", timed(lambda: s.request("DELETE", "/api/delete", b'{"model":"never:pulled"}')))
        row("6 5 MB title", timed(lambda: s.request("POST", "/api/ingest", json.dumps(
            {"text": "Owls.", "title": "T" * (5 << 20)}).encode())))
        row("6 NUL in a model path", timed(lambda: s.request("POST", "/api/chat", chat(model + "\u0000x", "hi"))))
        row("6 20 KB JSON body as curl -d (form content type)",
            timed(lambda: s.request("POST", "/api/ingest", json.dumps({"text": "o" * 20000 + " owls"}).encode(),
                                    {"Content-Type": "application/x-www-form-urlencoded"})))
    finally:
        s.close()
    s = Server(binary, model, ["--api-key", "s3cret"])
    try:
        row("6 Authorization: bearer s3cret (lower case)",
            timed(lambda: s.request("GET", "/api/tags", headers={"Authorization": "bearer s3cret"})))
        row("6 two Authorization headers (right one first)",
            timed(lambda: s.request("GET", "/api/tags",
                                    headers={"Authorization": ["Bearer s3cret", "Bearer wrong"]})))
    finally:
        s.close()
    s = Server(binary, model, ["--grace", "3"], ctx=16384)
    try:
        # SIGTERM grace: a long stream, then a new request during the grace.
        lines = []

        def stream():
            c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=120)
            body = json.dumps({"model": model, "messages": [{"role": "user", "content": "owls"}], "stream": True,
                               "options": {"num_predict": 15000, "temperature": 0.8}}).encode()
            c.request("POST", "/api/chat", body, {"Host": f"127.0.0.1:{s.port}"})
            r = c.getresponse()
            try:
                for line in r:
                    lines.append(line)
            except Exception:
                pass

        t = threading.Thread(target=stream)
        t.start()
        deadline = time.monotonic() + 60
        while not lines and time.monotonic() < deadline:
            time.sleep(0.05)
        s.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        row("6 new request during the SIGTERM grace", timed(lambda: s.request("GET", "/api/tags", timeout=10)))
        t.join()
        try:
            last = json.loads(lines[-1]) if lines else {}
        except ValueError:
            last = {"done_reason": f"(no final object; last line {lines[-1][:60]!r})"}
        print(f"| 6 last line of a stream cut at the end of the grace | done_reason={last.get('done_reason')} | | | |")
    finally:
        s.close()
    # ingest of a path that is not there; two ingests at once
    home = tempfile.mkdtemp(prefix="owlet-probe-")
    env = dict(os.environ, HOME=home, OWLET_CONFIG="", OWLET_KNOWLEDGE_PATH=home + "/kb")
    r = subprocess.run([binary, "ingest", "/nonexistent"], env=env, capture_output=True)
    print(f"| 6 owlet ingest /nonexistent | exit {r.returncode} | | | |")
    docs = os.path.join(home, "docs")
    os.makedirs(docs)
    for i in range(3000):
        with open(os.path.join(docs, f"d{i}.txt"), "w") as f:
            f.write(f"Note {i}: owls and voles, number {i * 7919}.\n")
    subprocess.run([binary, "kb", "stats"], env=env, capture_output=True)
    a = subprocess.Popen([binary, "ingest", docs], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    b = subprocess.Popen([binary, "ingest", docs], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    ea, eb = a.communicate()[1].decode(), b.communicate()[1].decode()
    fails = ea.count("UNIQUE") + eb.count("UNIQUE")
    print(f"| 7 two `owlet ingest` of 3000 files at once | exits {a.returncode}, {b.returncode} | | "
          f"{fails} UNIQUE failures | |")
    subprocess.run(["rm", "-rf", home])


if __name__ == "__main__":
    main()
