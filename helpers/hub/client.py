"""The kit's one Hub client: the endpoint, offline mode, what a failed call means, a time budget, capped reads,
and the one card reader. Loading, pushing and the progress check all go through here.

* ``endpoint()``, ``offline()``, ``classify(err)``: the Hub's address (``HF_ENDPOINT`` read at call time), whether
  offline mode is on, and one word for what an error from huggingface_hub or from ``Client`` means.
* ``Client``: GETs under one deadline (listings, pages, cards, slow bodies), each body read in chunks under a cap.
* ``read_card(repo_id)``: a repo's README.md through ``Client`` (capped at ``MAX_CARD_BYTES``; None when there is
  none); ``parse_card(text)``: its YAML metadata, parsed once, with alias expansion bounded.
* ``check_download_size(...)``: the size the Hub states for a file, refused above a cap before any download.

huggingface_hub's ``hf_hub_download`` keeps the cache and offline mode, so model files go through it once their
stated size is checked; cards, listings and pages use ``Client`` because huggingface_hub reads a body whole and
has no overall deadline.
"""
from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import quote, urljoin, urlsplit

from helpers.i18n import _

MAX_CARD_BYTES = 512 * 1024     # a README.md larger than this is not read (course cards are a few KB)
MAX_YAML_CHARS = 64 * 1024      # a card's metadata block (the course's are under 2 KB)
MAX_YAML_NODES = 20_000         # the block's values once its aliases are expanded
MAX_YAML_DEPTH = 64
CARD_BUDGET_S = 30.0            # reading one card outside a progress check (after a push, for a FrozenLake load)
REQUEST_TIMEOUT_S = 20.0        # one silent wait on the network (the budget bounds it too)
MAX_REDIRECTS = 5
RETRIES, BACKOFF_S, MAX_WAIT_S = 2, 5.0, 30.0   # on 429: wait 5 then 10 s (within the budget), then give up


def endpoint(given: str | None = None) -> str:
    """The Hub's address: ``given``, else ``HF_ENDPOINT`` (read now, so setting it in a running notebook counts),
    else huggingface_hub's default."""
    from huggingface_hub import constants

    return (given or os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")


def offline() -> bool:
    """Whether huggingface_hub's offline mode (``HF_HUB_OFFLINE=1``) is on: the kit's only test of it."""
    from huggingface_hub import constants

    check = getattr(constants, "is_offline_mode", None)
    return bool(check() if check else getattr(constants, "HF_HUB_OFFLINE", False))


def status_of(err) -> int | None:
    """The HTTP status behind an error (``Client``'s, huggingface_hub's, httpx's or requests'), looking through
    wrapping errors (older clients wrap a 5xx in a LocalEntryNotFoundError)."""
    for _depth in range(5):
        if err is None:
            return None
        status = getattr(getattr(err, "response", None), "status_code", None) or getattr(err, "status", None)
        if isinstance(status, int):
            return status
        err = err.__cause__ or err.__context__
    return None


def classify(err) -> tuple:
    """``(kind, status)``: what a failed Hub call means, the one place that decides it. ``kind`` is one of
    "offline-mode", "busy" (5xx or 429), "denied" (401), "forbidden" (403), "no-revision", "no-file", "no-repo",
    "unreachable" (no connection, a timeout, nothing cached), "http" (another status) or "other"."""
    name, status = type(err).__name__, status_of(err)
    if "Offline" in name:
        return "offline-mode", status
    if status is not None and (status >= 500 or status == 429):
        return "busy", status
    if status in (401, 403):
        return ("denied" if status == 401 else "forbidden"), status
    if "RevisionNotFound" in name:
        return "no-revision", status
    if "EntryNotFound" in name and "LocalEntry" not in name:
        return "no-file", status
    if "RepositoryNotFound" in name or status == 404:
        return "no-repo", status
    if "LocalEntryNotFound" in name or "Connect" in name or "Timeout" in name or isinstance(err, (OSError,
                                                                                                 OutOfTime)):
        return "unreachable", status
    return ("http" if status is not None else "other"), status


def busy_text(status) -> str:
    return _("the Hub answered {status}, try again later (it is busy or down; not your fault)", status=status)


def reachable(endpoint_url: str | None = None, timeout: float = 3.0) -> bool:
    """Whether the Hub's host answers a connection within ``timeout`` seconds. True behind a proxy (the
    library goes through it; a direct connection says nothing)."""
    if any(os.environ.get(name) for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy",
                                             "HTTP_PROXY", "http_proxy")):
        return True
    url = urlsplit(endpoint(endpoint_url))
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        socket.create_connection((url.hostname, port), timeout=timeout).close()
    except (OSError, ValueError, TypeError):
        return False
    return True


