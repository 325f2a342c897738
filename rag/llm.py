"""The optional LLM composer: an answer written by a model behind an OpenAI-compatible endpoint.

It sends the rules and the ranked passages that fit the model's context window (counted with
tiktoken) to the configured chat-completions endpoint (:mod:`rag.openai_client`) and streams the
reply. The reply is then held to the passages: markers (:mod:`rag.citations`) that point at no
passage are dropped, the rest are renumbered 1..m in order of first appearance (while streaming,
so the streamed text is the final text), every answer sentence is checked against the passages
it cites (:mod:`rag.support`), and each citation gets the passage sentences that back it.
Sentences without a marker or without support are listed in ``Composition.unsupported``; the text
itself is left as streamed.

Whatever goes wrong with the endpoint, the fallback composer answers instead, with a notice.
"""

from __future__ import annotations

import math
from dataclasses import replace

from index.config import LLMConfig
from index.sentences import sentence_spans
from index.tokens import get_encoding
from rag import openai_client
from rag.citations import CitationBuilder, Renumberer, cited_numbers, format_marker, strip_markers
from rag.openai_client import ChatClient, EndpointError
from rag.prompts import NO_ANSWER, render_passage, system_prompt, user_message
from rag.support import content_terms, is_supported, split_sentences
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

class LLMComposer:
    """Composes answers with a language model; ``fallback`` answers when the model cannot."""

    def __init__(self, cfg: LLMConfig, fallback: Composer):
        self.cfg = cfg
        self.fallback = fallback
        self.name = f"llm:{cfg.model}"

    available = staticmethod(openai_client.available)  # whether an endpoint and a model are configured

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
            with ChatClient(self.cfg) as client:
                finish_reason = client.stream(
                    messages,
                    lambda delta: emit(renumberer.feed(delta)),
                    max_tokens=self.cfg.max_answer_tokens,
                    temperature=0,  # the same passages should give the same answer
                )
        except EndpointError as e:
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

    @staticmethod
    def _failure(error: EndpointError, language: str) -> str:
        notices = NOTICES[language]
        if error.kind == "timeout":
            reason = notices["timeout"].format(seconds=error.seconds)
        elif error.kind == "error":
            reason = notices["error"].format(detail=error.error_detail)
        else:
            reason = notices[error.kind]
        return notices["failed"].format(reason=reason, url=error.endpoint)

    def _fall_back(self, question, sources, language, on_text, notice: str) -> Composition:
        composition = self.fallback.compose(question, sources, language, on_text)
        return replace(composition, notices=[notice, *composition.notices])

    def _check(self, text: str, sent: list[Source], renumberer: Renumberer, language: str) -> Composition:
        """Citations, evidence sentences and support for the renumbered answer ``text``."""
        notices = NOTICES[language]
        builder = CitationBuilder()
        citations = {c: builder.cite(sent[p - 1]) for p, c in sorted(renumberer.citations.items(), key=lambda i: i[1])}
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
            markers = ", ".join(format_marker([n]) for n in renumberer.invalid)
            messages.append(notices["bad_marker"].format(markers=markers, count=len(sent)))
        if not citations and not all(_is_no_answer(s) for s in split_sentences(text)):
            messages.append(notices["uncited"])
        return Composition(
            text=text, citations=builder.citations, abstained=not citations, notices=messages, unsupported=unsupported
        )


class _Evidence:
    """The sentences of one cited passage and which of them back the answer."""

    def __init__(self, citation: Citation):
        self.citation = citation
        text = citation.source.passage.text
        self.sentences = [(s, e, content_terms(text[s:e])) for s, e in sentence_spans(text)]
        self.picked: set[tuple[int, int]] = set()

    def fill_citation(self) -> None:
        for start, end in sorted(self.picked):
            CitationBuilder.add_sentence(self.citation, start, end)


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
