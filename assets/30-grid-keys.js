// The ranking by keyboard: Enter on a focused row opens the school, as a click does (the grid tells Dash of a
// click only).  It goes through the same cellClicked the server checks (open_school_from_ranking).
window.dashAgGridFunctions = window.dashAgGridFunctions || {};
window.dashAgGridFunctions.openOnEnter = function (params, setGridProps) {
  if (!params.event || params.event.key !== "Enter" || !params.node || !params.column) { return; }
  setGridProps({cellClicked: {value: params.value, colId: params.column.getColId(), rowIndex: params.rowIndex,
                              rowId: params.node.id, timestamp: Date.now()}});
};
