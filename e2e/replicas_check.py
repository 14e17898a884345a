"""Two papertide replicas over one PostgreSQL behind nginx (scripts/replicas-check runs this).

Checks, with only the standard library:
  1. Writes through replica A (API: submit, upvote, comment) read back through replica B and
     through nginx at once; the feed on B shows the submission within its 5 s cache.
  2. A session made by signing in on A is valid on B (sessions live in the database).
  3. A paper imported into the database is found by search on both replicas within 5 s
     (each replica follows the change feed into its own index); the time is printed.
  4. Rate limits are shared: the 11th wrong sign-in through nginx in a minute is refused,
     whichever replica served the first ten.
  5. One replica holds the background lease.
  6. kill -9 of replica A under write load through nginx: reads keep being served (by B), and
     every acknowledged write (a comment answered 201) is in the database afterwards.
  7. PostgreSQL restarted under load: requests fail cleanly (503, no hang) while it is down,
     then succeed again.

Environment: PT_A, PT_B, PT_LB (base URLs), PT_A_PID, PT_TOKEN (write token of user ada),
PT_PASSWORD (ada's password), PT_IMPORT (a command that imports the new paper), PT_PSQL (a
command prefix that runs SQL on the database), PT_PG_RESTART (a command that restarts
PostgreSQL).
"""

import http.cookiejar
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

A, B, LB = os.environ["PT_A"], os.environ["PT_B"], os.environ["PT_LB"]
TOKEN = os.environ["PT_TOKEN"]
PAPER = "2603.00001"  # replaced below by a paper of the fixture


