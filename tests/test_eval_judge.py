"""The LLM judge against a real loopback HTTP server speaking the chat-completions protocol.

The server is a tiny rule-based "model": it reads the judge prompt it receives and calls a
statement supported when its text occurs in the passages section — enough to check that the
judge sends the claims and the cited passages, and reads the verdicts back correctly.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from eval.judge import Judge, JudgeError, judge_available
from index.config import LLMConfig
from index.models import Letter, Passage
from rag.types import Answer, Citation, Source

# Verbatim from index/corpus/004_e0a75123764b20dc.txt.
FRIT = (
    "Zo wordt vanuit de FRIT door middel van het Emergency Social Safety Net (ESSN) maandelijks "
    "financiële ondersteuning geboden aan 1.7 miljoen vluchtelingen om in de dagelijkse behoeftes te voorzien."
)
FORUM = "In december 2019 vond, onder leiding van de VN-Vluchtelingenorganisatie (UNHCR), het eerste Global Refugee Forum plaats."
INVENTED = "De FRIT ondersteunt maandelijks 4 miljoen vluchtelingen in Griekenland."


class FakeModel(BaseHTTPRequestHandler):
    """POST /v1/chat/completions; behaviour set per test through the server's attributes."""

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        if self.server.status != 200:
            self.send_response(self.server.status)
            self.end_headers()
            return
        if self.server.html:
            data = b"<html>502 Bad Gateway</html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        system, user = body["messages"][0]["content"], body["messages"][1]["content"]
        if self.server.garbage:
            content = "I think they are mostly fine."
        elif "verdicts" in system:
            passages, statements = user.split("Statements:")
            claims = re.findall(r"^\d+\. (.*)$", statements, re.M)
            content = json.dumps({"verdicts": [claim.rstrip(".") in passages for claim in claims]})
        else:
            content = '```json\n{"score": 0.8}\n```'
        reply = {"choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]}
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture()
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeModel)
    httpd.requests, httpd.status, httpd.garbage, httpd.html = [], 200, False, False
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _config(httpd) -> LLMConfig:
    return LLMConfig(base_url=f"http://127.0.0.1:{httpd.server_address[1]}/v1", model="judge-test", timeout_s=5)


def _answer(text: str, cited: list[str]) -> Answer:
    letter = Letter(id="004_e0a75123764b20dc", source="004.txt", text=" ".join(cited), title="Migratie", date="2021-01-11")
    sources, citations, start = [], [], 0
    for n, passage_text in enumerate(cited, 1):
        passage = Passage(id=f"{letter.id}#{n}", letter=letter.id, text=passage_text, start=start, end=start + len(passage_text))
        start += len(passage_text) + 1
        sources.append(Source(rank=n, score=1.0 / n, passage=passage, letter=letter))
        citations.append(Citation(n=n, source=sources[-1], sentences=[passage_text]))
    return Answer(question="q", text=text, citations=citations, passages=sources, abstained=False, timings={})


def test_faithfulness_counts_the_claims_the_judge_finds_in_the_cited_passages(server, monkeypatch):
    monkeypatch.setenv("RAG_LLM_API_KEY", "secret-test-key")
    judge = Judge(_config(server))
    answer = _answer(f"{FRIT} [1] {INVENTED} [1] {FORUM} [2]", [FRIT, FORUM])
    scores = judge.score("Hoeveel vluchtelingen krijgen steun via de ESSN?", answer)
    judge.close()
    assert scores == {"faithfulness": pytest.approx(2 / 3), "answer_relevancy": 0.8}
    faithfulness_request = server.requests[0]
    assert faithfulness_request["path"] == "/v1/chat/completions"
    assert faithfulness_request["auth"] == "Bearer secret-test-key"
    assert faithfulness_request["body"]["model"] == "judge-test"
    user = faithfulness_request["body"]["messages"][1]["content"]
    assert "[2] Brief: Migratie | datum: 2021-01-11" in user  # the cited passages, numbered as cited
    assert "[1]" not in user.split("Statements:")[1]  # markers are stripped from the claims


def test_an_answer_without_citations_is_unfaithful_without_asking(server):
    judge = Judge(_config(server))
    answer = _answer(FRIT, [])
    assert judge.faithfulness(answer) == 0.0
    assert server.requests == []


def test_a_reply_that_is_not_the_json_asked_for_gives_no_score(server):
    server.garbage = True
    judge = Judge(_config(server))
    assert judge.score("q", _answer(f"{FRIT} [1]", [FRIT])) == {"faithfulness": None, "answer_relevancy": None}


def test_http_errors_and_unreachable_endpoints_stop_with_a_clear_error(server):
    url = _config(server).base_url
    server.status = 500
    with pytest.raises(JudgeError, match="HTTP 500") as raised:
        Judge(_config(server)).answer_relevancy("q", _answer(f"{FRIT} [1]", [FRIT]))
    assert url in str(raised.value) and raised.value.kind == "error" and raised.value.status == 500
    server.shutdown()
    server.server_close()
    unreachable = LLMConfig(base_url=url, model="m", timeout_s=2)
    with pytest.raises(JudgeError, match="unreachable") as raised:
        Judge(unreachable).answer_relevancy("q", _answer(f"{FRIT} [1]", [FRIT]))
    assert str(raised.value) == f"LLM endpoint {url} unreachable (connection refused)"
    assert len(server.requests) == 1  # no retries


def test_a_reply_that_is_not_a_chat_completion_stops_with_a_clear_error(server):
    server.html = True
    with pytest.raises(JudgeError, match="malformed or incomplete reply") as raised:
        Judge(_config(server)).answer_relevancy("q", _answer(f"{FRIT} [1]", [FRIT]))
    assert raised.value.kind == "malformed" and _config(server).base_url in str(raised.value)


def test_without_an_endpoint_there_is_no_judge():
    assert not judge_available(LLMConfig(base_url=None, model=None))
    with pytest.raises(JudgeError, match="RAG_LLM_BASE_URL"):
        Judge(LLMConfig(base_url="http://127.0.0.1:1/v1", model=None))
