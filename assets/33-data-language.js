// A value of data in Chinese (a school's name, a township) in an English grid, in a span marked as Chinese:
// a screen reader reads it with a Chinese voice (an English one read 城關鎮 as letters or not at all; found by
// the accessibility audit).  overview._in_chinese sets it on a column, with its lang (cellRendererParams)
// and the field of the words that follow the value unmarked (" (not submitted)").  A value with no Chinese
// in it (a name registered in Latin letters) is left unmarked.
window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {};
window.dashAgGridComponentFunctions.DataInChinese = function (props) {
  var value = props.value == null ? "" : String(props.value);
  var after = props.suffixField && props.data ? props.data[props.suffixField] || "" : "";
  var marked = /[\u3400-\u9fff]/.test(value) ? {lang: props.lang} : {};
  return React.createElement(React.Fragment, null, React.createElement("span", marked, value), after);
};
