// The recording of the agent's current call: start, pause and resume, done by the server
// on the PBX (the page never names a call). While paused, silence is recorded, so what
// the caller says meanwhile (a card number) is not in the file.
const box = document.getElementById("recording");
const words = JSON.parse(box.dataset.text);
const shown = document.getElementById("recording-status");
const csrf = document.querySelector('meta[name="csrf-token"]').content;

function show(state, error) {
  shown.classList.toggle("error", Boolean(error));
  shown.textContent = error || (state.paused ? words.paused
    : state.recording ? words.recording : words.off);
}

async function act(action) {
  const response = await fetch(`${box.dataset.url}/${action}`, {
    method: "POST", credentials: "same-origin",
    headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf}, body: "{}",
  });
  const answer = await response.json().catch(() => ({error: response.statusText}));
  show(answer, response.ok ? "" : answer.error);
}

for (const button of box.querySelectorAll("button[data-action]")) {
  button.addEventListener("click", () => act(button.dataset.action));
}