def request(method, url, body=None, token=None, opener=None, timeout=10, form=None, headers=None):
    headers = dict(headers or {})
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if token:
        headers["Authorization"] = "Bearer " + token
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with (opener or urllib.request.build_opener()).open(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def get_json(url, **kw):
    status, text = request("GET", url, **kw)
    assert status == 200, (url, status, text[:300])
    return json.loads(text)


def check(cond, what):
    if not cond:
        sys.exit("FAILED: " + what)
    print("ok:", what)


def first_paper():
    page = get_json(A + "/api/daily_papers?limit=1")
    return page[0]["paper"]["id"]


def writes_through_a_read_through_b():
    global PAPER
    PAPER = first_paper()
    status, text = request("PUT", A + "/api/v1/papers/%s/upvote" % PAPER, token=TOKEN)
    check(status in (200, 201), "upvote through A (%s)" % status)
    status, text = request("POST", A + "/api/v1/papers/%s/comments" % PAPER, {"body": "Read on **B**."}, token=TOKEN)
    check(status == 201, "comment through A (%s)" % status)
    comment_id = json.loads(text)["id"]
    for base, name in ((B, "B"), (LB, "nginx")):
        paper = get_json(base + "/api/v1/papers/" + PAPER)
        check(paper["upvotes"] >= 1 and paper["comments"] >= 1, "%s sees the upvote and the comment at once" % name)
        comments = get_json(base + "/api/v1/papers/%s/comments" % PAPER)
        check(any(c["id"] == comment_id for c in comments["comments"]), "%s lists the comment" % name)
    # Submission of a paper to today's feed through A, read on B's feed (cached up to 5 s).
    other = get_json(A + "/api/v1/search?q=learning&mode=keyword&limit=5")["hits"][-1]["id"]
    status, text = request("POST", A + "/api/v1/papers", {"id": other}, token=TOKEN)
    check(status in (200, 201), "submit %s through A (%s %s)" % (other, status, text[:120]))
    deadline = time.time() + 8
    while time.time() < deadline:
        status, html = request("GET", B + "/")
        if other in html:
            break
        time.sleep(0.5)
    check(other in html, "B's feed shows the submission within its cache time")


def sessions_cross_replicas():
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    status, html = request("GET", A + "/signin", opener=opener)
    csrf = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
    status, _ = request(
        "POST", A + "/signin", form={"csrf": csrf, "name": "ada", "password": os.environ["PT_PASSWORD"]}, opener=opener
    )
    check(status in (200, 303), "sign in on A (%s)" % status)
    # The cookie is for 127.0.0.1 (any port): the same jar on B.
    status, html = request("GET", B + "/for-you", opener=opener)
    check(status == 200 and 'href="/users/ada"' in html, "the session made on A is signed in on B")


def search_consistency():
    word = "zyxquokka%d" % int(time.time())
    line = json.dumps(
        {
            "id": "2612.%05d" % (int(time.time()) % 100000),
            "title": "The %s sorting network" % word,
            "abstract": "We study %s networks." % word,
            "authors": ["Ada Lovelace"],
            "categories": ["math.CO"],
            "published": "2026-12-01T00:00:00Z",
            "version": 1,
            "source": "local",
        }
    )
    subprocess.run(os.environ["PT_IMPORT"], shell=True, input=line.encode(), check=True, capture_output=True)
    imported = time.time()
    found = {}
    while len(found) < 2 and time.time() - imported < 15:
        for base, name in ((A, "A"), (B, "B")):
            if name not in found:
                hits = get_json(base + "/api/v1/search?q=%s&mode=keyword" % word)["hits"]
                if hits:
                    found[name] = time.time() - imported
        time.sleep(0.1)
    print("search consistency: found on", {k: "%.2f s" % v for k, v in found.items()})
    check(len(found) == 2 and max(found.values()) < 5.0, "a paper imported into the database is searchable on both replicas within 5 s")


def shared_rate_limits():
    # A client address of its own (nginx appends the connecting address, 127.0.0.1, which is
    # a trusted proxy, so the replicas count this request under 203.0.113.9).
    client = {"X-Forwarded-For": "203.0.113.9"}
    statuses = []
    for _ in range(11):
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        _, html = request("GET", LB + "/signin", opener=opener, headers=client)
        csrf = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
        form = {"csrf": csrf, "name": "nobody", "password": "wrong password!"}
        status, _ = request("POST", LB + "/signin", form=form, opener=opener, headers=client)
        statuses.append(status)
    check(statuses[:10] == [401] * 10 and statuses[10] == 429, "sign-in limit shared through nginx: %s" % statuses)


def psql(sql):
    out = subprocess.run(os.environ["PT_PSQL"] + ' -At -c "%s"' % sql, shell=True, check=True, capture_output=True)
    return out.stdout.decode().strip()


def one_background_holder():
    rows = psql("SELECT holder FROM leases WHERE name = 'serve.background' AND expires_at > extract(epoch FROM now())")
    check(len(rows.splitlines()) == 1, "one replica holds the background lease (%s)" % rows)


class Load:
    """Readers and writers through nginx; writers record every acknowledged comment."""

    def __init__(self, readers=4, writers=2):
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acked, self.read_ok, self.read_err, self.write_err = [], 0, [], []
        self.threads = [threading.Thread(target=self.read) for _ in range(readers)]
        self.threads += [threading.Thread(target=self.write, args=(i,)) for i in range(writers)]

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join()

    def read(self):
        urls = [LB + "/", LB + "/papers/" + PAPER, LB + "/api/v1/papers/" + PAPER, LB + "/search?q=attention"]
        i = 0
        while not self.stop.is_set():
            i += 1
            t0 = time.time()
            try:
                status, _ = request("GET", urls[i % len(urls)], timeout=15)
            except OSError as e:
                status = str(e)
            with self.lock:
                if status == 200:
                    self.read_ok += 1
                else:
                    self.read_err.append((round(time.time(), 2), status, round(time.time() - t0, 2)))

    def write(self, n):
        i = 0
        while not self.stop.is_set():
            i += 1
            body = "load comment %d-%d-%f" % (n, i, time.time())
            try:
                status, text = request("POST", LB + "/api/v1/papers/%s/comments" % PAPER, {"body": body}, token=TOKEN, timeout=15)
            except OSError as e:
                status, text = str(e), ""
            with self.lock:
                if status == 201:
                    self.acked.append(json.loads(text)["id"])
                else:
                    self.write_err.append(status)
            time.sleep(0.02)


def comment_ids():
    return set(int(x) for x in psql("SELECT pk FROM comments").split())


def kill_a_replica_under_load():
    with Load() as load:
        time.sleep(3)
        os.kill(int(os.environ["PT_A_PID"]), 9)
        killed = time.time()
        time.sleep(5)
    stored = comment_ids()
    lost = [c for c in load.acked if c not in stored]
    print(
        "kill -9 A: %d reads ok, %d read errors %s; %d writes acknowledged, %d write errors %s"
        % (load.read_ok, len(load.read_err), load.read_err[:5], len(load.acked), len(load.write_err), load.write_err[:5])
    )
    check(not lost, "no acknowledged write lost when a replica is killed (%d acknowledged)" % len(load.acked))
    late = [e for e in load.read_err if e[0] > killed + 1]
    check(not late, "reads keep being served by the other replica after the kill (%s)" % late[:3])


def restart_postgres_under_load():
    with Load() as load:
        time.sleep(2)
        before = load.read_ok
        t0 = time.time()
        subprocess.run(os.environ["PT_PG_RESTART"], shell=True, check=True, capture_output=True)
        restarted = time.time()
        time.sleep(6)
    statuses = sorted(set(str(e[1]) for e in load.read_err))
    slowest = max([e[2] for e in load.read_err] or [0])
    print(
        "PostgreSQL restart (%.1f s): %d reads ok (%d before), errors %s (slowest error %.1f s), %d writes acknowledged, write errors %s"
        % (restarted - t0, load.read_ok, before, statuses, slowest, len(load.acked), sorted(set(map(str, load.write_err))))
    )
    check(all(s in ("500", "502", "503") for s in statuses), "errors during the restart are clean HTTP errors")
    check(slowest < 10, "no request hangs while the database is down")
    status, _ = request("GET", LB + "/api/v1/papers/" + PAPER)
    check(status == 200, "requests succeed again after the restart")
    stored = comment_ids()
    check(all(c in stored for c in load.acked), "no acknowledged write lost across the restart")


if __name__ == "__main__":
    writes_through_a_read_through_b()
    sessions_cross_replicas()
    search_consistency()
    shared_rate_limits()
    one_background_holder()
    kill_a_replica_under_load()
    restart_postgres_under_load()
    print("replicas-check: all passed")
