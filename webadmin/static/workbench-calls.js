// The agent's calls on the workbench: click-to-dial with a choice of the numbers the
// agent may show, hang up and blind transfer of the current call (done by the server
// on the PBX, so they work for a SIP phone beside the page too), and the history.
const panel = document.getElementById("calls-panel");
const text = JSON.parse(document.getElementById("workbench-text").textContent);
// A call record's outcome in the page's language (the record keeps the code).
const outcome = (code) => text.outcomes[code] ?? code;
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const status = document.getElementById("calls-status");
const dialForm = document.getElementById("dial");
const callerIds = dialForm.elements.caller_id;

function say(message, isError = false) {
  status.textContent = message || "";
  status.classList.toggle("error", isError);
}

async function post(url, body) {
  const response = await fetch(url, {
    method: "POST", credentials: "same-origin",
    headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({error: response.statusText}));
  if (!response.ok) { say(answer.error, true); return null; }
  return answer;
}

function dial(number) {
  say("");
  return post(panel.dataset.dialUrl, {
    number, caller_id: callerIds.value || null,
    device: document.body.dataset.device || "sip",
  }).then((answer) => { if (answer) say(text.calling); });
}

function row(call) {
  const tr = document.createElement("tr");
  const other = call.direction === "inbound" ? call.caller : call.callee;
  for (const value of [new Date(call.start).toLocaleString(), text[call.direction] || call.direction,
                       other, outcome(call.disposition), `${call.seconds}s`]) {
    const td = document.createElement("td");
    td.textContent = value;
    tr.append(td);
  }
  const notes = document.createElement("td");
  notes.className = "notes";
  notes.textContent = call.notes.join(" · ");
  tr.append(notes);
  const td = document.createElement("td");
  if (/^\+?[0-9]{3,20}$/.test(other)) {
    const again = document.createElement("button");
    again.type = "button";
    again.className = "redial";
    again.textContent = text.redial;
    again.addEventListener("click", () => dial(other));
    td.append(again);
  }
  tr.append(td);
  return tr;
}

async function refresh() {
  const response = await fetch(panel.dataset.callsUrl, {credentials: "same-origin"});
  if (!response.ok) return;
  const data = await response.json();
  callerIds.replaceChildren(...data.caller_ids.map((digits) => new Option(digits, digits)));
  const none = data.caller_ids.length === 0;
  document.getElementById("no-caller-id").hidden = !none;
  dialForm.querySelector("button").disabled = none;
  const body = document.querySelector("#history tbody");
  if (data.history.length === 0) {
    const tr = document.createElement("tr");
    tr.append(Object.assign(document.createElement("td"), {textContent: text.noHistory}));
    body.replaceChildren(tr);
  } else {
    body.replaceChildren(...data.history.map(row));
  }
}

dialForm.addEventListener("submit", (event) => {
  event.preventDefault();
  dial(dialForm.elements.number.value.trim());
});
document.getElementById("hang-up").addEventListener("click", async () => {
  if (await post(panel.dataset.hangupUrl, {})) say(text.hungUp);
});
document.getElementById("transfer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const mode = event.submitter ? event.submitter.value : "blind";
  const [kind, value] = form.elements.target.value.split(":");
  const target = kind === "number" ? form.elements.number.value.trim()
    : kind === "skill_group" ? Number(value) : value;
  if (await post(panel.dataset.transferUrl, {kind, target, mode})) {
    say({blind: text.transferred, attended: text.consulting, conference: text.conference}[mode]);
  }
});
for (const id of ["complete-transfer", "cancel-transfer", "hold-call", "retrieve-call"]) {
  const button = document.getElementById(id);
  button.addEventListener("click", async () => { if (await post(button.dataset.url, {})) say(""); });
}

// The pop-up: who calls, what they dialled, how long they waited, their IVR path
// and what it collected, their earlier calls. Shown while the phone rings or talks.
const popup = document.getElementById("call-popup");

async function showPopup() {
  const response = await fetch(popup.dataset.currentUrl, {credentials: "same-origin"});
  if (!response.ok) { popup.hidden = true; return; }
  const call = await response.json();
  popup.dataset.callId = call.call_id;
  const fill = (id, value) => { document.getElementById(id).textContent = value || text.none; };
  fill("popup-caller", call.caller);
  fill("popup-dialled", call.dialled);
  fill("popup-waited", text.seconds.replace("%(n)s", call.waited_seconds));
  fill("popup-path", call.ivr_path.map((step) => step.keys
    ? `${step.node} (${text.keys.replace("%(keys)s", step.keys)})` : step.node).join(" → "));
  fill("popup-variables", Object.entries(call.ivr_variables).map(([k, v]) => `${k}=${v}`).join(", "));
  fill("popup-earlier", call.earlier.map((c) => `${new Date(c.start).toLocaleString()} ${outcome(c.disposition)}`).join("; "));
  popup.hidden = false;
}

document.getElementById("note").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const saved = await post(form.dataset.notesUrl,
                           {call_id: popup.dataset.callId, text: form.elements.text.value});
  if (saved) { form.reset(); say(text.noteSaved); }
});

function followState() {
  const state = document.body.dataset.agentState;
  if (state === "RINGING" || (state === "TALKING" && popup.hidden)) showPopup();
  if (!["RINGING", "TALKING", "DIALING"].includes(state)) popup.hidden = true;
  refresh();
}

// The history and the pop-up follow the agent's calls: refresh when the state changes.
new MutationObserver(followState).observe(document.getElementById("state"),
                                          {attributes: true, attributeFilter: ["data-state"]});
refresh();
