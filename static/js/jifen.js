// Jifen: no inline scripts (the Content-Security-Policy forbids them); small behaviours live here.
document.addEventListener("click", (event) => {
  const target = event.target.closest("[data-confirm]");
  if (target && !window.confirm(target.dataset.confirm)) event.preventDefault();
});

// The navigation's links sit in a <details> that is a 菜单 button on a phone. On a desktop the stylesheet shows
// them through ::details-content; a browser without it gets the <details> opened here instead.
(() => {
  const menu = document.querySelector("details.topbar-menu");
  if (!menu || (window.CSS && CSS.supports("selector(::details-content)"))) return;
  const wide = window.matchMedia("(min-width: 769px)");
  const follow = () => { if (wide.matches) menu.open = true; };
  follow();
  wide.addEventListener("change", follow);
})();

// Tables shown as cards on a phone keep their labels; numbers line up and dates stay on one line.
// Each cell of a `table.responsive` or `table.cards` gets its column's header text as data-label (a cell that
// already has one keeps it); a column whose filled cells are all numbers gets the `num` class on its header and
// cells, a column of dates or codes the `date` class. Runs on load and on every htmx swap.
const NUMBER = /^[−+-]?\d[\d,.\s/()%]*$/; // 12 · −1.5 · 83.3 % · 1 / 21 (4.8 %)
const DATE = /^\d{1,4}[-/.]\d{1,2}([-/.]\d{1,2})?( \d{1,2}:\d{2})?(\s*[–~]\s*\d{1,4}[-/.]\d{1,2}([-/.]\d{1,2})?)?$|^\d{1,2}:\d{2}$|^[A-Za-z]{0,4}-?\d{2,}(-\d+)*$/;

function columnOf(cell) {
  let column = 0;
  for (let c = cell.previousElementSibling; c; c = c.previousElementSibling) column += c.colSpan || 1;
  return column;
}

function headerTexts(table) {
  const row = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
  if (!row) return null;
  const texts = [];
  for (const th of row.cells) {
    const text = th.textContent.replace(/\s+/g, " ").trim();
    for (let i = 0; i < (th.colSpan || 1); i += 1) texts.push(text);
  }
  return texts;
}

function shapeTable(table) {
  if (table.dataset.shaped) return;
  table.dataset.shaped = "1";
  const texts = headerTexts(table);
  const labelled = table.matches("table.responsive, table.cards");
  const columns = new Map();
  for (const body of table.tBodies) {
    for (const row of body.rows) {
      for (const cell of row.cells) {
        const column = columnOf(cell);
        if (labelled && texts && !cell.hasAttribute("data-label")) cell.dataset.label = texts[column] || "";
        if (cell.colSpan > 1 || cell.tagName !== "TD") continue;
        const text = cell.textContent.replace(/\s+/g, " ").trim();
        if (!text || text === "—" || text === "–" || text === "-") continue;
        const seen = columns.get(column) || { cells: [], number: true, date: true };
        seen.cells.push(cell);
        seen.number = seen.number && NUMBER.test(text);
        seen.date = seen.date && DATE.test(text);
        columns.set(column, seen);
      }
    }
  }
  const headers = table.tHead ? table.tHead.rows[table.tHead.rows.length - 1] : null;
  for (const [column, seen] of columns) {
    const kind = seen.number ? "num" : seen.date ? "date" : null;
    if (!kind) continue;
    for (const body of table.tBodies) {
      for (const row of body.rows) {
        for (const cell of row.cells) if (columnOf(cell) === column && cell.colSpan === 1) cell.classList.add(kind);
      }
    }
    if (headers) for (const th of headers.cells) if (columnOf(th) === column) th.classList.add(kind);
    if (table.tFoot) {
      for (const row of table.tFoot.rows) {
        for (const cell of row.cells) if (columnOf(cell) === column && cell.colSpan === 1) cell.classList.add(kind);
      }
    }
  }
}

function shapeTables(root) {
  for (const table of (root || document).querySelectorAll("table")) shapeTable(table);
}

document.addEventListener("DOMContentLoaded", () => shapeTables(document));
document.addEventListener("htmx:afterSettle", (event) => {
  const table = event.target.closest && event.target.closest("table");
  if (table) delete table.dataset.shaped; // rows swapped into a table: look at the new ones too
  if (table) shapeTable(table);
  shapeTables(event.target);
});
