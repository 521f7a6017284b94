#!/usr/bin/env python3
"""{{name}}: counts a GitHub repository's open and closed issues (pull requests
excluded) and posts a one-line summary to a chat webhook as JSON: {"text": "..."}.

Environment:
  GITHUB_REPOSITORY  owner/name of the repository (required)
  GITHUB_TOKEN       a token that may read the repository (required, never printed)
  CHAT_WEBHOOK_URL   where the summary is POSTed (required)
  GITHUB_API_URL     the API's base URL (default https://api.github.com; GitHub
                     Enterprise: https://HOST/api/v3)

Exit status: 0 posted, 1 an HTTP or network failure, 2 bad configuration.
Standard library only.
"""

import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone

TASK_NAME = "{{name}}"
DEFAULT_API_URL = "https://api.github.com"
REQUEST_TIMEOUT_SECONDS = 30
USER_AGENT = f"{TASK_NAME} (github-issues-summary)"
STATES = ("open", "closed")
REPOSITORY_PATTERN = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


class Failure(Exception):
    """A run that cannot succeed; carries the exit status."""

    def __init__(self, message, status=1):
        super().__init__(message)
        self.status = status


class Settings:
    def __init__(self, repository, token, webhook_url, api_url):
        self.repository = repository
        self.token = token
        self.webhook_url = webhook_url
        self.api_url = api_url.rstrip("/")


def settings_from(environ):
    missing = [name for name in ("GITHUB_REPOSITORY", "GITHUB_TOKEN", "CHAT_WEBHOOK_URL")
               if not environ.get(name, "").strip()]
    if missing:
        raise Failure("missing environment: " + ", ".join(missing)
                      + " (set them in task.yaml run.env, or with `task config set`;"
                      + " the token with --secret)", status=2)
    repository = environ["GITHUB_REPOSITORY"].strip()
    if not REPOSITORY_PATTERN.match(repository):
        raise Failure(f"GITHUB_REPOSITORY must look like owner/name, not {repository!r}",
                      status=2)
    api_url = environ.get("GITHUB_API_URL", "").strip() or DEFAULT_API_URL
    for name, url in (("GITHUB_API_URL", api_url),
                      ("CHAT_WEBHOOK_URL", environ["CHAT_WEBHOOK_URL"].strip())):
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise Failure(f"{name} must be an http:// or https:// URL", status=2)
    return Settings(repository, environ["GITHUB_TOKEN"].strip(),
                    environ["CHAT_WEBHOOK_URL"].strip(), api_url)


def describe(url):
    """Scheme, host, port and path of a URL: webhook URLs often carry a secret in
    their query or user part, so those never go to the log."""
    parts = urllib.parse.urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname or ''}{port}{parts.path}"


def search_url(settings, state):
    query = f"repo:{settings.repository} is:issue state:{state}"
    # quote_plus keeps the query readable: q=repo:owner/name+is:issue+state:open
    return (f"{settings.api_url}/search/issues?q={urllib.parse.quote_plus(query, safe=':/')}"
            "&per_page=1")


def http_error_detail(error):
    """GitHub explains failures in a JSON body's "message"."""
    try:
        body = json.loads(error.read(4096).decode("utf-8", "replace"))
        message = body.get("message") if isinstance(body, dict) else None
    except (ValueError, OSError):
        message = None
    return f": {message}" if message else ""


def count_issues(settings, state, urlopen):
    request = urllib.request.Request(search_url(settings, state), headers={
        "Accept": "application/vnd.github+json",
        "Authorization": f"Bearer {settings.token}",
        "X-GitHub-Api-Version": "2022-11-28",
        "User-Agent": USER_AGENT,
    })
    what = f"counting {state} issues at {describe(settings.api_url)}"
    try:
        with urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:
            payload = json.load(response)
    except urllib.error.HTTPError as error:
        raise Failure(f"{what}: HTTP {error.code} {error.reason}{http_error_detail(error)}")
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise Failure(f"{what}: {reason}")
    except ValueError:
        raise Failure(f"{what}: the answer is not JSON")
    count = payload.get("total_count") if isinstance(payload, dict) else None
    if not isinstance(count, int):
        raise Failure(f"{what}: the answer has no total_count")
    if payload.get("incomplete_results"):
        log(f"GitHub says the {state} count may be incomplete")
    return count


def post_summary(settings, text, urlopen):
    body = json.dumps({"text": text}).encode("utf-8")
    request = urllib.request.Request(settings.webhook_url, data=body, method="POST", headers={
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    })
    what = f"posting to {describe(settings.webhook_url)}"
    try:
        with urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:
            return response.status
    except urllib.error.HTTPError as error:
        raise Failure(f"{what}: HTTP {error.code} {error.reason}")
    except (urllib.error.URLError, OSError) as error:
        raise Failure(f"{what}: {getattr(error, 'reason', error)}")


def summary_text(repository, counts):
    return (f"{repository} issues: {counts['open']} open, {counts['closed']} closed"
            f" ({counts['open'] + counts['closed']} in all)")


def run(environ, urlopen=urllib.request.urlopen):
    settings = settings_from(environ)
    counts = {state: count_issues(settings, state, urlopen) for state in STATES}
    text = summary_text(settings.repository, counts)
    status = post_summary(settings, text, urlopen)
    log(f"{text}; posted to {describe(settings.webhook_url)} (HTTP {status})")


_secrets = []


def log(message, stream=sys.stdout):
    for secret in _secrets:
        message = message.replace(secret, "***")
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    print(f"{now} {TASK_NAME}: {message}", file=stream, flush=True)


def main(environ=None, urlopen=urllib.request.urlopen):
    environ = os.environ if environ is None else environ
    token = environ.get("GITHUB_TOKEN", "").strip()
    if token:
        _secrets.append(token)   # whatever happens, the token is never logged
    try:
        run(environ, urlopen)
    except Failure as failure:
        log(f"error: {failure}", stream=sys.stderr)
        return failure.status
    except Exception as error:  # a bug: say what, without a traceback that may leak
        log(f"error: unexpected {type(error).__name__}: {error}", stream=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
