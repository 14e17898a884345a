"""papertide's Atom and RSS feeds read by Python's `feedparser`, as feed readers do.

Run by scripts/feeds-check against a fresh `papertide serve` (PAPERTIDE_URL) holding the e2e
fixture (the first 300 papers of the daily cs listings, auto-featured on their listing days,
and the Kaggle snapshot head). Fetches the daily feeds, a category feed and a search feed in
both formats and checks that each is well-formed (`bozo == 0`: no XML or encoding error, no
undeclared namespace, no feedparser complaint), of the right version, served with the right
content type, and that every entry has a title, link, id, publication date, authors and a
summary. With PAPERTIDE_FEEDS_HOSTILE (a paper with markup in every field, imported by the
script), also that a feed reader gets that paper's fields back as the very text imported.
"""

import html
import json
import os
import re
import sys
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

import feedparser

URL = os.environ["PAPERTIDE_URL"].rstrip("/")
CATEGORY = os.environ.get("PAPERTIDE_FEEDS_CATEGORY", "cs.LG")
QUERY = os.environ.get("PAPERTIDE_FEEDS_QUERY", "language models")
# A paper (export JSON) with markup in its fields, imported into the running server's database.
HOSTILE = os.environ.get("PAPERTIDE_FEEDS_HOSTILE")
# A personal API token (write scope) of a user, for the private "For you" feeds.
TOKEN = os.environ.get("PAPERTIDE_FEEDS_TOKEN")

CONTENT_TYPES = {"atom10": "application/atom+xml; charset=utf-8", "rss20": "application/rss+xml; charset=utf-8"}


def fetch(path):
    with urllib.request.urlopen(URL + path, timeout=30) as r:
        return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()


