"""Slow CSV uploads against single-lead JSON requests (issue 10, item 3).

Starts `leadscore serve` on a copy of models/, opens UPLOADS slow CSV uploads from one process
(each sends its request head, then one byte of the CSV header per second; refused ones wait
the answer's Retry-After and come back, cut ones come back at once), and from another client
sends single-lead JSON requests one after another for DURATION seconds. Prints the JSON
latencies (p50, p99, max), what the uploads met (streaming, refused, cut) and the server's peak
RSS; exits 1 when the p99 is at or above BOUND_MS or a JSON request failed.

    python3 scripts/slow_uploads.py BIN [UPLOADS] [DURATION] [BOUND_MS]
"""

import asyncio
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

LEAD = json.dumps({"leads": [{"id": "L1", "job_level": "VP", "lead_source": "Referral",
                              "pricing_page_visits": 4, "demo_requested": True}], "explain": 3}).encode()
HEAD = (b"POST /v1/score HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n")


async def upload(host, port, header, stats, stop):
    """One slow client, for as long as the attack lasts."""
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            stats["connect_errors"] += 1
            await asyncio.sleep(1)
            continue
        stats["attempts"] += 1
        stats["open"] += 1

        async def trickle():
            writer.write(HEAD)
            for byte in header:
                await writer.drain()
                await asyncio.sleep(1)
                writer.write(b"1\r\n" + bytes([byte]) + b"\r\n")

        sender = asyncio.create_task(trickle())
        try:
            line = await reader.readline()
            status = line.split()[1].decode() if line.startswith(b"HTTP/") else "closed"
        except (OSError, IndexError):
            status = "closed"
        sender.cancel()
        writer.close()
        stats["open"] -= 1
        stats[status] = stats.get(status, 0) + 1
        if status == "503":
            await asyncio.sleep(1)  # Retry-After: 1


async def attack(host, port, n, seconds, header):
    stats = {"attempts": 0, "open": 0, "connect_errors": 0}
    stop = asyncio.Event()
    tasks = []
    for _ in range(n):
        tasks.append(asyncio.create_task(upload(host, port, header, stats, stop)))
        await asyncio.sleep(0.001)  # about 1,000 new connections a second
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        print(json.dumps(stats), flush=True)
        await asyncio.sleep(0.5)
    stop.set()
    print(json.dumps(stats), flush=True)
    for t in tasks:
        t.cancel()


def percentile(sorted_values, q):
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def main():
    if sys.argv[1] == "--attack":
        host, port, n, seconds = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
        header = open(sys.argv[6], "rb").readline()
        asyncio.run(attack(host, port, n, seconds, header))
        return
    binary = sys.argv[1]
    uploads = int(sys.argv[2]) if len(sys.argv) > 2 else 1100
    duration = float(sys.argv[3]) if len(sys.argv) > 3 else 20
    bound_ms = float(sys.argv[4]) if len(sys.argv) > 4 else 100
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    scratch = tempfile.mkdtemp()
    server = attacker = None
    try:
        shutil.copytree(os.path.join(root, "models"), os.path.join(scratch, "models"))
        server = subprocess.Popen(
            [binary, "serve", "--models", os.path.join(scratch, "models"), "--addr", "127.0.0.1:0",
             "--no-log", "--watch-ms", "0"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            env=dict(os.environ, LEADSCORE_QUIET="1"))
        addr = None
        while addr is None:
            line = server.stderr.readline().decode()
            if not line:
                sys.exit("leadscore serve did not start")
            if "on http://" in line:
                addr = line.split("on http://")[1].strip()
        threading.Thread(target=lambda: [None for _ in server.stderr], daemon=True).start()
        host, port = addr.rsplit(":", 1)

        # The uploads, from their own process: its event loop does not delay our requests.
        attacker = subprocess.Popen(
            [sys.executable, __file__, "--attack", host, port, str(uploads), str(duration + 30),
             os.path.join(root, "data", "leads.csv")],
            stdout=subprocess.PIPE, text=True)
        stats = {}
        started = time.monotonic()
        while stats.get("attempts", 0) < uploads:
            line = attacker.stdout.readline()
            if not line:
                sys.exit("the upload process stopped")
            stats = json.loads(line)
            if time.monotonic() - started > 60:
                sys.exit(f"only {stats.get('attempts')} of {uploads} uploads opened in 60 s")
        threading.Thread(target=lambda: [stats.update(json.loads(l)) for l in attacker.stdout], daemon=True).start()
        time.sleep(2)  # every upload has its head in and is trickling, or was refused and comes back

        latencies, failures = [], 0
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        end = time.monotonic() + duration
        while time.monotonic() < end:
            t = time.perf_counter()
            try:
                connection.request("POST", "/v1/score", body=LEAD, headers={"Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                connection.close()
                connection = http.client.HTTPConnection(host, int(port), timeout=60)
            latencies.append((time.perf_counter() - t) * 1000)
            failures += 0 if ok else 1
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        conn.request("GET", "/metrics")
        metrics = conn.getresponse().read().decode()
        streaming = next((l.split()[1] for l in metrics.splitlines() if l.startswith("leadscore_csv_uploads ")), "?")
        peak = next(int(l.split()[1]) for l in open(f"/proc/{server.pid}/status") if l.startswith("VmHWM"))

        latencies.sort()
        p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
        print(f"slow uploads: {uploads} clients; {stats['attempts']} upload requests in all, "
              f"{stats['open']} open at the end, {streaming} streaming (server gauge); "
              f"answers: 503 refused {stats.get('503', 0)}, 408 cut {stats.get('408', 0)}, "
              f"other {sum(v for k, v in stats.items() if k not in ('attempts', 'open', 'connect_errors', '503', '408'))}, "
              f"connect errors {stats['connect_errors']}")
        print(f"single-lead JSON from another client: {len(latencies)} requests in {duration:.0f} s, "
              f"{failures} failed; p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {latencies[-1]:.2f} ms "
              f"(bound: p99 < {bound_ms:.0f} ms)")
        print(f"server peak RSS: {peak / 1024:.0f} MiB")
        if failures or p99 >= bound_ms:
            print("FAIL: single-lead requests suffer under slow uploads", file=sys.stderr)
            sys.exit(1)
        print("PASS")
    finally:
        for p in (attacker, server):
            if p is not None:
                p.kill()
                p.wait()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
