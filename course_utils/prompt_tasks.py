"""Word lists for notebook 06's in-context-learning tasks, whose answers only the shots define.

* format tasks: a word → the same word in Title case or in UPPER case (``case_forms``): the query and
  the three candidate forms are the same for both tasks, so only the shots say which form is wanted;
* label words that mean nothing: adjectives by sentiment → ``foo`` (positive) / ``bar`` (negative).

Written by the course (MIT); every word is common English.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from .errors import CourseError

POSITIVE_WORDS = tuple("""
wonderful excellent delightful brilliant superb lovely charming marvelous fantastic splendid pleasant cheerful
joyful gorgeous beautiful magnificent terrific outstanding admirable amazing graceful happy kind generous gentle
friendly elegant glorious perfect fabulous enjoyable inspiring thrilling exquisite radiant sweet warm pleasing
refreshing uplifting heartwarming impressive remarkable stunning dazzling calm peaceful great good nice fine
awesome adorable brave honest loyal clever bright lively hopeful blissful sunny polite tasty delicious genuine
faithful caring thoughtful trustworthy
""".split())

NEGATIVE_WORDS = tuple("""
terrible awful horrible dreadful miserable disgusting nasty boring tedious dull ugly painful annoying rotten
hideous pathetic lousy gloomy sad cruel rude hostile bitter grim vile wretched atrocious appalling unpleasant
depressing frightening disappointing mediocre poor bad worst stupid silly lame clumsy messy filthy sloppy shabby
tiresome irritating offensive dismal bleak harsh toxic evil wicked selfish lazy greedy dishonest cowardly foolish
hateful ghastly horrid revolting sour gross mean spiteful vicious dreary crummy inferior
""".split())

ANIMAL_WORDS = tuple("""
dog cat horse cow sheep goat pig lion tiger bear wolf fox rabbit deer mouse rat elephant giraffe zebra monkey
camel donkey owl eagle duck goose chicken parrot penguin frog snake turtle shark whale dolphin bee ant spider
squirrel otter lizard crab lobster octopus butterfly crow swan pigeon hawk falcon bat hamster kangaroo koala
panda gorilla leopard cheetah hippo rhino buffalo moose badger beaver hedgehog seal walrus salmon snail
""".split())

FOOD_WORDS = tuple("""
bread cheese apple banana orange rice pasta pizza soup salad butter milk egg potato carrot tomato onion garlic
honey sugar chocolate cake cookie pie sandwich burger steak bacon sausage yogurt cereal noodle lemon grape
cherry peach pear mango strawberry muffin pancake waffle toast bagel donut jam ketchup mustard vinegar olive
cucumber lettuce spinach broccoli cabbage corn bean pea mushroom melon watermelon pineapple plum apricot coconut
almond peanut popcorn pudding biscuit
""".split())


def labelled_split(groups: Sequence[tuple[str, Sequence[str]]], pool_per_label: int, *,
                   seed: int = 0) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Split ``(label, words)`` groups into a pool for the shots (``pool_per_label`` words of each label)
    and a test set (the rest), both as ``(word, label)`` pairs; seeded, the test set shuffled."""
    rng = random.Random(seed)
    pool: list[tuple[str, str]] = []
    test: list[tuple[str, str]] = []
    for label, words in groups:
        if not 0 < pool_per_label < len(words):
            raise CourseError(f"pool_per_label must be between 1 and {len(words) - 1} for {label!r}, "
                              f"got {pool_per_label}")
        shuffled = list(words)
        rng.shuffle(shuffled)
        pool += [(w, label) for w in shuffled[:pool_per_label]]
        test += [(w, label) for w in shuffled[pool_per_label:]]
    rng.shuffle(test)
    return pool, test


CASE_FORMS = ("lower", "Title", "UPPER")


def case_forms(word: str) -> list[str]:
    """The word in lower case, in Title case and in UPPER case (in the order of ``CASE_FORMS``)."""
    return [word.lower(), word.capitalize(), word.upper()]


def all_words() -> list[str]:
    """Every word of the four lists, in a fixed order."""
    return list(POSITIVE_WORDS + NEGATIVE_WORDS + ANIMAL_WORDS + FOOD_WORDS)
