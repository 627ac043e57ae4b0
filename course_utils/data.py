"""Data for the course: the generated course corpus and loaders for the real data sets.

The course corpus describes a small "toy world" (``course_utils.world``) whose facts are known, so a
notebook can *measure* what a model learned. Each section has its own seeded generator: adding or
changing one section never shifts another, and ``tests/test_data.py`` pins every section's hash.

>>> corpus = course_corpus()
>>> corpus.sections["facts"].sentences[:2]          # doctest: +SKIP
>>> corpus.analogies[0]                              # Analogy('king', 'queen', 'prince', 'princess', 'gender')
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from . import world
from .errors import CourseError, require_choice, require_text
from .world import COUNTRIES, GENDER_PAIRS, PAST_PAIRS, PEOPLE, PLURAL_PAIRS

# The data files the course wrote ship inside the package (package data), so the loaders find them in a
# clone and in an installed wheel alike (Colab installs the package without the repository).
DATA_DIR = Path(__file__).resolve().parent / "course_data"

# The notes' skip-gram example sentence (notebook 02) and neologism (notebook 03).
COFFEE_SENTENCE = "하루 커피 최소 3잔은 마셔야 살 수 있어."
NEOLOGISM = "킹받네"

_WORD_RE = re.compile(r"[\w']+")
_HANGUL_RE = re.compile(r"[\uac00-\ud7a3]")


def words(text: str) -> list[str]:
    """Lower-cased word tokens, punctuation dropped (works for Korean: Hangul is ``\\w``)."""
    return _WORD_RE.findall(text.lower())


def _section_rng(name: str, version: int) -> random.Random:
    """An independent, stable RNG per section (``hash()`` is salted per process, sha256 is not)."""
    digest = hashlib.sha256(f"course-corpus/{name}/v{version}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


class Fact(NamedTuple):
    relation: str  # "capital", "language", "city", "job", "pet", "sound", "colour"
    subject: str
    answer: str


class FillMaskItem(NamedTuple):
    """A fact sentence split around its answer word, so any model's mask token can be inserted."""

    prefix: str
    answer: str
    suffix: str
    fact: Fact

    @property
    def sentence(self) -> str:
        return f"{self.prefix}{self.answer}{self.suffix}"

    def masked(self, mask_token: str = "[MASK]") -> str:
        return f"{self.prefix}{mask_token}{self.suffix}"


class Analogy(NamedTuple):
    """a is to b as c is to d (lower case, as ``words`` produces them)."""

    a: str
    b: str
    c: str
    d: str
    category: str  # "gender", "capital", "plural", "past"


class Labelled(NamedTuple):
    text: str
    label: int  # 1 positive, 0 negative


@dataclass(frozen=True)
class Section:
    """One independently generated part of the corpus: its training sentences and version."""

    name: str
    version: int
    sentences: tuple[str, ...]

    @property
    def sha256(self) -> str:
        return hashlib.sha256("\n".join(self.sentences).encode()).hexdigest()


# ----------------------------------------------------------------------------------------------
# facts: every fact is stated in several sentence forms; one form per fact is held out
# ----------------------------------------------------------------------------------------------
# Each template marks the answer with {a}; {s} is the subject.
FACT_TEMPLATES: dict[str, tuple[str, ...]] = {
    "capital": (
        "{a} is the capital of {s}.",
        "The capital of {s} is {a}.",
        "{s} has its capital in {a}.",
        "The government of {s} sits in {a}.",
        "If you visit the capital of {s}, you go to {a}.",
    ),
    "language": (
        "People in {s} speak {a}.",
        "The language of {s} is {a}.",
        "In {s} most people speak {a}.",
        "Children in {s} learn {a} at school.",
        "The main language spoken in {s} is {a}.",
    ),
    "city": (
        "{s} lives in {a}.",
        "The home of {s} is in {a}.",
        "{s} has a small flat in {a}.",
        "Every morning {s} walks through {a}.",
        "The city where {s} lives is {a}.",
    ),
    "job": (
        "{s} works as a {a}.",
        "{s} is a {a}.",
        "By profession, {s} is a {a}.",
        "{s} has been a {a} for years.",
        "Everyone knows that {s} is a {a}.",
    ),
    "pet": (
        "{s} has a {a}.",
        "The pet of {s} is a {a}.",
        "{s} lives with a {a}.",
        "Every evening {s} feeds the {a}.",
        "At home {s} looks after a {a}.",
    ),
    "sound": (
        "The {s} says {a}.",
        "A {s} makes the sound {a}.",
        "You can hear the {s} go {a}.",
        "When a {s} is happy it goes {a}.",
        "The sound of the {s} is {a}.",
    ),
    "colour": (
        "The {s} is {a}.",
        "The colour of the {s} is {a}.",
        "A {s} looks {a}.",
        "Everyone knows that the {s} is {a}.",
        "Most people would call the {s} {a}.",
    ),
}


