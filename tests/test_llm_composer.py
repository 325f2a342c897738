"""The LLM composer against a real OpenAI-compatible HTTP server on loopback.

The server (stdlib ``http.server`` in a thread) answers ``POST /v1/chat/completions`` with
scripted replies — a server-sent-event stream, one JSON message, an HTTP error, garbage or
silence — and records every request, so the tests see exactly what the composer sends.
The passages are real paragraphs of the bundled letters.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from helpers import letter_path

from test_support import cleaned_text
from index.config import LLMConfig
from index.models import Letter, Passage
from index.tokens import get_encoding
from rag.llm import LLMComposer
from rag.prompts import NO_ANSWER, system_prompt, user_message
from rag.types import Citation, Composition, Source

QUESTION = "Hoeveel vreemdelingen verblijven onrechtmatig in Nederland?"
FRIT = (
    "De financiering via de FRIT van in totaal EUR 6 miljard komt ten goede aan vluchtelingen in Turkije "
    "en de gastgemeenschappen."
)
ILLEGAL = (
    "Volgens het onderzoek ligt het totale aantal onrechtmatig in Nederland verblijvende vreemdelingen "
    "tussen 23.000 en 58.000."
)
LVV = "De vijf pilot-LVV’s in Amsterdam, Eindhoven, Groningen, Rotterdam en Utrecht"
KEY = "sk-test-7f3a9c"


# --- a real OpenAI-compatible server -------------------------------------------------------


class ChatServer:
    """Loopback server speaking the chat-completions protocol with scripted replies."""

    def __init__(self):
        self.replies: list[tuple] = []  # consumed one per request
        self.requests: list[dict] = []  # {"path", "headers" (names lower-cased), "body"}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                headers = {name.lower(): value for name, value in self.headers.items()}  # names are case-insensitive
                server.requests.append({"path": self.path, "headers": headers, "body": body})
                kind, *args = server.replies.pop(0)
                try:
                    getattr(self, f"reply_{kind}")(*args)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def reply_stream(self, deltas, finish_reason="stop"):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                chunks = [{"delta": {"role": "assistant"}, "finish_reason": None}]
                chunks += [{"delta": {"content": d}, "finish_reason": None} for d in deltas]
                chunks += [{"delta": {}, "finish_reason": finish_reason}]
                for choice in chunks:
                    event = {"id": "c1", "object": "chat.completion.chunk", "choices": [{"index": 0, **choice}]}
                    self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")

            def reply_json(self, content):
                self.send_body(200, "application/json", {
                    "id": "c1",
                    "object": "chat.completion",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
                })

            def reply_status(self, status, payload):
                self.send_body(status, "application/json", payload)

            def reply_raw(self, content_type, data: bytes):
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.end_headers()
                self.wfile.write(data)

            def reply_broken(self, content):
                """One chunk of a longer announced stream, then the connection drops."""
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Content-Length", "100000")
                self.end_headers()
                event = {"choices": [{"index": 0, "delta": {"content": content}, "finish_reason": None}]}
                self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)

            def reply_silence(self, seconds):
                time.sleep(seconds)
                self.reply_json("te laat")

            def send_body(self, status, content_type, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def server():
    with ChatServer() as s:
        yield s


@pytest.fixture(autouse=True)
def no_key(monkeypatch):
    monkeypatch.delenv("RAG_LLM_API_KEY", raising=False)


# --- real passages ----------------------------------------------------------------------------


def load_letter(prefix: str, title: str | None, date: str | None) -> Letter:
    """A bundled letter with its paragraphs' whitespace collapsed (as the cleaner would)."""
    path = letter_path(prefix)
    return Letter(id=path.stem, source=str(path), text=cleaned_text(prefix), title=title, date=date)


def source(rank: int, letter: Letter, fragment: str, page: int | None) -> Source:
    """The paragraph of ``letter`` holding ``fragment`` as a retrieved passage."""
    at = letter.text.index(fragment)
    start = letter.text.rfind("\n\n", 0, at) + 2
    end = letter.text.find("\n\n", at)
    passage = Passage(id=f"{letter.id}#{rank}", letter=letter.id, text=letter.text[start:end], start=start, end=end, page=page)
    return Source(rank=rank, score=1 / rank, passage=passage, letter=letter)


@pytest.fixture(scope="module")
def sources() -> list[Source]:
    """Three ranked passages: the FRIT paragraph, the illegalenschatting, the LVV pilots."""
    frit_letter = load_letter("000", None, None)  # this extraction has no header
    agenda = load_letter("004", "Voortgang Integrale Migratieagenda", "2021-01-11")
    return [source(1, frit_letter, FRIT, None), source(2, agenda, ILLEGAL, 7), source(3, agenda, LVV, 7)]