class Feeds(unittest.TestCase):
    def check(self, path, version, non_empty, cache="public, max-age=300"):
        status, headers, body = fetch(path)
        self.assertEqual(status, 200, path)
        self.assertEqual(headers.get("content-type"), CONTENT_TYPES[version], path)
        self.assertEqual(headers.get("cache-control"), cache, path)
        # feedparser honours the HTTP content type and charset when given the headers.
        d = feedparser.parse(body, response_headers=headers)
        self.assertEqual(d.bozo, 0, f"{path}: {d.get('bozo_exception')!r}")
        self.assertEqual(d.version, version, path)
        self.assertTrue(d.feed.get("title"), path)
        self.assertTrue(d.feed.get("updated_parsed"), path)
        self_links = [l.href for l in d.feed.get("links", []) if l.get("rel") == "self"]
        self.assertEqual(len(self_links), 1, f"{path}: {d.feed.get('links')}")
        self.assertTrue(self_links[0].endswith(path), f"{path}: {self_links}")
        self.assertTrue(d.feed.get("generator"), path)
        if version == "atom10":
            self.assertTrue(d.feed.get("id"), path)
        if non_empty:
            self.assertTrue(d.entries, f"{path}: no entries")
        self.assertLessEqual(len(d.entries), 50, path)
        ids = set()
        for e in d.entries:
            where = f"{path} {e.get('id')}"
            self.assertTrue(e.get("title"), where)
            self.assertIn("/papers/", e.get("link", ""), where)
            self.assertTrue(e.get("id"), where)
            self.assertNotIn(e.id, ids, f"{where}: duplicate id")
            ids.add(e.id)
            self.assertEqual(e.id, e.link, f"{where}: the id is the permalink")
            self.assertTrue(e.get("published_parsed"), where)
            self.assertTrue(e.get("authors") and all(a.get("name") for a in e.authors), where)
            self.assertTrue(e.get("author"), where)
            self.assertTrue(e.get("summary"), where)
            self.assertTrue(e.get("tags"), f"{where}: categories")
        print(f"ok {path}: {d.version}, {len(d.entries)} entries, {d.feed.title!r}", file=sys.stderr)
        return d

    def test_daily(self):
        atom = self.check("/feeds/daily.atom", "atom10", True)
        rss = self.check("/feeds/daily.rss", "rss20", True)
        self.assertEqual([e.id for e in atom.entries], [e.id for e in rss.entries], "same papers, same order")

    def test_category(self):
        for ext, version in [("atom", "atom10"), ("rss", "rss20")]:
            d = self.check(f"/feeds/category/{CATEGORY}.{ext}", version, True)
            for e in d.entries:
                terms = [t.term for t in e.tags]
                self.assertIn(CATEGORY, terms, f"{e.id}: {terms}")
            self.check(f"/feeds/category/{CATEGORY.split('.')[0]}.{ext}", version, True)

    def test_search(self):
        q = urllib.parse.urlencode({"q": QUERY, "mode": "keyword"})
        for ext, version in [("atom", "atom10"), ("rss", "rss20")]:
            d = self.check(f"/feeds/search.{ext}?{q}", version, True)
            dates = [e.published_parsed for e in d.entries]
            self.assertEqual(dates, sorted(dates, reverse=True), "newest first")

    @unittest.skipUnless(HOSTILE, "no hostile paper imported (PAPERTIDE_FEEDS_HOSTILE unset)")
    def test_hostile_paper_reads_as_text(self):
        # scripts/feeds-check imports a paper with markup in every field after the server
        # started; the server's worker indexes it within seconds. Each try asks a new query
        # (one more excluded nonsense word), so no cached empty answer is reused.
        paper = json.loads(HOSTILE)
        word = re.search(r"quokka\w+", paper["title"]).group(0)
        for attempt in range(60):
            q = urllib.parse.urlencode({"q": f"{word} -zz{attempt}", "mode": "keyword"})
            if feedparser.parse(fetch(f"/feeds/search.atom?{q}")[2]).entries:
                break
            time.sleep(1)
        for ext, version in [("atom", "atom10"), ("rss", "rss20")]:
            d = self.check(f"/feeds/search.{ext}?{q}", version, True)
            self.assertEqual(len(d.entries), 1, [e.id for e in d.entries])
            e = d.entries[0]
            # The title and authors come back as the very text imported: escaped, not interpreted.
            self.assertEqual(e.title_detail.type, "text/plain")
            self.assertEqual(e.title, paper["title"])
            self.assertEqual([a.name for a in e.authors], paper["authors"])
            if version == "atom10":
                self.assertEqual((e.summary_detail.type, e.summary), ("text/plain", paper["abstract"]))
            else:
                # An RSS description is HTML: the abstract arrives HTML-escaped, to show as text.
                self.assertEqual(e.summary_detail.type, "text/html")
                self.assertEqual(html.unescape(e.summary), paper["abstract"])
                self.assertNotIn("<img", e.summary)

    @unittest.skipUnless(TOKEN, "no token (PAPERTIDE_FEEDS_TOKEN unset)")
    def test_for_you(self):
        # One upvote through the API, then the private feeds: recommendations, each entry's
        # summary opening with why it was picked (or the trending fallback before embeddings).
        daily = feedparser.parse(fetch("/feeds/daily.atom")[2])
        liked = daily.entries[0].link.split("/papers/", 1)[1]
        req = urllib.request.Request(f"{URL}/api/v1/papers/{liked}/upvote", method="PUT",
                                     headers={"Authorization": f"Bearer {TOKEN}"})
        with urllib.request.urlopen(req, timeout=30) as r:
            self.assertIn(r.status, (200, 204))
        q = urllib.parse.urlencode({"token": TOKEN})
        for ext, version in [("atom", "atom10"), ("rss", "rss20")]:
            d = self.check(f"/feeds/for-you.{ext}?{q}", version, True, cache="private, no-cache")
            self.assertNotIn(liked, [e.link.split("/papers/", 1)[1] for e in d.entries], "never what was upvoted")
            for e in d.entries:
                self.assertTrue(re.match(r"(Similar to|Close to|Trending)", html.unescape(e.summary)), e.summary[:80])
        for bad in ["", "pt_" + "x" * 43]:
            with self.assertRaises(urllib.error.HTTPError) as cm:
                fetch("/feeds/for-you.atom?" + urllib.parse.urlencode({"token": bad}))
            self.assertEqual(cm.exception.code, 401)
            self.assertNotIn("set-cookie", {k.lower() for k in cm.exception.headers.keys()})

    def test_bad_category(self):
        with self.assertRaises(urllib.error.HTTPError) as cm:
            fetch("/feeds/category/%3Cscript%3E.atom")
        self.assertEqual(cm.exception.code, 400)

    def test_html_pages_announce_the_feed(self):
        _, _, body = fetch("/")
        self.assertIn(b'<link rel="alternate" type="application/atom+xml"', body)


if __name__ == "__main__":
    print(f"feedparser {feedparser.__version__} against {URL}", file=sys.stderr)
    unittest.main(verbosity=2)
