// A dropdown (Dash's dcc.Dropdown: a button showing its value) is named by the label tied to it and its value,
// "年度 2026" rather than "2026" alone (a label tied to it is otherwise unheard: Dash names the button by its
// value alone, and its dropdown takes no aria-label) (found by the accessibility audit).
(function () {
  function name() {
    var labels = document.querySelectorAll("label[for]");
    Array.prototype.forEach.call(labels, function (label) {
      var target = document.getElementById(label.htmlFor);
      if (!target || target.tagName !== "BUTTON" || !target.classList.contains("dash-dropdown")) { return; }
      if (!label.id) { label.id = label.htmlFor + "-label"; }
      // Dash names the button by its value's elements (aria-labelledby="year-value-count year-value"): the
      // label goes in front of them
      var own = (target.getAttribute("aria-labelledby") || target.id).split(/\s+/);
      if (own[0] !== label.id) { target.setAttribute("aria-labelledby", [label.id].concat(own).join(" ")); }
    });
  }
  new MutationObserver(name).observe(document.documentElement, {childList: true, subtree: true});
})();
