#!/usr/bin/env python3
"""Soak test of `alike serve`: a mixed HTTP load for a while, watching errors, latency, memory
and file descriptors.

    bench/soak.py [--seconds 600] [--clients 4] [--photos 200] [--max-requests N] [--check]

Builds a library in a temporary folder (colour and PDQ embedders, faces on) from shared photos
(flowers and LFW faces, ../shared), serves it on a loopback port, and runs --clients threads that
each pick, at random, one of: search by id and by upload, copy search by id and by upload, face
search by id and by upload, upload a picture, delete an uploaded picture, edit tags, upsert
records into a collection and search it; one index job runs every 30 s. The data stays bounded
(uploads are deleted again, upserts overwrite 5,000 ids), so memory should level off once warm.

Every --sample seconds the server's resident memory (VmRSS) and open descriptors are read from
/proc. At the end it prints requests, errors (5xx, unexpected 4xx, dropped connections) and
p50/p99 latency per route, and the RSS drift: the mean of the last fifth of the samples against
the mean of the samples just after warm-up (the first fifth, at least 10 s). With --check it
exits 1 unless there was no error, no descriptor growth after warm-up and a drift within
--max-drift percent. Standard library only; talks to 127.0.0.1 only.
"""

import argparse
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("ALIKE_SHARED_DIR", os.path.join(REPO, "..", "shared"))
FLOWERS = os.path.join(SHARED, "data", "categories", "flowers", "flowers")
FACES = os.path.join(SHARED, "data", "faces", "lfw-fold1", "images")
COLLECTION = "soak"
DIM = 16
SKIPPED = 77  # what ctest reads as a skip


def pictures(folder, suffix=".jpg"):
    found = []
    for root, _, files in os.walk(folder):
        found += [os.path.join(root, f) for f in files if f.lower().endswith(suffix)]
    return sorted(found)


def multipart(field, name, data):
    boundary = uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n").encode() + data + \
        f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


class Stats:
    """Latencies and errors per route, from every client thread."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latency = {}  # route -> [seconds]
        self.errors = {}   # (kind, route) -> count
        self.first_error = {}
        self.busy = {}     # route -> 503 "busy" answers, retried after their Retry-After

    def record(self, route, seconds, error=None, detail=""):
        with self.lock:
            self.latency.setdefault(route, []).append(seconds)
            if error:
                key = (error, route)
                self.errors[key] = self.errors.get(key, 0) + 1
                self.first_error.setdefault(key, detail[:200])

    def retried(self, route):
        with self.lock:
            self.busy[route] = self.busy.get(route, 0) + 1

    def requests(self):
        with self.lock:
            return sum(len(v) for v in self.latency.values())


class Client:
    """One keep-alive connection; a request's failure to connect or answer counts as dropped."""

    def __init__(self, port, stats):
        self.port, self.stats = port, stats
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def call(self, route, method, path, body=None, content_type=None, ok=(200,)):
        """The answer's JSON when its status is in `ok`, else None (an error, recorded). A 503
        with Retry-After (the server's write gate: too many writes at once) is waited out and
        retried, up to 5 times, as a client should; those count as busy, not as errors."""
        for _ in range(5):
            status, answer = self.call_once(route, method, path, body, content_type, ok)
            if status != "busy":
                return answer
            self.stats.retried(route)
            time.sleep(min(float(answer), 5.0))
        return None

    def call_once(self, route, method, path, body, content_type, ok):
        headers = {"Content-Type": content_type} if content_type else {}
        start = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as e:
            self.stats.record(route, time.perf_counter() - start, "dropped", repr(e))
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            return "dropped", None
        elapsed = time.perf_counter() - start
        if response.status in ok:
            self.stats.record(route, elapsed)
            return response.status, json.loads(data) if data else {}
        if response.status == 503 and response.getheader("Retry-After"):
            return "busy", response.getheader("Retry-After")
        kind = "5xx" if response.status >= 500 else f"{response.status}"
        self.stats.record(route, elapsed, kind, data.decode(errors="replace"))
        return response.status, None


