// Follows a running import: moves the progress bar, and shows the result page when it ends.
// Without script the page still works: its Refresh link shows the same thing.
(function () {
  "use strict";
  var box = document.getElementById("progress");
  if (!box) { return; }
  var bar = document.getElementById("import-progress");
  var url = "/imports/" + encodeURIComponent(box.getAttribute("data-job")) + "/progress";
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (status) {
        if (status.total) { bar.max = status.total; bar.value = status.done; }
        if (status.state !== "running") { window.location.reload(); return; }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
}());
