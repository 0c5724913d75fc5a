// The entry form goes to /audit/entries/N (a path, not a query); without script, the server
// sends /audit/entries/0?index=N there (see the auditor pages).
(function () {
  "use strict";
  var form = document.getElementById("entry-form");
  if (!form) { return; }
  form.addEventListener("submit", function (event) {
    var index = form.querySelector("input[name=index]").value;
    if (/^[0-9]+$/.test(index)) {
      event.preventDefault();
      window.location.href = "/audit/entries/" + index;
    }
  });
}());