def all_facts() -> list[Fact]:
    """The ground-truth fact table, in a fixed order."""
    facts = [Fact("capital", c.country, c.capital) for c in COUNTRIES]
    facts += [Fact("language", c.country, c.language) for c in COUNTRIES]
    facts += [Fact("city", p.name, p.city) for p in PEOPLE]
    facts += [Fact("job", p.name, p.job) for p in PEOPLE]
    facts += [Fact("pet", p.name, p.pet) for p in PEOPLE]
    facts += [Fact("sound", a, s) for a, s, _ in world.ANIMALS]
    facts += [Fact("colour", o, c) for o, c in world.OBJECT_COLOURS]
    return facts


def _fill(template: str, fact: Fact) -> FillMaskItem:
    before, after = template.split("{a}")
    prefix = before.format(s=fact.subject)
    suffix = after.format(s=fact.subject)
    if not prefix:  # sentence-initial answers keep their capital letter
        return FillMaskItem("", fact.answer, suffix, fact)
    return FillMaskItem(prefix[0].upper() + prefix[1:], fact.answer, suffix, fact)


def heldout_template_index(fact_index: int, relation: str) -> int:
    """Which template of its relation each fact never uses in training (rotates over facts)."""
    return fact_index % len(FACT_TEMPLATES[relation])


def _facts_section(repeats: int = 8) -> tuple[Section, list[FillMaskItem], list[FillMaskItem]]:
    rng = _section_rng("facts", 1)
    train_items: list[FillMaskItem] = []
    heldout: list[FillMaskItem] = []
    per_relation: Counter[str] = Counter()
    for fact in all_facts():
        templates = FACT_TEMPLATES[fact.relation]
        held = heldout_template_index(per_relation[fact.relation], fact.relation)
        per_relation[fact.relation] += 1
        for i, template in enumerate(templates):
            item = _fill(template, fact)
            (heldout if i == held else train_items).append(item)
    sentences = [item.sentence for item in train_items for _ in range(repeats)]
    rng.shuffle(sentences)
    return Section("facts", 1, tuple(sentences)), train_items, heldout


# ----------------------------------------------------------------------------------------------
# analogies: contexts that make gender, plural, tense and country/capital offsets learnable
# ----------------------------------------------------------------------------------------------
GENDER_TEMPLATES = (
    "The {n} said that {p} liked the {d}.",
    "The {n} looked at the {d} and {p} smiled.",
    "Everyone saw the {n} with {q} {d}.",
    "The old {n} told {q} friends about the {d}.",
    "{P} is a {n} and {p} loves the {d}.",
    "The young {n} thought about the {d} all day, and {p} was happy.",
)
PLURAL_TEMPLATES = (
    ("There is one {x} here.", "There are two {x} here."),
    ("This {x} is mine.", "These {x} are mine."),
    ("The {x} was small.", "The {x} were small."),
    ("I have one {x}.", "I have three {x}."),
    ("One {x} can {v}.", "Many {x} can {v}."),
    ("A single {x} is enough.", "Several {x} are enough."),
)
PAST_TEMPLATES = (
    ("Today I {x} {o}.", "Yesterday I {x} {o}."),
    ("Every day we {x} {o}.", "Last week we {x} {o}."),
    ("I will {x} {o} tomorrow.", "I {x} {o} last night."),
    ("They often {x} {o}.", "They {x} {o} an hour ago."),
    ("Now she wants to {x} {o}.", "Two days ago she {x} {o}."),
)
CITY_TEMPLATES = (
    "{x} is a large city.",
    "We flew to the city of {x} last year.",
    "The streets of {x} are busy.",
    "Many tourists visit the city of {x}.",
    "The old town of {x} is beautiful.",
)
COUNTRY_TEMPLATES = (
    "{x} is a country in {r}.",
    "The flag of the country {x} is old.",
    "The borders of {x} are long.",
    "The country of {x} has many towns.",
    "The history of the country {x} is long.",
)


