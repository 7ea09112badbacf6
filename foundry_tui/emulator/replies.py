"""Deterministic Markdown replies that read like an assistant's answer about the prompt.

All randomness comes from a generator seeded with the conversation, so a request always gets the
same reply while different prompts get different shapes: headings, paragraphs, lists, fenced code,
tables and quotes. Non-ASCII text (é, —, →, …) is used on purpose so clients' UTF-8 handling is
exercised on every demo and test.
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass

# Roughly one model token per match: a word (with its leading space) of up to six letters, up to
# three digits or punctuation marks, up to four blanks, a run of newlines; anything else one character.
_DELTA = re.compile(r"\n+|[ \t]?[^\W\d]{1,6}|[ \t]?\d{1,3}|[ \t]{1,4}|[^\w\s]{1,3}|.", re.S)


_ASKS_FOR_LENGTH = re.compile(r"\b(long|detailed|in depth|in-depth|thorough|report|essay|everything)\b", re.I)


def split_into_deltas(text: str) -> list[str]:
    """Cut text the way a model streams it: chunks of one to six characters, mostly at word edges."""
    return _DELTA.findall(text)


def count_deltas(text: str) -> int:
    return len(split_into_deltas(text))


def compose_reply(prompt: str, seed: str, target_tokens: int | None = None) -> str:
    """A Markdown answer to `prompt`: about `target_tokens` deltas long, else sized by the prompt.

    Answers of 1,500 tokens or more always hold a list, a code fence and a table, so benchmark
    documents exercise every construct a client renders.
    """
    composer = _Composer(prompt, seed)
    if target_tokens is None:
        if small_talk := composer.small_talk():
            return small_talk
        target_tokens = composer.natural_length()
    return composer.document(target_tokens)


def compose_thinking(prompt: str, seed: str, budget_tokens: int) -> str:
    """A short chain of reasoning about the prompt, kept within `budget_tokens` where a sentence allows."""
    composer = _Composer(prompt, "thinking\n" + seed)
    return composer.thoughts(min(budget_tokens, composer.rng.randint(40, 160)))


_GREETINGS = (
    "Hello! How can I help you today?",
    "Hi there — what would you like to work on?",
    "Hey! 👋 Ask me anything: code, writing, or just an idea you're turning over.",
    "Hello! I'm ready when you are. What's on your mind?",
)
_THANKS = (
    "You're welcome! Let me know if there's anything else.",
    "Glad it helped — happy to dig deeper any time.",
    "Anytime! Good luck with the next step → and feel free to come back with questions.",
)
_SMALL_TALK = {
    **dict.fromkeys(("hi", "hello", "hey", "hiya", "howdy", "yo", "bonjour"), _GREETINGS),
    **dict.fromkeys(("thanks", "thank", "thx", "cheers", "ty"), _THANKS),
}
_SMALL_TALK_EXTRAS = frozenset("there again all everyone folks claude so very much you a lot".split())
_FILLER_WORDS = frozenset(
    "a an the please can could would will you me i we us how do does did what whats is are was why "
    "when which who explain tell show give write make about to of for in on with my our your some "
    "quick quickly briefly help hey hi hello there ok so".split()
)
_FAVOURED_BY_KEYWORD = {
    "code": frozenset("code function script implement implementation example snippet class program".split()),
    "table": frozenset("table compare comparison versus vs difference differences".split()),
    "bullets": frozenset("list steps bullet bullets checklist options ideas tips".split()),
}
_LANGUAGE_BY_KEYWORD = {
    "bash": frozenset("bash shell terminal command commands cli".split()),
    "json": frozenset("json config configuration".split()),
    "python": frozenset("python py asyncio django flask pandas".split()),
}
# Long documents (benchmarks) always carry each of these, so clients render every construct.
_LONG_FORM_KINDS = ("bullets", "code", "table")
_LONG_FORM_TOKENS = 1500
_CLOSING_TOKENS = 120

_ASPECTS = (
    "configuration", "error handling", "performance", "testing", "naming", "observability",
    "edge cases", "memory use", "concurrency", "security", "deployment", "caching",
    "readability", "latency", "retries", "validation",
)  # fmt: skip
_VERBS = tuple("parse validate cache retry measure normalize batch stream index render merge load".split())
_NOUNS = tuple("records events tokens requests settings rows messages chunks items results users files".split())
_COUNTS = (3, 8, 10, 16, 32, 50, 100, 250, 1000)

_INTROS = (
    "Good question — {topic} comes up a lot, and the details matter.",
    "Here's a practical overview of {topic} → what it is, how it works, and where it tends to go wrong.",
    "Sure! Let's walk through {topic} step by step — starting simple, then adding the important details.",
    "Short answer: with {topic}, it mostly depends on {aspect}. The longer answer is below — with examples.",
)
_SENTENCES = (
    "When it comes to {topic}, the most reliable path is to start small and grow the solution deliberately.",
    "The key idea is simple: {verb} the {noun} once, then reuse the result everywhere else.",
    "A naïve approach works for a handful of {noun}, but {aspect} becomes the bottleneck as soon as the volume grows.",
    "In practice, **{aspect}** matters more than clever tricks — it is what keeps the code maintainable.",
    "Think of it as a pipeline: input → `{verb}_{noun}()` → output, with each stage easy to test on its own.",
    "It's worth measuring before optimizing; a quick benchmark often shows the cost is somewhere unexpected.",
    "Keep the *happy path* obvious and push the special cases to the edges, where they are easy to find.",
    "If you remember one thing, make it this: {aspect} is a design decision, not an afterthought.",
    "Most problems here come from unclear boundaries — who owns the {noun}, and when do they change?",
    "A small helper such as `{verb}_{noun}` keeps the call sites short and the intent clear.",
    "There is no single right answer: handling ≈ {n} {noun} per second is a different problem from handling {m}.",
    "The résumé-style summary is: fewer moving parts, clearer names, and tests that describe behaviour.",
    "Once that is in place, {aspect} and {other_aspect} tend to follow naturally.",
    "Edge cases — empty input, duplicates, very large {noun} — each deserve a test.",
    "This is also where good logging pays off… you will thank yourself later.",
    "*Premature* abstraction is the usual trap: wait until the third copy before you {verb} it into a helper.",
)
_POINTS = (
    "**{Aspect}** — decide early how you will handle it; retrofitting is harder.",
    "Prefer `{verb}_{noun}()` over ad-hoc loops so the behaviour lives in one place.",
    "Measure {aspect} with realistic data, not a toy sample.",
    "Keep {noun} immutable where you can → fewer surprises.",
    "Write one test per edge case, named after the behaviour it protects.",
    "Document the *why*, not the *what*; the code already says what.",
    "Fail fast on invalid {noun} and report a clear error message.",
    "Batch small operations: {n} calls of one item cost far more than one call of {n}.",
    "Revisit **{other_aspect}** once the basics work — not before.",
)
_STEPS = (
    "{Verb} the {noun} and check the result by hand once.",
    "Add a test that pins down {aspect}.",
    "Extract the repeated logic into `{verb}_{noun}()`.",
    "Run it against real data and compare the numbers.",
    "Review the error paths: what happens when the {noun} are missing or malformed?",
    "Ship it behind a flag, then remove the old path once it is stable.",
    "Profile the slowest step and optimize only that one.",
)
_TIPS = (
    "> **Tip:** {Verb} early, {verb} once. Repeating the work in several places is where bugs hide.",
    "> **Note:** the defaults are fine for most cases; tune {aspect} only when a measurement says so.",
    "> **Warning:** don't skip {aspect} — it is cheap now and expensive after the first incident.",
)
_CLOSINGS = (
    "Hope this helps — happy to go deeper on any part.",
    "If you share more about your setup, I can tailor the example.",
    "Let me know if you'd like a version with tests, or one tuned for {aspect}.",
)
_THOUGHTS_OPENING = "The user is asking about {topic}."
_THOUGHTS = (
    "Let me think about what matters most here — probably {aspect}, then {other_aspect}.",
    "A short, concrete example would make this clearer than abstract advice.",
    "I should structure the answer: overview first, details after, a short summary at the end.",
    "Is there a common pitfall worth flagging? Yes: {aspect} is easy to get wrong.",
    "I'll keep the tone practical and avoid over-engineering.",
    "Maybe a small table comparing approaches → that is easier to scan than prose.",
    "They may be handling {n} {noun} or {m}; the advice differs, so I'll mention both.",
)
_HEADINGS = {
    "prose": ("{Aspect} in practice", "A note on {aspect}", "Why {aspect} matters", "How it fits together"),
    "bullets": ("Key points", "What to watch for", "Getting {aspect} right"),
    "steps": ("Step by step", "A practical checklist", "How I'd approach it"),
    "code": ("A worked example", "Example: `{verb}_{noun}`", "Implementation sketch"),
    "table": ("Trade-offs at a glance", "Comparing the options", "Quick comparison"),
}
_FILLER_KINDS = ("prose", "prose", "prose", "bullets", "steps", "code", "table")
_TABLE_HEADER = "| Approach | Best for | Cost | Notes |\n|---|---|:---:|---|"
_TABLE_ROWS = (
    "| `{verb}_{noun}()` | Small inputs | Low | Simple and predictable |",
    "| {Verb} in batches of {n} | Large volumes of {noun} | Medium | Watch {aspect} |",
    "| {Verb} lazily | Interactive use | Low | First call is slower |",
    "| Cache the {noun} | Repeated reads | Medium | Needs an invalidation rule |",
    "| Stream the {noun} | Unbounded input | Low | Constant memory → scales well |",
    "| Parallel workers | CPU-bound {noun} | High | ≈ linear speed-up until {aspect} bites |",
    "| Do nothing (yet) | Prototypes | None | ✓ Often the right call |",
)


@dataclass(frozen=True, slots=True)
class _CodeStyle:
    opening: str
    units: tuple[str, ...]
    separator: str
    closing: str = ""


_CODE_STYLES = {
    "python": _CodeStyle(
        opening="from __future__ import annotations\n\nimport asyncio\nimport time\n\n\n",
        separator="\n\n\n",
        units=(
            '''def {verb}_{noun}({noun}: list[str], limit: int = {n}) -> dict[str, int]:
    """{Verb} the first `limit` {noun} — cheap even for huge inputs."""
    counts: dict[str, int] = {{}}
    for item in {noun}[:limit]:
        key = item.strip().lower()
        counts[key] = counts.get(key, 0) + 1
    return counts''',
            '''class {Noun}Cache:
    """Keeps recent {noun} in memory; good enough until {aspect} says otherwise."""

    def __init__(self, capacity: int = {n}) -> None:
        self.capacity = capacity
        self._items: dict[str, str] = {{}}

    def put(self, key: str, value: str) -> None:
        if len(self._items) >= self.capacity:
            self._items.pop(next(iter(self._items)))
        self._items[key] = value

    def get(self, key: str) -> str | None:
        return self._items.get(key)''',
            '''async def {verb}_all({noun}: list[str], concurrency: int = {n}) -> list[str]:
    semaphore = asyncio.Semaphore(concurrency)

    async def one(item: str) -> str:
        async with semaphore:
            await asyncio.sleep(0)
            return item.upper()

    return await asyncio.gather(*(one(item) for item in {noun}))''',
            '''def test_{verb}_{noun}_keeps_order() -> None:
    {noun} = ["b", "a", "c"]
    assert sorted({noun}) == ["a", "b", "c"]
    assert len({noun}) == 3''',
            '''def retry(attempts: int = {n}, delay: float = 0.5):
    """Retry a flaky call with exponential back-off → 0.5 s, 1 s, 2 s…"""
    def decorate(func):
        def wrapper(*args, **kwargs):
            for attempt in range(attempts):
                try:
                    return func(*args, **kwargs)
                except ConnectionError:
                    if attempt == attempts - 1:
                        raise
                    time.sleep(delay * 2**attempt)
        return wrapper
    return decorate''',
        ),
    ),
    "bash": _CodeStyle(
        opening="#!/usr/bin/env bash\nset -euo pipefail\n\n",
        separator="\n\n",
        units=(
            """{verb}_{noun}() {{
  local dir="${{1:-./{noun}}}"
  find "$dir" -type f -name '*.log' | head -n {n}
}}""",
            """for file in ./{noun}/*; do
  echo "→ {verb} $file"
  wc -l "$file"
done""",
            """if ! command -v jq >/dev/null; then
  echo "jq is required — install it first" >&2
  exit 1
fi""",
            """limit={n}
curl -sS "http://localhost:8080/{noun}?limit=$limit" | jq '.items | length'""",
        ),
    ),
    "json": _CodeStyle(
        opening='{{\n  "{noun}": [\n',
        separator=",\n",
        closing="\n  ]\n}}",
        units=(
            '    {{"id": {n}, "name": "{verb}-{noun}", "enabled": true, "tags": ["{aspect}", "café"]}}',
            '    {{"id": {m}, "name": "{noun}-{verb}", "enabled": false, "retries": 3, "note": "→ {aspect}"}}',
            '    {{"id": {n}, "name": "{verb}", "limits": {{"max": {m}, "burst": {n}}}}}',
        ),
    ),
}
_UNSPECIFIED_LANGUAGE_CHOICES = ("python", "python", "python", "bash", "json")


class _Composer:
    """Writes one reply; every choice comes from `rng`, seeded with the conversation."""

    def __init__(self, prompt: str, seed: str) -> None:
        self.rng = random.Random(seed)  # str seeds hash with SHA-512: stable across runs
        self.prompt = prompt
        self.topic = _topic(prompt)
        words = frozenset(re.findall(r"\w+", prompt.lower()))
        self.favoured = [kind for kind, keys in _FAVOURED_BY_KEYWORD.items() if words & keys]
        self.language = next((name for name, keys in _LANGUAGE_BY_KEYWORD.items() if words & keys), None)

    def small_talk(self) -> str | None:
        """A one-liner for prompts like "hi there" or "thanks a lot"; None for real questions."""
        first, *rest = re.findall(r"\w+", self.prompt.lower()) or [""]
        replies = _SMALL_TALK.get(first)
        return self.rng.choice(replies) if replies and set(rest) <= _SMALL_TALK_EXTRAS else None

    def natural_length(self) -> int:
        """Longer prompts get longer answers; asking for something long ("a long report") gets ~3k tokens."""
        base = 60 + 20 * min(len(self.prompt.split()), 30) + (200 if self.favoured else 0)
        if _ASKS_FOR_LENGTH.search(self.prompt):
            base = max(base, 2_000)
        return self.rng.randint(base, base * 3 // 2)

    def document(self, target: int) -> str:
        parts = [self.paragraph(self.rng.choice(_INTROS), self.rng.randint(1, 2))]
        planned = list(self.favoured)
        if target >= _LONG_FORM_TOKENS:
            planned += [kind for kind in _LONG_FORM_KINDS if kind not in planned]
        parts += [self.section(kind, target // 4) for kind in planned]
        used = sum(map(count_deltas, parts)) + len(parts)
        while target - used > _CLOSING_TOKENS:
            parts.append(self.section(self.rng.choice(_FILLER_KINDS), self.rng.randint(60, 200)))
            used += count_deltas(parts[-1]) + 1
        parts.append(self.closing(target - used))
        return "\n\n".join(parts)

    def thoughts(self, target: int) -> str:
        opening = self.fill(_THOUGHTS_OPENING)
        return " ".join([opening, *self.sentences(_THOUGHTS, target - count_deltas(opening))])

    def fill(self, template: str) -> str:
        aspect, other_aspect = self.rng.sample(_ASPECTS, 2)
        verb, noun = self.rng.choice(_VERBS), self.rng.choice(_NOUNS)
        n, m = sorted(self.rng.sample(_COUNTS, 2))
        return template.format(
            topic=self.topic, aspect=aspect, Aspect=aspect.capitalize(), other_aspect=other_aspect,
            verb=verb, Verb=verb.capitalize(), noun=noun, Noun=noun.capitalize(), n=n, m=m,
        )  # fmt: skip

    def section(self, kind: str, size: int) -> str:
        """A headed section of about `size` tokens (lists and tables stop growing at a readable length)."""
        writers = {
            "prose": self.prose, "bullets": self.bullets, "steps": self.steps, "code": self.code, "table": self.table,
        }  # fmt: skip
        heading = "#" * self.rng.choice((2, 2, 3)) + " " + self.fill(self.rng.choice(_HEADINGS[kind]))
        return f"{heading}\n\n{writers[kind](size)}"

    def prose(self, size: int) -> str:
        text = self.paragraph(self.rng.choice(_SENTENCES), _clamp(size // 25, 1, 5))
        return f"{text}\n\n{self.fill(self.rng.choice(_TIPS))}" if self.rng.random() < 0.25 else text

    def bullets(self, size: int) -> str:
        return "\n".join(f"- {item}" for item in self.items(_POINTS, _clamp(size // 20, 3, 12)))

    def steps(self, size: int) -> str:
        return "\n".join(f"{n}. {item}" for n, item in enumerate(self.items(_STEPS, _clamp(size // 20, 3, 12)), 1))

    def table(self, size: int) -> str:
        return "\n".join([_TABLE_HEADER, *self.items(_TABLE_ROWS, _clamp(size // 25, 3, 40))])

    def code(self, size: int) -> str:
        language = self.language or self.rng.choice(_UNSPECIFIED_LANGUAGE_CHOICES)
        style = _CODE_STYLES[language]
        units: list[str] = []
        used = 0
        templates = self.shuffled(style.units)
        while not units or used < size:
            units.append(self.fill(next(templates)))
            used += count_deltas(units[-1])
        body = self.fill(style.opening) + style.separator.join(units) + self.fill(style.closing)
        lead = self.rng.choice(("Here's a compact example:", "A minimal version looks like this:", "For instance:"))
        return f"{lead}\n\n```{language}\n{body}\n```"

    def paragraph(self, first: str, more: int) -> str:
        return " ".join(self.fill(template) for template in [first, *self.rng.sample(_SENTENCES, more)])

    def items(self, templates: tuple[str, ...], count: int) -> list[str]:
        return [self.fill(template) for template in itertools.islice(self.shuffled(templates), count)]

    def shuffled(self, templates: tuple[str, ...]) -> Iterator[str]:
        """Templates in random order, endlessly; none repeats before all have been used."""
        while True:
            yield from self.rng.sample(templates, len(templates))

    def closing(self, remaining: int) -> str:
        last = self.fill(self.rng.choice(_CLOSINGS))
        return " ".join([*self.sentences(_SENTENCES, remaining - count_deltas(last)), last])

    def sentences(self, templates: tuple[str, ...], target: int) -> list[str]:
        """Filled sentences from `templates` until they add up to about `target` tokens."""
        sentences: list[str] = []
        used = 0
        while used < target:
            sentences.append(self.fill(self.rng.choice(templates)))
            used += count_deltas(sentences[-1]) + 1
        return sentences


def _topic(prompt: str) -> str:
    """The gist of the prompt's first sentence, e.g. "How do I sort a dict?" -> "sort a dict"."""
    first_sentence = re.split(r"[.?!\n]", prompt.strip(), maxsplit=1)[0]
    words = re.findall(r"\w[\w'+#./-]*", first_sentence)
    while words and words[0].lower() in _FILLER_WORDS:
        words.pop(0)
    words = words[:6]
    while words and words[-1].lower() in _FILLER_WORDS:
        words.pop()
    return " ".join(words) or "your question"


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(value, high))
