"""HTML for the chat window: answers with clickable citation markers, source cards, the letter view.

Everything that comes from a letter or a user passes through :func:`html.escape` before it is
placed in markup; the only tags in the output are the ones written here. Element ids tie the
pieces together: number ``n`` of a marker (``[n]``, or one of ``[1, 2]``; :mod:`rag.citations`) in
turn ``t`` links to source card ``src-t-n`` (``src-t-cR`` for the R-th closest passage of an
abstained answer), which the page script scrolls to and highlights.
"""

from __future__ import annotations

import json
import re
from html import escape

from index.models import Letter, Passage
from rag.citations import format_marker, link_markers
from rag.types import Answer, Citation, Source

SNIPPET_CHARS = 280  # of a closest passage, quoted inside the abstention box

LABELS = {
    "nl": {
        "abstain": "De brieven beantwoorden deze vraag niet",
        "closest": "Passages die er het dichtst bij komen",
        "unsupported": "Niet gestaafd door de geciteerde passages",
    },
    "en": {
        "abstain": "The letters do not answer this",
        "closest": "Closest passages",
        "unsupported": "Not supported by the cited passages",
    },
}


def _e(value) -> str:
    return escape(str(value), quote=True)


def card_id(turn: int, n: int | str) -> str:
    return f"src-{turn}-{n}"


def when(letter: Letter) -> str | None:
    """A letter's date, or for an undated report the period it covers; None when neither is known."""
    return letter.date or (f"covers {letter.period}" if letter.period else None)


def letter_label(letter: Letter) -> str:
    """Title of a letter with its date, for lists and cards (plain text, not yet escaped)."""
    title, dated = letter.title or letter.id, when(letter)
    return f"{title} ({dated})" if dated else title


def _where(source: Source) -> str:
    p, letter = source.passage, source.letter
    parts = [dated] if (dated := when(letter)) else []
    if p.page:
        parts.append(f"p. {p.page}")
    if p.kind == "footnote" and p.footnote:
        parts.append(f"footnote {p.footnote}")
    elif p.kind == "letterhead":
        parts.append("letterhead")
    elif p.heading:
        parts.append(p.heading)
    return " · ".join(parts)


# ------------------------------------------------------------------ highlighting
def mark_spans(text: str, base: int, spans, css_class: str = "support") -> str:
    """``text``, which stands at offset ``base`` of its letter, escaped with the letter-offset ``spans`` marked."""
    end = base + len(text)
    clipped = sorted((max(s, base) - base, min(e, end) - base) for s, e in spans if s < end and e > base)
    merged: list[list[int]] = []
    for s, e in clipped:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    out, pos = [], 0
    for s, e in merged:
        out.append(escape(text[pos:s]))
        out.append(f'<mark class="{css_class}">{escape(text[s:e])}</mark>')
        pos = e
    out.append(escape(text[pos:]))
    return "".join(out)


def mark_answer(text: str, base: int, support, answer) -> str:
    """``text`` (at offset ``base`` of its letter) escaped, the ``support`` sentences marked and,
    within them, the ``answer`` span (the amount, date, list or name the answer gives in bold)."""
    if not answer:
        return mark_spans(text, base, support)
    end = base + len(text)
    a_start, a_end = max(answer[0][0], base) - base, min(answer[0][1], end) - base
    if not 0 <= a_start < a_end <= len(text):
        return mark_spans(text, base, support)
    inner = f'<mark class="answer">{escape(text[a_start:a_end])}</mark>'
    # The span lies inside a supporting sentence: mark around it, then splice it in.
    placeholder = "\x00"
    marked = mark_spans(text[:a_start] + placeholder + text[a_end:], base, _shift(support, base + a_start, a_end - a_start - 1))
    return marked.replace(placeholder, inner, 1)


def _shift(spans, at: int, by: int) -> list[tuple[int, int]]:
    """Letter spans after removing ``by`` characters at offset ``at`` (the answer span collapsed to one)."""
    out = []
    for s, e in spans:
        s2 = s if s <= at else max(at, s - by)
        e2 = e if e <= at else max(at + 1, e - by)
        out.append((s2, e2))
    return out


def answer_spans(citation: Citation) -> list[tuple[int, int]]:
    """Letter offsets of the answering span; found in the passage text when the composer gave none (footnotes)."""
    if citation.answer_spans:
        return [tuple(s) for s in citation.answer_spans]
    p = citation.source.passage
    for span in citation.answer_text:
        at = p.text.find(span)
        if at >= 0:
            return [(p.start + at, p.start + at + len(span))]
    return []


def support_spans(citation: Citation) -> list[tuple[int, int]]:
    """Letter offsets of the supporting sentences; found in the passage text when the composer gave none (footnotes)."""
    if citation.spans:
        return [tuple(s) for s in citation.spans]
    p = citation.source.passage
    spans = []
    for sentence in citation.sentences:
        at = p.text.find(sentence)
        if at >= 0:
            spans.append((p.start + at, p.start + at + len(sentence)))
    return spans


# ------------------------------------------------------------------ chat messages
def question_html(question: str) -> str:
    return f'<span class="question">{_e(question)}</span>'


def _link_markers(escaped: str, turn: int, titles: dict[int, str]) -> str:
    """Turn each cited number of a marker into a link ``[n]`` to source card n (``[1, 2]`` becomes
    two links); numbers that cite nothing stay text."""

    def anchor(n: int) -> str | None:
        if n not in titles:
            return None
        return f'<a class="cite" href="#{card_id(turn, n)}" title="{_e(titles[n])}">{format_marker([n])}</a>'

    return link_markers(escaped, anchor)


