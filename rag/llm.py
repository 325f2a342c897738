"""The optional LLM composer: an answer written by a model behind an OpenAI-compatible endpoint.

It sends the rules and the ranked passages that fit the model's context window (counted with
tiktoken) to ``{base_url}/chat/completions`` — OpenAI, Ollama, vLLM and the llama.cpp server all
speak this — and streams the reply. The reply is then held to the passages: ``[n]`` markers that
point at no passage are dropped, the rest are renumbered 1..m in order of first appearance (while
streaming, so the streamed text is the final text), every answer sentence is checked against the
passages it cites (:mod:`rag.support`), and each citation gets the passage sentences that back it.
Sentences without a marker or without support are listed in ``Composition.unsupported``; the text
itself is left as streamed.

Whatever goes wrong with the endpoint, the fallback composer answers instead, with a notice.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterable
from dataclasses import replace

import httpx

from index.config import LLMConfig
from index.sentences import sentence_spans
from index.tokens import get_encoding
from rag.prompts import NO_ANSWER, render_passage, system_prompt, user_message
from rag.support import CITATION_MARKER, cited_numbers, content_terms, is_supported, split_sentences, strip_markers
from rag.types import Citation, Composer, Composition, OnText, Source

ENCODING = "cl100k_base"  # an estimate for non-OpenAI models, whose tokenizers differ somewhat
MESSAGE_TOKENS = 4  # chat-format tokens around each message
REPLY_TOKENS = 3  # tokens that prime the assistant's reply
EVIDENCE_SHARE = 0.2  # a passage sentence backs an answer sentence if it adds this share of its terms

NOTICES = {
    "nl": {
        "failed": "{reason} ({url}): antwoord zonder LLM samengesteld.",
        "connect": "LLM niet bereikbaar",
        "timeout": "LLM gaf geen antwoord binnen {seconds:g} s",
        "error": "LLM gaf een fout ({detail})",
        "malformed": "LLM gaf een onleesbaar of onvolledig antwoord",
        "unconfigured": "Geen LLM ingesteld (RAG_LLM_BASE_URL en RAG_LLM_MODEL): antwoord zonder LLM samengesteld.",
        "no_room": "De passages passen niet in het contextvenster van het LLM ({window} tokens): "
        "antwoord zonder LLM samengesteld.",
        "dropped": "{dropped} van de {total} passages pasten niet in het contextvenster van het LLM en zijn "
        "niet meegestuurd.",
        "bad_marker": "Het LLM verwees naar {markers}, maar er waren maar {count} passages; die verwijzing is "
        "weggelaten.",
        "uncited": "Het LLM-antwoord noemt geen enkele passage als bron en is niet als antwoord uit de brieven "
        "aangemerkt.",
        "truncated": "Het LLM-antwoord is afgebroken bij de limiet van {tokens} tokens.",
    },
    "en": {
        "failed": "{reason} ({url}): answer composed without LLM.",
        "connect": "LLM not reachable",
        "timeout": "LLM gave no answer within {seconds:g} s",
        "error": "LLM returned an error ({detail})",
        "malformed": "LLM returned an unreadable or incomplete reply",
        "unconfigured": "No LLM configured (RAG_LLM_BASE_URL and RAG_LLM_MODEL): answer composed without LLM.",
        "no_room": "The passages do not fit the LLM's context window ({window} tokens): answer composed "
        "without LLM.",
        "dropped": "{dropped} of the {total} passages did not fit the LLM's context window and were not sent.",
        "bad_marker": "The LLM cited {markers}, but there were only {count} passages; that citation was removed.",
        "uncited": "The LLM's answer cites no passage and is not marked as an answer from the letters.",
        "truncated": "The LLM's answer was cut off at the limit of {tokens} tokens.",
    },
}

# A marker with the spaces before it: a dropped marker takes them along ("claim [7]." -> "claim.").
_SPACED_MARKER = re.compile(rf"[ \t]*{CITATION_MARKER.pattern}")
# What may still grow into a marker at the end of the streamed text: trailing spaces, "[", "[1, ".
_OPEN_TAIL = re.compile(r"[ \t]*(?:\[[\d,\s]*)?\Z")


class LLMError(Exception):
    """The endpoint failed; ``kind`` selects the notice (connect, timeout, error, malformed)."""

    def __init__(self, kind: str, **details):
        super().__init__(kind)
        self.kind = kind
        self.details = details


class Renumberer:
    """Rewrites ``[n]`` markers as the text streams in: passage numbers become citation numbers
    1..m in order of first appearance, markers for passages that do not exist are dropped."""

    def __init__(self, passages: int):
        self.passages = passages
        self.citations: dict[int, int] = {}  # passage number -> citation number
        self.invalid: list[int] = []
        self._pending = ""

    def feed(self, delta: str) -> str:
        """The part of the text so far that can no longer change, rewritten."""
        self._pending += delta
        cut = _OPEN_TAIL.search(self._pending).start()
        ready, self._pending = self._pending[:cut], self._pending[cut:]
        return _SPACED_MARKER.sub(self._rewrite, ready)

    def flush(self) -> str:
        """The rest, at the end of the stream."""
        rest, self._pending = self._pending, ""
        return _SPACED_MARKER.sub(self._rewrite, rest)

    def _rewrite(self, marker: re.Match) -> str:
        kept: list[int] = []
        for number in cited_numbers(marker.group(0)):
            if 1 <= number <= self.passages:
                kept.append(self.citations.setdefault(number, len(self.citations) + 1))
            elif number not in self.invalid:
                self.invalid.append(number)
        if not kept:
            return ""
        spaces = marker.group(0)[: marker.group(0).index("[")]
        return f"{spaces}[{', '.join(map(str, kept))}]"


class LLMComposer:
    """Composes answers with a language model; ``fallback`` answers when the model cannot."""

    def __init__(self, cfg: LLMConfig, fallback: Composer):
        self.cfg = cfg
        self.fallback = fallback
        self.name = f"llm:{cfg.model}"

    @staticmethod
    def available(cfg: LLMConfig) -> bool:
        """Whether an endpoint and a model are configured."""
        return bool(cfg.base_url and cfg.model)

    def compose(self, question: str, sources: list[Source], language: str, on_text: OnText | None = None) -> Composition:
        notices = NOTICES[language]
        if not self.available(self.cfg):
            return self._fall_back(question, sources, language, on_text, notices["unconfigured"])
        if not sources:
            return self.fallback.compose(question, sources, language, on_text)
        sent = self.fit(question, sources, language)
        if not sent:
            return self._fall_back(
                question, sources, language, on_text, notices["no_room"].format(window=self.cfg.context_window)
            )
        messages = [
            {"role": "system", "content": system_prompt(language)},
            {"role": "user", "content": user_message(question, sent)},
        ]
        renumberer = Renumberer(len(sent))
        pieces: list[str] = []

        def emit(piece: str) -> None:
            if piece:
                pieces.append(piece)
                if on_text:
                    on_text(piece)

        try:
            finish_reason = self._chat(messages, lambda delta: emit(renumberer.feed(delta)))
        except LLMError as e:
            if pieces and on_text:
                on_text("\n\n")  # the stream broke off: set the fallback's answer apart from it
            return self._fall_back(question, sources, language, on_text, self._failure(e, language))
        emit(renumberer.flush())

        composition = self._check("".join(pieces).strip(), sent, renumberer, language)
        if len(sent) < len(sources):
            composition.notices.insert(0, notices["dropped"].format(dropped=len(sources) - len(sent), total=len(sources)))
        if finish_reason == "length":
            composition.notices.append(notices["truncated"].format(tokens=self.cfg.max_answer_tokens))
        return composition

    def fit(self, question: str, sources: list[Source], language: str) -> list[Source]:
        """The leading sources, in rank order, whose passages fit the context window next to the
        prompt and the answer."""
        encoding = get_encoding(ENCODING)

        def tokens(text: str) -> int:
            return len(encoding.encode_ordinary(text))

        overhead = tokens(system_prompt(language)) + tokens(user_message(question, [])) + 2 * MESSAGE_TOKENS + REPLY_TOKENS
        budget = self.cfg.context_window - self.cfg.max_answer_tokens - overhead
        fitting: list[Source] = []
        for n, source in enumerate(sources, 1):
            budget -= tokens(render_passage(n, source) + "\n\n")
            if budget < 0:
                break
            fitting.append(source)
        return fitting

    def _chat(self, messages: list[dict], on_delta) -> str | None:
        """Send the chat request and pass the reply's text on as it arrives; returns the finish reason."""
        body = {
            "model": self.cfg.model,
            "messages": messages,
            "stream": True,
            "max_tokens": self.cfg.max_answer_tokens,
            "temperature": 0,  # the same passages should give the same answer
        }
        url = self.cfg.base_url.rstrip("/") + "/chat/completions"
        try:
            with httpx.Client(timeout=self.cfg.timeout_s) as client:
                with client.stream("POST", url, json=body, headers=self._headers()) as response:
                    if response.status_code >= 400:
                        response.read()
                        raise LLMError("error", detail=f"HTTP {response.status_code}{_error_message(response)}")
                    if response.headers.get("content-type", "").startswith("text/event-stream"):
                        return _read_events(response.iter_lines(), on_delta)
                    response.read()  # a server that ignores "stream" answers with one JSON message
                    return _read_message(response.json(), on_delta)
        except httpx.TimeoutException as e:
            raise LLMError("timeout", seconds=self.cfg.timeout_s) from e
        except httpx.ConnectError as e:
            raise LLMError("connect") from e
        except (httpx.HTTPError, ValueError, LookupError, TypeError, AttributeError) as e:
            # Broken connections, invalid JSON or SSE, replies without the expected fields.
            raise LLMError("malformed") from e

    def _headers(self) -> dict[str, str]:
        key = os.environ.get(self.cfg.api_key_env)
        return {"Authorization": f"Bearer {key}"} if key else {}

    def _failure(self, error: LLMError, language: str) -> str:
        notices = NOTICES[language]
        details = dict(error.details)
        key = os.environ.get(self.cfg.api_key_env)
        if key and "detail" in details:
            details["detail"] = details["detail"].replace(key, "***")  # servers may echo the key
        url = re.sub(r"//[^/@]*@", "//", self.cfg.base_url)  # no credentials embedded in the URL
        return notices["failed"].format(reason=notices[error.kind].format(**details), url=url)

    def _fall_back(self, question, sources, language, on_text, notice: str) -> Composition:
        composition = self.fallback.compose(question, sources, language, on_text)
        return replace(composition, notices=[notice, *composition.notices])

    def _check(self, text: str, sent: list[Source], renumberer: Renumberer, language: str) -> Composition:
        """Citations, evidence sentences and support for the renumbered answer ``text``."""
        notices = NOTICES[language]
        citations = {c: Citation(n=c, source=sent[p - 1]) for p, c in sorted(renumberer.citations.items(), key=lambda i: i[1])}
        evidence = {c: _Evidence(citation) for c, citation in citations.items()}
        unsupported: list[str] = []
        for sentence in split_sentences(text):
            if _is_no_answer(sentence):
                continue
            cited = [evidence[c] for c in cited_numbers(sentence) if c in evidence]
            passages = "\n".join(e.citation.source.passage.text for e in cited)
            if not cited or not is_supported(sentence, passages):
                unsupported.append(sentence)
            _pick_evidence(sentence, cited)
        for e in evidence.values():
            e.fill_citation()

        messages = []
        if renumberer.invalid:
            markers = ", ".join(f"[{n}]" for n in renumberer.invalid)
            messages.append(notices["bad_marker"].format(markers=markers, count=len(sent)))
        if not citations and not all(_is_no_answer(s) for s in split_sentences(text)):
            messages.append(notices["uncited"])
        return Composition(
            text=text, citations=list(citations.values()), abstained=not citations, notices=messages, unsupported=unsupported
        )