# --- a stand-in for the extractive composer ----------------------------------------------------


class FixedComposer:
    """Always answers the same, so a fallback is recognisable."""

    name = "fixed"
    TEXT = "Vast antwoord [1]."

    def __init__(self):
        self.calls = 0

    def compose(self, question, sources, language, on_text=None):
        self.calls += 1
        if on_text:
            on_text(self.TEXT)
        return Composition(text=self.TEXT, citations=[Citation(n=1, source=sources[0])], abstained=False, notices=["vast"])


def composer(base_url: str, **overrides) -> tuple[LLMComposer, FixedComposer]:
    fallback = FixedComposer()
    cfg = LLMConfig(base_url=base_url, model="test-model", **{"timeout_s": 5.0, **overrides})
    return LLMComposer(cfg, fallback=fallback), fallback


def ask(server: ChatServer, sources, reply: tuple, question=QUESTION, language="nl", **cfg):
    """Compose with one scripted reply; returns the composition and the streamed pieces."""
    server.replies.append(reply)
    llm, fallback = composer(server.base_url, **cfg)
    pieces: list[str] = []
    composition = llm.compose(question, sources, language, on_text=pieces.append)
    assert fallback.calls == 0, composition.notices
    return composition, pieces


# --- the request ---------------------------------------------------------------------------


def test_the_prompt_holds_only_the_instructions_and_the_numbered_passages(server, sources):
    ask(server, sources, ("stream", [ILLEGAL + " [2]"]))
    (request,) = server.requests
    body = request["body"]
    assert request["path"] == "/v1/chat/completions"
    assert body["model"] == "test-model" and body["stream"] is True
    system, user = body["messages"]
    assert system["role"] == "system" and user["role"] == "user"
    assert NO_ANSWER["nl"] in system["content"] and "Dutch" in system["content"]

    content = user["content"]
    headers = re.findall(r"^\[(\d+)\] (.*)$", content, flags=re.M)
    assert [n for n, _ in headers] == ["1", "2", "3"]
    assert headers[1][1] == "Brief: Voortgang Integrale Migratieagenda | datum: 2021-01-11 | pagina: 7"
    assert headers[0][1] == "Brief: onbekend | datum: onbekend | pagina: onbekend"
    rest = content
    for n, s in enumerate(sources, 1):
        rest = rest.replace(f"[{n}] {headers[n - 1][1]}\n{s.passage.text}", "", 1)
    # nothing but the passages, their headers and the question
    assert rest.split() == ["Passages:", "Question:", *QUESTION.split()]


def test_an_english_question_gets_english_rules(server, sources):
    ask(server, sources, ("stream", ["Between 23.000 and 58.000 [2]."]), question="How many?", language="en")
    system = server.requests[0]["body"]["messages"][0]["content"]
    assert NO_ANSWER["en"] in system and "English" in system and NO_ANSWER["nl"] not in system


def test_the_api_key_comes_from_the_environment_only(server, sources, monkeypatch):
    ask(server, sources, ("stream", [ILLEGAL + " [2]"]))
    assert "authorization" not in server.requests[0]["headers"]

    monkeypatch.setenv("RAG_LLM_API_KEY", KEY)
    ask(server, sources, ("stream", [ILLEGAL + " [2]"]))
    assert server.requests[1]["headers"]["authorization"] == f"Bearer {KEY}"

    monkeypatch.setenv("OTHER_KEY", "sk-other")
    ask(server, sources, ("stream", [ILLEGAL + " [2]"]), api_key_env="OTHER_KEY")
    assert server.requests[2]["headers"]["authorization"] == "Bearer sk-other"


# --- streaming and citations -------------------------------------------------------------------


def test_streamed_deltas_reach_on_text_in_order_with_final_numbering(server, sources):
    deltas = ["Volgens het onderzoek", " ligt het totale aantal", " onrechtmatig in Nederland verblijvende",
              " vreemdelingen tussen 23.000 en 58.000 [", "2", "]. ", FRIT, " [1]"]  # fmt: skip
    composition, pieces = ask(server, sources, ("stream", deltas))
    assert "".join(pieces) == composition.text
    # text arrives as produced; only the split marker waits until it is complete, renumbered
    assert pieces[:3] == deltas[:3]
    assert composition.text == f"{ILLEGAL[:-1]} [1]. {FRIT} [2]"
    assert [c.source.passage.id for c in composition.citations] == [sources[1].id, sources[0].id]
    assert [c.n for c in composition.citations] == [1, 2]


