"""Every text the tool sends to a language model, in one place (as PaperQA2 keeps its prompts).

The LLM composer sends two messages: :func:`system_prompt` (the rules) and :func:`user_message`
(the numbered passages, then the question). The model sees nothing else. The no-answer sentences
are also what the extractive composer says when it abstains, so both composers abstain alike.
"""

from __future__ import annotations

from rag.types import Source

#: The exact sentence an answer consists of when the letters do not answer the question.
NO_ANSWER = {
    "nl": "De brieven geven hierover geen antwoord.",
    "en": "The letters do not answer this question.",
}

LANGUAGE_NAMES = {"nl": "Dutch", "en": "English"}

SYSTEM_PROMPT = """\
You answer questions about Dutch government letters (Kamerbrieven). The user's message holds \
numbered passages from the letters, followed by the question. Follow these rules:

1. Use only what the passages say. No outside knowledge, no guesses.
2. After each claim, put the number of the passage it comes from in square brackets, for \
example [1], or [1][3] when a claim combines two passages. Cite only numbers of passages given.
3. Copy numbers, amounts and dates exactly as the passage writes them (for example 23.000, \
EUR 6 miljard, 3,5 mln.), also when answering in English.
4. Answer in {language_name}.
5. Be short: at most five sentences, no introduction, no list of sources at the end.
6. If the passages do not answer the question, reply with exactly this sentence and nothing \
else: {no_answer}"""

PASSAGE_TEMPLATE = "[{n}] Brief: {title} | datum: {date} | pagina: {page}\n{text}"

USER_TEMPLATE = """\
Passages:

{passages}

Question: {question}"""

UNKNOWN = "onbekend"


def system_prompt(language: str) -> str:
    """The rules, naming the answer language and its no-answer sentence."""
    return SYSTEM_PROMPT.format(language_name=LANGUAGE_NAMES[language], no_answer=NO_ANSWER[language])


def render_passage(n: int, source: Source) -> str:
    """Passage ``n`` as the model sees it: number, letter title, date, page, then its text."""
    return PASSAGE_TEMPLATE.format(
        n=n,
        title=source.letter.title or UNKNOWN,
        date=source.letter.date or UNKNOWN,
        page=UNKNOWN if source.passage.page is None else source.passage.page,
        text=source.passage.text.strip(),
    )


def user_message(question: str, sources: list[Source]) -> str:
    """The passages, numbered 1.. in the given order, then the question."""
    passages = "\n\n".join(render_passage(n, s) for n, s in enumerate(sources, 1))
    return USER_TEMPLATE.format(passages=passages, question=question)


# ------------------------------------------------------------------- evaluation judge (eval/judge.py)
# `rag eval --judge` asks the configured model to grade answers, RAGAS style. Each grading is one
# system + one user message; the model must reply with JSON only.

JUDGE_FAITHFULNESS_SYSTEM = """\
You are a strict fact checker. The user's message holds numbered passages from Dutch government \
letters, followed by numbered statements taken from an answer. For each statement, decide whether \
the passages support it: every fact in it (names, numbers, amounts, dates, who does what) must be \
stated in the passages or follow directly from them. Reply with JSON only, no other text: \
{"verdicts": [true, false, ...]} with exactly one true or false per statement, in order."""

JUDGE_FAITHFULNESS_USER = """\
Passages:

{passages}

Statements:
{statements}"""

JUDGE_RELEVANCY_SYSTEM = """\
You rate answers. The user's message holds a question and an answer to it. Rate how well the \
answer addresses the question, from 0 to 1: 1 = answers it directly and completely, 0.5 = answers \
it partly or with much beside the point, 0 = does not address it. Do not judge whether the answer \
is true. Reply with JSON only, no other text: {"score": <number from 0 to 1>}"""

JUDGE_RELEVANCY_USER = """\
Question: {question}

Answer: {answer}"""


def judge_faithfulness_messages(statements: list[str], sources: list[tuple[int, Source]]) -> list[dict]:
    """Ask which ``statements`` the numbered passages (the answer's citations) support."""
    passages = "\n\n".join(render_passage(n, s) for n, s in sources)
    numbered = "\n".join(f"{i}. {s}" for i, s in enumerate(statements, 1))
    return [
        {"role": "system", "content": JUDGE_FAITHFULNESS_SYSTEM},
        {"role": "user", "content": JUDGE_FAITHFULNESS_USER.format(passages=passages, statements=numbered)},
    ]


def judge_relevancy_messages(question: str, answer: str) -> list[dict]:
    """Ask for a 0–1 rating of how well ``answer`` addresses ``question``."""
    return [
        {"role": "system", "content": JUDGE_RELEVANCY_SYSTEM},
        {"role": "user", "content": JUDGE_RELEVANCY_USER.format(question=question, answer=answer)},
    ]