class _Evidence:
    """The sentences of one cited passage and which of them back the answer."""

    def __init__(self, citation: Citation):
        self.citation = citation
        text = citation.source.passage.text
        self.sentences = [(s, e, content_terms(text[s:e])) for s, e in sentence_spans(text)]
        self.picked: set[tuple[int, int]] = set()

    def fill_citation(self) -> None:
        passage = self.citation.source.passage
        for start, end in sorted(self.picked):
            self.citation.sentences.append(passage.text[start:end])
            if passage.kind == "body":  # a footnote's text is not a slice of Letter.text
                self.citation.spans.append((passage.start + start, passage.start + end))


def _pick_evidence(sentence: str, cited: list[_Evidence]) -> None:
    """Mark the passage sentences that together cover the answer sentence's terms (greedily)."""
    uncovered = content_terms(sentence)
    needed = max(1, math.ceil(EVIDENCE_SHARE * len(uncovered)))
    candidates = [(e, start, end, terms) for e in cited for start, end, terms in e.sentences]
    while uncovered and candidates:
        best = max(candidates, key=lambda c: len(c[3] & uncovered))
        if len(best[3] & uncovered) < needed:
            break
        evidence, start, end, terms = best
        evidence.picked.add((start, end))
        uncovered -= terms
        candidates.remove(best)


