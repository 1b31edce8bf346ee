// Aula Territorial's only script, and the pages work without it: a refused form's summary
// takes the focus, so a screen reader reads the problems first and a phone shows them.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }
});
