"""Conformance of papertide's Hub-compatible paper API with the real `huggingface_hub` client.

Run by scripts/hf-conformance against a fresh `papertide serve` (PAPERTIDE_URL) holding the
e2e fixture (the first 300 papers of the daily cs listings, auto-featured on their listing
days, and the Kaggle snapshot head). Uses the official client exactly as users do:
`HfApi(endpoint=URL)` and the `hf papers` CLI with `HF_ENDPOINT=URL`.

Every field `PaperInfo` parses must come back parsed (not None) where papertide has the data.
"""

import datetime as dt
import http.cookiejar
import json
import os
import re
import subprocess
import sys
import unittest
import urllib.parse
import urllib.request

from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError, EntryNotFoundError

URL = os.environ["PAPERTIDE_URL"].rstrip("/")
HF_CLI = os.environ.get("PAPERTIDE_HF_CLI", "hf")
# A listing day of the fixture with many papers on its feed.
DAY = os.environ.get("PAPERTIDE_HF_DAY", "2026-03-02")
USER = "hfclient_" + str(os.getpid())
SUBMITTED = "0704.0002"  # in the Kaggle head, on no feed until submitted


class Browser:
    """A cookie-keeping HTTP client that posts forms with their CSRF token."""

    def __init__(self):
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path):
        with self.opener.open(URL + path) as r:
            return r.read().decode()

    def post(self, page, path, fields):
        token = re.search(r'name="csrf" value="([^"]+)"', self.get(page)).group(1)
        data = urllib.parse.urlencode({"csrf": token, **fields}).encode()
        with self.opener.open(URL + path, data=data) as r:
            return r.geturl()


def setUpModule():
    # One user signs up and submits a paper through the site, for the `submitter` filter.
    b = Browser()
    b.post("/signup", "/signup", {"name": USER, "password": "correct horse battery"})
    b.post("/papers/submit", "/papers/submit", {"paper": SUBMITTED})


class DailyPapers(unittest.TestCase):
    api = HfApi(endpoint=URL)

    def assert_parsed(self, p, on_feed=True):
        self.assertRegex(p.id, r"^\d{4}\.\d{4,5}$")
        self.assertTrue(p.title)
        self.assertTrue(p.summary)
        self.assertTrue(p.authors and all(a.name for a in p.authors), p.id)
        self.assertIsInstance(p.published_at, dt.datetime)
        self.assertIsInstance(p.upvotes, int)
        self.assertIsInstance(p.comments, int)
        self.assertEqual(p.discussion_id, p.id)
        if on_feed:
            self.assertIsInstance(p.submitted_at, dt.datetime)

    def test_a_day(self):
        papers = list(self.api.list_daily_papers(date=DAY, limit=100))
        self.assertGreaterEqual(len(papers), 10)
        for p in papers:
            self.assert_parsed(p)
        self.assertEqual(len({p.id for p in papers}), len(papers), "no duplicates")

    def test_week_and_month_hold_the_day(self):
        day = {p.id for p in self.api.list_daily_papers(date=DAY, limit=100)}
        year, week, _ = dt.date.fromisoformat(DAY).isocalendar()
        weekly = list(self.api.list_daily_papers(week=f"{year}-W{week:02d}", limit=100))
        monthly = list(self.api.list_daily_papers(month=DAY[:7], limit=100))
        for papers in (weekly, monthly):
            for p in papers:
                self.assert_parsed(p)
        self.assertGreaterEqual(len(weekly), len(day))
        self.assertGreaterEqual(len(monthly), len(weekly) if len(weekly) < 100 else 100)
        # The week's first page holds the day's papers when the week fits in one page.
        if len(weekly) < 100:
            self.assertLessEqual(day, {p.id for p in weekly})

    def test_sorted_both_ways(self):
        newest = list(self.api.list_daily_papers(date=DAY, sort="publishedAt", limit=100))
        times = [p.submitted_at for p in newest]
        self.assertEqual(times, sorted(times, reverse=True), "publishedAt: newest submission first")
        trending = list(self.api.list_daily_papers(date=DAY, sort="trending", limit=100))
        self.assertEqual({p.id for p in trending}, {p.id for p in newest})
        votes = [p.upvotes for p in self.api.list_daily_papers(date=DAY, limit=100)]
        self.assertEqual(votes, sorted(votes, reverse=True), "default: most upvoted first")

    def test_paging(self):
        first = [p.id for p in self.api.list_daily_papers(date=DAY, limit=3, p=0)]
        second = [p.id for p in self.api.list_daily_papers(date=DAY, limit=3, p=1)]
        both = [p.id for p in self.api.list_daily_papers(date=DAY, limit=6)]
        self.assertEqual(len(first), 3)
        self.assertEqual(first + second, both)
        self.assertEqual(list(self.api.list_daily_papers(date=DAY, limit=3, p=100)), [])

    def test_submitter(self):
        mine = list(self.api.list_daily_papers(date=dt.date.today().isoformat(), submitter=USER))
        self.assertEqual([p.id for p in mine], [SUBMITTED])
        self.assertEqual(mine[0].submitted_by.username, USER)
        self.assertEqual(mine[0].submitted_at.date(), dt.date.today())

    def test_bad_parameters_are_client_errors(self):
        for kwargs in ({"date": "2026-13-45"}, {"week": "2026-03"}, {"sort": "best"}, {"limit": 0}):
            with self.assertRaises(HfHubHTTPError) as caught:
                list(self.api.list_daily_papers(**kwargs))
            self.assertEqual(caught.exception.response.status_code, 400, kwargs)


