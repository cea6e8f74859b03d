// The web admin's little JavaScript: plain, served by Flask, nothing from a CDN.
// A form with data-confirm asks before it is sent (deleting an agent or a group).
document.addEventListener("submit", (event) => {
  const question = event.target.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
