// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  const filters = document.getElementById("filters");
  if (filters) {
    filters.querySelectorAll("select, input[type=date]").forEach((el) => {
      el.addEventListener("change", () => filters.requestSubmit());
    });
  }
  // The silence form: typing an end time picks "custom"; picking a fixed duration clears the end time,
  // so the server never gets both (it refuses that with a message when this script is off).
  document.querySelectorAll(".silence-form form").forEach((form) => {
    const until = form.querySelector("input[name=until]");
    const custom = form.querySelector("input[name=duration][value=custom]");
    until.addEventListener("input", () => { custom.checked = true; });
    form.querySelectorAll("input[name=duration]").forEach((radio) => {
      radio.addEventListener("change", () => { if (radio !== custom) until.value = ""; });
    });
  });
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
});