@contextlib.contextmanager
def quiet_retries():
    """huggingface_hub logs a warning for each retry of a failed request: the kit's own error says it once."""
    logger = logging.getLogger("huggingface_hub")
    before = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(before)


class BadAnswer(Exception):
    """The Hub answered something the kit cannot follow; the message says so (a whole sentence)."""


class CardRefused(ValueError):
    """A card the kit will not read whole: too large, too deep, or aliases that expand too far."""


def _expanded_size(node, memo: dict, open_nodes: set, depth: int) -> int:
    """How many YAML nodes ``node`` stands for once every alias is copied out (memoised, so linear)."""
    key = id(node)
    if key in memo:
        return memo[key]
    if key in open_nodes:
        raise CardRefused(_("its metadata has an alias that contains itself"))
    if depth > MAX_YAML_DEPTH:
        raise CardRefused(_("its metadata is nested more than {depth} levels deep", depth=MAX_YAML_DEPTH))
    open_nodes.add(key)
    total = 1
    value = node.value
    if isinstance(value, list):
        for item in value:
            for child in (item if isinstance(item, tuple) else (item,)):
                total += _expanded_size(child, memo, open_nodes, depth + 1)
                if total > MAX_YAML_NODES:
                    raise CardRefused(_("its metadata's aliases expand to more than {nodes} values",
                                        nodes=MAX_YAML_NODES))
    open_nodes.discard(key)
    memo[key] = total
    return total


def load_card_yaml(block: str):
    """``yaml.safe_load(block)`` with bounds: at most ``MAX_YAML_CHARS`` characters, ``MAX_YAML_NODES`` values
    with every alias expanded and ``MAX_YAML_DEPTH`` levels. Raises CardRefused past a bound, yaml.YAMLError on
    text that is not YAML."""
    import yaml

    if len(block) > MAX_YAML_CHARS:
        raise CardRefused(_("its metadata block has {n} characters, more than the {cap} the kit reads",
                            n=len(block), cap=MAX_YAML_CHARS))
    loader = yaml.SafeLoader(block)
    try:
        try:
            node = loader.get_single_node()   # aliases are shared here, not copied: cheap whatever they say
        except RecursionError:
            raise CardRefused(_("its metadata is nested too deep to read")) from None
        if node is None:
            return None
        _expanded_size(node, {}, set(), 0)
        return loader.construct_document(node)
    finally:
        loader.dispose()


@dataclass
class Card:
    tags: tuple = ()
    dataset: str | None = None
    metadata: dict | None = None   # None: README.md has no metadata block (or no README.md): the checker skips it
    error: str | None = None       # the block cannot be read: the checker's metadata_load raises on it
    unread: str | None = None      # the kit did not read it (too large, out of time): why


def parse_card(text: str) -> Card:
    """README.md's metadata as the checker's ``metadata_load`` sees it, plus the tags the Hub derives from it
    (``library_name`` becomes a tag)."""
    import yaml
    from huggingface_hub.repocard import REGEX_YAML_BLOCK

    match = REGEX_YAML_BLOCK.search(text)
    if not match:
        return Card()
    try:
        meta = load_card_yaml(match.group(2))
    except CardRefused as err:
        return Card(error=str(err))
    except yaml.YAMLError as err:
        problem, mark = getattr(err, "problem", None), getattr(err, "problem_mark", None)
        if problem and mark is not None:
            return Card(error=_("{problem}, line {line} of the block", problem=problem, line=mark.line + 1))
        return Card(error=" ".join(str(err).split())[:200])
    if meta is None:
        return Card()
    if not isinstance(meta, dict):
        return Card(error=_("the block is a {kind}, not a mapping", kind=type(meta).__name__))
    tags = meta.get("tags") or []
    tags = [tags] if isinstance(tags, str) else [str(t) for t in tags] if isinstance(tags, list) else []
    if isinstance(meta.get("library_name"), str):
        tags.append(meta["library_name"])
    try:
        dataset = meta["model-index"][0]["results"][0]["dataset"]["name"]
    except (KeyError, IndexError, TypeError):
        dataset = None
    return Card(tuple(dict.fromkeys(tags)), dataset if isinstance(dataset, str) else None, meta)


