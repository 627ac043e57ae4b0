"""Helper package of the NLP pre-trained models course.

Modules: ``env`` (seeding, device, banner), ``models`` (the model registry and ``load``), ``data`` (the
course corpus and real data sets), ``train`` (training loops), ``viz`` (plots), ``widgets``
(interactive front-ends), ``checks`` (compare with references, grade exercises).
"""

from importlib import metadata

from .errors import CourseError

try:
    __version__ = metadata.version("course_utils")
except metadata.PackageNotFoundError:  # running from a source checkout without installing
    __version__ = "0.0.0"

__all__ = ["CourseError", "__version__"]
