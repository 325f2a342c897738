"""The one client for OpenAI-compatible chat-completion endpoints, shared by the LLM composer
(:mod:`rag.llm`) and the evaluation judge (:mod:`eval.judge`).

OpenAI, Ollama, vLLM and the llama.cpp server all speak ``{base_url}/chat/completions``; the
requests go through the maintained ``openai`` package, streaming included. The endpoint is
:class:`index.config.LLMConfig`: ``RAG_LLM_BASE_URL``, ``RAG_LLM_MODEL``, and the key read from
the environment variable it names (``RAG_LLM_API_KEY``); without a key no ``Authorization``
header is sent (a local Ollama or llama.cpp server needs none).

Whatever fails is raised as one :class:`EndpointError` whose ``kind`` says what failed
(``unconfigured``, ``connect``, ``timeout``, ``error`` — an HTTP status or an error the server
reported —, ``malformed``) and whose message names the endpoint, without credentials and with
the key masked if the server echoed it. No request is retried: the composer falls back to the
extractive answer at once, and the judge stops the run.

``openai`` is imported when a client is made, not with this module: ``available`` and the error
class cost nothing when no endpoint is configured.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable

from index.config import LLMConfig
from index.errors import UserError

DETAIL_CHARS = 200  # of a server's error message, in an exception message or a notice

#: ``kind`` of :class:`EndpointError`.
KINDS = ("unconfigured", "connect", "timeout", "error", "malformed")


def available(cfg: LLMConfig) -> bool:
    """Whether an endpoint and a model are configured."""
    return bool(cfg.base_url and cfg.model)


def endpoint_label(base_url: str | None) -> str:
    """``base_url`` without credentials embedded in it (``https://user:key@host`` -> ``https://host``)."""
    return re.sub(r"//[^/@]*@", "//", (base_url or "").rstrip("/"))


class EndpointError(UserError, RuntimeError):
    """The chat-completions endpoint could not be used.

    ``kind`` is one of :data:`KINDS`; ``endpoint`` the base URL without credentials; ``status``
    the HTTP status (kind ``error``, when there was one); ``detail`` what the server or the
    transport said; ``seconds`` the timeout (kind ``timeout``).
    """

    def __init__(self, kind: str, endpoint: str, *, detail: str = "", status: int | None = None, seconds: float | None = None):
        assert kind in KINDS, kind
        self.kind = kind
        self.endpoint = endpoint
        self.detail = detail
        self.status = status
        self.seconds = seconds
        super().__init__(self._message())

    def _message(self) -> str:
        where = f"LLM endpoint {self.endpoint}"
        if self.kind == "unconfigured":
            return "no LLM endpoint configured: set RAG_LLM_BASE_URL and RAG_LLM_MODEL"
        if self.kind == "connect":
            return f"{where} unreachable" + (f" ({self.detail})" if self.detail else "")
        if self.kind == "timeout":
            return f"{where} gave no answer within {self.seconds:g} s"
        if self.kind == "error":
            said = f": {self.detail}" if self.detail else ""
            return f"{where} answered HTTP {self.status}{said}" if self.status else f"{where} reported an error{said}"
        return f"{where} sent a malformed or incomplete reply" + (f" ({self.detail})" if self.detail else "")

    @property
    def error_detail(self) -> str:
        """For kind ``error``: ``HTTP 500: <the server's message>`` (or just the message)."""
        parts = [f"HTTP {self.status}" if self.status else "", self.detail]
        return ": ".join(p for p in parts if p)


class ChatClient:
    """Chat completions against the configured endpoint; raises :class:`EndpointError`."""

    def __init__(self, cfg: LLMConfig):
        self.cfg = cfg
        self.endpoint = endpoint_label(cfg.base_url)
        if not available(cfg):
            raise EndpointError("unconfigured", self.endpoint)
        import openai

        self._key = os.environ.get(cfg.api_key_env) or ""
        self._client = openai.OpenAI(
            # The client insists on a key; without one the header is left out per request (below).
            api_key=self._key or "no-key",
            base_url=cfg.base_url.rstrip("/"),
            timeout=cfg.timeout_s,
            max_retries=0,
        )
        self._headers = {} if self._key else {"Authorization": openai.Omit()}

    def complete(self, messages: list[dict], **params) -> str:
        """The reply's text to ``messages`` (not streamed); ``params`` go into the request body."""
        with self._mapped_errors():
            completion = self._client.chat.completions.create(
                model=self.cfg.model, messages=messages, extra_headers=self._headers, **params
            )
            if isinstance(completion, str):  # the body was not JSON; the client hands it over as text
                raise EndpointError("malformed", self.endpoint, detail=self._clean(completion))
            return completion.choices[0].message.content or ""

    def stream(self, messages: list[dict], on_delta: Callable[[str], None], **params) -> str | None:
        """Stream the reply's text to ``on_delta`` as it arrives; returns the finish reason.

        A server that ignores ``stream`` and answers with one JSON message is read as that
        message. A reply without any text, or a stream that ends before a finish reason, is
        ``malformed``.
        """
        import openai
        from openai.types.chat import ChatCompletion

        with self._mapped_errors():
            with self._client.chat.completions.with_streaming_response.create(
                model=self.cfg.model, messages=messages, stream=True, extra_headers=self._headers, **params
            ) as response:
                if not response.headers.get("content-type", "").startswith("text/event-stream"):
                    completion = ChatCompletion.construct(**response.json())
                    (choice, *_) = completion.choices
                    if not (choice.message.content or "").strip():
                        raise EndpointError("malformed", self.endpoint, detail="empty reply")
                    on_delta(choice.message.content)
                    return choice.finish_reason
                finish_reason, received = None, False
                try:
                    for chunk in response.parse():
                        if not chunk.choices:
                            continue  # e.g. a final usage-only chunk
                        choice = chunk.choices[0]
                        if choice.delta and choice.delta.content:
                            received = True
                            on_delta(choice.delta.content)
                        finish_reason = choice.finish_reason or finish_reason
                except openai.APIConnectionError as e:
                    if isinstance(e, openai.APITimeoutError):
                        raise
                    # The endpoint was reached; the reply broke off.
                    raise EndpointError("malformed", self.endpoint, detail="the connection broke off during the reply") from e
                if not received:
                    raise EndpointError("malformed", self.endpoint, detail="empty reply")
                if finish_reason is None:
                    raise EndpointError("malformed", self.endpoint, detail="the stream ended before the reply was finished")
                return finish_reason

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> ChatClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _mapped_errors(self):
        return _ErrorMapping(self)

    def _clean(self, text: str) -> str:
        """One line, at most :data:`DETAIL_CHARS`, the key masked (servers may echo it)."""
        text = " ".join(str(text).split())
        if self._key:
            text = text.replace(self._key, "***")
        return text[:DETAIL_CHARS]


class _ErrorMapping:
    """Turns whatever the ``openai`` package or a malformed reply raises into :class:`EndpointError`."""

    def __init__(self, client: ChatClient):
        self.client = client

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc is None or isinstance(exc, EndpointError) or not isinstance(exc, Exception):
            return False
        import openai

        client, endpoint = self.client, self.client.endpoint
        if isinstance(exc, openai.APITimeoutError):
            raise EndpointError("timeout", endpoint, seconds=client.cfg.timeout_s) from exc
        if isinstance(exc, openai.APIConnectionError):
            raise EndpointError("connect", endpoint, detail=_connect_reason(exc)) from exc
        if isinstance(exc, openai.APIStatusError):
            raise EndpointError("error", endpoint, status=exc.status_code, detail=client._clean(_describe(exc.body))) from exc
        if isinstance(exc, openai.APIResponseValidationError):
            raise EndpointError("malformed", endpoint, detail=client._clean(exc.message)) from exc
        if isinstance(exc, openai.APIError):  # an error event in the stream
            raise EndpointError("error", endpoint, detail=client._clean(_describe(exc.body) or exc.message)) from exc
        if isinstance(exc, (ValueError, LookupError, TypeError, AttributeError)):
            # Invalid JSON or SSE data, replies without the expected fields.
            raise EndpointError("malformed", endpoint, detail=client._clean(f"{type(exc).__name__}: {exc}")) from exc
        return False


def _connect_reason(exc: BaseException) -> str:
    """``connection refused`` when that is the cause, else what the transport said."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError) or "connection refused" in str(cause).lower():
            return "connection refused"
        cause = cause.__cause__ or cause.__context__
    inner = exc.__cause__ or exc.__context__
    return " ".join(str(inner or exc).split())[:DETAIL_CHARS]


def _describe(body) -> str:
    """The message in an error body (``{"message": ...}`` or ``{"error": {"message": ...}}``), else the body."""
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            return str(inner.get("message") or inner)
        return str(inner or "")
    return str(body or "")
