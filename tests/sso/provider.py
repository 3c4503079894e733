"""A small, real OpenID Connect provider for the tests: an HTTP server on 127.0.0.1 (a free
port) with discovery, ``/authorize`` (the person set with ``sign_in_as`` consents at once:
back to the client with a code and its state), ``/token`` (checks the client, the code, the
redirect URI and PKCE; an id_token signed RS256 with the nonce, aud, iss, exp and iat),
``/userinfo`` and ``/jwks``. ``/down/.well-known/openid-configuration`` answers 503, as a
provider that is down."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey

KEY_ID = "spt-test-signing-key"


class LocalProvider:
    def __init__(self, *, client_id: str, client_secret: str) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        params = {"kid": KEY_ID, "alg": "RS256", "use": "sig"}
        self.key = RSAKey.generate_key(2048, parameters=params)
        # Another key under the same name: what an id_token forged or altered is signed with.
        self.forged_key = RSAKey.generate_key(2048, parameters=params)
        self.person: dict[str, Any] | None = None
        self.forge_id_token = False
        self._codes: dict[str, dict[str, Any]] = {}
        self._access_tokens: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- what a test sets -------------------------------------------------------------

    def sign_in_as(self, *, email: str, groups: list[str] | None = None, **claims: Any) -> None:
        """The person who signs in at the provider next (and their claims)."""
        self.person = {"sub": f"sub-{email}", "email": email, "email_verified": True,
                       "groups": groups or [], **claims}

    def reset(self) -> None:
        with self._lock:
            self.person = None
            self.forge_id_token = False
            self._codes.clear()
            self._access_tokens.clear()

    # --- running ----------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def discovery_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    def start(self) -> None:
        provider = self

        class Handler(_Handler):
            pass

        Handler.provider = provider
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # --- the protocol -----------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "userinfo_endpoint": f"{self.url}/userinfo",
            "jwks_uri": f"{self.url}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }

    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str]]:
        redirect_uri = query.get("redirect_uri", "")
        if query.get("client_id") != self.client_id or not redirect_uri:
            return 400, {}
        back: dict[str, str] = {"state": query.get("state", "")}
        if (query.get("response_type") != "code" or "openid" not in query.get("scope", "").split()
                or self.person is None):
            back["error"] = "access_denied"
        else:
            code = secrets.token_urlsafe(16)
            with self._lock:
                self._codes[code] = {"redirect_uri": redirect_uri, "nonce": query.get("nonce"),
                                     "challenge": query.get("code_challenge"),
                                     "person": dict(self.person)}
            back["code"] = code
        return 302, {"Location": f"{redirect_uri}?{urlencode(back)}"}

    def token(self, form: dict[str, str], authorization: str) -> tuple[int, dict[str, Any]]:
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        if authorization.startswith("Basic "):
            decoded = base64.b64decode(authorization[6:]).decode()
            client_id, _colon, client_secret = decoded.partition(":")
        if client_id != self.client_id or client_secret != self.client_secret:
            return 401, {"error": "invalid_client"}
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)  # a code serves once
        if (form.get("grant_type") != "authorization_code" or grant is None
                or form.get("redirect_uri") != grant["redirect_uri"]):
            return 400, {"error": "invalid_grant"}
        if grant["challenge"]:
            verifier = form.get("code_verifier", "").encode()
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
            if digest.decode() != grant["challenge"]:
                return 400, {"error": "invalid_grant"}
        person = grant["person"]
        now = int(time.time())
        claims = {"iss": self.url, "sub": person["sub"], "aud": self.client_id,
                  "exp": now + 300, "iat": now, "nonce": grant["nonce"],
                  "email": person["email"]}
        key = self.forged_key if self.forge_id_token else self.key
        id_token = jwt.encode({"alg": "RS256", "kid": KEY_ID}, claims, key)
        access_token = secrets.token_urlsafe(24)
        with self._lock:
            self._access_tokens[access_token] = person
        return 200, {"access_token": access_token, "token_type": "Bearer", "expires_in": 300,
                     "id_token": id_token}

    def userinfo(self, authorization: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            person = self._access_tokens.get(authorization.removeprefix("Bearer "))
        if person is None:
            return 401, {"error": "invalid_token"}
        return 200, person

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.key.as_dict(private=False)]}


class _Handler(BaseHTTPRequestHandler):
    provider: LocalProvider

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path == "/.well-known/openid-configuration":
            self._json(200, self.provider.discovery())
        elif parts.path == "/down/.well-known/openid-configuration":
            self._json(503, {"error": "temporarily_unavailable"})
        elif parts.path == "/authorize":
            status, headers = self.provider.authorize(query)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif parts.path == "/userinfo":
            self._json(*self.provider.userinfo(self.headers.get("Authorization", "")))
        elif parts.path == "/jwks":
            self._json(200, self.provider.jwks())
        else:
            self._json(404, {"error": "not_found"})

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if urlsplit(self.path).path == "/token":
            self._json(*self.provider.token(form, self.headers.get("Authorization", "")))
        else:
            self._json(404, {"error": "not_found"})
