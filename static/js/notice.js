// The public notice (publicity/public_notice.html). After a failed submit the error summary takes the eye and the
// focus; the household list filters as you type (the search also works without JavaScript, by ?q=).
(() => {
  const summary = document.getElementById("error-summary");
  if (summary) {
    summary.scrollIntoView({ block: "start" });
    summary.focus({ preventScroll: true });
  }
  const input = document.getElementById("notice-q");
  const rows = document.querySelectorAll("table.notice-rows tr[data-search]");
  if (!input || !rows.length) return;
  // As publicity's mask_name: a full name typed finds its masked form (张三明 finds 张*明), nothing more.
  const mask = (name) => {
    const chars = Array.from(name);
    if (chars.length <= 1) return name;
    if (chars.length === 2) return chars[0] + "*";
    return chars[0] + "*".repeat(chars.length - 2) + chars[chars.length - 1];
  };
  input.addEventListener("input", () => {
    const typed = input.value.trim();
    const query = typed.toLowerCase();
    rows.forEach((row) => {
      row.hidden =
        query !== "" && !row.dataset.search.toLowerCase().includes(query) && mask(typed) !== row.dataset.head;
    });
  });
})();