class Load:
    """The shared state the clients draw from: indexed ids, uploads of their own, pictures."""

    def __init__(self, port, stats, indexed_ids, face_ids, query_photos, upload_photos,
                 face_photos):
        self.port, self.stats = port, stats
        self.indexed_ids, self.face_ids = indexed_ids, face_ids
        self.query_photos, self.face_photos = query_photos, face_photos
        self.lock = threading.Lock()
        self.to_upload = list(upload_photos)  # pictures not in the library now
        self.uploaded = []                    # (id, path) of pictures this load uploaded
        self.bytes = {}

    def read(self, path):
        with self.lock:
            if path not in self.bytes:
                with open(path, "rb") as f:
                    self.bytes[path] = f.read()
            return self.bytes[path]

    def run(self, client, rng):
        operations = [  # (weight, operation)
            (20, lambda: self.by_id(client, rng, "similar", self.indexed_ids, 10)),
            (8, lambda: self.by_upload(client, rng, "/v1/search", self.query_photos, 10)),
            (6, lambda: self.by_id(client, rng, "copies", self.indexed_ids, 5)),
            (4, lambda: self.by_upload(client, rng, "/v1/search/copies", self.query_photos, 5)),
            (6, lambda: self.by_id(client, rng, "faces", self.face_ids, 5)),
            (4, lambda: self.by_upload(client, rng, "/v1/search/faces", self.face_photos, 5)),
            (10, lambda: self.upload(client, rng)),
            (8, lambda: self.delete(client, rng)),
            (10, lambda: self.tags(client, rng)),
            (12, lambda: self.upsert(client, rng)),
            (12, lambda: self.collection_search(client, rng)),
        ]
        rng.choices([op for _, op in operations], weights=[w for w, _ in operations])[0]()

    def by_id(self, client, rng, search, ids, k):
        client.call(f"GET /v1/images/{{id}}/{search}", "GET",
                    f"/v1/images/{rng.choice(ids)}/{search}?k={k}")

    def by_upload(self, client, rng, route, photos, k):
        path = rng.choice(photos)
        body, kind = multipart("image", os.path.basename(path), self.read(path))
        client.call(f"POST {route}", "POST", f"{route}?k={k}", body, kind)

    def upload(self, client, rng):
        with self.lock:
            if not self.to_upload:
                return
            path = self.to_upload.pop(rng.randrange(len(self.to_upload)))
        body, kind = multipart("image", os.path.basename(path), self.read(path))
        answer = client.call("POST /v1/images", "POST", "/v1/images", body, kind, ok=(200, 201))
        with self.lock:
            # Only a picture new to the library is this load's to delete: a duplicate upload
            # answers the id of a picture indexed before (deleting it would delete that one).
            if answer and answer["status"] == "indexed":
                self.uploaded.append((answer["image"]["id"], path))
            elif not answer:
                self.to_upload.append(path)

    def delete(self, client, rng):
        with self.lock:
            if len(self.uploaded) < 20:  # keep some around for tags, delete the rest again
                return
            image, path = self.uploaded.pop(rng.randrange(len(self.uploaded)))
        answer = client.call("DELETE /v1/images/{id}", "DELETE", f"/v1/images/{image}")
        with self.lock:
            if answer:
                self.to_upload.append(path)
            else:
                self.uploaded.append((image, path))

    def tags(self, client, rng):
        with self.lock:
            if not self.uploaded:
                return
            held = rng.choice(self.uploaded)
            # Taken out while the edit runs, so that no other client deletes the image meanwhile.
            self.uploaded.remove(held)
        image = held[0]
        tag = f"t{rng.randrange(8)}"
        client.call("POST /v1/images/{id}/tags", "POST", f"/v1/images/{image}/tags",
                    json.dumps({"add": [tag], "remove": [f"t{rng.randrange(8)}"]}),
                    "application/json")
        with self.lock:
            self.uploaded.append(held)

    def upsert(self, client, rng):
        first = rng.randrange(5000 - 50)
        records = [{"id": i, "vector": [rng.random() for _ in range(DIM)],
                    "payload": {"group": i % 7}} for i in range(first, first + 50)]
        client.call("POST /v1/collections/{name}/records", "POST",
                    f"/v1/collections/{COLLECTION}/records", json.dumps({"records": records}),
                    "application/json")

    def collection_search(self, client, rng):
        query = {"vector": [rng.random() for _ in range(DIM)], "k": 10,
                 "filter": {"group": rng.randrange(7)}}
        client.call("POST /v1/collections/{name}/search", "POST",
                    f"/v1/collections/{COLLECTION}/search", json.dumps(query), "application/json")


def index_jobs(port, stats, folder, stop):
    """One index job of `folder` every 30 s, polled to its end."""
    while not stop.is_set():
        client = Client(port, stats)  # a fresh one: the server closes connections idle for 5 s
        job = client.call("POST /v1/index", "POST", "/v1/index", json.dumps({"paths": [folder]}),
                          "application/json", ok=(202,))
        while job and not stop.is_set():
            state = client.call("GET /v1/index/jobs/{id}", "GET", f"/v1/index/jobs/{job['id']}")
            if not state or state.get("state") in ("done", "failed", "cancelled"):
                if state and state.get("state") != "done":
                    stats.record("index job", 0, "job " + state.get("state", "?"), str(state))
                break
            stop.wait(0.5)
        stop.wait(30)


