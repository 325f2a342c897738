"""The chat window: a Gradio app over one Assistant shared by every session.

``build_app`` lays out the page and wires its events; ``serve`` builds the index when it is
missing and launches the app on loopback (a public link only with ``share``). Answers stream in
from a worker thread; the sources panel, its script (``static/sources.js``) and the letter view
are plain HTML made by :mod:`ui.render`, with every letter and user text escaped.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from datetime import date
from html import escape
from pathlib import Path
from typing import Callable

import gradio as gr

from index.config import MODES, Config
from rag.assistant import Assistant, QuestionError
from ui.feedback import MAX_COMMENT_CHARS, record_feedback
from ui.render import answer_html, letter_html, letter_label, question_html, sources_html, sources_panel, streaming_html
from ui.uploads import UPLOAD_TYPES, SharedAssistant

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
EXAMPLES = [
    "Hoeveel geld gaat er via de FRIT naar vluchtelingen in Turkije?",
    "Wat is de taskforce internationale migratie?",
    "How many migrants returned voluntarily via REAN in 2023?",
    "Welke instrumenten noemt het regeerakkoord om migratiesamenwerking te stimuleren?",
]
STAGES = {"letters": "Reading letters", "passages": "Embedding passages", "sentences": "Embedding sentences", "words": "Embedding words"}
LETTER_NOT_FOUND = (
    '<div class="letter"><header><h3>This passage is no longer in the index.</h3>'
    '<button class="letter-close" type="button" aria-label="Close">×</button></header></div>'
)


# ------------------------------------------------------------------ input checks
def parse_dates(date_from: str | None, date_to: str | None) -> tuple[str | None, str | None]:
    """Validate the date-range fields (yyyy-mm-dd, both optional); raises ValueError saying what is wrong."""
    parsed = []
    for label, value in (("From", date_from), ("To", date_to)):
        value = (value or "").strip()
        if not value:
            parsed.append(None)
            continue
        try:
            day = date.fromisoformat(value)
        except ValueError:
            day = None
        if day is None or len(value) != 10:
            raise ValueError(f"{label} date {value!r} is not a date in the form yyyy-mm-dd (e.g. 2023-06-30).")
        parsed.append(day.isoformat())
    if parsed[0] and parsed[1] and parsed[0] > parsed[1]:
        raise ValueError(f"The date range is empty: {parsed[0]} comes after {parsed[1]}.")
    return parsed[0], parsed[1]


def parse_spans(spans: str) -> list[tuple[int, int]]:
    """Highlight offsets sent back by the page (JSON ``[[start, end], …]``); anything malformed counts as none."""
    try:
        rows = json.loads(spans or "[]")
        return [(int(s), int(e)) for s, e in rows][:50]
    except (ValueError, TypeError):
        return []


def warn(message: str, title: str = "Warning") -> None:
    """A toast; Gradio renders its text as HTML, and it may quote the user's input."""
    gr.Warning(escape(message), title=escape(title))


# ------------------------------------------------------------------ chat helpers
def chat_messages(turns: list[dict]) -> list[dict]:
    messages = []
    for turn in turns:
        messages.append({"role": "user", "content": turn["question_html"]})
        messages.append({"role": "assistant", "content": turn["answer_html"]})
    return messages


def chat_history(turns: list[dict]) -> list[dict]:
    """Earlier turns as plain messages, for follow-up questions."""
    history = []
    for turn in turns:
        history.append({"role": "user", "content": turn["question"]})
        history.append({"role": "assistant", "content": turn["answer"]["answer"]})
    return history


def letter_choices(assistant: Assistant) -> list[tuple[str, str]]:
    letters = sorted(assistant.store.letters.values(), key=lambda letter: (letter.date or "", letter.id))
    return [(letter_label(letter), letter.id) for letter in letters]


def composer_html(assistant: Assistant) -> str:
    return f'<div class="composer">Answers composed by: <b>{escape(assistant.composer.name)}</b></div>'


