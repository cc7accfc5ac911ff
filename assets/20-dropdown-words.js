// Dash's dropdown writes a few words of its own, in English ("Search", "No options found", "Select All"):
// they follow the language switch (document.documentElement.lang, which the switch sets).  Each element
// keeps its English word in data-en, so a switch back to English restores it.
(function () {
  var WORDS = {
    "zh-Hant": {"Search": "搜尋", "No options found": "沒有符合的選項", "Select All": "全選",
                "Deselect All": "取消全選", "Clear search": "清除搜尋", "Clear selection": "清除選擇"},
    "zh-Hans": {"Search": "搜索", "No options found": "没有符合的选项", "Select All": "全选",
                "Deselect All": "取消全选", "Clear search": "清除搜索", "Clear selection": "清除选择"}
  };
  function word(english) {
    var words = WORDS[document.documentElement.lang] || {};
    return words[english] || english;
  }
  function isWordFor(text, english) {
    return Object.keys(WORDS).some(function (lang) { return WORDS[lang][english] === text; });
  }
  function translate(root) {
    if (!root || root.nodeType !== 1) { return; }
    var inputs = root.querySelectorAll ? root.querySelectorAll("input[placeholder], [aria-label], [title]") : [];
    Array.prototype.forEach.call(inputs, function (el) {
      ["placeholder", "aria-label", "title"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value === null) { return; }
        var english = WORDS["zh-Hant"][value] !== undefined ? value : el.getAttribute("data-en-" + attr);
        if (!english || (value !== english && !isWordFor(value, english))) { return; }
        el.setAttribute("data-en-" + attr, english);
        if (value !== word(english)) { el.setAttribute(attr, word(english)); }
      });
    });
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (var node = walker.nextNode(); node; node = walker.nextNode()) {
      var text = node.nodeValue.trim();
      // The English word just written, or the one this node showed before a language switch.
      var english = WORDS["zh-Hant"][text] !== undefined ? text : node.__en;
      if (english === undefined || (text !== english && !isWordFor(text, english))) { continue; }
      node.__en = english;
      if (text !== word(english)) { node.nodeValue = word(english); }
    }
  }
  function start() {
    new MutationObserver(function (changes) {
      changes.forEach(function (change) {
        // React may write a new word into a text node it keeps (characterData) as well as add nodes.
        if (change.type === "characterData") { translate(change.target.parentNode); return; }
        Array.prototype.forEach.call(change.addedNodes, function (added) {
          translate(added.nodeType === 3 ? added.parentNode : added);
        });
      });
    }).observe(document.body, {childList: true, characterData: true, subtree: true});
    new MutationObserver(function () { translate(document.body); })
      .observe(document.documentElement, {attributes: true, attributeFilter: ["lang"]});
    translate(document.body);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