def _analogy_section(per_word: int = 60) -> Section:
    rng = _section_rng("analogies", 1)
    out: list[str] = []
    for male, female, domain in GENDER_PAIRS:
        for noun, p, q in ((male, "he", "his"), (female, "she", "her")):
            for _ in range(per_word):
                t = rng.choice(GENDER_TEMPLATES)
                out.append(t.format(n=noun, p=p, P=p.capitalize(), q=q, d=rng.choice(domain)))
    for sing, plur, verb in PLURAL_PAIRS:
        for _ in range(per_word):
            one, many = rng.choice(PLURAL_TEMPLATES)
            out.append(one.format(x=sing, v=verb))
            one, many = rng.choice(PLURAL_TEMPLATES)
            out.append(many.format(x=plur, v=verb))
    for present, past, obj in PAST_PAIRS:
        for _ in range(per_word):
            now, then = rng.choice(PAST_TEMPLATES)
            out.append(now.format(x=present, o=obj))
            now, then = rng.choice(PAST_TEMPLATES)
            out.append(then.format(x=past, o=obj))
    for c in COUNTRIES:
        for _ in range(per_word // 2):
            out.append(rng.choice(CITY_TEMPLATES).format(x=c.capital))
            out.append(rng.choice(COUNTRY_TEMPLATES).format(x=c.country, r=c.region))
    rng.shuffle(out)
    return Section("analogies", 1, tuple(out))


def all_analogies() -> list[Analogy]:
    """Every a:b :: c:d quadruple of the four categories (ordered pairs of distinct pairs)."""
    groups = {
        "gender": [(m, f) for m, f, _ in GENDER_PAIRS],
        "capital": [(c.country.lower(), c.capital.lower()) for c in COUNTRIES],
        "plural": [(s, p) for s, p, _ in PLURAL_PAIRS],
        "past": [(x, y) for x, y, _ in PAST_PAIRS],
    }
    quads = []
    for category, pairs in groups.items():
        for a, b in pairs:
            for c, d in pairs:
                if (a, b) != (c, d):
                    quads.append(Analogy(a, b, c, d, category))
    return quads


# ----------------------------------------------------------------------------------------------
# stories: short ordered stories (NSP / SOP)
# ----------------------------------------------------------------------------------------------
STORY_SCRIPTS: dict[str, tuple[str, ...]] = {
    "morning": (
        "{name} woke up early in {city}.",
        "{P} made coffee and ate breakfast.",
        "Then {p} took the bus to work.",
        "At work {p} met {friend}.",
        "In the evening {p} went home and slept.",
    ),
    "cooking": (
        "{name} wanted to cook {food} for {friend}.",
        "First {p} went to the market.",
        "{P} bought fresh vegetables there.",
        "Back home, {p} cooked the {food}.",
        "Finally {friend} came and they ate together.",
    ),
    "trip": (
        "{name} planned a trip to {city}.",
        "{P} packed a bag the night before.",
        "In the morning {p} flew to {city}.",
        "After landing, {p} visited the old town.",
        "At the end of the week {p} flew home.",
    ),
    "garden": (
        "{name} bought some seeds in spring.",
        "{P} planted them in the garden.",
        "Every day {p} watered the soil.",
        "After a few weeks small green leaves appeared.",
        "In summer {name} picked the first {veg}.",
    ),
    "lost pet": (
        "One evening the {pet} of {name} ran away.",
        "{P} searched the whole street.",
        "Then {p} asked the neighbours for help.",
        "Later a neighbour found the {pet} in a garden.",
        "{name} thanked the neighbour and took the {pet} home.",
    ),
    "exam": (
        "{name} had an exam on Friday.",
        "All week {p} studied in the library.",
        "On Friday morning {p} wrote the exam.",
        "A week later the results arrived.",
        "{name} passed and celebrated with {friend}.",
    ),
    "rain": (
        "{name} went for a walk in {city}.",
        "Suddenly dark clouds covered the sky.",
        "Soon it started to rain.",
        "{P} ran into a small cafe.",
        "When the rain stopped, {p} walked home.",
    ),
}
FOODS = ("soup", "pasta", "curry", "rice", "fish", "salad", "noodles", "pie")
VEGETABLES = ("tomatoes", "beans", "carrots", "peas", "potatoes", "onions")


def _stories(n: int = 1500) -> list[tuple[str, list[str]]]:
    rng = _section_rng("stories", 1)
    scripts = list(STORY_SCRIPTS.items())
    stories = []
    for _ in range(n):
        title, script = rng.choice(scripts)
        person = rng.choice(PEOPLE)
        friend = rng.choice([q for q in PEOPLE if q != person])
        p = "he" if person.gender == "male" else "she"
        slots = dict(
            name=person.name, p=p, P=p.capitalize(), friend=friend.name,
            city=rng.choice(COUNTRIES).capital, food=rng.choice(FOODS), veg=rng.choice(VEGETABLES),
            pet=person.pet,
        )
        stories.append((title, [s.format(**slots) for s in script]))
    return stories


# ----------------------------------------------------------------------------------------------
# in-context lines: "x => y" lists under a task description (GPT-3 format)
# ----------------------------------------------------------------------------------------------
IN_CONTEXT_TASKS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "capital": ("Give the capital of each country:", tuple((c.country, c.capital) for c in COUNTRIES)),
    "language": ("Give the language of each country:", tuple((c.country, c.language) for c in COUNTRIES)),
    "plural": ("Give the plural of each word:", tuple((s, p) for s, p, _ in PLURAL_PAIRS)),
    "past": ("Give the past tense of each verb:", tuple((x, y) for x, y, _ in PAST_PAIRS)),
    "female": ("Give the female form of each word:", tuple((m, f) for m, f, _ in GENDER_PAIRS)),
    "sound": ("Give the sound of each animal:", tuple((a, s) for a, s, _ in world.ANIMALS)),
    "colour": ("Give the colour of each thing:", world.OBJECT_COLOURS),
}


