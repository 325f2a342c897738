"""Optional LLM judge for ``rag eval --judge`` (RAGAS-style), over an OpenAI-compatible endpoint.

- faithfulness: the answer's claims (its sentences, ``[n]`` markers and lead-ins removed, as in
  :func:`eval.metrics.answer_claims`) are sent with the passages the answer cites; the judge says
  for each claim whether they support it. Score = share supported (0 when nothing is cited).
- answer relevancy: the judge rates 0–1 how well the answer addresses the question.

The prompts live in :mod:`rag.prompts` with every other text sent to a model. The endpoint is
:class:`index.config.LLMConfig` (``RAG_LLM_BASE_URL``, ``RAG_LLM_MODEL``, key in
``RAG_LLM_API_KEY``), reached through the client the LLM composer uses
(:mod:`rag.openai_client`). A reply that is not the JSON asked for leaves that score ``None`` for
the item; an endpoint that cannot be used (unreachable, timeout, HTTP error, a reply that is no
chat completion) stops the run with :class:`JudgeError`, the client's one error class.
"""

from __future__ import annotations

import json
import re

from eval.metrics import answer_claims
from index.config import LLMConfig
from rag.openai_client import ChatClient, EndpointError, available
from rag.prompts import judge_faithfulness_messages, judge_relevancy_messages
from rag.types import Answer

_JSON_OBJECT = re.compile(r"\{.*\}", re.S)  # models sometimes wrap JSON in prose or ``` fences


#: The judge endpoint could not be used (the shared client's error, under the name ``rag eval`` catches).
JudgeError = EndpointError

#: Whether a judge endpoint and model are configured.
judge_available = available


def _reply_json(content: str) -> dict | None:
    match = _JSON_OBJECT.search(content or "")
    if not match:
        return None
    try:
        value = json.loads(match.group())
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


class Judge:
    """Grades answers with the configured chat-completions endpoint."""

    def __init__(self, cfg: LLMConfig):
        self._client = ChatClient(cfg)  # raises JudgeError when no endpoint is configured
        self.model = cfg.model

    def _chat(self, messages: list[dict]) -> dict | None:
        return _reply_json(self._client.complete(messages, temperature=0))

    def faithfulness(self, answer: Answer) -> float | None:
        claims = [c.text for c in answer_claims(answer.text)]
        if not claims:
            return None
        if not answer.citations:
            return 0.0
        reply = self._chat(judge_faithfulness_messages(claims, [(c.n, c.source) for c in answer.citations]))
        verdicts = reply.get("verdicts") if reply else None
        if not isinstance(verdicts, list) or len(verdicts) != len(claims) or not all(isinstance(v, bool) for v in verdicts):
            return None
        return sum(verdicts) / len(verdicts)

    def answer_relevancy(self, question: str, answer: Answer) -> float | None:
        reply = self._chat(judge_relevancy_messages(question, answer.text))
        score = reply.get("score") if reply else None
        if isinstance(score, bool) or not isinstance(score, (int, float)):
            return None
        return min(1.0, max(0.0, float(score)))

    def score(self, question: str, answer: Answer) -> dict[str, float | None]:
        return {"faithfulness": self.faithfulness(answer), "answer_relevancy": self.answer_relevancy(question, answer)}

    def close(self) -> None:
        self._client.close()