def test_citations_carry_the_supporting_passage_sentences_and_their_letter_offsets(server, sources):
    reply = "Er verblijven tussen de 23.000 en 58.000 vreemdelingen onrechtmatig in Nederland [2]."
    composition, _ = ask(server, sources, ("stream", [reply]))
    (citation,) = composition.citations
    assert citation.n == 1 and citation.source is sources[1]
    assert citation.sentences == [ILLEGAL]
    (span,) = citation.spans
    assert sources[1].letter.text[span[0] : span[1]] == ILLEGAL
    assert composition.unsupported == [] and not composition.abstained


def test_a_sentence_combining_two_passages_is_supported_by_both(server, sources):
    reply = "De FRIT omvat EUR 6 miljard en het aantal onrechtmatig verblijvende vreemdelingen ligt tussen 23.000 en 58.000 [1][2]."
    composition, _ = ask(server, sources, ("stream", [reply]))
    assert composition.unsupported == []
    assert [c.sentences for c in composition.citations] == [[FRIT], [ILLEGAL]]


def test_marker_lists_are_parsed_and_renumbered(server, sources):
    composition, _ = ask(server, sources, ("json", f"{ILLEGAL} [3, 2] {FRIT} [1]"))
    assert composition.text == f"{ILLEGAL} [1, 2] {FRIT} [3]"
    assert [c.source for c in composition.citations] == [sources[2], sources[1], sources[0]]


def test_a_marker_for_a_passage_that_does_not_exist_is_dropped_with_a_notice(server, sources):
    composition, _ = ask(server, sources, ("stream", [f"{FRIT[:-1]} [7]. {ILLEGAL[:-1]} [2, 7]."]))
    assert composition.text == f"{FRIT} {ILLEGAL[:-1]} [1]."
    assert [c.source for c in composition.citations] == [sources[1]]
    assert any("[7]" in notice for notice in composition.notices)
    # the FRIT sentence lost its only marker: it now cites nothing
    assert composition.unsupported == [FRIT]


def test_a_sentence_with_a_wrong_number_is_flagged_unsupported(server, sources):
    wrong = "Volgens het onderzoek verblijven tussen 25.000 en 58.000 vreemdelingen onrechtmatig in Nederland [2]."
    composition, _ = ask(server, sources, ("stream", [f"{FRIT[:-1]} [1]. ", wrong]))
    assert composition.unsupported == [wrong]
    assert not composition.abstained and len(composition.citations) == 2


def test_a_sentence_citing_the_wrong_passage_is_flagged_unsupported(server, sources):
    composition, _ = ask(server, sources, ("stream", [f"{ILLEGAL[:-1]} [1]."]))  # [1] is the FRIT paragraph
    assert composition.unsupported == [f"{ILLEGAL[:-1]} [1]."]


# --- abstention -------------------------------------------------------------------------------


def test_the_no_answer_reply_abstains(server, sources):
    composition, pieces = ask(server, sources, ("stream", [NO_ANSWER["nl"]]), question="Wat kost een paspoort?")
    assert composition.abstained and composition.citations == []
    assert composition.text == NO_ANSWER["nl"] == "".join(pieces)
    assert composition.unsupported == [] and composition.notices == []


def test_a_reply_without_any_citation_abstains_with_a_notice(server, sources):
    reply = "Er verblijven tussen 23.000 en 58.000 vreemdelingen onrechtmatig in Nederland."
    composition, _ = ask(server, sources, ("json", reply))
    assert composition.abstained and composition.citations == []
    assert composition.unsupported == [reply]
    assert len(composition.notices) == 1


# --- the context budget ------------------------------------------------------------------------


def tokens(text: str) -> int:
    return len(get_encoding("cl100k_base").encode_ordinary(text))


def test_a_small_context_window_drops_the_low_ranked_passages(server, sources):
    # room for the rules, the question and the two best passages, not the third
    window = tokens(system_prompt("nl")) + tokens(user_message(QUESTION, sources[:2])) + 512 + 20
    assert tokens(sources[2].passage.text) > 40
    composition, _ = ask(server, sources, ("stream", [ILLEGAL + " [2]"]), context_window=window, max_answer_tokens=512)
    user = server.requests[0]["body"]["messages"][1]["content"]
    assert sources[0].passage.text in user and sources[1].passage.text in user
    assert sources[2].passage.text not in user and "[3]" not in user
    assert composition.notices == ["1 van de 3 passages pasten niet in het contextvenster van het LLM en zijn niet meegestuurd."]


def test_a_window_too_small_for_any_passage_falls_back_without_a_request(server, sources):
    llm, fallback = composer(server.base_url, context_window=600, max_answer_tokens=512)
    composition = llm.compose(QUESTION, sources, "nl")
    assert fallback.calls == 1 and server.requests == []
    assert composition.text == FixedComposer.TEXT
    assert "contextvenster" in composition.notices[0] and "600" in composition.notices[0]


