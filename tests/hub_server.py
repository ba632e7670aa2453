"""A small Hub-compatible HTTP server for tests: enough of the Hub's API for `push_to_hub` and a Space's deploy
(create repo, preupload, commit with inline files) and for downloads by repo id (model info,
tree, resolve). Files live in memory; every commit gets a new sha."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlparse


class HubState:
    def __init__(self):
        self.repos: dict[str, dict] = {}  # repo_id -> {"sha": str, "files": {path: bytes}}
        self.requests: list[str] = []
        self.lock = threading.Lock()

    def commit(self, repo_id: str, files: dict[str, bytes], deleted: list[str]) -> str:
        with self.lock:
            repo = self.repos.setdefault(repo_id, {"sha": "0" * 40, "files": {}})
            repo["files"].update(files)
            for path in deleted:
                repo["files"].pop(path, None)
            repo["sha"] = hashlib.sha1(
                repo["sha"].encode()
                + json.dumps(sorted(repo["files"])).encode()
                + b"".join(repo["files"][p] for p in sorted(repo["files"]))
            ).hexdigest()
            return repo["sha"]


def make_handler(state: HubState):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _send(self, code: int, body: bytes = b"", headers: dict | None = None, content_type="application/json"):
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _json(self, payload, code: int = 200):
            self._send(code, json.dumps(payload).encode())

        def _not_found(self, code: str = "RepoNotFound"):
            self._send(404, json.dumps({"error": code}).encode(), {"X-Error-Code": code})

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length", 0)))

        def do_POST(self):
            path = unquote(urlparse(self.path).path)
            state.requests.append(f"POST {path}")
            body = self._body()
            if path == "/api/repos/create":
                req = json.loads(body)
                repo_id = f"{req['organization']}/{req['name']}" if req.get("organization") else req["name"]
                if repo_id in state.repos:
                    return self._json({"error": "You already created this model repo", "url": self._url(repo_id)}, 409)
                state.commit(repo_id, {}, [])
                state.repos[repo_id]["type"] = req.get("type", "model")
                state.repos[repo_id]["sdk"] = req.get("sdk")
                return self._json({"url": self._url(repo_id), "name": repo_id})
            if path == "/api/validate-yaml":
                return self._json({"errors": [], "warnings": []})
            m = re.fullmatch(r"/api/(?:models|spaces)/(.+?/.+?)/preupload/(.+)", path)
            if m:
                files = json.loads(body)["files"]
                return self._json(
                    {"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False} for f in files]}
                )
            m = re.fullmatch(r"/api/(?:models|spaces)/(.+?/.+?)/commit/(.+)", path)
            if m:
                if m.group(1) not in state.repos:
                    return self._not_found()
                files, deleted = {}, []
                for line in body.decode().splitlines():
                    item = json.loads(line)
                    if item["key"] == "file":
                        files[item["value"]["path"]] = base64.b64decode(item["value"]["content"])
                    elif item["key"] in ("deletedFile", "deletedFolder"):
                        deleted.append(item["value"]["path"])
                    elif item["key"] == "lfsFile":
                        return self._json({"error": "LFS uploads are not supported by the test server"}, 400)
                sha = state.commit(m.group(1), files, deleted)
                return self._json(
                    {"commitUrl": f"{self._url(m.group(1))}/commit/{sha}", "commitOid": sha, "pullRequestUrl": None}
                )
            self._not_found("EndpointNotFound")

        def do_HEAD(self):
            self.do_GET()

        def do_GET(self):
            path = unquote(urlparse(self.path).path)
            state.requests.append(f"{self.command} {path}")
            m = re.fullmatch(r"/api/models/([^/]+/[^/]+)(?:/revision/(.+))?", path)
            if m:
                repo = state.repos.get(m.group(1))
                if repo is None:
                    return self._not_found()
                siblings = [{"rfilename": p, "size": len(b)} for p, b in sorted(repo["files"].items())]
                return self._json(
                    {
                        "id": m.group(1),
                        "modelId": m.group(1),
                        "sha": repo["sha"],
                        "private": False,
                        "siblings": siblings,
                        "tags": [],
                        "downloads": 0,
                        "likes": 0,
                    }
                )
            m = re.fullmatch(r"/api/models/([^/]+/[^/]+)/tree/([^/]+)(/.*)?", path)
            if m:
                repo = state.repos.get(m.group(1))
                if repo is None:
                    return self._not_found()
                return self._json(
                    [
                        {"type": "file", "path": p, "size": len(b), "oid": hashlib.sha1(b).hexdigest()}
                        for p, b in sorted(repo["files"].items())
                    ]
                )
            m = re.fullmatch(r"/([^/]+/[^/]+)/resolve/([^/]+)/(.+)", path)
            if m:
                repo = state.repos.get(m.group(1))
                if repo is None:
                    return self._not_found()
                if m.group(3) not in repo["files"]:
                    return self._not_found("EntryNotFound")
                data = repo["files"][m.group(3)]
                etag = f'"{hashlib.sha256(data).hexdigest()}"'
                return self._send(
                    200, data, {"X-Repo-Commit": repo["sha"], "ETag": etag}, content_type="application/octet-stream"
                )
            self._not_found("EndpointNotFound")

        def _url(self, repo_id: str) -> str:
            return f"http://{self.headers['Host']}/{repo_id}"

    return Handler


def start_hub_server() -> tuple[ThreadingHTTPServer, HubState, str]:
    state = HubState()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, state, f"http://127.0.0.1:{server.server_address[1]}"
