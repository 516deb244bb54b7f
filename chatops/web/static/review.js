// Live preview of the draft editor: the server renders the Markdown (escaped, no raw HTML, no javascript:
// links) and this script only places that HTML. It sends the page's CSRF token with each request.
(function () {
  "use strict";
  var form = document.getElementById("edit-form");
  if (!form) { return; }
  var text = document.getElementById("text");
  var preview = document.getElementById("preview");
  var csrf = form.querySelector("input[name=csrf]").value;
  var timer = null;
  var seq = 0;
  function render() {
    var mine = ++seq;
    fetch(form.getAttribute("data-preview"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ text: text.value })
    }).then(function (r) { return r.json(); }).then(function (data) {
      if (mine === seq && typeof data.html === "string") { preview.innerHTML = data.html; }
    });
  }
  text.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(render, 150);
  });
  render();
})();
