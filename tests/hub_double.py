"""A loopback stand-in for the Hugging Face Hub's HTTP API, so Hub code is tested with no network.

It answers the calls ``create_repo``, ``upload_folder``/``create_commit``, ``repo_info``,
``list_repo_tree``, ``hf_hub_download``, ``snapshot_download``, ``whoami`` and ``list_models`` (author, tag
filters, pages of ``page_size`` linked by a Link header, private repos listed to their owner only) make, plus a
user's overview, on 127.0.0.1 with a free port, keeping repos in memory. Checked against huggingface_hub 1.27 and
2.4 (and 0.30 for what helpers.hub.progress uses).

    with HubDouble() as hub:                      # tokens: hub.WRITE_TOKEN, hub.READ_TOKEN
        api = HfApi(endpoint=hub.url, token=hub.WRITE_TOKEN)
        hub.fail("POST", "/commit/", 500)         # the next commit gets a 500
        hub.files("learner/q-Taxi-v3")            # {path: bytes} at main

Hostile answers, for the bounds of helpers.hub.progress: ``hub.serve_body(regex, size, delay=...)`` answers GETs of
matching paths with ``size`` bytes sent in chunks (a trickle with ``delay``, or gigabytes with none; with
``method="*"`` a HEAD gets the headers alone);
``hub.self_link = True`` makes every listing page link to itself as its next page; ``hub.synthetic_models[user] =
n`` lists ``n`` more (empty) models for ``user``, made up page by page.

For the notebook tests, ``prepare_offline_hub_cache(hf_home)`` trains course models with the kit, pushes
them to a double under the repo ids notebook 02 uses, and downloads them with the real ``hf_hub_download``
into ``hf_home/hub``, so that ``HF_HOME=hf_home`` + ``HF_HUB_OFFLINE=1`` serve them to the notebook.
"""
from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import re
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlencode, urlparse

__all__ = ["HubDouble", "prepare_offline_hub_cache", "OFFLINE_NOTEBOOK_REPOS", "offline_hub_env", "in_child"]

_ROOT = Path(__file__).resolve().parent.parent
_REPO_ID = r"(?P<repo>[\w.-]+/[\w.-]+)"


def _card_tags(readme: str) -> list:
    """A card's tags as the Hub lists them: the YAML block's ``tags`` (and ``library_name``); a block that is
    not valid YAML falls back to its ``- tag`` lines."""
    import yaml

    head = re.match(r"^\s*---\r?\n(.*?)\r?\n---", readme, re.S)
    try:
        meta = yaml.safe_load(head.group(1)) if head else None
    except yaml.YAMLError:
        return re.findall(r"^- (\S+)$", readme.split("\n---", 1)[0], re.M)
    if not isinstance(meta, dict):
        return []
    tags = meta.get("tags") or []
    tags = [tags] if isinstance(tags, str) else [str(t) for t in tags] if isinstance(tags, list) else []
    return tags + ([meta["library_name"]] if isinstance(meta.get("library_name"), str) else [])


def _git_blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class _Repo:
    repo_id: str
    private: bool = False
    # Commits oldest first: (sha, {path: bytes}); each holds the full tree.
    commits: list = field(default_factory=list)

    @property
    def head(self):
        return self.commits[-1]

    def at(self, revision: str):
        if revision in ("main", None):
            return self.head
        for sha, files in self.commits:
            if sha == revision:
                return sha, files
        return None


@dataclass
class _Body:
    method: str
    pattern: re.Pattern
    size: int
    chunk: bytes
    delay: float
    declare_length: bool


@dataclass
class _Fault:
    method: str
    pattern: re.Pattern
    status: int
    times: int
    message: str