def sample(pid):
    """(RSS in KiB, open descriptors other than sockets, sockets): the sockets come and go with
    the clients' keep-alive connections, the others (files, pipes) should not."""
    with open(f"/proc/{pid}/status") as f:
        rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    files = sockets = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            is_socket = os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
        except OSError:
            continue  # closed meanwhile
        sockets += is_socket
        files += not is_socket
    return rss, files, sockets


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=600, help="how long the load runs")
    parser.add_argument("--clients", type=int, default=4, help="client threads")
    parser.add_argument("--photos", type=int, default=200,
                        help="flowers indexed before the load (as many again are uploaded)")
    parser.add_argument("--max-requests", type=int, default=2_000_000,
                        help="stop after this many requests")
    parser.add_argument("--sample", type=float, default=2, help="seconds between samples")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 on any error, descriptor growth or drift above --max-drift")
    parser.add_argument("--max-drift", type=float, default=5, help="percent, for --check")
    parser.add_argument("--alike", default=os.path.join(REPO, "build", "alike"))
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    flowers, faces = pictures(FLOWERS), pictures(FACES)
    if len(flowers) < 3 * args.photos or len(faces) < 60:
        print(f"soak: shared photos absent or too few under {SHARED}; skipped", file=sys.stderr)
        return SKIPPED
    if not os.access(args.alike, os.X_OK):
        print(f"soak: no alike binary at {args.alike} (build it, or give --alike)", file=sys.stderr)
        return 2

    rng = random.Random(args.seed)
    rng.shuffle(flowers)
    rng.shuffle(faces)
    work = tempfile.mkdtemp(prefix="alike-soak-")
    server = None
    try:
        db = os.path.join(work, "db")
        photos, job_folder = os.path.join(work, "photos"), os.path.join(work, "jobs")
        os.makedirs(photos)
        os.makedirs(job_folder)
        n = args.photos
        for i, path in enumerate(flowers[:n] + faces[:30]):
            shutil.copy(path, os.path.join(photos, f"{i}.jpg"))
        for i, path in enumerate(flowers[n:n + 20]):
            shutil.copy(path, os.path.join(job_folder, f"{i}.jpg"))
        alike = [args.alike, "--db", db]
        subprocess.run(alike + ["init", "--embedders", "color,pdq", "--faces"], check=True,
                       stdout=subprocess.DEVNULL)
        print(f"soak: indexing {n + 30} photos", file=sys.stderr)
        subprocess.run(alike + ["index", "-q", photos], check=True)
        server = subprocess.Popen(alike + ["serve", "--port", "0", "--roots", work],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        line = ""
        while "alike: serving" not in line:
            line = server.stdout.readline()
            if not line:
                print("soak: the server did not start", file=sys.stderr)
                return 2
        port = int(line.strip().rsplit(":", 1)[1])
        threading.Thread(target=lambda: server.stdout.read(), daemon=True).start()

        stats = Stats()
        setup = Client(port, stats)
        setup.call("setup", "POST", "/v1/collections",
                   json.dumps({"name": COLLECTION, "dimension": DIM, "metric": "l2",
                               "index": "hnsw"}), "application/json", ok=(201,))
        # Ids of the indexed pictures (a fresh library numbers them from 1; duplicates leave gaps),
        # and which of them are the faces (copied as n.jpg and up).
        listed, face_ids = [], []
        for i in range(1, 2 * (n + 30)):
            image = setup.call("setup", "GET", f"/v1/images/{i}")
            if image:
                listed.append(i)
                if int(os.path.basename(image["paths"][0]).split(".")[0]) >= n:
                    face_ids.append(i)
        stats = Stats()  # the load's own, without the set-up calls
        load = Load(port, stats, listed, face_ids, flowers[:n], flowers[n + 20:3 * n], faces[30:90])

        stop = threading.Event()
        deadline = time.monotonic() + args.seconds

        def client_loop(seed):
            client, own = Client(port, stats), random.Random(seed)
            while not stop.is_set() and time.monotonic() < deadline:
                if stats.requests() >= args.max_requests:
                    break
                load.run(client, own)

        threads = [threading.Thread(target=client_loop, args=(args.seed * 100 + c,))
                   for c in range(args.clients)]
        threads.append(threading.Thread(target=index_jobs, args=(port, stats, job_folder, stop)))
        start = time.monotonic()
        for t in threads:
            t.start()
        samples = []  # (seconds since start, rss KiB, descriptors)
        while any(t.is_alive() for t in threads[:-1]):
            samples.append((time.monotonic() - start, *sample(server.pid)))
            if sys.stderr.isatty():
                print(f"\rsoak: {samples[-1][0]:5.0f}/{args.seconds:.0f} s, "
                      f"{stats.requests()} requests, RSS {samples[-1][1] / 1024:.0f} MiB, "
                      f"{samples[-1][2]} files, {samples[-1][3]} sockets", end="", file=sys.stderr)
            time.sleep(args.sample)
        stop.set()
        for t in threads:
            t.join()
        samples.append((time.monotonic() - start, *sample(server.pid)))
        if sys.stderr.isatty():
            print(file=sys.stderr)
        return report(stats, samples, args)
    finally:
        if server:
            server.terminate()
            server.wait(timeout=60)
        shutil.rmtree(work, ignore_errors=True)


def report(stats, samples, args):
    elapsed = samples[-1][0]
    print(f"soak: {stats.requests()} requests in {elapsed:.0f} s by {args.clients} clients "
          f"({stats.requests() / max(elapsed, 1e-9):.0f}/s)")
    print(f"{'route':40} {'requests':>9} {'errors':>7} {'busy':>5} {'p50 ms':>8} {'p99 ms':>8}")
    for route in sorted(stats.latency):
        times = stats.latency[route]
        errors = sum(c for (_, r), c in stats.errors.items() if r == route)
        print(f"{route:40} {len(times):9} {errors:7} {stats.busy.get(route, 0):5} "
              f"{1000 * percentile(times, 50):8.1f} {1000 * percentile(times, 99):8.1f}")
    for (kind, route), count in sorted(stats.errors.items()):
        print(f"error {kind} on {route}: {count} (first: {stats.first_error[(kind, route)]})")
    if stats.busy:
        print(f"busy: {sum(stats.busy.values())} answers 503 'busy' (the write gate), each "
              "retried after its Retry-After; not counted as errors")

    # Warm-up: the first fifth of the run, at least 10 s. Drift: the last fifth's mean RSS
    # against the mean of the first quarter of the samples after warm-up.
    fifth = max(1, len(samples) // 5)
    warm = [s for s in samples if s[0] >= max(10.0, samples[fifth - 1][0])] or samples[-1:]
    settled = warm[:max(1, len(warm) // 4)]
    rss_warm = statistics.mean(s[1] for s in settled)
    rss_end = statistics.mean(s[1] for s in samples[-fifth:])
    drift = 100 * (rss_end - rss_warm) / rss_warm
    trend = ", ".join(f"{samples[min(len(samples) - 1, i * len(samples) // 10)][1] / 1024:.0f}"
                      for i in range(11))
    # Descriptors: a file held open for a moment (a log being rolled, SQLite's journal) or a
    # client's connection shows in one sample; a leak raises the floor. So the fewest open in
    # the last fifth are compared with the fewest just after warm-up.
    def floor(rows, column):
        return min(row[column] for row in rows)
    file_growth = floor(samples[-fifth:], 2) - floor(settled, 2)
    socket_growth = floor(samples[-fifth:], 3) - floor(settled, 3)
    print(f"RSS: {rss_warm / 1024:.1f} MiB after warm-up, {rss_end / 1024:.1f} MiB at the end "
          f"(drift {drift:+.1f}%), peak {max(s[1] for s in samples) / 1024:.1f} MiB; by tenths of "
          f"the run (MiB): {trend}")
    print(f"descriptors (fewest open): files and pipes {floor(settled, 2)} after warm-up, "
          f"{floor(samples[-fifth:], 2)} at the end (at most {max(s[2] for s in warm)}); sockets "
          f"{floor(settled, 3)} after warm-up, {floor(samples[-fifth:], 3)} at the end "
          f"({len(samples)} samples)")

    errors = sum(stats.errors.values())
    if args.check:
        failures = []
        if errors:
            failures.append(f"{errors} errors")
        if file_growth > 0 or socket_growth > 0:
            failures.append(f"descriptors grew (files {file_growth:+}, sockets {socket_growth:+})")
        if drift > args.max_drift:
            failures.append(f"RSS drift {drift:.1f}% > {args.max_drift}%")
        if failures:
            print("soak: FAILED: " + ", ".join(failures))
            return 1
        print("soak: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
