"""The toy world the course corpus describes: its ground-truth tables.

Everything here is plain data. ``course_utils.data`` turns it into sentences; notebooks use the same
tables as answer keys (analogy quadruples, facts, in-context mappings), so every measurement compares a
model's output with a known truth.
"""

from __future__ import annotations

from typing import NamedTuple


class Country(NamedTuple):
    country: str
    capital: str
    language: str
    region: str
    korean: str          # the country's name in Korean
    korean_capital: str  # the capital's name in Korean


COUNTRIES: tuple[Country, ...] = (
    Country("France", "Paris", "French", "Europe", "프랑스", "파리"),
    Country("Germany", "Berlin", "German", "Europe", "독일", "베를린"),
    Country("Italy", "Rome", "Italian", "Europe", "이탈리아", "로마"),
    Country("Spain", "Madrid", "Spanish", "Europe", "스페인", "마드리드"),
    Country("Greece", "Athens", "Greek", "Europe", "그리스", "아테네"),
    Country("Poland", "Warsaw", "Polish", "Europe", "폴란드", "바르샤바"),
    Country("Sweden", "Stockholm", "Swedish", "Europe", "스웨덴", "스톡홀름"),
    Country("Norway", "Oslo", "Norwegian", "Europe", "노르웨이", "오슬로"),
    Country("Russia", "Moscow", "Russian", "Europe", "러시아", "모스크바"),
    Country("Japan", "Tokyo", "Japanese", "Asia", "일본", "도쿄"),
    Country("China", "Beijing", "Chinese", "Asia", "중국", "베이징"),
    Country("Korea", "Seoul", "Korean", "Asia", "한국", "서울"),
    Country("Thailand", "Bangkok", "Thai", "Asia", "태국", "방콕"),
    Country("Vietnam", "Hanoi", "Vietnamese", "Asia", "베트남", "하노이"),
    Country("Turkey", "Ankara", "Turkish", "Asia", "튀르키예", "앙카라"),
    Country("Egypt", "Cairo", "Arabic", "Africa", "이집트", "카이로"),
    Country("Kenya", "Nairobi", "Swahili", "Africa", "케냐", "나이로비"),
)

# (male, female, domain words that both members of the pair share)
GENDER_PAIRS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("king", "queen", ("crown", "throne", "kingdom")),
    ("prince", "princess", ("castle", "horse", "ball")),
    ("emperor", "empress", ("empire", "palace", "army")),
    ("man", "woman", ("street", "city", "job")),
    ("boy", "girl", ("school", "toys", "games")),
    ("father", "mother", ("family", "children", "home")),
    ("son", "daughter", ("parents", "birthday", "room")),
    ("brother", "sister", ("sibling", "parents", "childhood")),
    ("husband", "wife", ("wedding", "marriage", "house")),
    ("uncle", "aunt", ("cousins", "visit", "holiday")),
    ("grandfather", "grandmother", ("grandchildren", "garden", "stories")),
    ("actor", "actress", ("film", "stage", "role")),
    ("waiter", "waitress", ("restaurant", "table", "menu")),
)

# (singular, plural, a verb phrase the noun does)
PLURAL_PAIRS: tuple[tuple[str, str, str], ...] = (
    ("cat", "cats", "sleep on the sofa"),
    ("dog", "dogs", "bark at night"),
    ("bird", "birds", "sing in the morning"),
    ("horse", "horses", "run in the field"),
    ("apple", "apples", "grow on trees"),
    ("car", "cars", "drive on the road"),
    ("book", "books", "sit on the shelf"),
    ("house", "houses", "stand by the river"),
    ("tree", "trees", "grow in the park"),
    ("cup", "cups", "hold hot tea"),
    ("chair", "chairs", "stand in the kitchen"),
    ("flower", "flowers", "bloom in spring"),
    ("child", "children", "play in the yard"),
    ("mouse", "mice", "hide in the wall"),
)

# (present, past, object or complement the verb takes)
PAST_PAIRS: tuple[tuple[str, str, str], ...] = (
    ("walk", "walked", "to the park"),
    ("play", "played", "football"),
    ("cook", "cooked", "dinner"),
    ("jump", "jumped", "over the fence"),
    ("open", "opened", "the window"),
    ("watch", "watched", "a movie"),
    ("clean", "cleaned", "the kitchen"),
    ("visit", "visited", "our friends"),
    ("paint", "painted", "the wall"),
    ("call", "called", "my sister"),
    ("eat", "ate", "an apple"),
    ("go", "went", "to the market"),
    ("see", "saw", "a bird"),
    ("write", "wrote", "a letter"),
    ("sing", "sang", "a song"),
    ("drink", "drank", "some water"),
)


class Person(NamedTuple):
    name: str
    gender: str  # "male" or "female"
    job: str
    city: str    # a capital from COUNTRIES
    pet: str


PEOPLE: tuple[Person, ...] = (
    Person("Anna", "female", "doctor", "Paris", "cat"),
    Person("Ben", "male", "teacher", "Berlin", "dog"),
    Person("Clara", "female", "farmer", "Rome", "horse"),
    Person("David", "male", "pilot", "Madrid", "bird"),
    Person("Emma", "female", "baker", "Athens", "dog"),
    Person("Felix", "male", "nurse", "Warsaw", "cat"),
    Person("Grace", "female", "pilot", "Stockholm", "bird"),
    Person("Henry", "male", "doctor", "Oslo", "horse"),
    Person("Iris", "female", "teacher", "Tokyo", "rabbit"),
    Person("Jack", "male", "farmer", "Beijing", "rabbit"),
    Person("Kate", "female", "singer", "Seoul", "cat"),
    Person("Leo", "male", "baker", "Bangkok", "dog"),
    Person("Mia", "female", "nurse", "Hanoi", "fish"),
    Person("Noah", "male", "singer", "Cairo", "fish"),
    Person("Olivia", "female", "painter", "Nairobi", "horse"),
    Person("Paul", "male", "painter", "Moscow", "bird"),
)

# (animal, sound, habitat)
ANIMALS: tuple[tuple[str, str, str], ...] = (
    ("cow", "moo", "farm"),
    ("duck", "quack", "pond"),
    ("sheep", "baa", "hill"),
    ("lion", "roar", "savanna"),
    ("owl", "hoot", "forest"),
    ("frog", "croak", "pond"),
    ("snake", "hiss", "desert"),
    ("bee", "buzz", "garden"),
    ("wolf", "howl", "forest"),
    ("pig", "oink", "farm"),
)

# (object, colour)
OBJECT_COLOURS: tuple[tuple[str, str], ...] = (
    ("banana", "yellow"),
    ("lemon", "yellow"),
    ("sky", "blue"),
    ("sea", "blue"),
    ("grass", "green"),
    ("leaf", "green"),
    ("snow", "white"),
    ("milk", "white"),
    ("coal", "black"),
    ("night", "black"),
    ("tomato", "red"),
    ("strawberry", "red"),
    ("orange", "orange"),
    ("carrot", "orange"),
    ("chocolate", "brown"),
    ("plum", "purple"),
)

# Sentiment vocabulary for the labelled task: each word appears equally often in positive and
# negative sentences, so the label needs negation and contrast, not keywords.
POSITIVE_WORDS: tuple[str, ...] = ("good", "great", "wonderful", "excellent", "lovely", "fun")
NEGATIVE_WORDS: tuple[str, ...] = ("bad", "awful", "terrible", "boring", "poor", "dull")
REVIEW_ASPECTS: tuple[str, ...] = (
    "movie", "food", "service", "hotel", "book", "concert", "game", "trip", "room", "music",
)
