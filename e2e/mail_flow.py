"""Email digests end to end, against a real `papertide serve` and a real SMTP server.

Run by scripts/mail-check, which starts the server (with `[mail] enabled`, SMTP pointing at
the port in PAPERTIDE_SMTP_PORT) and passes PAPERTIDE_URL, PAPERTIDE_BIN, PAPERTIDE_DATA_DIR.
This script runs the SMTP server itself: aiosmtpd on loopback, keeping every message it
receives, optionally slowly (to kill a digest run in the middle).

1. The full flow: subscribe on the web form -> the confirmation mail arrives -> its link
   confirms -> `papertide digest run` sends the digest -> the received message is parsed
   and checked (headers, both parts, links that work against the server) -> one-click
   unsubscribe (RFC 8058 POST) -> the next digest run sends this address nothing.
2. The crash test: 120 confirmed subscribers, a digest run killed with SIGKILL in the middle,
   then run again: every subscriber has exactly one digest of the period.
3. Password reset: an account with an address asks for a link on /reset -> the mail arrives
   -> its link sets a new password and signs in -> the link does not work twice, the session
   signed in before is ended, the old password no longer works.
"""

import email
import email.policy
import http.cookiejar
import os
import re
import signal
import subprocess
import threading
import time
import unittest
import urllib.parse
import urllib.request

from aiosmtpd.controller import Controller

URL = os.environ["PAPERTIDE_URL"].rstrip("/")
BIN = os.environ["PAPERTIDE_BIN"]
DATA = os.environ["PAPERTIDE_DATA_DIR"]
SMTP_PORT = int(os.environ["PAPERTIDE_SMTP_PORT"])
DAY_1, DAY_2 = "2026-03-02", "2026-03-04"  # the fixture's two feed days


