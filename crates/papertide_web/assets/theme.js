// papertide: applies the saved theme before the page paints (loaded blocking in <head>, so a
// saved dark theme never flashes light). The toggle itself is in app.js.
(function () {
  try {
    var saved = localStorage.getItem("theme");
    if (saved === "dark" || saved === "light") document.documentElement.setAttribute("data-theme", saved);
  } catch (e) {}
})();