def build_app(assistant_factory: Callable[[], Assistant], config: Config) -> gr.Blocks:
    """The page; ``assistant_factory`` is called once and its Assistant shared by all sessions."""
    shared = SharedAssistant(assistant_factory())
    max_chars = config.answer.max_question_chars

    def respond(question, turns, k, letters, date_from, date_to, mode):
        if not (question or "").strip():
            warn("Type a question first.")
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        try:
            date_from, date_to = parse_dates(date_from, date_to)
        except ValueError as exc:
            warn(str(exc), title="Date range")
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        assistant = shared.current
        chunks: queue.Queue[str | None] = queue.Queue()
        outcome: dict = {}

        def work():
            try:
                outcome["answer"] = assistant.ask(
                    question,
                    chat_history(turns),
                    letters=list(letters or []) or None,
                    date_from=date_from,
                    date_to=date_to,
                    k=int(k),
                    mode=mode,
                    on_text=chunks.put,
                )
            except Exception as exc:  # reported to the user below; the worker must always signal the end
                outcome["error"] = exc
            finally:
                chunks.put(None)

        threading.Thread(target=work, name="ask", daemon=True).start()
        shown = question.strip()[:max_chars]
        pending = {"question_html": question_html(shown), "answer_html": streaming_html("")}
        partial = ""
        yield chat_messages(turns + [pending]), turns, gr.skip(), ""
        while (chunk := chunks.get()) is not None:
            partial += chunk
            pending["answer_html"] = streaming_html(partial)
            yield chat_messages(turns + [pending]), turns, gr.skip(), ""
        error = outcome.get("error")
        if error is not None:  # a toast, the question given back; the chat stays as it was
            if isinstance(error, QuestionError):
                warn(str(error))
            else:
                log.error("answering %r failed", shown, exc_info=error)
                warn(f"{error.__class__.__name__}: {error}", title="Could not answer this question")
            yield chat_messages(turns), turns, gr.skip(), question
            return
        answer = outcome["answer"]
        n = len(turns)
        turns = turns + [
            {
                "question": answer.question,
                "question_html": question_html(answer.question),
                "answer_html": answer_html(answer, n),
                "sources_html": sources_html(answer, n),
                "answer": answer.to_dict(),
            }
        ]
        yield chat_messages(turns), turns, sources_panel(turns), ""

    def open_letter(request: dict) -> str:
        """Server function of the sources panel: ``{"passage": id, "spans": "[[start, end], …]"}`` → letter HTML."""
        request = request if isinstance(request, dict) else {}
        store = shared.current.store
        passage = next((p for p in store.passages if p.id == request.get("passage")), None)
        if passage is None:
            return LETTER_NOT_FOUND
        return letter_html(store.letters[passage.letter], passage, parse_spans(request.get("spans")))

    def rate(turns, data: gr.LikeData):
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        verdict = {True: "up", False: "down"}.get(data.liked)
        turn = index // 2
        if verdict is None or not 0 <= turn < len(turns):
            return gr.skip(), gr.skip(), gr.skip()
        record = record_feedback(config.feedback_file, turns[turn]["answer"], verdict)
        pending = {"id": record["id"], "turn": turn, "verdict": verdict}
        thumb = "👍" if verdict == "up" else "👎"
        return pending, gr.update(visible=True), f"Thanks, your {thumb} is saved. Add a comment if you like."

    def comment(pending, text, turns):
        if not pending or not (text or "").strip():
            return gr.skip(), gr.skip(), gr.skip(), "Type a comment first, or rate another answer."
        record_feedback(config.feedback_file, turns[pending["turn"]]["answer"], pending["verdict"], text, pending["id"])
        return None, gr.update(visible=False), "", "Comment saved. Thank you."

    def add_letters(files, progress=gr.Progress()):
        if not files:
            return "Choose one or more .pdf or .txt files first.", gr.skip(), gr.skip(), gr.skip()

        def on_progress(stage: str, done: int, total: int) -> None:
            progress((done, total), desc=STAGES.get(stage, stage), unit=stage)

        lines = shared.add_letters(files, config, on_progress)
        assistant = shared.current
        return "\n".join(lines), gr.update(choices=letter_choices(assistant)), composer_html(assistant), None

    assistant = shared.current
    with gr.Blocks(title="Kamerbrieven QA", analytics_enabled=False) as demo:
        turns = gr.State([])
        pending_feedback = gr.State(None)
        gr.HTML(
            '<div class="app-header"><h1>Kamerbrieven QA</h1><p>Ask about the Dutch government letters. '
            "Every answer quotes the letters and cites them; choose a [n] to see its source.</p></div>"
        )
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(
                    elem_id="chat",
                    show_label=False,
                    height=560,
                    buttons=["copy"],  # no "share" (to Hugging Face): this tool stays offline
                    render_markdown=False,  # messages are HTML built (and escaped) by ui.render
                    sanitize_html=True,
                    allow_tags=False,
                    latex_delimiters=[],
                    feedback_options=("Like", "Dislike"),
                    placeholder="Ask a question in Dutch or English.",
                )
                with gr.Row():
                    question = gr.Textbox(
                        elem_id="question",
                        show_label=False,
                        placeholder="Hoeveel … / How many …",
                        # Room beyond the limit, so a long paste reaches the assistant, which clips it
                        # with a notice in the answer, instead of being cut silently by the browser.
                        max_length=2 * max_chars,
                        info=f"Questions longer than {max_chars} characters are clipped.",
                        scale=6,
                        autofocus=True,
                    )
                    ask = gr.Button("Ask", variant="primary", scale=1, min_width=80, elem_id="ask")
                    clear = gr.Button("Clear", scale=1, min_width=80, elem_id="clear")
                examples = gr.Dataset(components=[question], samples=[[q] for q in EXAMPLES], label="Example questions")
                feedback_status = gr.Markdown(elem_id="feedback-status")
                with gr.Row(visible=False) as comment_row:
                    comment_box = gr.Textbox(label="Comment on your rating (optional)", scale=6, max_length=MAX_COMMENT_CHARS)
                    send_comment = gr.Button("Send comment", scale=1)
                with gr.Accordion("Retrieval settings", open=False):
                    composer = gr.HTML(composer_html(assistant))
                    k = gr.Slider(1, 20, value=config.retrieval.k, step=1, label="Passages to retrieve (k)")
                    mode = gr.Radio(list(MODES), value=config.retrieval.mode, label="Retrieval mode")
                    letters = gr.CheckboxGroup(letter_choices(assistant), label="Letters to search (none ticked: all)")
                    with gr.Row():
                        date_from = gr.Textbox("", label="From date", placeholder="yyyy-mm-dd", max_length=10)
                        date_to = gr.Textbox("", label="To date", placeholder="yyyy-mm-dd", max_length=10)
                with gr.Accordion("Add letters", open=False):
                    files = gr.File(label="Letters (.pdf, .txt)", file_count="multiple", file_types=list(UPLOAD_TYPES))
                    add = gr.Button("Add to the index")
                    upload_report = gr.Textbox(label="Result", lines=4, interactive=False)
            with gr.Column(scale=2):
                sources = gr.HTML(
                    sources_panel([]),
                    elem_id="sources",
                    js_on_load=(STATIC / "sources.js").read_text(encoding="utf-8"),
                    server_functions=[open_letter],
                )

        ask_inputs = [question, turns, k, letters, date_from, date_to, mode]
        ask_outputs = [chatbot, turns, sources, question]
        question.submit(respond, ask_inputs, ask_outputs, api_name="ask", concurrency_id="ask")
        ask.click(respond, ask_inputs, ask_outputs, api_visibility="private", concurrency_id="ask")
        examples.click(lambda sample: sample[0], examples, question, api_visibility="private").then(
            respond, ask_inputs, ask_outputs, api_visibility="private", concurrency_id="ask"
        )
        reset = dict(
            fn=lambda: ([], [], sources_panel([]), None, gr.update(visible=False), ""),
            outputs=[chatbot, turns, sources, pending_feedback, comment_row, feedback_status],
            api_visibility="private",
        )
        clear.click(**reset)
        chatbot.clear(**reset)  # the chat's own bin icon
        chatbot.like(rate, [turns], [pending_feedback, comment_row, feedback_status], api_visibility="private")
        send_comment.click(
            comment, [pending_feedback, comment_box, turns], [pending_feedback, comment_row, comment_box, feedback_status],
            api_visibility="private",
        )
        add.click(
            add_letters, [files], [upload_report, letters, composer, files], api_visibility="private", concurrency_limit=1
        )
        # A page opened after letters were added lists them too.
        demo.load(
            lambda: (gr.update(choices=letter_choices(shared.current)), composer_html(shared.current)),
            outputs=[letters, composer],
            api_visibility="private",
        )
    demo.queue(default_concurrency_limit=config.serve.concurrency)
    return demo


def launch(demo: gr.Blocks, host: str, port: int | None, share: bool, block: bool = True):
    """Start the server with the app's theme and styles (``port`` None: the first free one from 7860);
    returns Gradio's (app, local_url, share_url). ``block=False`` returns at once, serving from a thread."""
    return demo.launch(
        server_name=host,
        server_port=port,
        share=share,
        prevent_thread_lock=not block,
        quiet=not block,
        ssr_mode=False,
        theme=gr.themes.Soft(font=["system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"]),
        css=(STATIC / "app.css").read_text(encoding="utf-8"),
        footer_links=[],
    )


def serve(config: Config) -> None:
    """Build the index if it is missing (with progress), then serve the app (``config.serve``) until interrupted."""
    from index.store import exists
    from ui.progress import build_with_progress

    if not exists(config.index_dir):
        print(f"No index at {config.index_dir}; building it from the bundled letters first.")
        build_with_progress(None, config)
    launch(build_app(lambda: Assistant.load(config=config), config), config.serve.host, config.serve.port, config.serve.share)
