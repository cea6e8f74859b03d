// The agent's state on the workbench: follows the server's stream (server-sent
// events, which reconnect by themselves after a restart) and sends the agent's
// choices (sign in to skill groups, ready, break, sign out).
const panel = document.getElementById("state-panel");
const text = JSON.parse(document.getElementById("workbench-text").textContent);
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const badge = document.getElementById("state");
const breakCode = document.getElementById("break-code");
const since = document.getElementById("state-since");
const problem = document.getElementById("state-error");

function show(presence) {
  const state = presence.state;
  badge.dataset.state = state;
  badge.textContent = text[state] || state;
  const code = presence.break_code;
  breakCode.textContent = code ? `(${text.codes[code] || text[code] || code})` : "";
  since.textContent = presence.since
    ? text.since.replace("%(time)s", new Date(presence.since).toLocaleTimeString()) : "";
  panel.dataset.state = state;
  document.body.dataset.agentState = state;
  // Which phone the agent signed in with: a click-to-dial rings that one.
  if (presence.interface) document.body.dataset.device = presence.interface.endsWith("-web") ? "web" : "sip";
}

function fail(message) {
  problem.textContent = message;
  problem.hidden = !message;
}

async function change(body) {
  fail("");
  const response = await fetch(panel.dataset.stateUrl, {
    method: "POST", credentials: "same-origin",
    headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({error: response.statusText}));
  if (!response.ok) { fail(answer.error); return; }
  show(answer);  // the PBX's answer; the stream confirms it with the logged time
}

document.getElementById("sign-in-groups").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  change({action: "ready", skill_groups: form.getAll("skill_groups"),
          device: form.get("device")});
});
document.getElementById("ready").addEventListener("click", () => change({action: "ready"}));
document.getElementById("offline").addEventListener("click", () => change({action: "offline"}));
document.getElementById("take-break").addEventListener("submit", (event) => {
  event.preventDefault();
  change({action: "break", break_code: new FormData(event.target).get("break_code")});
});

const events = new EventSource(panel.dataset.eventsUrl);
events.onmessage = (message) => { fail(""); show(JSON.parse(message.data)); };
events.onerror = () => fail(text.unreachable);
