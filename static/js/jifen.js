// Jifen: no inline scripts (the Content-Security-Policy forbids them); small behaviours live here.
document.addEventListener("click", (event) => {
  const target = event.target.closest("[data-confirm]");
  if (target && !window.confirm(target.dataset.confirm)) event.preventDefault();
});