# --- failures fall back with a notice ----------------------------------------------------------


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def fall_back(base_url: str, sources, language="nl", **cfg) -> tuple[Composition, list[str]]:
    """Compose against a failing endpoint; returns the composition and what was streamed before the fallback."""
    llm, fallback = composer(base_url, **cfg)
    pieces: list[str] = []
    composition = llm.compose(QUESTION, sources, language, on_text=pieces.append)
    assert fallback.calls == 1
    assert composition.text == FixedComposer.TEXT == pieces[-1]
    assert composition.notices[1:] == ["vast"]  # the fallback's own notices are kept
    return composition, pieces[:-1]


def test_an_unreachable_endpoint_falls_back_with_a_notice(sources):
    url = closed_port_url()
    composition = fall_back(url, sources)[0]
    assert composition.notices[0] == f"LLM niet bereikbaar ({url}): antwoord zonder LLM samengesteld."
    composition = fall_back(url, sources, language="en")[0]
    assert composition.notices[0] == f"LLM not reachable ({url}): answer composed without LLM."


def test_an_http_error_falls_back_with_the_servers_message(server, sources):
    server.replies.append(("status", 500, {"error": {"message": "model 'test-model' not found"}}))
    notice = fall_back(server.base_url, sources)[0].notices[0]
    assert "HTTP 500" in notice and "model 'test-model' not found" in notice and "Traceback" not in notice


def test_a_key_echoed_in_an_error_is_not_shown(server, sources, monkeypatch):
    monkeypatch.setenv("RAG_LLM_API_KEY", KEY)
    server.replies.append(("status", 401, {"error": {"message": f"Incorrect API key provided: {KEY}"}}))
    notice = fall_back(server.base_url, sources)[0].notices[0]
    assert "HTTP 401" in notice and KEY not in notice


@pytest.mark.parametrize(
    "reply",
    [
        ("raw", "text/event-stream", b'data: {"choices": [{"delta": {"content": "Volgens'),  # cut off, invalid JSON
        ("raw", "text/event-stream", b"data: hallo\n\n"),
        ("raw", "text/event-stream", b'data: {"choices": [{"delta": {"content": "Half antwoord"}}]}\n\n'),  # no end
        ("raw", "application/json", b"<html>502 Bad Gateway</html>"),
        ("json", ""),
        ("broken", "Half antwoord"),  # the connection drops mid-stream: the endpoint was reachable
    ],
    ids=["truncated", "not-json", "no-done", "html", "empty", "broken-off"],
)
def test_a_malformed_reply_falls_back_with_a_notice(server, sources, reply):
    server.replies.append(reply)
    composition, streamed_before = fall_back(server.base_url, sources)
    assert composition.notices[0].startswith("LLM gaf een onleesbaar of onvolledig antwoord (")
    assert streamed_before in ([], ["Half antwoord", "\n\n"])  # a broken-off stream is set apart


def test_nothing_is_streamed_before_a_failed_request(sources):
    assert fall_back(closed_port_url(), sources)[1] == []


def test_a_silent_endpoint_times_out_and_falls_back(server, sources):
    server.replies.append(("silence", 1.0))
    notice = fall_back(server.base_url, sources, timeout_s=0.2)[0].notices[0]
    assert notice.startswith("LLM gaf geen antwoord binnen 0.2 s")


def test_without_endpoint_or_model_the_fallback_answers(sources):
    assert not LLMComposer.available(LLMConfig(base_url=None, model=None))
    assert not LLMComposer.available(LLMConfig(base_url="http://127.0.0.1:11434/v1", model=None))
    assert LLMComposer.available(LLMConfig(base_url="http://127.0.0.1:11434/v1", model="llama3.1"))
    fallback = FixedComposer()
    composition = LLMComposer(LLMConfig(base_url=None, model=None), fallback=fallback).compose(QUESTION, sources, "nl")
    assert fallback.calls == 1 and "RAG_LLM_BASE_URL" in composition.notices[0]


def test_the_name_names_the_model():
    assert LLMComposer(LLMConfig(base_url="http://x/v1", model="qwen2.5:7b"), FixedComposer()).name == "llm:qwen2.5:7b"


def test_an_answer_cut_off_at_the_token_limit_says_so(server, sources):
    composition, _ = ask(server, sources, ("stream", [f"{ILLEGAL[:-1]} [2]. De FRIT", " omvat"], "length"))
    assert composition.notices == ["Het LLM-antwoord is afgebroken bij de limiet van 512 tokens."]
    assert composition.unsupported == ["De FRIT omvat"]