def _bold(escaped: str) -> str:
    """The answer's ``**span**`` (the direct answer) in bold, its line break kept; applied after escaping."""
    return _BOLD.sub(r'<strong class="direct">\1</strong>', escaped).replace("\n", "<br>")


_BOLD = re.compile(r"\*\*(.+?)\*\*")


def streaming_html(partial: str) -> str:
    """The answer while it is being written (markers become links once the citations are known)."""
    return f'<div class="answer streaming">{_bold(_e(partial))}<span class="cursor" aria-hidden="true">▍</span></div>'


def answer_html(answer: Answer, turn: int) -> str:
    labels = LABELS.get(answer.language, LABELS["en"])
    titles = {c.n: letter_label(c.source.letter) for c in answer.citations}
    body = _bold(_link_markers(_e(answer.text), turn, titles))
    if answer.abstained:
        closest = "".join(_closest_item(s, turn) for s in answer.passages[:3])
        body = (
            '<div class="abstain" role="note"><span class="abstain-icon" aria-hidden="true">⚠</span><div>'
            f'<p class="abstain-title">{_e(labels["abstain"])}</p><p>{body}</p>'
            + (f'<p class="closest-title">{_e(labels["closest"])}</p><ol class="closest">{closest}</ol>' if closest else "")
            + "</div></div>"
        )
    else:
        body = f'<div class="answer">{body}</div>'
    if answer.unsupported:
        items = "".join(f"<li>{_e(s)}</li>" for s in answer.unsupported)
        body += f'<div class="unsupported" role="note"><p>{_e(labels["unsupported"])}:</p><ul>{items}</ul></div>'
    body += "".join(f'<div class="notice" role="status">ℹ {_e(n)}</div>' for n in answer.notices)
    return body


def _closest_item(source: Source, turn: int) -> str:
    """One of the passages a declined answer lists: its letter (linked to its card), where, a snippet."""
    where = _where(source)
    return (
        f'<li><a class="cite" href="#{card_id(turn, f"c{source.rank}")}">{_e(letter_label(source.letter))}</a>'
        + (f'<span class="meta"> · {_e(where)}</span>' if where else "")
        + f'<div class="snippet">{_e(_snippet(source.passage.text))}</div></li>'
    )


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SNIPPET_CHARS else text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"


# ------------------------------------------------------------------ sources panel
def _card(dom_id: str, badge: str, source: Source, spans: list[tuple[int, int]], answer: list[tuple[int, int]] = ()) -> str:
    p = source.passage
    return (
        f'<article class="src" id="{_e(dom_id)}">'
        f'<header><span class="badge">{_e(badge)}</span> <span class="src-title">{_e(letter_label(source.letter))}</span></header>'
        f'<div class="meta">{_e(_where(source))}</div>'
        f'<div class="passage">{mark_answer(p.text, p.start, spans, list(answer))}</div>'
        f'<button class="open-letter" type="button" data-passage="{_e(p.id)}" data-spans="{_e(json.dumps(spans))}">'
        "Open letter</button></article>"
    )


def sources_html(answer: Answer, turn: int) -> str:
    """Source cards of one answer: its citations, or the closest passages when it abstained."""
    if answer.citations:
        return "".join(_card(card_id(turn, c.n), format_marker([c.n]), c.source, support_spans(c), answer_spans(c)) for c in answer.citations)
    if answer.abstained:
        return "".join(_card(card_id(turn, f"c{s.rank}"), f"≈{s.rank}", s, []) for s in answer.passages[:3])
    return '<p class="empty">No sources.</p>'


def sources_panel(turns: list[dict]) -> str:
    """All turns' source cards, newest first; older turns folded away (their markers still unfold them)."""
    if not turns:
        return '<div class="sources"><p class="empty">The sources of each answer appear here.</p></div>'
    sections = []
    for i in reversed(range(len(turns))):
        turn = turns[i]
        state = " open" if i == len(turns) - 1 else ""
        sections.append(
            f'<details class="turn"{state}><summary>{_e(turn["question"])}</summary>{turn["sources_html"]}</details>'
        )
    return '<div class="sources">' + "".join(sections) + "</div>"


# ------------------------------------------------------------------ whole letter
def letter_html(letter: Letter, passage: Passage, spans: list[tuple[int, int]]) -> str:
    """The whole cleaned letter, the passage marked (id ``letter-focus``) and its supporting sentences marked within."""
    text = letter.text

    def focus(inner: str) -> str:
        return f'<mark class="passage" id="letter-focus">{inner}</mark>'

    if passage.kind == "body":
        body = (
            escape(text[: passage.start])
            + focus(mark_spans(text[passage.start : passage.end], passage.start, spans))
            + escape(text[passage.end :])
        )
    else:
        body = escape(text)
    notes = "".join(
        f'<li><span class="fn">{_e(f.number)}</span> '
        + (focus(mark_spans(passage.text, passage.start, spans)) if passage.kind == "footnote" and f.number == passage.footnote else _e(f.text))
        + "</li>"
        for f in letter.footnotes
    )
    signed = ", ".join(name for name, _ in letter.signatories)  # their offices are on the letterhead card
    meta = " · ".join(
        _e(x)
        for x in (letter.date, letter.kamerstuk, letter.kenmerk and f"kenmerk {letter.kenmerk}", signed and f"ondertekend door {signed}")
        if x
    )
    return (
        '<div class="letter">'
        f'<header><div><h3>{_e(letter.title or letter.id)}</h3><div class="meta">{meta}</div></div>'
        '<button class="letter-close" type="button" aria-label="Close">×</button></header>'
        f'<div class="letter-text">{body}'
        + (f'<section class="footnotes"><h4>Voetnoten</h4><ul>{notes}</ul></section>' if notes else "")
        + "</div></div>"
    )
