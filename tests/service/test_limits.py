# SPDX-License-Identifier: MIT
"""Oversize and malformed request bodies: 413 and 400, as OperationOutcomes, never a 500."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from .conftest import SERVICE, Server, example, example_hook
from .shapes import check_outcome

HOOK = f"/cds-services/{SERVICE}"
LIMIT = 65536  # the session server's --max-body-bytes
Auth = Callable[..., dict[str, str]]


def test_oversize_body_with_content_length(client: httpx.Client, auth: Auth) -> None:
    """A declared size over the limit: 413 too-long."""
    body = example_hook(example("less-irritable-marathoner"))
    body["padding"] = "x" * (LIMIT + 10)
    r = client.post(HOOK, json=body, headers=auth())
    assert r.status_code == 413
    issues = check_outcome(r.json(), code="too-long")
    assert str(LIMIT) in issues[0]["diagnostics"]


def test_oversize_body_streamed_without_length(client: httpx.Client, auth: Auth) -> None:
    """A chunked body that grows past the limit is cut off: 413."""

    def chunks() -> Iterator[bytes]:
        yield b'{"hook": "patient-view", "padding": "'
        for _ in range(LIMIT // 1000 + 5):
            yield b"x" * 1000
        yield b'"}'

    r = client.post(HOOK, content=chunks(), headers={**auth(), "Content-Type": "application/json"})
    assert r.status_code == 413
    check_outcome(r.json(), code="too-long")


def test_lying_content_length(server: Server, make_token: Callable[..., str]) -> None:
    """A Content-Length that is not a number is refused by the HTTP layer, not with a 500."""
    parts = urlsplit(server.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as s:
        s.sendall(
            f"POST {HOOK} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {make_token()}\r\n"
            "Content-Length: lots\r\n\r\n{}".encode()
        )
        status = s.recv(64).split(b" ")[1]
    assert status.startswith(b"4")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"{not json", "not valid JSON at line 1, column 2"),
        (b"", "body is empty"),
        (b'{"a": NaN}', "not valid JSON"),
        (b"\xff\xfe\x00garbage", "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, None),
        (b"[]", "must be a JSON object"),
        (b'"text"', "must be a JSON object"),
        (b'{"hook": "patient-view", "hook": "x"}', "hook: is given more than once"),
    ],
    ids=["broken", "empty", "nan", "not-utf8", "too-deep", "array", "string", "duplicate-key"],
)
def test_malformed_bodies_are_400(
    content: bytes, words: str | None, client: httpx.Client, auth: Auth
) -> None:
    """Malformed JSON (or not an object): 400 OperationOutcome saying what is wrong."""
    r = client.post(HOOK, content=content, headers={**auth(), "Content-Type": "application/json"})
    if content.startswith(b"[" * 100):
        assert r.status_code in (400, 413)  # over the limit or too deep: never a 500
        check_outcome(r.json())
        return
    assert r.status_code == 400, r.text
    issues = check_outcome(r.json())
    assert words is not None and words in issues[0]["diagnostics"]


def test_deep_json_under_the_limit_is_400(client: httpx.Client, auth: Auth) -> None:
    """Nesting deep enough to exhaust the parser, within the size limit: 400."""
    content = b"[" * 30_000 + b"]" * 30_000
    r = client.post(HOOK, content=content, headers={**auth(), "Content-Type": "application/json"})
    assert r.status_code == 400
    check_outcome(r.json(), code="structure")


def test_malformed_feedback(client: httpx.Client, auth: Auth) -> None:
    """The feedback endpoint refuses malformed bodies the same way."""
    url = f"{HOOK}/feedback"
    r = client.post(url, content=b"{oops", headers=auth())
    assert r.status_code == 400
    check_outcome(r.json(), code="structure")
    r = client.post(url, content=json.dumps({"feedback": "x"}).encode(), headers=auth())
    assert r.status_code == 400
    r = client.post(url, json={"feedback": []}, headers=auth())
    assert r.status_code == 400
