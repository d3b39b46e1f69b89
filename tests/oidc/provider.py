"""A small OpenID provider on loopback for the tests: discovery, JWKS (EC P-256), an
authorize endpoint that approves the configured user at once, a token endpoint that checks
the client secret, the redirect URI and PKCE and returns a signed ID token, and userinfo.

Switches let a test make it misbehave (wrong nonce, wrong audience, no ID token)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from joserfc import jwt
from joserfc.jwk import ECKey
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

CLIENT_ID = "coworknet-test"
CLIENT_SECRET = "provider-test-client-secret"  # noqa: S105 - a test provider's client


@dataclass
class Provider:
    issuer: str = ""
    user: dict = field(default_factory=dict)  # the claims of whoever "logs in" next
    nonce_override: str | None = None
    audience_override: str | None = None
    omit_id_token: bool = False
    userinfo_claims: dict | None = None
    key: ECKey = field(default_factory=lambda: ECKey.generate_key("P-256", parameters={"kid": "op-1"}))
    codes: dict = field(default_factory=dict)
    access_tokens: dict = field(default_factory=dict)
    token_requests: list = field(default_factory=list)

    def __call__(self, environ, start_response):
        request = Request(environ)
        handler = {
            "/.well-known/openid-configuration": self.discovery,
            "/jwks": self.jwks,
            "/authorize": self.authorize,
            "/token": self.token,
            "/userinfo": self.userinfo,
        }.get(request.path)
        response = handler(request) if handler else Response("not found", status=404)
        return response(environ, start_response)

    @staticmethod
    def _json(data: dict, status: int = 200) -> Response:
        return Response(json.dumps(data), status=status, content_type="application/json")

    def discovery(self, _request) -> Response:
        return self._json({
            "issuer": self.issuer,
            "authorization_endpoint": self.issuer + "/authorize",
            "token_endpoint": self.issuer + "/token",
            "userinfo_endpoint": self.issuer + "/userinfo",
            "jwks_uri": self.issuer + "/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        })

    def jwks(self, _request) -> Response:
        return self._json({"keys": [self.key.as_dict(private=False)]})

    def authorize(self, request: Request) -> Response:
        args = request.args
        if args.get("client_id") != CLIENT_ID or args.get("response_type") != "code":
            return Response("bad client", status=400)
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "user": dict(self.user), "nonce": args.get("nonce"),
            "challenge": args.get("code_challenge"), "method": args.get("code_challenge_method"),
            "redirect_uri": args.get("redirect_uri"),
        }
        target = args["redirect_uri"] + "?" + urlencode({"code": code, "state": args.get("state", "")})
        return Response(status=302, headers={"Location": target})

    def _client_ok(self, request: Request) -> bool:
        if request.authorization and request.authorization.type == "basic":
            auth = request.authorization
            return auth.username == CLIENT_ID and auth.password == CLIENT_SECRET
        return (request.form.get("client_id") == CLIENT_ID
                and request.form.get("client_secret") == CLIENT_SECRET)

    def token(self, request: Request) -> Response:
        form = request.form
        self.token_requests.append(dict(form))
        grant = self.codes.pop(form.get("code", ""), None)  # a code works once
        if not self._client_ok(request):
            return self._json({"error": "invalid_client"}, 401)
        if grant is None or form.get("redirect_uri") != grant["redirect_uri"]:
            return self._json({"error": "invalid_grant"}, 400)
        verifier = form.get("code_verifier", "")
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
        if grant["method"] != "S256" or digest.decode() != grant["challenge"]:
            return self._json({"error": "invalid_grant", "error_description": "PKCE"}, 400)
        now = int(time.time())
        access = secrets.token_urlsafe(16)
        self.access_tokens[access] = grant["user"]
        body = {"access_token": access, "token_type": "Bearer", "expires_in": 300}
        if not self.omit_id_token:
            claims = {
                "iss": self.issuer, "aud": self.audience_override or CLIENT_ID,
                "iat": now, "exp": now + 300,
                "nonce": self.nonce_override or grant["nonce"], **grant["user"],
            }
            body["id_token"] = jwt.encode({"alg": "ES256", "kid": "op-1"}, claims, self.key)
        return self._json(body)

    def userinfo(self, request: Request) -> Response:
        header = request.headers.get("Authorization", "")
        user = self.access_tokens.get(header.removeprefix("Bearer "))
        if user is None:
            return self._json({"error": "invalid_token"}, 401)
        return self._json(self.userinfo_claims if self.userinfo_claims is not None else user)


class ProviderServer:
    """Serve a ``Provider`` on a loopback port in a thread."""

    def __init__(self) -> None:
        self.provider = Provider()
        self.server = make_server("127.0.0.1", 0, self.provider, threaded=True)
        self.provider.issuer = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Provider:
        self.thread.start()
        return self.provider

    def __exit__(self, *_exc) -> None:
        self.server.shutdown()
        self.server.server_close()
