// A workbook over the upload limit is not sent (dcc.Upload's max_size): this says why at once, in the page's
// language (#upload-too-big-template, which the language switch keeps), where the last report was.  Sent,
// a 50 MB workbook of photos was cut off by the server with a bare 413 and the page said nothing (an audit).
(function () {
  function fill(note, template) {
    note.textContent = template.textContent.replace("{size}", note.getAttribute("data-size") || "");
  }

  function check(file) {
    var note = document.getElementById("upload-too-big-here");
    var template = document.getElementById("upload-too-big-template");
    var result = document.getElementById("upload-result");
    if (!note || !template || !file) {
      return;
    }
    var over = file.size > parseInt(note.getAttribute("data-max-bytes"), 10);
    note.setAttribute("data-size", (file.size / 1048576).toFixed(1));
    if (over) {
      fill(note, template);
    }
    note.hidden = !over;
    if (result) {
      result.hidden = over;
    }
  }

  // Once the page is drawn: the note follows the language switch (it stayed in the language it was
  // drawn in), and a report arriving after it (an upload still loading when the large file was picked)
  // is shown, not left hidden under it (both found by a review).
  var watched = null;
  function watch() {
    var note = document.getElementById("upload-too-big-here");
    var template = document.getElementById("upload-too-big-template");
    var result = document.getElementById("upload-result");
    if (!note || !template || !result || watched === note) {
      return;
    }
    watched = note;
    new MutationObserver(function () {
      if (!note.hidden) {
        fill(note, template);
      }
    }).observe(template, {childList: true, characterData: true, subtree: true});
    new MutationObserver(function () {
      result.hidden = false;
    }).observe(result, {childList: true, subtree: true});
  }
  new MutationObserver(watch).observe(document.documentElement, {childList: true, subtree: true});

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input && input.matches && input.matches("#upload-workbook input[type=file]") && input.files) {
      check(input.files[0]);
    }
  }, true);
  document.addEventListener("drop", function (event) {
    var zone = document.getElementById("upload-workbook");
    if (zone && zone.contains(event.target) && event.dataTransfer && event.dataTransfer.files) {
      check(event.dataTransfer.files[0]);
    }
  }, true);
})();
