"""Graph API error objects, as "Handling Errors" describes them."""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime
from typing import Any

from ..store import Token

RATE_LIMIT_MESSAGES = {
    4: "(#4) Application request limit reached",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    613: "(#613) Calls to this api have exceeded the rate limit.",
    80001: "(#80001) There have been too many calls to this Page account. Wait a bit and try again.",
    80002: "(#80002) There have been too many calls to this Instagram account. Wait a bit and try again.",
}


class GraphError(Exception):
    def __init__(
        self,
        message: str,
        code: int,
        *,
        type: str = "OAuthException",  # noqa: A002 - the wire name
        subcode: int | None = None,
        status: int = 400,
        is_transient: bool | None = None,
        user_title: str | None = None,
        user_msg: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.type = type
        self.subcode = subcode
        self.status = status
        self.is_transient = is_transient
        self.user_title = user_title
        self.user_msg = user_msg

    def body(self) -> dict:
        error: dict[str, Any] = {"message": self.message, "type": self.type, "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.is_transient is not None:
            error["is_transient"] = self.is_transient
        if self.user_title:
            error["error_user_title"] = self.user_title
        if self.user_msg:
            error["error_user_msg"] = self.user_msg
        error["fbtrace_id"] = _trace_id()
        return {"error": error}


def _trace_id() -> str:
    return (
        base64.b64encode(secrets.token_bytes(8))
        .decode()
        .rstrip("=")
        .replace("+", "A")
        .replace("/", "B")
    )


def not_found(object_id: str, method: str) -> GraphError:
    return GraphError(
        f"Unsupported {method.lower()} request. Object with ID '{object_id}' does not exist, cannot be loaded due "
        "to missing permissions, or does not support this operation. Please read the Graph API documentation "
        "at https://developers.facebook.com/docs/graph-api",
        100,
        type="GraphMethodException",
        subcode=33,
    )


def token_error(record: Token | None, now: float) -> GraphError | None:
    """The OAuthException a token in this state gets, or None if it is good."""
    if record is None or record.platform != "graph":
        return GraphError("Invalid OAuth access token data.", 190)
    if record.state == "valid":
        return None
    if record.state == "expired":

        def day(t: float) -> str:
            return datetime.fromtimestamp(t, UTC).strftime("%A, %d-%b-%y %H:%M:%S UTC")

        return GraphError(
            f"Error validating access token: Session has expired on {day(record.changed_at)}. "
            f"The current time is {day(now)}.",
            190,
            subcode=463,
        )
    if record.state == "password_changed":
        return GraphError(
            "Error validating access token: The session has been invalidated because the user changed their "
            "password or Facebook has changed the session for security reasons.",
            190,
            subcode=460,
        )
    if record.state == "revoked":
        return GraphError(
            "Error validating access token: The user has not authorized application 1.",
            190,
            subcode=458,
        )
    return GraphError(
        "Error validating access token: The session is invalid because the user logged out.",
        190,
        subcode=467,
    )