class Inbox:
    """An aiosmtpd handler that keeps every message, optionally after a delay."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []
        self.delay = 0.0

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            time.sleep(self.delay)
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), msg))
        return "250 OK"

    def to(self, address, kind=None):
        with self.lock:
            found = [m for rcpts, m in self.messages if address in rcpts]
        if kind:
            found = [m for m in found if str(m["Message-ID"]).startswith(f"<{kind}.")]
        return found

    def wait_for(self, address, kind, count=1, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = self.to(address, kind)
            if len(got) >= count:
                return got
            time.sleep(0.2)
        raise AssertionError(f"no {kind} mail for {address} within {timeout} s")


INBOX = Inbox()
CONTROLLER = Controller(INBOX, hostname="127.0.0.1", port=SMTP_PORT)


def setUpModule():
    CONTROLLER.start()


def tearDownModule():
    CONTROLLER.stop()


class Browser:
    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path):
        with self.opener.open(path if path.startswith("http") else URL + path, timeout=30) as r:
            return r.status, r.read().decode()

    def post(self, path, fields, content_type="application/x-www-form-urlencoded"):
        data = urllib.parse.urlencode(fields).encode() if isinstance(fields, dict) else fields
        req = urllib.request.Request(path if path.startswith("http") else URL + path, data=data, method="POST")
        req.add_header("Content-Type", content_type)
        with self.opener.open(req, timeout=30) as r:
            return r.status, r.read().decode()

    def form(self, page_path, action, **fields):
        _, page = self.get(page_path)
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        return self.post(action, {"csrf": csrf, **fields})

    def signed_in_as(self, name):
        return f'href="/users/{name}"' in self.get("/")[1]

    def subscribe(self, address, **topics):
        _, page = self.get("/subscribe")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        fields = {"csrf": csrf, "email": address, "frequency": "daily", "trending": "1", **topics}
        return self.post("/subscribe", fields)


def links(text):
    return re.findall(r"https?://[^\s<>\"')]+", text)


def digest_run(*args, wait=True):
    cmd = [BIN, "--data-dir", DATA, "digest", "run", "--now", *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if wait:
        out, _ = proc.communicate(timeout=600)
        assert proc.returncode == 0, f"{cmd}: exit {proc.returncode}\n{out}"
        return out
    return proc


def confirm(address):
    mail = INBOX.wait_for(address, "confirm")[-1]
    text = mail.get_body(preferencelist=("plain",)).get_content()
    link = next(u for u in links(text) if "/subscribe/confirm?token=" in u)
    status, page = Browser().get(link)
    assert status == 200 and "You are subscribed" in page, page[:500]


class MailFlow(unittest.TestCase):
    def test_1_subscribe_confirm_digest_unsubscribe(self):
        address = "reader@example.org"
        status, page = Browser().subscribe(address, categories="cs.LG, cs.CL")
        self.assertEqual(status, 200)
        self.assertIn("Check your inbox", page)
        # Nothing but the confirmation before confirming.
        confirmation = INBOX.wait_for(address, "confirm")[0]
        self.assertIn("onfirm", str(confirmation["Subject"]))
        self.assertEqual(INBOX.to(address, "digest"), [])
        confirm(address)

        out = digest_run("--period", DAY_1)
        self.assertIn("1 built", out)
        digest = INBOX.wait_for(address, "digest")[0]
        self.assertEqual(str(digest["To"]), address)
        self.assertIn("papertide", str(digest["From"]))
        self.assertTrue(str(digest["Subject"]).strip())
        self.assertNotIn("$", str(digest["Subject"]))
        self.assertTrue(str(digest["Message-ID"]).startswith(f"<digest."))
        self.assertIn(DAY_1, str(digest["Message-ID"]))
        self.assertEqual(str(digest["List-Unsubscribe-Post"]), "List-Unsubscribe=One-Click")
        unsubscribe = re.match(r"<(https?://[^>]+)>", str(digest["List-Unsubscribe"])).group(1)
        self.assertTrue(unsubscribe.startswith(URL + "/unsubscribe?token="), unsubscribe)
        text = digest.get_body(preferencelist=("plain",)).get_content()
        html = digest.get_body(preferencelist=("html",)).get_content()
        paper_links = sorted({u for u in links(text) if "/papers/" in u})
        self.assertTrue(paper_links, text)
        for u in paper_links[:5] + [u for u in links(html) if "/subscribe" in u][:1]:
            status, _ = Browser().get(u.replace("&amp;", "&"))
            self.assertEqual(status, 200, u)
        for u in paper_links:
            self.assertIn(u, html.replace("&amp;", "&"), "both parts list the same papers")
        self.assertNotIn("<script", html.lower())

        # One click, as a mail client does it (RFC 8058): a POST without cookies.
        status, page = Browser().post(unsubscribe, b"List-Unsubscribe=One-Click")
        self.assertEqual(status, 200)
        self.assertIn("unsubscribed", page)
        before = len(INBOX.to(address))
        digest_run("--period", DAY_2)
        time.sleep(1)
        self.assertEqual(len(INBOX.to(address)), before, "nothing more after unsubscribing")

    def test_2_a_killed_digest_run_resumes_without_duplicates_or_gaps(self):
        people = [f"crash{i:03}@example.org" for i in range(120)]
        browser = Browser()
        for address in people:
            status, _ = browser.subscribe(address)
            self.assertEqual(status, 200)
        for address in people:
            confirm(address)
        INBOX.delay = 0.02
        proc = digest_run("--period", DAY_2, wait=False)
        deadline = time.time() + 120
        while sum(1 for a in people if INBOX.to(a, "digest")) < 30 and time.time() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        got_before = sum(1 for a in people if INBOX.to(a, "digest"))
        self.assertLess(got_before, len(people), "the run was killed in the middle")
        INBOX.delay = 0.0
        # The killed run's claimed messages become due again when their lease ends.
        deadline = time.time() + 120
        while time.time() < deadline:
            digest_run("--period", DAY_2)
            if all(INBOX.to(a, "digest") for a in people):
                break
            time.sleep(1)
        counts = {a: len(INBOX.to(a, "digest")) for a in people}
        ids = {a: {str(m["Message-ID"]) for m in INBOX.to(a, "digest")} for a in people}
        missing = [a for a, n in counts.items() if n == 0]
        self.assertEqual(missing, [], "every subscriber got the digest")
        self.assertTrue(all(len(s) == 1 for s in ids.values()), "one digest per subscriber and period")
        resent = sum(n - 1 for n in counts.values())
        print(f"crash test: {got_before} of {len(people)} sent before SIGKILL, the rest after the restart; "
              f"{resent} message(s) sent again after the kill (same Message-ID)")
        # [mail.digest] concurrency (default 8) messages are sent at once: at most that many can be
        # in flight at the kill, accepted by the server but not yet recorded as sent.
        self.assertLessEqual(resent, 8, "at most the messages in flight at the kill are resent")



    def test_3_password_reset_by_mail(self):
        import urllib.error

        address = "ada.reset@example.org"
        laptop = Browser()
        laptop.form("/signup", "/signup", name="ada_reset", password="correct horse battery", email=address)
        self.assertTrue(laptop.signed_in_as("ada_reset"))
        phone = Browser()
        status, page = phone.form("/reset", "/reset", name="ada_reset")
        self.assertEqual(status, 200)
        self.assertIn("on its way", page)
        mail = INBOX.wait_for(address, "reset")[0]
        self.assertIn("password", str(mail["Subject"]))
        text = mail.get_body(preferencelist=("plain",)).get_content()
        link = next(u for u in links(text) if "/reset/password?token=" in u)
        self.assertTrue(link.startswith(URL + "/reset/password?token="), link)
        token = link.split("token=", 1)[1]
        status, _ = phone.form(link, "/reset/password", token=token, password="a brand new passphrase")
        self.assertEqual(status, 200)
        self.assertTrue(phone.signed_in_as("ada_reset"), "signed in with the new password")
        self.assertFalse(laptop.signed_in_as("ada_reset"), "the session from before is ended")
        with self.assertRaises(urllib.error.HTTPError) as used:
            phone.get(link)
        self.assertEqual(used.exception.code, 400, "a link works once")
        with self.assertRaises(urllib.error.HTTPError) as old:
            Browser().form("/signin", "/signin", name="ada_reset", password="correct horse battery")
        self.assertEqual(old.exception.code, 401)
        fresh = Browser()
        fresh.form("/signin", "/signin", name="ada_reset", password="a brand new passphrase")
        self.assertTrue(fresh.signed_in_as("ada_reset"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
