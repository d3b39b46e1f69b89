// The main menu folds behind a "Menu" button at phone width. Progressive: without script the
// whole menu shows, as before; the button is the page's own (hidden until this runs).
(function () {
  "use strict";
  var nav = document.querySelector("header.site nav[data-fold]");
  if (!nav) { return; }
  var button = nav.querySelector("button.menu-toggle");
  nav.classList.add("foldable");
  button.hidden = false;
  function set(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    nav.classList.toggle("open", open);
  }
  set(false);
  button.addEventListener("click", function () {
    set(button.getAttribute("aria-expanded") !== "true");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && nav.classList.contains("open")) { set(false); button.focus(); }
  });
})();
