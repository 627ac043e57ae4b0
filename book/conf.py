"""Sphinx configuration of the course book (`make book`).

tools/build_book.py copies this folder and the executed notebooks into build/book-src and builds the
site into build/book/html. Nothing is executed (the committed outputs are the book's outputs), and no
page loads anything from the network: MathJax is a local copy in _static/mathjax (from npm, see
package.json), the theme bundles its fonts and scripts, and myst-nb's widget scripts (require.js and
the ipywidgets embed manager from CDNs) are turned off, since every widget has a static PNG frame.
"""

project = "NLP pre-trained models — a runnable course"
author = "the course authors"
copyright = "the course authors, MIT License"

extensions = ["myst_nb"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]

# myst-nb: show the committed outputs, never run a kernel; no CDN scripts for widgets
nb_execution_mode = "off"
nb_ipywidgets_js = {}
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3

# MathJax 3 from _static/mathjax (a relative mathjax_path is relative to _static)
mathjax_path = "mathjax/tex-chtml.js"

html_theme = "sphinx_book_theme"
html_title = "NLP pre-trained models"
html_static_path = ["_static"]
html_copy_source = False
html_show_sourcelink = False
html_show_search_summary = False   # summaries fetch() each page, which a file:// page may not do
html_theme_options = {
    "repository_url": "https://github.com/nlp-course/nlp-pretrained-models",
    "repository_branch": "main",
    "path_to_docs": "notebooks",
    "use_repository_button": True,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "show_toc_level": 2,
}
