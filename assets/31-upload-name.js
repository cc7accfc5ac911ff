// The upload's file input (dcc.Upload's own, unseen behind the drop zone, and what Tab reaches) had no name
// for a screen reader: it is named by the drop zone's words, which follow the language switch (found by the
// accessibility audit).
(function () {
  function name() {
    var inputs = document.querySelectorAll("#upload-workbook input[type=file]:not([aria-labelledby])");
    Array.prototype.forEach.call(inputs, function (input) {
      input.setAttribute("aria-labelledby", "upload-drop-label");
    });
  }
  new MutationObserver(name).observe(document.documentElement, {childList: true, subtree: true});
})();
