// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  const filters = document.getElementById("filters");
  if (filters) {
    filters.querySelectorAll("select, input[type=date]").forEach((el) => {
      el.addEventListener("change", () => filters.requestSubmit());
    });
  }
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
});
