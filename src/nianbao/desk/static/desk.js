// Progressive enhancement only: every page works without this file.
// 1. Drag and drop onto an upload form's drop zone fills its file chooser and submits the form.
// 2. The register refreshes itself every few seconds (the server renders the rows; escaped there).
(function () {
  "use strict";
  document.querySelectorAll("form.upload").forEach(function (form) {
    var zone = form.querySelector(".dropzone");
    var input = form.querySelector("input[type=file]");
    if (!zone || !input) { return; }
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (e) {
      e.preventDefault();
      if (!e.dataTransfer || !e.dataTransfer.files.length) { return; }
      input.files = e.dataTransfer.files;
      form.requestSubmit ? form.requestSubmit() : form.submit();
    });
  });

  var live = document.getElementById("live");
  if (live && live.dataset.live && window.fetch) {
    var refresh = function () {
      fetch(live.dataset.live, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html === null) { return; }
          var doc = new DOMParser().parseFromString(html, "text/html");
          live.replaceChildren.apply(live, Array.prototype.slice.call(doc.body.childNodes));
        })
        .catch(function () { /* the server is away for a moment: try again at the next tick */ });
    };
    setInterval(refresh, 3000);
  }
})();
