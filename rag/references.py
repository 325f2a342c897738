"""Which indexed letter a question names: "volgens de brief van juli 2020", "the 2025 agenda".

Users point at a letter by its date and kind ("de voortgangsbrief van januari 2021", "de
BZ-rapportage over 2023") rather than by its subject. As search terms those words do harm:
"juli 2020" and "brief" match the letterhead and every passage that mentions 2020, while the
passage that answers says neither. So a question's references are found here, resolved against
what the letters say about themselves, and the retriever (:mod:`rag.retrieve`) ranks the named
letter's passages up and leaves the reference words out of its search text.

A reference is a document noun (brief, agenda, rapportage, letter, report, ... also as the head
of a compound: voortgangsbrief, BZ-rapportage) together with the date that goes with it ("van
juli 2020", "over 2023", "the 2020 letter") and the words qualifying it ("over de Integrale
Migratieagenda", "van Buitenlandse Zaken"). A letter matches a reference

- by date: a dated letter when the year (and month, if named) agrees; a letter that conflicts
  is ruled out. An undated letter (reports have no letterhead) matches a year it names in the
  sentences where it speaks of itself ("Deze rapportage biedt een overzicht van ... 2023");
- by name: the noun's head or compound modifier, and the qualifying words, against the letter's
  title and those self-describing sentences ("Middels deze brief zetten wij ... de
  internationale beleidsagenda van de taskforce ... uiteen"); capitalised names also match
  their initials (Buitenlandse Zaken → BZ).

Only letters that match on something specific count, and per reference only the best-matching
ones: "de brief" alone names no letter, since every letter is one; a kind of document no letter
calls itself ("de nota van de minister") names another document, not one of these.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from index.metadata import MONTH_NAMES
from index.models import Letter
from index.sentences import sentence_spans
from rag.analysis import analyze, initials
from rag.language import detect_language

ENGLISH_MONTH_NAMES = "january february march april may june july august september october november december".split()
# Month names as written out in questions (abbreviations like "dec" are too often something else).
MONTHS = {name: i for names in (MONTH_NAMES, ENGLISH_MONTH_NAMES) for i, name in enumerate(names, start=1)}

# Heads of the nouns by which letters are named. Generic ones (every letter is a "brief") give
# no evidence by themselves; the specific ones must fit what the letter calls itself.
_GENERIC = {"nl": ("kamerbrief", "brief"), "en": ("letter",)}
_SPECIFIC = {
    "nl": ("agenda", "rapportage", "rapport", "nota", "notitie", "verslag"),
    "en": ("agenda", "report", "memo"),
}
# Words that may stand between a noun and its date or qualifiers without ending the reference.
_CONNECTORS = frozenset("van over uit de het der des in the of on from about dated".split())
# Words by which a letter speaks of itself: "deze brief", "Voor u ligt de ... rapportage".
_SELF = re.compile(r"\b(?:deze|dit|onderhavige|voorliggende)\s+(\w+)|\bvoor\s+u\s+ligt\b", re.I)

_TOKEN = re.compile(r"\w+(?:[-’']\w+)*", re.UNICODE)
_YEAR = re.compile(r"^(?:19|20)\d\d$")
_REFERENCE_WINDOW = 8  # tokens after the noun that may still belong to the reference


@dataclass
class Reference:
    """One mention of a letter in a question; offsets are character offsets into the question."""

    noun: str  # as written, lower-cased: "voortgangsbrief", "bz-rapportage"
    year: int | None = None
    month: int | None = None
    terms: set[str] = field(default_factory=set)  # stemmed qualifiers and compound modifier
    specific: str | None = None  # the specific head noun ("agenda"), None for brief/letter
    spans: list[tuple[int, int]] = field(default_factory=list)  # noun and date words: never search terms
    # Words after the noun with their stemmed terms: search terms unless they describe the letter.
    qualifiers: list[tuple[int, int, frozenset[str]]] = field(default_factory=list)


@dataclass
class LetterProfile:
    """What a letter says about itself, for matching references."""

    id: str
    year: int | None
    month: int | None
    years: set[int]  # years an undated letter names where it describes itself
    names: set[str]  # stemmed terms and acronyms of its title and self-describing sentences
    words: set[str]  # lower-cased words of the same, for head-noun matching ("migratierapportage")
    heads: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)  # _has_head's memory


def profile(letter: Letter) -> LetterProfile:
    """A letter's date and self-description: title plus the sentences in which it names itself."""
    texts = [letter.title or ""]
    for start, end in sentence_spans(letter.text):
        sentence = letter.text[start:end]
        if any(m.group(1) is None or _is_document_noun(m.group(1).lower(), "nl") for m in _SELF.finditer(sentence)):
            texts.append(sentence)
    described = "\n".join(texts)
    year = month = None
    if letter.date:
        year, month = int(letter.date[:4]), int(letter.date[5:7])
    years = set() if year else {int(t) for t in _TOKEN.findall(described) if _YEAR.match(t)}
    names = set(analyze(described)) | {a.lower() for text in texts for a in initials(text)}
    words = {w.lower() for w in _TOKEN.findall(described)}
    return LetterProfile(letter.id, year, month, years, names, words)