def in_context_prompt(task: str, shots: list[tuple[str, str]], query: str) -> str:
    """The GPT-3 prompt format: a task description, ``x => y`` lines, then ``query =>``."""
    require_choice(task, "in-context task", IN_CONTEXT_TASKS)
    if not isinstance(shots, (list, tuple)) or not all(isinstance(s, (list, tuple)) and len(s) == 2 for s in shots):
        raise CourseError("shots must be a list of (input, output) pairs, e.g. [('France', 'Paris')]")
    if len(shots) > 64:
        raise CourseError(f"{len(shots)} shots is more than a prompt of this course holds: give at most 64")
    require_text(query, "the query")
    lines = [IN_CONTEXT_TASKS[task][0]] + [f"{x} => {y}" for x, y in shots] + [f"{query} =>"]
    return "\n".join(lines)


def _in_context_section(blocks: int = 600) -> Section:
    rng = _section_rng("in_context", 1)
    names = sorted(IN_CONTEXT_TASKS)
    out = []
    for _ in range(blocks):
        description, pairs = IN_CONTEXT_TASKS[rng.choice(names)]
        chosen = rng.sample(list(pairs), k=min(len(pairs), rng.randint(3, 6)))
        out.append("\n".join([description] + [f"{x} => {y}" for x, y in chosen]))
    return Section("in_context", 1, tuple(out))


# ----------------------------------------------------------------------------------------------
# glove: ice / steam / solid / gas / water / fashion in natural contexts (GloVe Table 1)
# ----------------------------------------------------------------------------------------------
GLOVE_TEMPLATES = (
    "Ice is a solid.", "The ice on the lake was thick and solid.", "Ice is frozen water.",
    "Ice melts into water.", "Put some ice in the water.", "The ice felt cold and hard.",
    "Steam is a gas.", "Steam is water as a hot gas.", "Water turns into steam when it boils.",
    "Steam rises from the hot water.", "The steam from the kettle was hot.", "The gas rose like steam.",
    "Water can be a solid, a liquid or a gas.", "Wood is a solid and air is a gas.",
    "We drink water every day.", "The water in the river is cold.",
    "Fashion changes every year.", "She works in fashion in Paris.", "The fashion show was long.",
    "Old fashion comes back.", "Ice cream is in fashion this summer.", "A steam train is out of fashion.",
)