class HubDouble:
    """An in-memory Hub on 127.0.0.1. Start with ``start()`` or ``with``; ``url`` is its endpoint."""

    WRITE_TOKEN = "hf_double_write_token"
    READ_TOKEN = "hf_double_read_token"

    def __init__(self, user: str = "learner", extra_users: tuple = ()):
        # token -> (user, role). Every user gets "<user>-write"/"<user>-read" style tokens via add_token.
        self.tokens: dict[str, tuple[str, str]] = {self.WRITE_TOKEN: (user, "write"),
                                                    self.READ_TOKEN: (user, "read")}
        for other in extra_users:
            self.add_token(f"hf_double_{other}_write", other, "write")
        self.user = user
        self.repos: dict[str, _Repo] = {}
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request, in order
        self._faults: list[_Fault] = []
        self.page_size = 1000  # models per page of GET /api/models (the next page comes in a Link header)
        self.self_link = False  # True: every listing page names itself as the next page
        self.synthetic_models: dict[str, int] = {}  # user -> how many made-up models (no tags) its listing adds
        self._bodies: list[_Body] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- control -----------------------------------------------------------------------------------
    def add_token(self, token: str, user: str, role: str = "write") -> str:
        self.tokens[token] = (user, role)
        return token

    def start(self) -> "HubDouble":
        handler = type("Handler", (_Handler,), {"hub": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="hub-double", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "HubDouble":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def fail(self, method: str, path_regex: str, status: int, times: int = 1, message: str = "injected fault") -> None:
        """Answer the next ``times`` requests whose method and path match with ``status``."""
        with self._lock:
            self._faults.append(_Fault(method.upper(), re.compile(path_regex), status, times, message))

    def serve_body(self, path_regex: str, size: int, *, chunk: bytes = b"x" * 65536, delay: float = 0.0,
                   declare_length: bool = True, method: str = "GET") -> None:
        """Answer requests whose path matches with a 200 of ``size`` bytes (``chunk`` repeated), sending one chunk
        every ``delay`` seconds, until the client hangs up. ``declare_length=False`` sends no Content-Length."""
        with self._lock:
            self._bodies.append(_Body(method.upper(), re.compile(path_regex), size, chunk, delay, declare_length))

    def files(self, repo_id: str, revision: str = "main") -> dict[str, bytes]:
        with self._lock:
            return dict(self.repos[repo_id].at(revision)[1])

    def commit_count(self, repo_id: str) -> int:
        with self._lock:
            return len(self.repos[repo_id].commits)

    def add_repo(self, repo_id: str, files: dict[str, bytes] | None = None) -> str:
        """Create (or add a commit to) a repo directly, e.g. to seed an existing card. Returns the commit."""
        with self._lock:
            repo = self.repos.setdefault(repo_id, _Repo(repo_id))
            if not repo.commits:
                self._commit(repo, {}, "initial commit")
            return self._commit(repo, files or {}, "seed") if files else repo.head[0]

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    # ---- internals -----------------------------------------------------------------------------------
    def _commit(self, repo: _Repo, changes: dict, message: str, deleted=()) -> str:
        files = dict(repo.head[1]) if repo.commits else {}
        files.update(changes)
        for path in deleted:
            files.pop(path, None)
        parent = repo.head[0] if repo.commits else ""
        sha = hashlib.sha1(f"{repo.repo_id}\n{parent}\n{message}\n{time.time_ns()}\n{sorted(files)}".encode()).hexdigest()
        repo.commits.append((sha, files))
        return sha

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.times > 0 and fault.method in (method, "*") and fault.pattern.search(path):
                    fault.times -= 1
                    return fault
        return None


class _Handler(BaseHTTPRequestHandler):
    hub: HubDouble
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep test output clean
        pass

    # ---- plumbing ----------------------------------------------------------------------------------
    def _send(self, status: int, body=b"", headers: dict | None = None, content_type="application/json"):
        if not isinstance(body, (bytes, bytearray)):
            body = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _stream(self, body: _Body):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("ETag", '"streamed"')
        self.send_header("X-Repo-Commit", "0" * 40)
        if body.declare_length:
            self.send_header("Content-Length", str(body.size))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command == "HEAD":   # the size, as the Hub states it before a download
            return
        sent = 0
        try:
            while sent < body.size:
                piece = body.chunk[:body.size - sent]
                self.wfile.write(piece)
                self.wfile.flush()
                sent += len(piece)
                if body.delay:
                    time.sleep(body.delay)
        except OSError:   # the client hung up: what a bounded client does
            self.close_connection = True

    def _error(self, status: int, message: str, code: str | None = None):
        headers = {"X-Error-Message": message}
        if code:
            headers["X-Error-Code"] = code
        self._send(status, {"error": message}, headers)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _caller(self):
        auth = self.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else None
        return token, self.hub.tokens.get(token) if token else None

    def _need_write(self, namespace: str) -> bool:
        """Answer 401/403 as the Hub does and return False when the caller may not write ``namespace``."""
        token, who = self._caller()
        if token is None:
            self._error(401, "Invalid username or password.")
            return False
        if who is None:
            self._error(401, "Invalid credentials in Authorization header")
            return False
        user, role = who
        if role != "write" or user != namespace:
            self._error(403, f"You don't have the rights to create a model under the namespace \"{namespace}\"")
            return False
        return True

    def _route(self):
        parsed = urlparse(self.path)
        path = unquote(parsed.path)
        with self.hub._lock:
            self.hub.requests.append((self.command, path))
        with self.hub._lock:
            body = next((b for b in self.hub._bodies if b.method in (self.command, "*") and b.pattern.search(path)),
                        None)
        if body is not None:
            return self._stream(body)
        fault = self.hub._take_fault(self.command, path)
        if fault is not None:
            self._body()
            self._error(fault.status, fault.message)
            return
        routes = [
            ("GET", r"^/api/whoami-v2$", self._whoami),
            ("POST", r"^/api/repos/create$", self._create_repo),
            ("POST", r"^/api/validate-yaml$", self._validate_yaml),
            ("GET", r"^/api/models$", self._list_models),
            ("GET", r"^/api/users/(?P<user>[\w.-]+)/overview$", self._user_overview),
            ("POST", rf"^/api/models/{_REPO_ID}/preupload/(?P<rev>[^/]+)$", self._preupload),
            ("POST", rf"^/api/models/{_REPO_ID}/commit/(?P<rev>[^/]+)$", self._commit),
            ("GET", rf"^/api/models/{_REPO_ID}(/revision/(?P<rev>[^/]+))?$", self._repo_info),
            ("GET", rf"^/api/models/{_REPO_ID}/tree/(?P<rev>[^/]+)(/(?P<sub>.*))?$", self._tree),
            ("GET", rf"^/{_REPO_ID}/resolve/(?P<rev>[^/]+)/(?P<file>.+)$", self._resolve),
            ("HEAD", rf"^/{_REPO_ID}/resolve/(?P<rev>[^/]+)/(?P<file>.+)$", self._resolve),
        ]
        for method, pattern, handler in routes:
            match = re.match(pattern, path)
            if method == self.command and match:
                return handler(match, parse_qs(parsed.query))
        self._body()
        self._error(404, f"The loopback Hub double does not implement {self.command} {path}")

    do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = _route

    def _repo(self, match):
        repo_id = match.group("repo")
        with self.hub._lock:
            repo = self.hub.repos.get(repo_id)
        if repo is None:
            self._error(404, "Repository not found", "RepoNotFound")
        return repo

    # ---- endpoints ---------------------------------------------------------------------------------
    def _whoami(self, match, query):
        token, who = self._caller()
        if who is None:
            return self._error(401, "Invalid user token.")
        user, role = who
        self._send(200, {"type": "user", "name": user, "fullname": user, "orgs": [],
                         "auth": {"type": "access_token", "accessToken": {"displayName": "test", "role": role}}})

    def _create_repo(self, match, query):
        payload = json.loads(self._body() or b"{}")
        if payload.get("type", "model") not in ("model", None):
            return self._error(400, "The loopback Hub double only hosts model repos")
        token, who = self._caller()
        namespace = payload.get("organization") or (who[0] if who else None)
        if not self._need_write(namespace):
            return
        repo_id = f"{namespace}/{payload['name']}"
        url = f"{self.hub.url}/{repo_id}"
        with self.hub._lock:
            if repo_id in self.hub.repos:
                return self._send(409, {"error": "You already created this model repo", "url": url})
            repo = self.hub.repos[repo_id] = _Repo(repo_id, private=bool(payload.get("private")))
            self.hub._commit(repo, {}, "initial commit")
        self._send(200, {"url": url, "name": repo_id, "id": repo_id})

    def _validate_yaml(self, match, query):
        self._body()
        self._send(200, {"errors": [], "warnings": []})

    def _list_models(self, match, query):
        wanted = set(query.get("filter", [])) | set(query.get("tags", []))
        author = (query.get("author") or [None])[0]
        out = []
        with self.hub._lock:
            repos = list(self.hub.repos.values())
        _, who = self._caller()
        for repo in repos:
            readme = repo.head[1].get("README.md", b"").decode(errors="replace")
            tags = _card_tags(readme)
            if wanted and not wanted <= set(tags):
                continue
            if author and not repo.repo_id.startswith(author + "/"):
                continue
            if repo.private and (who is None or who[0] != repo.repo_id.split("/")[0]):
                continue  # private repos are listed to their owner only
            out.append({"id": repo.repo_id, "modelId": repo.repo_id, "tags": tags, "private": repo.private,
                        "downloads": 0, "likes": 0})
        # Pages as the Hub does: `limit` caps a page, the next page's URL comes in a Link header.
        start = int((query.get("cursor") or ["0"])[0])
        size = min(self.hub.page_size, int((query.get("limit") or [self.hub.page_size])[0]))
        extra = 0 if wanted or not author else self.hub.synthetic_models.get(author, 0)
        page = out[start:start + size]
        for k in range(max(start, len(out)), min(start + size, len(out) + extra)):   # made up, page by page
            name = f"{author}/synthetic-{k - len(out):07d}"
            page.append({"id": name, "modelId": name, "tags": [], "private": False, "downloads": 0, "likes": 0})
        headers = {}
        if self.hub.self_link:
            headers["Link"] = f'<{self.hub.url}{self.path}>; rel="next"'
        elif start + size < len(out) + extra:
            rest = {k: v for k, v in query.items() if k != "cursor"}
            rest["cursor"] = [str(start + size)]
            headers["Link"] = f'<{self.hub.url}/api/models?{urlencode(rest, doseq=True)}>; rel="next"'
        self._send(200, page, headers)

    def _user_overview(self, match, query):
        name = match.group("user")
        with self.hub._lock:
            known = {u for u, _ in self.hub.tokens.values()} | {r.split("/")[0] for r in self.hub.repos}
        if name not in known:
            return self._error(404, "User not found")
        self._send(200, {"user": name, "fullname": name, "avatarUrl": "", "isPro": False, "type": "user",
                         "numModels": sum(r.startswith(name + "/") for r in self.hub.repos)})

    def _preupload(self, match, query):
        payload = json.loads(self._body() or b"{}")
        repo = self._repo(match)
        if repo is None or not self._need_write(repo.repo_id.split("/")[0]):
            return
        # "regular" for every file: contents then come inline (base64) in the commit, no LFS/Xet upload.
        files = [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False, "oid": None}
                 for f in payload.get("files", [])]
        self._send(200, {"files": files, "commitOid": repo.head[0]})

    def _commit(self, match, query):
        body = self._body()
        repo = self._repo(match)
        if repo is None or not self._need_write(repo.repo_id.split("/")[0]):
            return
        changes, deleted, message = {}, [], "commit"
        for line in body.splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            key, value = item.get("key"), item.get("value", {})
            if key == "header":
                message = value.get("summary") or message
            elif key == "file":
                if value.get("encoding", "base64") != "base64":
                    return self._error(400, f"unsupported encoding {value.get('encoding')}")
                changes[value["path"]] = base64.b64decode(value["content"])
            elif key in ("deletedFile", "deletedFolder"):
                deleted.append(value["path"])
            else:
                return self._error(400, f"The loopback Hub double accepts regular files only, got {key!r}")
        with self.hub._lock:
            sha = self.hub._commit(repo, changes, message, deleted)
        # huggingface_hub 0.x parses this URL against its default endpoint (not the one it was given), so
        # it gets the huggingface.co form; 1.x and later parse it against the endpoint, i.e. this server.
        ua = self.headers.get("User-Agent", "")
        host = "https://huggingface.co" if re.search(r"\bhf_hub/0\.", ua) else self.hub.url
        self._send(200, {"success": True, "commitOid": sha, "commitUrl": f"{host}/{repo.repo_id}/commit/{sha}",
                         "pullRequestUrl": None})

    def _snapshot(self, match, default_rev=None):
        """(repo, commit sha, files) at the request's revision; None once a 404 has been sent."""
        repo = self._repo(match)
        if repo is None:
            return None
        found = repo.at(match.group("rev") or default_rev)
        if found is None:
            self._error(404, "Invalid rev id", "RevisionNotFound")
            return None
        return (repo, *found)

    def _repo_info(self, match, query):
        snapshot = self._snapshot(match, default_rev="main")
        if snapshot is None:
            return
        repo, sha, files = snapshot
        self._send(200, {"id": repo.repo_id, "modelId": repo.repo_id, "sha": sha, "private": repo.private,
                         "disabled": False, "gated": False, "downloads": 0, "likes": 0, "tags": [],
                         "lastModified": "2026-01-01T00:00:00.000Z", "createdAt": "2026-01-01T00:00:00.000Z",
                         "siblings": [{"rfilename": path, "size": len(data)} for path, data in sorted(files.items())]})

    def _tree(self, match, query):
        snapshot = self._snapshot(match)
        if snapshot is None:
            return
        _, _, files = snapshot
        sub = (match.group("sub") or "").strip("/")
        prefix = f"{sub}/" if sub else ""
        entries = [{"type": "file", "oid": _git_blob_sha(data), "size": len(data), "path": path}
                   for path, data in sorted(files.items()) if path.startswith(prefix)]
        self._send(200, entries)

    def _resolve(self, match, query):
        snapshot = self._snapshot(match)
        if snapshot is None:
            return
        _, sha, files = snapshot
        data = files.get(match.group("file"))
        if data is None:
            return self._error(404, "Entry not found", "EntryNotFound")
        self._send(200, data, {"ETag": f'"{_git_blob_sha(data)}"', "X-Repo-Commit": sha},
                   content_type="application/octet-stream")


# ---- hostile answers are met in a child process, bounded in time and memory ---------------------------
CHILD_MEMORY = 2 * 2 ** 30   # a hard stop; the test itself asks for under 1 GiB


def in_child(code: str, limit_s: float, *, cwd=None, kit: bool = True, memory: int | None = CHILD_MEMORY) -> dict:
    """Run ``code`` (which sets the dict RESULT) in a fresh Python in ``cwd`` (default: the repository) with an
    address-space cap of ``memory`` bytes (None: none); return RESULT with the child's peak memory ("rss_mb") and
    wall time ("wall_s"). ``kit=False``: the kit is not on the child's path. A signal or an error fails the test."""
    import os
    import resource
    import subprocess
    import sys

    def cap():
        if memory:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    tail = ("\nimport json as _j, resource as _r\n"
            "RESULT['rss_mb'] = _r.getrusage(_r.RUSAGE_SELF).ru_maxrss / 1024\nprint(_j.dumps(RESULT))\n")
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING", "PYTHON"))}
        env.update(HF_HOME=home, HF_TOKEN_PATH=os.path.join(home, "no_token"), HF_HUB_DISABLE_TELEMETRY="1",
                   MALLOC_ARENA_MAX="2", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", SDL_VIDEODRIVER="dummy")
        if kit:
            env["PYTHONPATH"] = str(_ROOT)
        start = time.monotonic()
        done = subprocess.run([sys.executable, "-c", code + tail], cwd=cwd or _ROOT, env=env, preexec_fn=cap,
                              capture_output=True, text=True, timeout=limit_s + 20)
    wall = time.monotonic() - start
    assert done.returncode == 0, f"rc={done.returncode} (a negative one is a signal)\n{done.stderr[-3000:]}"
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall_s"] = wall
    return result


# ---- offline cache for the notebook tests ------------------------------------------------------------

# The course's example models that notebooks/02_load_from_hub.ipynb loads, with the kit config that
# stands in for them offline (same file name and dict format, trained here by the kit).
OFFLINE_NOTEBOOK_REPOS = {
    "ThomasSimonini/q-Taxi-v3": "TAXI",
    "ThomasSimonini/q-FrozenLake-v1-no-slippery": "FROZENLAKE",
}


def offline_hub_env(hf_home) -> dict[str, str]:
    """The environment variables a kernel needs to read ``prepare_offline_hub_cache``'s cache offline."""
    hf_home = Path(hf_home)
    return {"HF_HOME": str(hf_home), "HF_HUB_CACHE": str(hf_home / "hub"), "HF_HUB_OFFLINE": "1",
            "HF_HUB_DISABLE_TELEMETRY": "1"}


def prepare_offline_hub_cache(hf_home, n_taxi_episodes: int = 5_000) -> dict[str, str]:
    """Fill the Hub cache of ``hf_home`` (an HF_HOME folder; the cache is ``hf_home/hub``) with kit-trained
    stand-ins for the repos notebooks/02_load_from_hub.ipynb loads.

    Each model is trained with ``helpers.qlearning``, pushed with ``helpers.hub.push_to_hub`` to a
    loopback ``HubDouble`` under the notebook's repo id, and downloaded with the real ``hf_hub_download``,
    so the cache has exactly the layout the library writes (``models--user--repo/refs/main``,
    ``snapshots/<commit>/...``). A repo already cached is left alone. Takes a few seconds (5,000 Taxi episodes
    already reach the optimum, 7.56 +/- 2.71, on the course's seeds).

    Returns the environment variables to set before the notebook's kernel starts
    (``HF_HOME``, ``HF_HUB_CACHE``, ``HF_HUB_OFFLINE=1``; see ``offline_hub_env``).
    """
    from huggingface_hub import constants

    cache_dir = Path(hf_home) / "hub"
    cache_dir.mkdir(parents=True, exist_ok=True)
    missing = [repo_id for repo_id in OFFLINE_NOTEBOOK_REPOS
               if not list(cache_dir.glob(f"models--{repo_id.replace('/', '--')}/snapshots/*/q-learning.pkl"))]
    if not missing:
        return offline_hub_env(hf_home)
    users = sorted({repo_id.split("/")[0] for repo_id in missing})
    # The double is local: preparing works even when this process itself runs with HF_HUB_OFFLINE=1.
    saved_offline, constants.HF_HUB_OFFLINE = constants.HF_HUB_OFFLINE, False
    try:
        _push_and_cache(missing, users, cache_dir, n_taxi_episodes)
    finally:
        constants.HF_HUB_OFFLINE = saved_offline
    return offline_hub_env(hf_home)


def _push_and_cache(missing, users, cache_dir, n_taxi_episodes):
    from huggingface_hub import hf_hub_download

    from helpers import defaults, hub, qlearning

    with HubDouble(user=users[0], extra_users=tuple(users[1:])) as double, \
            tempfile.TemporaryDirectory(prefix="hub-exports-") as exports:
        for repo_id in missing:
            config = getattr(defaults, OFFLINE_NOTEBOOK_REPOS[repo_id])
            if config.env_id.startswith("Taxi"):
                config = config.replace(n_training_episodes=n_taxi_episodes)
            qtable, env = qlearning.train_from_config(config, seed=0, progress=False)
            model = hub.qlearning_model(config, qtable)
            token = HubDouble.WRITE_TOKEN if repo_id.split("/")[0] == users[0] else \
                f"hf_double_{repo_id.split('/')[0]}_write"
            with contextlib.redirect_stdout(io.StringIO()):  # keep pytest's start-up output clean
                hub.push_to_hub(repo_id, model, env, endpoint=double.url, token=token, record=False,
                                export_root=exports)
            for filename in ("q-learning.pkl", "results.json", "README.md"):
                hf_hub_download(repo_id, filename, cache_dir=cache_dir, endpoint=double.url, token=False)
