// papertide: the only script. Loaded with `defer`; pages work without it.
// 1. Dark mode toggle (the theme follows the system until the user picks one).
// 2. Math: KaTeX renders $...$ in titles and abstracts (elements with class "tex").
(function () {
  var root = document.documentElement;
  var saved = null;
  try { saved = localStorage.getItem("theme"); } catch (e) {}
  if (saved === "dark" || saved === "light") root.setAttribute("data-theme", saved);
  var toggle = document.getElementById("theme-toggle");
  if (toggle) {
    var current = function () {
      var t = root.getAttribute("data-theme");
      if (t) return t;
      return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
    };
    var label = function () { toggle.setAttribute("aria-pressed", current() === "dark" ? "true" : "false"); };
    label();
    toggle.addEventListener("click", function () {
      var next = current() === "dark" ? "light" : "dark";
      root.setAttribute("data-theme", next);
      try { localStorage.setItem("theme", next); } catch (e) {}
      label();
    });
  }
  function math() {
    if (!window.renderMathInElement) return;
    var nodes = document.querySelectorAll(".tex");
    for (var i = 0; i < nodes.length; i++) {
      window.renderMathInElement(nodes[i], {
        delimiters: [{ left: "$$", right: "$$", display: false }, { left: "$", right: "$", display: false },
                     { left: "\\(", right: "\\)", display: false }],
        throwOnError: false, ignoredTags: ["script", "noscript", "style", "textarea", "pre", "code", "mark"]
      });
    }
  }
  if (document.readyState === "complete") math(); else window.addEventListener("load", math);
})();
