"""Small Sphinx fixes for the built book.

- Every page gets each script once. sphinx-thebe registers its inline configuration
  (``const THEBE_JS_URL = ...``) twice under jupyter-book 1.0.4, which makes the browser raise
  "Identifier 'THEBE_JS_URL' has already been declared" on every page.
- The theme's colour mode has a valid default ("auto"); an empty one makes the theme log
  "Got invalid theme mode" as a console error on a first visit.
"""

from __future__ import annotations


def _fix_page_context(app, pagename, templatename, context, doctree):
    if not context.get("default_mode"):
        context["default_mode"] = "auto"
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for js in scripts:
        attrs = getattr(js, "attributes", None) or {}
        key = (getattr(js, "filename", str(js)) or None, attrs.get("body"))
        if key in seen:
            continue
        seen.add(key)
        unique.append(js)
    context["script_files"] = unique


def setup(app):
    app.connect("html-page-context", _fix_page_context, priority=10_000)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
