"""Course-model recipes. Importing this package registers every recipe with ``course_utils.models``."""

from . import word2vec  # noqa: F401