def card_from_bytes(data: bytes) -> Card:
    try:
        text = data.decode("utf-8-sig")   # metadata_load's own decoding: anything else stops the checker
    except UnicodeDecodeError:
        return Card(error=_("README.md is not UTF-8 text"))
    return parse_card(text)


class OutOfTime(Exception):
    """The check's time budget is spent."""


class TooLarge(Exception):
    pass


class HTTPStatus(Exception):
    def __init__(self, status: int, message: str = "", code: str | None = None):
        super().__init__(status, message)
        self.status, self.message, self.code, self.tries = status, message, code, 1


# The standard library, not huggingface_hub: its requests read a body whole and have no overall deadline.
class Client:
    """GETs against one Hub under one deadline: every wait on the network ends by the deadline (a watchdog
    closes whatever is still open then), every body is read in chunks under a cap, redirects are followed by
    hand (the token is dropped when the host changes)."""

    def __init__(self, base: str, headers: dict, budget_s: float):
        self.base = base.rstrip("/")
        self.headers = {k: v for k, v in headers.items() if k.lower() != "accept-encoding"}
        self.start = time.monotonic()
        self.deadline = self.start + budget_s
        self.budget_s = budget_s
        self._open: set = set()
        self._lock = threading.Lock()
        self.expired = False
        self._watchdog = threading.Timer(max(budget_s, 0.0), self._expire)
        self._watchdog.daemon = True
        self._watchdog.start()

    def close(self) -> None:
        self._watchdog.cancel()

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            conns = list(self._open)
        for sock in conns:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _timeout(self) -> float:
        left = self.remaining()
        if left <= 0 or self.expired:
            raise OutOfTime()
        return min(left, REQUEST_TIMEOUT_S)

    def sleep(self, seconds: float) -> None:
        if seconds >= self.remaining():
            raise OutOfTime()
        time.sleep(seconds)

    def _connection(self, url: str):
        import http.client
        import urllib.request

        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BadAnswer(_("The Hub sent the kit to {url}, which is not an http(s) address. Check the endpoint, "
                              "or try again later.", url=url[:100]))
        proxy = urllib.request.getproxies().get(parts.scheme)
        if proxy and not urllib.request.proxy_bypass(parts.hostname):
            p = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
            conn_class = http.client.HTTPSConnection if p.scheme == "https" else http.client.HTTPConnection
            conn = conn_class(p.hostname, p.port, timeout=self._timeout())
            if parts.scheme == "https":
                conn.set_tunnel(parts.hostname, parts.port)
                return conn, (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            return conn, url
        conn_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        conn = conn_class(parts.hostname, parts.port, timeout=self._timeout())
        return conn, (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    def get(self, url: str, cap: int) -> tuple:
        """(status, headers, body) of a GET, redirects followed; raises OutOfTime, TooLarge, HTTPStatus
        (4xx/5xx) or OSError."""
        headers = dict(self.headers)
        host = urlsplit(url).netloc
        for _hop in range(MAX_REDIRECTS + 1):
            status, answer, body = self._get_once(url, headers, cap)
            if status in (301, 302, 303, 307, 308) and answer.get("location"):
                url = urljoin(url, answer["location"])
                if urlsplit(url).netloc != host:
                    headers.pop("authorization", None)
                    headers.pop("Authorization", None)
                continue
            if status >= 400:
                raise HTTPStatus(status, answer.get("x-error-message") or body[:300].decode("utf-8", "replace"),
                                 answer.get("x-error-code"))
            return status, answer, body
        raise BadAnswer(_("The Hub redirected the kit more than {n} times in a row (from {url}). Try again later.",
                          n=MAX_REDIRECTS, url=url[:100]))

    def _get_once(self, url: str, headers: dict, cap: int) -> tuple:
        import http.client

        conn, target = self._connection(url)
        sock = None
        try:
            conn.connect()
            sock = conn.sock   # kept: http.client lets go of it once a response will close the connection
            with self._lock:
                if self.expired:
                    raise OutOfTime()
                self._open.add(sock)
            conn.request("GET", target, headers=headers)
            sock.settimeout(self._timeout())
            response = conn.getresponse()
            answer = {k.lower(): v for k, v in response.getheaders()}
            length = answer.get("content-length", "")
            if length.isdigit() and int(length) > cap:
                raise TooLarge(int(length))
            chunks, size = [], 0
            while True:
                sock.settimeout(self._timeout())
                chunk = response.read1(min(65536, cap - size + 1))
                if not chunk:
                    break
                size += len(chunk)
                if size > cap:
                    raise TooLarge(size)
                chunks.append(chunk)
            if self.expired:
                raise OutOfTime()
            if length.isdigit() and size != int(length):
                raise OSError(f"the body ended after {size} of {length} bytes")
            return response.status, answer, b"".join(chunks)
        except (OSError, ValueError, http.client.HTTPException) as err:
            # http.client's errors are OSErrors, ValueErrors or HTTPExceptions; past the deadline, any of them
            # is the watchdog closing the socket
            if self.expired or self.remaining() <= 0:
                raise OutOfTime() from err
            if isinstance(err, OSError):
                raise
            raise OSError(str(err)) from err
        finally:
            if sock is not None:
                with self._lock:
                    self._open.discard(sock)
            conn.close()

    def card(self, repo_id: str, revision: str = "main") -> bytes | None:
        """README.md's bytes (at most ``MAX_CARD_BYTES``), or None when the Hub says the repo has none."""
        try:
            return self.retrying(lambda: self.get(
                f"{self.base}/{repo_id}/resolve/{quote(revision, safe='')}/README.md", MAX_CARD_BYTES))[2]
        except HTTPStatus as err:
            if err.status == 404 and err.code == "EntryNotFound":   # the Hub's own answer, not a proxy's
                return None
            raise

    def retrying(self, call):
        """``call()``, retried with growing waits (within the budget) while the Hub answers 429; the last 429
        is raised with ``tries`` set."""
        for attempt in range(RETRIES + 1):
            try:
                return call()
            except HTTPStatus as err:
                if err.status != 429:
                    raise
                if attempt == RETRIES:
                    err.tries = attempt + 1
                    raise
                self.sleep(min(BACKOFF_S * 2 ** attempt, MAX_WAIT_S))


def hub_headers(token=None) -> dict:
    """The request headers (the token: ``token``, else the saved login; False for none)."""
    from huggingface_hub.utils import build_hf_headers

    return build_hf_headers(token=token)


def read_card(repo_id: str, *, revision: str = "main", token=None, endpoint_url: str | None = None,
              budget_s: float = CARD_BUDGET_S) -> str | None:
    """README.md of ``repo_id`` as text, read through ``Client.card`` within ``budget_s``; None when the repo has
    none. Raises TooLarge, OutOfTime, HTTPStatus, BadAnswer, OSError or UnicodeDecodeError."""
    client = Client(endpoint(endpoint_url), hub_headers(token), budget_s)
    try:
        body = client.card(repo_id, revision)
    finally:
        client.close()
    return None if body is None else body.decode("utf-8-sig")


def check_download_size(repo_id: str, filename: str, cap: int, *, revision=None, token=None,
                        endpoint_url: str | None = None) -> int | None:
    """The size the Hub states for ``filename`` (X-Linked-Size or Content-Length of its HEAD), checked before any
    download: TooLarge above ``cap``, or when the Hub states no size (TooLarge(None))."""
    from huggingface_hub import get_hf_file_metadata

    url = f"{endpoint(endpoint_url)}/{repo_id}/resolve/{quote(revision or 'main', safe='')}/{quote(filename)}"
    size = get_hf_file_metadata(url, token=token, timeout=REQUEST_TIMEOUT_S).size
    if not isinstance(size, int) or size > cap:
        raise TooLarge(size)
    return size


def capped_download(cap: int) -> dict:
    """``hf_hub_download`` keyword arguments that stop a body at ``cap`` bytes (TooLarge): the library reads a
    body whole, so a server that stated a small size and then sends more is cut off as it streams."""
    import inspect

    from huggingface_hub import hf_hub_download
    from huggingface_hub.utils import tqdm

    if "tqdm_class" not in inspect.signature(hf_hub_download).parameters:  # huggingface_hub < 0.25
        return {}

    class Capped(tqdm):  # the library's own bar class, so its settings (hidden bars) still apply
        read = 0

        def update(self, n=1):
            self.read += n or 0
            if self.read > cap:
                raise TooLarge(self.read)
            return super().update(n)

    return {"tqdm_class": Capped}