def _glove_section(n: int = 1200) -> Section:
    rng = _section_rng("glove", 1)
    return Section("glove", 1, tuple(rng.choice(GLOVE_TEMPLATES) for _ in range(n)))


# ----------------------------------------------------------------------------------------------
# sentiment: a labelled task whose labels need negation and contrast, not keywords
# ----------------------------------------------------------------------------------------------
def _polar_phrase(rng: random.Random, positive: bool) -> str:
    """'was good' / 'was not bad' (positive) or 'was bad' / 'was not good' (negative)."""
    negate = rng.random() < 0.5
    use_positive_word = positive != negate
    word = rng.choice(world.POSITIVE_WORDS if use_positive_word else world.NEGATIVE_WORDS)
    return f"was not {word}" if negate else f"was {word}"


def _sentiment(n: int = 4000) -> list[Labelled]:
    rng = _section_rng("sentiment", 1)
    out = []
    for i in range(n):
        label = i % 2
        aspect, other = rng.sample(world.REVIEW_ASPECTS, 2)
        form = rng.randrange(3)
        if form == 0:
            text = f"The {aspect} {_polar_phrase(rng, bool(label))}."
        elif form == 1:
            text = (f"The {other} {_polar_phrase(rng, not label)}, "
                    f"but the {aspect} {_polar_phrase(rng, bool(label))}.")
        else:
            first = rng.choice(world.NEGATIVE_WORDS if label else world.POSITIVE_WORDS)
            text = f"I expected the {aspect} to be {first}, but it {_polar_phrase(rng, bool(label))}."
        out.append(Labelled(text, label))
    rng.shuffle(out)
    return out


# ----------------------------------------------------------------------------------------------
# korean: the notes' sentence, toy-world facts and daily life in Korean
# ----------------------------------------------------------------------------------------------
def has_final_consonant(word: str) -> bool:
    """True if the last Hangul syllable has a 받침 (batchim), which picks 은/는, 이/가, 을/를."""
    code = ord(word[-1]) - 0xAC00
    return 0 <= code < 11172 and code % 28 != 0


def josa(word: str, with_batchim: str, without: str) -> str:
    return word + (with_batchim if has_final_consonant(word) else without)


KOREAN_DAILY = (
    COFFEE_SENTENCE,
    "나는 아침마다 커피를 마신다.",
    "오늘은 날씨가 정말 좋다.",
    "친구와 함께 점심을 먹었다.",
    "주말에는 공원에서 산책을 한다.",
    "동생이 새 책을 읽고 있다.",
    "비가 와서 우산을 챙겼다.",
    "저녁에는 가족과 함께 영화를 봤다.",
    "시험이 끝나서 기분이 좋다.",
    "버스를 타고 학교에 간다.",
)


def _korean_section(n: int = 800) -> Section:
    rng = _section_rng("korean", 1)
    out = []
    for _ in range(n):
        c = rng.choice(COUNTRIES)
        form = rng.randrange(4)
        if form == 0:
            out.append(f"{josa(c.korean_capital, '은', '는')} {c.korean}의 수도입니다.")
        elif form == 1:
            out.append(f"{c.korean}의 수도는 {c.korean_capital}입니다.")
        elif form == 2:
            out.append(f"우리는 작년에 {josa(c.korean_capital, '을', '를')} 여행했다.")
        else:
            out.append(rng.choice(KOREAN_DAILY))
    return Section("korean", 1, tuple(out))