def _is_no_answer(sentence: str) -> bool:
    said = strip_markers(sentence).strip().rstrip(".").casefold()
    return any(said == s.rstrip(".").casefold() for s in NO_ANSWER.values())


def _read_events(lines: Iterable[str], on_delta) -> str | None:
    """Read a server-sent-event stream of chat-completion chunks up to ``data: [DONE]``."""
    finish_reason = None
    received = False
    for line in lines:
        if not line.startswith("data:"):
            continue  # blank separators, comments, "event:" lines
        data = line[len("data:") :].strip()
        if data == "[DONE]":
            if not received:
                raise ValueError("empty reply")
            return finish_reason
        chunk = json.loads(data)
        if chunk.get("error"):
            raise LLMError("error", detail=_describe_error(chunk["error"]))
        if not chunk["choices"]:
            continue  # e.g. a final usage-only chunk
        choice = chunk["choices"][0]
        content = choice["delta"].get("content")
        if content:
            received = True
            on_delta(content)
        finish_reason = choice.get("finish_reason") or finish_reason
    if finish_reason is None or not received:
        raise ValueError("stream ended without [DONE]")
    return finish_reason


def _read_message(payload: dict, on_delta) -> str | None:
    """Read a non-streamed chat completion."""
    choice = payload["choices"][0]
    content = choice["message"]["content"]
    if not content or not content.strip():
        raise ValueError("empty reply")
    on_delta(content)
    return choice.get("finish_reason")


def _error_message(response: httpx.Response) -> str:
    """": <the server's error message>" when the body carries one, else ""."""
    try:
        detail = _describe_error(response.json().get("error"))
    except (ValueError, AttributeError):
        detail = response.text
    detail = " ".join(detail.split())[:200]
    return f": {detail}" if detail else ""


def _describe_error(error) -> str:
    if isinstance(error, dict):
        return str(error.get("message") or error)
    return str(error or "")
