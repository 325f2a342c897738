// js_on_load of the sources panel (a gr.HTML): `element` is the panel, `server.open_letter` the
// Python function that renders a whole letter (server functions take one argument, hence the object). Citation markers [n] in the chat link to "#src-<turn>-<n>".
const modal = document.createElement("div");
modal.className = "letter-modal";
modal.hidden = true;
modal.setAttribute("role", "dialog");
modal.setAttribute("aria-modal", "true");
document.body.appendChild(modal);

const closeLetter = () => {
  modal.hidden = true;
  modal.innerHTML = "";
};
modal.addEventListener("click", (ev) => {
  if (ev.target === modal || ev.target.closest(".letter-close")) closeLetter();
});
document.addEventListener("keydown", (ev) => {
  if (ev.key === "Escape" && !modal.hidden) closeLetter();
});

// Capture phase: the chat's own link handling must not open "#src-…" as a page.
document.addEventListener(
  "click",
  (ev) => {
    const link = ev.target.closest && ev.target.closest("a.cite");
    if (!link) return;
    ev.preventDefault();
    ev.stopPropagation();
    const card = document.getElementById(link.getAttribute("href").slice(1));
    if (!card) return;
    const turn = card.closest("details");
    if (turn) turn.open = true;
    element.querySelectorAll(".src.active").forEach((c) => c.classList.remove("active"));
    card.classList.add("active");
    card.scrollIntoView({ behavior: "smooth", block: "center" });
  },
  true,
);

element.addEventListener("click", async (ev) => {
  const button = ev.target.closest("button.open-letter");
  if (!button) return;
  button.disabled = true;
  try {
    modal.innerHTML = await server.open_letter({ passage: button.dataset.passage, spans: button.dataset.spans });
  } catch (err) {
    console.error(err);
    modal.innerHTML = '<div class="letter"><header><h3>The letter could not be opened.</h3>' +
      '<button class="letter-close" type="button" aria-label="Close">×</button></header></div>';
  } finally {
    button.disabled = false;
  }
  modal.hidden = false;
  const focus = modal.querySelector("#letter-focus");
  if (focus) focus.scrollIntoView({ block: "center" });
});