def _head(word: str, heads: tuple[str, ...]) -> str | None:
    """The head noun ``word`` ends in (Dutch compounds put it last: voortgangs|brief), if any."""
    for head in heads:
        if word == head or (word.endswith(head) and len(word) > len(head) + 1):
            return head
    return None


def _is_document_noun(word: str, language: str) -> bool:
    return _head(word, _GENERIC[language] + _SPECIFIC[language]) is not None


def find_references(question: str) -> list[Reference]:
    """The letter references in ``question``, each with its date, noun and qualifying terms."""
    language = detect_language(question)
    tokens = [(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(question)]
    references = []
    for i, (word, start, end) in enumerate(tokens):
        low = word.lower()
        generic = _head(low, _GENERIC[language])
        specific = _head(low, _SPECIFIC[language])
        if not (generic or specific):
            continue
        modifier = low[: -len(specific or generic)].strip("-")
        if i > 0 and word[0].isupper() and not word[: len(modifier)].isupper():
            continue  # a capitalised noun mid-sentence is a name: "de Integrale Migratieagenda"
        ref = Reference(noun=low, specific=specific, spans=[(start, end)])
        if modifier:
            # voortgangs|brief, BZ-|rapportage, beleids|agenda: the modifier names the letter.
            ref.terms.update(analyze(modifier) or [modifier.rstrip("s")])
            if modifier.upper() == word[: len(modifier)]:
                ref.terms.add(modifier.lower())
        if language == "en":
            _read_date_before(tokens, i, ref)
        _read_after(question, tokens, i, ref)
        # A plain "de brief" with some words after it is any letter (or one the letters mention):
        # it takes a date, a kind of document or a compound naming it to point at one.
        if ref.year or ref.specific or modifier:
            references.append(ref)
    return references


def _read_date_before(tokens, i: int, ref: Reference) -> None:
    """English puts the date first: "the 2020 letter", "the January 2021 progress letter"."""
    for j in range(i - 1, max(i - 3, -1), -1):
        word = tokens[j][0]
        if _YEAR.match(word):
            ref.year = int(word)
            ref.spans.append(tokens[j][1:])
            if j > 0 and tokens[j - 1][0].lower() in MONTHS:
                ref.month = MONTHS[tokens[j - 1][0].lower()]
                ref.spans.append(tokens[j - 1][1:])
            return


def _read_after(question: str, tokens, i: int, ref: Reference) -> None:
    """Date and qualifiers following the noun, up to a clause break or the next document noun."""
    last = tokens[i][2]
    for word, start, end in tokens[i + 1 : i + 1 + _REFERENCE_WINDOW]:
        if re.search(r"[,;:?!()]", question[last:start]):
            break
        low = word.lower()
        if word[0].islower() and (_is_document_noun(low, "nl") or _is_document_noun(low, "en")):
            break  # the next reference ("de brief van juli 2020 en de voortgangsbrief ...")
        last = end
        if _YEAR.match(word) and ref.year is None:
            ref.year = int(word)
            ref.spans.append((start, end))
        elif low in MONTHS and ref.month is None:
            ref.month = MONTHS[low]
            ref.spans.append((start, end))
        elif word.isdigit() and len(word) <= 2:
            ref.spans.append((start, end))  # the day of "10 juli 2020"
        elif low in _CONNECTORS:
            continue
        elif terms := frozenset(analyze(word)):
            ref.terms |= terms
            ref.qualifiers.append((start, end, terms))


def _score(ref: Reference, letter: LetterProfile) -> float | None:
    """How well ``letter`` fits ``ref``; None when its date or its kind rules it out.

    A date, or the very noun the letter uses for itself, outweighs any one qualifying word.
    """
    score = 0.0
    if ref.year is not None:
        if letter.year is not None:
            if letter.year != ref.year or (ref.month is not None and letter.month != ref.month):
                return None
            # A letterhead date agreeing on the month too is stronger evidence than a year that an
            # undated document mentions ("Deelregeling … 2017–2020" for "de brief van juli 2020").
            score += 3.0 if ref.month is not None else 2.0
        elif ref.year in letter.years:
            score += 2.0  # an undated letter naming another year is not ruled out: its date is unknown
    if ref.specific:
        # A kind of document the letter never calls itself ("de nota van de minister") is
        # another document, not this letter.
        if ref.noun in letter.words:
            score += 2.0  # the very word: "beleidsagenda", "migratierapportage"
        elif _has_head(letter, ref.specific):
            score += 1.0
        else:
            return None
    score += len(ref.terms & letter.names)
    return score


def _has_head(letter: LetterProfile, head: str) -> bool:
    """Whether one of the letter's words ends in ``head`` (``_head``), remembered per letter: a
    question is matched against every letter, and a letter's words are many."""
    known = letter.heads.get(head)
    if known is None:
        known = letter.heads[head] = any(_head(w, (head,)) for w in letter.words)
    return known


def resolve(references: list[Reference], letters: list[LetterProfile]) -> set[str]:
    """Ids of the letters the references name: per reference, the best-scoring ones."""
    named: set[str] = set()
    for ref in references:
        scores = {p.id: s for p in letters if (s := _score(ref, p))}
        if scores:
            best = max(scores.values())
            named |= {lid for lid, s in scores.items() if s == best}
    return named


def strip(question: str, references: list[Reference], named: list[LetterProfile] | None = None) -> str:
    """``question`` without the nouns and dates of its references, the rest left as written.

    Qualifying words go too when they are what a ``named`` letter calls itself ("van Buitenlandse
    Zaken" for the BZ report): they describe the letter, and would only find its introduction.
    Other words near a reference ("volgens de brief van juli 2020 samenwerking met ...") stay.
    """
    names = set().union(*(p.names for p in named or []))
    spans = [span for ref in references for span in ref.spans]
    spans += [(start, end) for ref in references for start, end, terms in ref.qualifiers if terms <= names]
    spans.sort()
    out, last = [], 0
    for start, end in spans:
        if start >= last:
            out.append(question[last:start])
            last = end
    out.append(question[last:])
    return re.sub(r"\s+", " ", "".join(out)).strip()


def search_text(question: str, letters: list[LetterProfile]) -> tuple[set[str], str]:
    """The ids of the letters ``question`` names, and the question without its references."""
    refs = find_references(question)
    named = resolve(refs, letters)
    return named, strip(question, refs, [p for p in letters if p.id in named] if named else [])


# Letterhead fields (see index.chunking.letterhead_passage) and the words that ask for them.
LETTERHEAD_FIELDS = {
    "Ons kenmerk": re.compile(r"\b(kenmerk|reference number|reference|ref\.)", re.I),
    "Datum": re.compile(r"\b(welke datum|wanneer is de brief|datum van de brief|what date|when was the letter|date of the letter|dated)\b", re.I),
    "Onderwerp": re.compile(r"\b(onderwerp|subject)\b", re.I),
    "Kamerstuk": re.compile(r"\b(kamerstuk|kamerstuknummer|parliamentary paper)\b", re.I),
    "Ondertekend door": re.compile(r"\b(ondertekend\w*|ondertekent|signed|signs|signatory|signatories)\b", re.I),
}


def letterhead_fields(question: str) -> tuple[str, ...]:
    """The labels of the letterhead fields ``question`` asks for ("welk kenmerk …?" → "Ons kenmerk")."""
    return tuple(label for label, asks in LETTERHEAD_FIELDS.items() if asks.search(question))


def about_the_letter(question: str) -> bool:
    """Whether ``question`` asks about a letter itself (its kenmerk, subject, date, signatories)
    rather than its content: then the letter's date and kind are what find the answer."""
    return bool(letterhead_fields(question))