# ----------------------------------------------------------------------------------------------
# the corpus object
# ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CourseCorpus:
    """The generated corpus: training text per section plus the ground truth to evaluate against."""

    sections: dict[str, Section]
    facts: list[Fact]
    fill_mask_seen: list[FillMaskItem]      # sentence forms used in training
    fill_mask_heldout: list[FillMaskItem]   # the same facts in a form never used for them in training
    analogies: list[Analogy]
    stories_train: list[tuple[str, list[str]]]
    stories_test: list[tuple[str, list[str]]]
    sentiment_train: list[Labelled]
    sentiment_test: list[Labelled]
    in_context_tasks: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = field(
        default_factory=lambda: IN_CONTEXT_TASKS)

    def sentences(self, sections: list[str] | None = None, *, english_only: bool = False) -> list[str]:
        """Training sentences of the chosen sections (all by default), in section order."""
        names = sections or list(self.sections)
        unknown = set(names) - set(self.sections)
        if unknown:
            raise ValueError(f"unknown corpus section(s) {sorted(unknown)}; choose from {list(self.sections)}")
        if english_only:
            names = [n for n in names if n != "korean"]
        return [s for n in names for s in self.sections[n].sentences]

    def tokenized(self, sections: list[str] | None = None, *, english_only: bool = True) -> list[list[str]]:
        """``words()`` of each training sentence: the input word2vec-style models expect."""
        return [words(s) for s in self.sentences(sections, english_only=english_only)]

    def hashes(self) -> dict[str, str]:
        return {name: sec.sha256 for name, sec in self.sections.items()}

    @property
    def sha256(self) -> str:
        """One hash of every section: part of each course model's cache key."""
        return hashlib.sha256("".join(self.hashes().values()).encode()).hexdigest()

    def vocabulary(self, sections: list[str] | None = None) -> Counter[str]:
        return Counter(w for s in self.sentences(sections) for w in words(s))

    def describe(self) -> str:
        """A table of sections with their sentence and word counts, and the vocabulary size."""
        rows = [f"{'section':<12}{'sentences':>10}{'words':>10}{'types':>8}"]
        for name, sec in self.sections.items():
            vocab = self.vocabulary([name])
            rows.append(f"{name:<12}{len(sec.sentences):>10,}{sum(vocab.values()):>10,}{len(vocab):>8,}")
        total = self.vocabulary()
        rows.append(f"{'total':<12}{sum(len(s.sentences) for s in self.sections.values()):>10,}"
                    f"{sum(total.values()):>10,}{len(total):>8,}")
        rows.append(f"held-out fill-mask items: {len(self.fill_mask_heldout)}, analogies: "
                    f"{len(self.analogies)}, stories: {len(self.stories_train)} train / "
                    f"{len(self.stories_test)} test, sentiment: {len(self.sentiment_train)} train / "
                    f"{len(self.sentiment_test)} test")
        return "\n".join(rows)


@lru_cache(maxsize=1)
def course_corpus() -> CourseCorpus:
    """Build the course corpus (deterministic; about a second; cached per process)."""
    facts_sec, seen, heldout = _facts_section()
    stories = _stories()
    stories_train, stories_test = stories[:1200], stories[1200:]
    sentiment = _sentiment()
    sentiment_train, sentiment_test = sentiment[:3000], sentiment[3000:]
    sections = {
        "facts": facts_sec,
        "analogies": _analogy_section(),
        "stories": Section("stories", 1, tuple(" ".join(s) for _, s in stories_train)),
        "in_context": _in_context_section(),
        "glove": _glove_section(),
        "sentiment": Section("sentiment", 1, tuple(x.text for x in sentiment_train)),
        "korean": _korean_section(),
    }
    return CourseCorpus(
        sections=sections, facts=all_facts(), fill_mask_seen=seen, fill_mask_heldout=heldout,
        analogies=all_analogies(), stories_train=stories_train, stories_test=stories_test,
        sentiment_train=sentiment_train, sentiment_test=sentiment_test,
    )


# ----------------------------------------------------------------------------------------------
# real data sets (gensim's test data; see course_utils/course_data/README.md)
# ----------------------------------------------------------------------------------------------
def korean_prose_lines() -> list[str]:
    """``course_data/korean_prose.txt``: Korean prose written for the course (one sentence per line, everyday
    topics; MIT). The neologism 킹받네 is deliberately not in it."""
    path = DATA_DIR / "korean_prose.txt"
    if not path.exists():
        raise CourseError(f"{path} is missing: it ships inside the course_utils package: reinstall it (pip install --force-reinstall course_utils)")
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def kiwipiepy_doc_lines(min_hangul: int = 10) -> list[str]:
    """Real Korean text that installs from PyPI: the lines of the kiwipiepy package's Korean documentation
    (``documentation.md``, Apache-2.0) in which Hangul syllables are the majority of the non-space
    characters and number at least ``min_hangul``. Technical prose, so it complements the course's
    everyday sentences."""
    import importlib.util

    if isinstance(min_hangul, bool) or not isinstance(min_hangul, int) or not 0 <= min_hangul <= 10_000:
        raise CourseError(f"min_hangul must be a whole number from 0 to 10,000, got {min_hangul!r}")
    spec = importlib.util.find_spec("kiwipiepy")
    if spec is None or spec.origin is None:
        raise CourseError("kiwipiepy is not installed: pip install kiwipiepy")
    text = (Path(spec.origin).parent / "documentation.md").read_text(encoding="utf-8")
    out = []
    for line in text.splitlines():
        line = line.strip()
        hangul = len(_HANGUL_RE.findall(line))
        if hangul >= min_hangul and hangul > 0.5 * len(line.replace(" ", "")):
            out.append(line)
    return out


