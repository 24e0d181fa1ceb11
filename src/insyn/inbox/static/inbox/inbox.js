// Inbox keyboard work and live updates. Everything here is an enhancement: links, buttons
// and forms do the same without JavaScript.
//
//   j / k   next / previous case in the list      o   open the current case
//   x       tick the current case for a bulk action
//   a f m d answer / forward / moderate / move to the diarium (the current case, or on a
//           case page the page's own links)
//
// The list body is replaced every 10 s by htmx; ticked boxes, the current row and the focus
// are put back after each swap, and the count in the caption is updated (a polite live
// region, so a screen reader hears only when the number changes).
(() => {
  "use strict";

  const typing = (el) => el && el.closest && el.closest("input, textarea, select, [contenteditable=true]");
  const table = document.getElementById("case-table");
  let current = null;          // case id of the current row
  const ticked = new Set();    // case ids ticked for a bulk action
  let focusId = null;

  function rows() {
    return table ? Array.from(table.querySelectorAll("tbody tr[data-case]")) : [];
  }

  function setCurrent(row) {
    rows().forEach((r) => r.classList.remove("is-current"));
    if (!row) { current = null; return; }
    row.classList.add("is-current");
    current = row.dataset.case;
    const link = row.querySelector("a.case-link");
    if (link) { link.focus(); }
  }

  function currentRow() {
    return rows().find((r) => r.dataset.case === current) || null;
  }

  function move(step) {
    const list = rows();
    if (!list.length) { return; }
    const at = list.indexOf(currentRow());
    const next = at < 0 ? (step > 0 ? 0 : list.length - 1) : Math.min(list.length - 1, Math.max(0, at + step));
    setCurrent(list[next]);
  }

  function activate(key) {
    const row = currentRow();
    const scope = row || document;
    const target = row ? scope.querySelector(`[data-key="${key}"]`) : document.querySelector(`[data-shortcut="${key}"]`);
    if (target) { target.click(); return true; }
    return false;
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "x": {
        const row = currentRow();
        const box = row && row.querySelector("input.case-pick");
        if (box) { box.checked = !box.checked; box.dispatchEvent(new Event("change", { bubbles: true })); }
        break;
      }
      case "o": case "a": case "f": case "m": case "d":
        if (!activate(event.key)) { return; }
        break;
      default: return;
    }
    event.preventDefault();
  });

  // Pick a template: fill the answer with its rendered text (the server does the same for
  // the "Hämta mallen" button when JavaScript is off).
  const picker = document.getElementById("id_template");
  const answer = document.getElementById("id_text");
  if (picker && answer) {
    picker.addEventListener("change", () => {
      const option = picker.selectedOptions[0];
      if (option && option.dataset.text) { answer.value = option.dataset.text; }
    });
  }

  if (!table) { return; }

  table.addEventListener("change", (event) => {
    const box = event.target;
    if (!box.classList || !box.classList.contains("case-pick")) { return; }
    if (box.checked) { ticked.add(box.value); } else { ticked.delete(box.value); }
  });

  table.addEventListener("focusin", (event) => {
    const row = event.target.closest("tr[data-case]");
    if (row) {
      rows().forEach((r) => r.classList.toggle("is-current", r === row));
      current = row.dataset.case;
    }
  });

  document.body.addEventListener("htmx:beforeSwap", (event) => {
    if (event.detail.target && event.detail.target.id === "case-rows") {
      const active = document.activeElement;
      focusId = active && event.detail.target.contains(active) && active.id ? active.id : null;
      if (active && !active.id && event.detail.target.contains(active)) { focusId = "__current__"; }
    }
  });

  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (!event.detail.target || event.detail.target.id !== "case-rows") { return; }
    rows().forEach((row) => {
      const box = row.querySelector("input.case-pick");
      if (box && ticked.has(box.value)) { box.checked = true; }
      row.classList.toggle("is-current", row.dataset.case === current);
    });
    if (focusId === "__current__") {
      const link = currentRow() && currentRow().querySelector("a.case-link");
      if (link) { link.focus(); }
    } else if (focusId) {
      const el = document.getElementById(focusId);
      if (el) { el.focus(); }
    }
    focusId = null;
    const meta = event.detail.target.querySelector("tr.rows-meta");
    const count = document.getElementById("case-count");
    if (meta && count) {
      const text = (meta.dataset.countText || "").trim();
      if (text && count.textContent.trim() !== text) { count.textContent = text; }
    }
  });

})();
