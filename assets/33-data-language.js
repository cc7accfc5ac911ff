// A value of data in Chinese (a school's name, a township) in an English grid, in a span marked as Chinese:
// a screen reader reads it with a Chinese voice (an English one read 城關鎮 as letters or not at all; found by
// the accessibility audit).  layout.in_chinese sets it on a column, with its lang (cellRendererParams)
// and the field of the words that follow the value unmarked (" (not submitted)").  A value with no Chinese
// in it (a name registered in Latin letters) is left unmarked.  With `runs` (English words with data among
// them: "南校區 needs 1 more"), each run of Chinese alone is marked, as layout.data_runs marks it, and the
// English words are left to the page's voice; the pattern is layout._CHINESE_RUN's.
window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {};
window.dashAgGridComponentFunctions.DataInChinese = function (props) {
  var value = props.value == null ? "" : String(props.value);
  var after = props.suffixField && props.data ? props.data[props.suffixField] || "" : "";
  var chinese = /[\u3400-\u9fff]/.test(value);
  if (!props.runs || !chinese) {
    var marked = chinese ? {lang: props.lang} : {};
    return React.createElement(React.Fragment, null, React.createElement("span", marked, value), after);
  }
  var run = /[\u3400-\u9fff](?:[\u3400-\u9fff\u3000-\u303f\uff00-\uffef0-9]*[\u3400-\u9fff\u3000-\u303f\uff00-\uffef])?/g;
  var parts = [], at = 0, found;
  while ((found = run.exec(value)) !== null) {
    if (found.index > at) { parts.push(value.slice(at, found.index)); }
    parts.push(React.createElement("span", {lang: props.lang, key: parts.length}, found[0]));
    at = found.index + found[0].length;
  }
  if (at < value.length) { parts.push(value.slice(at)); }
  parts.push(after);
  return React.createElement.apply(React, [React.Fragment, null].concat(parts));
};