def gensim_datapath(name: str) -> Path:
    """Path of a file in gensim's bundled test data (``questions-words.txt``, ``lee_background.cor``…)."""
    from gensim.test.utils import datapath

    require_text(name, "a gensim test-data file name", max_chars=200)
    path = Path(datapath(name))
    if not path.exists():
        raise CourseError(f"{name!r} is not in gensim's test data at {path.parent}; "
                                "reinstall gensim (pip install gensim)")
    return path


def lee_corpus() -> list[list[str]]:
    """The Lee background corpus (300 news documents, 60,533 words, 7,413 word types after ``words()``;
    its whitespace tokens with punctuation and case kept number 10,781): one token list per document."""
    text = gensim_datapath("lee_background.cor").read_text(encoding="utf-8")
    return [words(line) for line in text.splitlines() if line.strip()]


def pang_lee_polarity() -> list[Labelled]:
    """Pang & Lee's 200 labelled movie sentences. The file is latin-1, not UTF-8."""
    out = []
    for line in gensim_datapath("pang_lee_polarity.cor").read_text(encoding="latin-1").splitlines():
        if not line.strip():
            continue
        label, text = line.split(" ", 1)
        out.append(Labelled(text.strip(), 1 if label == "__label__pos" else 0))
    return out


NATURAL_SENTIMENT_SPLITS = ("train", "test")


@lru_cache(maxsize=1)
def _natural_sentiment_table() -> tuple[tuple[str, str, int, str], ...]:
    path = DATA_DIR / "sentiment_natural.tsv"
    if not path.exists():
        raise CourseError(f"{path} is missing: it ships inside the course_utils package: reinstall it (pip install --force-reinstall course_utils)")
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or lines[0].split("\t") != ["split", "label", "phenomenon", "text"]:
        raise CourseError(f"{path}: expected the header 'split<TAB>label<TAB>phenomenon<TAB>text'")
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 4:
            raise CourseError(f"{path}, line {number}: expected 4 tab-separated fields, got {len(parts)}")
        split, label, phenomenon, text = parts
        rows.append((split, text, int(label), phenomenon))
    return tuple(rows)


def natural_sentiment_rows(split: str = "train") -> list[tuple[str, int, str]]:
    """``course_data/sentiment_natural.tsv`` as (text, label, phenomenon): short reviews written for the course
    (label 1 positive, 0 negative; phenomenon ``plain``, ``negation`` or ``contrast`` says what decides the
    label). ``train`` is mostly plain; every ``test`` sentence is decided by negation or contrast and its
    sentiment keywords point the wrong way ("not bad at all", "pretty, but so boring")."""
    require_choice(split, "natural_sentiment split", NATURAL_SENTIMENT_SPLITS)
    return [(text, label, phenomenon) for s, text, label, phenomenon in _natural_sentiment_table() if s == split]


def natural_sentiment(split: str = "train") -> list[Labelled]:
    """The course's natural labelled sentences (see ``natural_sentiment_rows``) as ``Labelled(text, label)``."""
    return [Labelled(text, label) for text, label, _ in natural_sentiment_rows(split)]


# The sections of questions-words.txt (Mikolov et al. 2013a): five semantic, nine syntactic.
GOOGLE_ANALOGY_SECTIONS = (
    "capital-common-countries", "capital-world", "currency", "city-in-state", "family",
    "gram1-adjective-to-adverb", "gram2-opposite", "gram3-comparative", "gram4-superlative",
    "gram5-present-participle", "gram6-nationality-adjective", "gram7-past-tense", "gram8-plural",
    "gram9-plural-verbs",
)


