"""Small Sphinx fixes for the built book.

- Every page gets each script once. sphinx-thebe registers its inline configuration
  (``const THEBE_JS_URL = ...``) twice under jupyter-book 1.0.4, which makes the browser raise
  "Identifier 'THEBE_JS_URL' has already been declared" on every page.
- The theme's colour mode has a valid default ("auto"); an empty one makes the theme log
  "Got invalid theme mode" as a console error on a first visit.
- Pages with saved ipywidgets state get a small script before the widget renderer: (1) the
  renderer (``@jupyter-widgets/html-manager``) finds its icon fonts relative to its AMD module
  name, which requirejs would resolve next to the page; a ``paths`` entry points it at the
  book's copy. (2) The renderer typesets widget labels with the MathJax 2 call
  ``MathJax.Hub.Queue``, which MathJax 3 no longer has (jupyter-widgets/ipywidgets#3829); a
  ``Hub.Queue`` that calls MathJax 3's ``typesetPromise`` is added to whatever object
  ``window.MathJax`` holds. Without these every slider, dropdown or label of a saved widget logs
  a JavaScript error.
"""

from __future__ import annotations

from sphinx.builders.html._assets import _JavaScript

_WIDGET_LOADER = "widgets/require.min.js"
_WIDGET_SHIM = """
var require = {paths: {"@jupyter-widgets/html-manager/dist": new URL("%(manager)s", document.baseURI).href}};
(function () {
  function withHub(mj) {
    if (mj && typeof mj === "object" && !mj.Hub) {
      Object.defineProperty(mj, "Hub", {configurable: true, value: {Queue: function (job) {
        var element = job && job[2], current = window.MathJax;
        if (element && current && current.typesetPromise) {
          current.typesetPromise([element]).catch(function () {});
        }
      }}});
    }
    return mj;
  }
  var current = withHub(window.MathJax);
  Object.defineProperty(window, "MathJax", {configurable: true, enumerable: true,
    get: function () { return current; }, set: function (value) { current = withHub(value); }});
})();
"""


def _fix_page_context(app, pagename, templatename, context, doctree):
    if not context.get("default_mode"):
        context["default_mode"] = "auto"
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for js in scripts:
        attrs = getattr(js, "attributes", None) or {}
        filename = str(getattr(js, "filename", js) or "")
        key = (filename or None, attrs.get("body"))
        if key in seen:
            continue
        seen.add(key)
        if filename.endswith(_WIDGET_LOADER):  # before requirejs loads: it reads `require` as config
            manager = context["pathto"]("widgets/html-manager", 1)
            unique.append(_JavaScript("", body=_WIDGET_SHIM % {"manager": manager}))
        unique.append(js)
    context["script_files"] = unique


def setup(app):
    app.connect("html-page-context", _fix_page_context, priority=10_000)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
