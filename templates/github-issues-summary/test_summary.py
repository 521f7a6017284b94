"""Unit tests for summary.py, without network: python3 -m unittest test_summary.py"""

import contextlib
import io
import json
import unittest
import urllib.error
import urllib.parse

import summary

TOKEN = "ghp_example_token_never_printed"
ENV = {
    "GITHUB_REPOSITORY": "acme/widgets",
    "GITHUB_TOKEN": TOKEN,
    "CHAT_WEBHOOK_URL": "https://chat.example/hooks/T0?key=s3cret",
    "GITHUB_API_URL": "https://github.example/api/v3/",
}


class FakeResponse(io.BytesIO):
    status = 200


class FakeGitHub:
    """Stands in for urllib.request.urlopen: answers the search API, records posts."""

    def __init__(self, counts, search_status=200):
        self.counts = counts
        self.search_status = search_status
        self.requests = []
        self.posted = []

    def __call__(self, request, timeout=None):
        self.requests.append(request)
        if request.get_method() == "POST":
            self.posted.append(json.loads(request.data))
            return FakeResponse(b"ok")
        if self.search_status != 200:
            raise urllib.error.HTTPError(request.full_url, self.search_status, "Unauthorized",
                                         {}, io.BytesIO(b'{"message": "Bad credentials"}'))
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(request.full_url).query)["q"][0]
        state = query.rsplit("state:", 1)[1]
        return FakeResponse(json.dumps({"total_count": self.counts[state]}).encode())


def run_main(env, fake):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = summary.main(dict(env), urlopen=fake)
    return status, out.getvalue() + err.getvalue()


class SummaryTest(unittest.TestCase):
    def test_posts_counts_of_each_state(self):
        fake = FakeGitHub({"open": 3, "closed": 40})
        status, output = run_main(ENV, fake)
        self.assertEqual(status, 0, output)
        self.assertEqual(fake.posted, [{"text": "acme/widgets issues: 3 open, 40 closed (43 in all)"}])
        searches = [r for r in fake.requests if r.get_method() == "GET"]
        self.assertEqual(len(searches), 2)
        for request in searches:
            self.assertTrue(request.full_url.startswith("https://github.example/api/v3/search/issues?"))
            self.assertEqual(request.get_header("Authorization"), f"Bearer {TOKEN}")
        self.assertNotIn(TOKEN, output)
        self.assertNotIn("s3cret", output)

    def test_query_excludes_pull_requests(self):
        url = summary.search_url(summary.settings_from(ENV), "open")
        self.assertIn("q=repo:acme/widgets+is:issue+state:open", url)

    def test_missing_settings_exit_2(self):
        status, output = run_main({"GITHUB_TOKEN": TOKEN}, FakeGitHub({}))
        self.assertEqual(status, 2)
        self.assertIn("GITHUB_REPOSITORY", output)
        self.assertIn("CHAT_WEBHOOK_URL", output)
        self.assertNotIn(TOKEN, output)

    def test_http_error_exits_1_without_the_token(self):
        fake = FakeGitHub({}, search_status=401)
        status, output = run_main(ENV, fake)
        self.assertEqual(status, 1)
        self.assertIn("HTTP 401", output)
        self.assertIn("Bad credentials", output)
        self.assertEqual(fake.posted, [])
        self.assertNotIn(TOKEN, output)


if __name__ == "__main__":
    unittest.main()