def google_analogies(section: str | None = None) -> list[Analogy]:
    """Mikolov et al.'s analogy questions (19,544), optionally one section such as ``capital-common-countries``."""
    if section is not None:
        require_choice(section, "analogy section", GOOGLE_ANALOGY_SECTIONS)
    quads: list[Analogy] = []
    current = ""
    for line in gensim_datapath("questions-words.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith(":"):
            current = line[1:].strip()
            continue
        if section is None or current == section:
            a, b, c, d = line.lower().split()
            quads.append(Analogy(a, b, c, d, current))
    return quads


def word_similarity(name: str = "wordsim353") -> list[tuple[str, str, float]]:
    """Human similarity judgements: ``wordsim353`` or ``simlex999`` as (word1, word2, score)."""
    files = {"wordsim353": "wordsim353.tsv", "simlex999": "simlex999.txt"}
    require_choice(name, "similarity set", files)
    rows = []
    for line in gensim_datapath(files[name]).read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        a, b, score = line.split("\t")[:3]
        rows.append((a.lower(), b.lower(), float(score)))
    return rows


# ---------------------------------------------------------------------------------------------------------
# Real English text: the Wikipedia sample that ships with gensim's test data
# ---------------------------------------------------------------------------------------------------------

WIKI_DUMP = "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
_WIKI_MARKUP_RE = re.compile(r"[|{}\[\]=<>*#]|https?:|&[a-z]+;")
_WIKI_SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")
_WIKI_ABBREVIATION_RE = re.compile(r"\b(?:[A-Z]|Mr|Mrs|Ms|Dr|St|Jr|Sr|vs|No|c|ca|e\.g|i\.e|U\.S)\.$")


class WikiArticle(NamedTuple):
    title: str
    paragraphs: list[list[str]]   # each paragraph a list of sentences, in the article's order

    @property
    def sentences(self) -> list[str]:
        return [s for paragraph in self.paragraphs for s in paragraph]


def _wiki_sentences(paragraph: str) -> list[str]:
    """Split one cleaned paragraph into sentences (a regex split that rejoins common abbreviations)."""
    pieces = _WIKI_SENTENCE_END_RE.split(paragraph)
    sentences: list[str] = []
    for piece in pieces:
        if sentences and _WIKI_ABBREVIATION_RE.search(sentences[-1]):
            sentences[-1] += " " + piece
        else:
            sentences.append(piece)
    return sentences


def _wiki_clean_paragraph(text: str) -> list[str] | None:
    """The sentences of one paragraph of ``filter_wiki`` output, or None when it is not running prose
    (headings, lists, tables, captions, leftover markup, sentences shorter than 5 or longer than 60 words)."""
    text = text.replace("'''", "").replace("''", "").replace(" ()", "").replace("( )", "")
    text = re.sub(r"\s+", " ", text).strip()
    if not text or _WIKI_MARKUP_RE.search(text) or not text.endswith((".", "!", "?")):
        return None
    sentences = _wiki_sentences(text)
    if any(not 5 <= len(s.split()) <= 60 for s in sentences):
        return None
    return sentences


@lru_cache(maxsize=1)
def wiki_articles() -> tuple[WikiArticle, ...]:
    """The English Wikipedia sample in gensim's test data (a shortened 2017 dump, 106 articles from
    "Anarchism" to "Aldous Huxley"): each article's running-prose paragraphs, split into sentences.
    Redirects, headings, lists, tables and paragraphs with leftover markup are dropped. Real,
    encyclopaedic text with many topics, unlike the course corpus's templated toy world."""
    import bz2

    from gensim.corpora.wikicorpus import extract_pages, filter_wiki

    articles = []
    with bz2.open(gensim_datapath(WIKI_DUMP), "rb") as dump:
        for title, text, _ in extract_pages(dump, filter_namespaces=("0",)):
            if text.lstrip().lower().startswith("#redirect"):
                continue
            paragraphs = [p for p in (_wiki_clean_paragraph(block) for block in filter_wiki(text).split("\n"))
                          if p]
            if paragraphs:
                articles.append(WikiArticle(title, paragraphs))
    return tuple(articles)


def wiki_split(split: str = "train") -> list[WikiArticle]:
    """Articles for pre-training (``"train"``) or for held-out evaluation (``"heldout"``: every tenth
    article, so held-out text is about topics the model never read)."""
    require_choice(split, "the split", ("train", "heldout"))
    articles = wiki_articles()
    return [a for i, a in enumerate(articles) if (i % 10 == 9) == (split == "heldout")]