class Papers(unittest.TestCase):
    api = HfApi(endpoint=URL)

    def some_paper(self):
        return next(iter(self.api.list_daily_papers(date=DAY, limit=1)))

    def test_search(self):
        target = self.some_paper()
        words = " ".join(target.title.split()[:6])
        hits = list(self.api.list_papers(query=words, limit=5))
        self.assertLessEqual(len(hits), 5)
        self.assertEqual(hits[0].id, target.id, words)
        for p in hits:
            self.assertTrue(p.title and p.summary and p.authors)
            self.assertIsInstance(p.published_at, dt.datetime)
            self.assertIsInstance(p.upvotes, int)
        self.assertEqual(list(self.api.list_papers(query="", limit=5)), [])

    def test_info(self):
        target = self.some_paper()
        info = self.api.paper_info(target.id)
        self.assertEqual((info.id, info.title, info.summary), (target.id, target.title, target.summary))
        self.assertEqual([a.name for a in info.authors], [a.name for a in target.authors])
        self.assertIsInstance(info.published_at, dt.datetime)
        self.assertIsInstance(info.submitted_at, dt.datetime)
        self.assertIsInstance(info.upvotes, int)
        self.assertIsInstance(info.comments, int)

    def test_unknown_and_malformed_ids(self):
        with self.assertRaises(EntryNotFoundError):
            self.api.paper_info("2601.99999")
        with self.assertRaises(HfHubHTTPError) as caught:
            self.api.paper_info("not-a-paper")
        self.assertEqual(caught.exception.response.status_code, 400)

    def test_read(self):
        target = self.some_paper()
        text = self.api.read_paper(target.id)
        self.assertTrue(text.startswith("# "), text[:80])
        self.assertIn(target.summary.split()[0], text)


class Cli(unittest.TestCase):
    """The `hf papers` commands, pointed at papertide with HF_ENDPOINT."""

    def hf(self, *args):
        env = {**os.environ, "HF_ENDPOINT": URL, "HF_HUB_DISABLE_TELEMETRY": "1", "NO_COLOR": "1"}
        run = subprocess.run([HF_CLI, "papers", *args], env=env, capture_output=True, text=True, timeout=120)
        self.assertEqual(run.returncode, 0, run.stderr)
        return run.stdout

    def test_ls_search_info_read(self):
        listed = json.loads(self.hf("ls", "--date", DAY, "--limit", "5", "--format", "json"))
        self.assertEqual(len(listed), 5)
        first = listed[0]
        self.assertTrue(first["id"] and first["title"] and first["summary"] and first["published_at"])
        found = json.loads(self.hf("search", " ".join(first["title"].split()[:6]), "--limit", "3", "--format", "json"))
        self.assertEqual(found[0]["id"], first["id"])
        info = json.loads(self.hf("info", first["id"], "--format", "json"))
        self.assertEqual(info["title"], first["title"])
        self.assertTrue(info["authors"])
        text = self.hf("read", first["id"])
        self.assertTrue(text.startswith("# "))


if __name__ == "__main__":
    result = unittest.main(verbosity=2, exit=False).result
    sys.exit(0 if result.wasSuccessful() else 1)
